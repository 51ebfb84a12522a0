"""Where a backup lives: a local directory or ``s3://bucket/prefix``, behind one small protocol.

Keys are ``/``-separated and relative to the store's root. Reading a missing key raises
``FileNotFoundError``. Writes are atomic: a reader sees the old object or the new one, never half.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, BinaryIO, Protocol

from ..errors import ConfigError

if TYPE_CHECKING:
    from ..config import Settings

_TEMP_MARK = ".tmp-"


class Store(Protocol):
    def write_bytes(self, key: str, data: bytes) -> None:
        """Write ``data`` at ``key`` atomically (replacing what was there)."""

    def read_bytes(self, key: str) -> bytes:
        """The bytes at ``key``; FileNotFoundError if there are none."""

    def open_read(self, key: str) -> BinaryIO:
        """A binary stream of the object at ``key`` (close it); FileNotFoundError if missing."""

    def exists(self, key: str) -> bool: ...

    def list(self, prefix: str) -> list[str]:
        """Every key that starts with ``prefix`` (a folder ends with ``/``), sorted; [] if none."""

    def describe(self) -> str:
        """Where this store is, for messages (a path or an s3:// URL)."""

    def put_file(self, key: str, source: Path) -> None:
        """Store the local file ``source`` at ``key`` atomically; ``source`` may be moved away."""

    def delete(self, key: str) -> None:
        """Remove ``key`` if it exists."""

    def location(self, key: str) -> str:
        """Where ``key`` is, for messages: a path or an s3:// URL."""


class LocalStore:
    """A directory on this machine. Atomic writes: a temporary file beside the target, fsync, rename."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        """The file of ``key``; ConfigError for a key that would leave the root."""
        parts = PurePosixPath(key).parts
        if not key or PurePosixPath(key).is_absolute() or ".." in parts:
            raise ConfigError(f"invalid key {key!r} in store {self.root}")
        return self.root.joinpath(*parts)

    def write_bytes(self, key: str, data: bytes) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = _temporary(target)
        try:
            with open(temporary, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
        _fsync_dir(target.parent)

    def read_bytes(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def open_read(self, key: str) -> BinaryIO:
        return open(self.path(key), "rb")

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def list(self, prefix: str) -> list[str]:
        base = self.root / prefix if prefix.endswith("/") or not prefix else (self.root / prefix).parent
        if not base.is_dir():
            return []
        keys = []
        for directory, _, files in os.walk(base):
            for name in files:
                if _TEMP_MARK in name:
                    continue
                key = Path(directory, name).relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    keys.append(key)
        return sorted(keys)

    def describe(self) -> str:
        return str(self.root)

    def location(self, key: str) -> str:
        return str(self.path(key))

    def put_file(self, key: str, source: Path) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(source, "rb+") as handle:
            os.fsync(handle.fileno())
        try:
            os.replace(source, target)
        except OSError:  # another file system: copy beside the target first, then rename
            temporary = _temporary(target)
            shutil.copyfile(source, temporary)
            with open(temporary, "rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(temporary, target)
            source.unlink()
        _fsync_dir(target.parent)

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(key).unlink()


def open_store(url: str, settings: Settings | None = None) -> Store:
    """The store for a local path or ``s3://bucket/prefix`` (S3 support lives in ``ddbctl.data.s3store``)."""
    if url.startswith("s3://"):
        bucket, _, prefix = url[len("s3://") :].partition("/")
        if not bucket:
            raise ConfigError(f"invalid S3 location {url!r}", hint="use s3://BUCKET/PREFIX")
        try:
            from .s3store import S3Store  # type: ignore[import-not-found,unused-ignore]  # noqa: PLC0415
        except ImportError as exc:
            raise ConfigError(f"S3 locations are not supported by this installation ({exc})",
                              hint="use a local directory") from None

        if settings is None:
            raise ConfigError("an S3 store needs the AWS settings")
        store: Store = S3Store(settings, bucket, prefix.strip("/"))
        return store
    if "://" in url:
        raise ConfigError(f"unsupported backup location {url!r}", hint="use a local directory or s3://BUCKET/PREFIX")
    return LocalStore(Path(url))


def join(*parts: str) -> str:
    """A key from parts, without doubled or trailing slashes."""
    return "/".join(part.strip("/") for part in parts if part.strip("/"))


def _temporary(target: Path) -> Path:
    return target.with_name(f"{target.name}{_TEMP_MARK}{os.getpid()}-{secrets.token_hex(4)}")


def _fsync_dir(directory: Path) -> None:
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
