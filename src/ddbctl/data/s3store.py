"""A backup in S3: ``s3://bucket/prefix`` behind the Store protocol of ``ddbctl.data.store``.

Keys are relative to the prefix. An S3 PUT is atomic (a reader sees the old object or the new one),
so writes need no temporary object; a large local file goes up in parts and appears only when whole.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, cast

from ..aws import S3
from ..config import Settings
from ..errors import ConfigError
from .store import join


class S3Store:
    """The objects under ``prefix`` in ``bucket``, through one S3 client (safe to share between threads)."""

    def __init__(self, settings: Settings, bucket: str, prefix: str = "", *, s3: S3 | None = None) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.s3 = s3 or S3(settings)

    def object_key(self, key: str) -> str:
        """The bucket key of a store key; ConfigError for a key that would leave the prefix."""
        if not key or key.startswith("/") or ".." in key.split("/"):
            raise ConfigError(f"invalid key {key!r} in store {self.describe()}")
        return join(self.prefix, key)

    def write_bytes(self, key: str, data: bytes) -> None:
        self.s3.put(self.bucket, self.object_key(key), data)

    def read_bytes(self, key: str) -> bytes:
        return self.s3.get(self.bucket, self.object_key(key))

    def open_read(self, key: str) -> BinaryIO:
        return cast(BinaryIO, self.s3.open(self.bucket, self.object_key(key)))

    def exists(self, key: str) -> bool:
        return self.s3.exists(self.bucket, self.object_key(key))

    def list(self, prefix: str) -> list[str]:
        root = self.prefix + "/" if self.prefix else ""
        keys = self.s3.list_keys(self.bucket, root + prefix)
        return sorted(key[len(root):] for key in keys if key.startswith(root) and not key.endswith("/"))

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"

    def location(self, key: str) -> str:
        return f"s3://{self.bucket}/{join(self.prefix, key)}"

    def put_file(self, key: str, source: Path) -> None:
        self.s3.upload(self.bucket, self.object_key(key), str(source))
        source.unlink(missing_ok=True)

    def delete(self, key: str) -> None:
        self.s3.delete(self.bucket, self.object_key(key))
