"""DynamoDB's S3 export layout, written and read, MD5s checked.

Under ``<table dir>/AWSDynamoDB/<export id>/``::

    _started                  empty: the export began (DynamoDB writes it too)
    manifest-summary.json     the export as a whole: times, table, item count, format
    manifest-summary.md5      hex MD5 of manifest-summary.json (also written as .checksum, DynamoDB's name)
    manifest-files.json       JSON lines {"itemCount", "md5Checksum", "etag", "dataFileS3Key"}
    manifest-files.md5        hex MD5 of manifest-files.json (and .checksum)
    data/<name>.json.gz       gzip of lines {"Item": {...}} in DynamoDB JSON

``md5Checksum`` is the base64 MD5 of the ``.gz`` object, ``etag`` its hex MD5 (an S3 single-part ETag),
and ``dataFileS3Key`` the object's key relative to the store root (the bucket), prefix included.
The reader also accepts exports written by DynamoDB itself, whose keys include the export's S3 prefix.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import json
import os
import secrets
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, cast

from isal import igzip

from ..errors import BackupError
from .items import Item, loads_line
from .store import Store, join

EXPORTS_FOLDER = "AWSDynamoDB"
SUMMARY = "manifest-summary.json"
FILES = "manifest-files.json"
STARTED = "_started"
DATA = "data"
DATA_SUFFIX = ".json.gz"
VERSION = "2020-06-30"
OUTPUT_FORMAT = "DYNAMODB_JSON"
COMPRESS_LEVEL = 3  # gzip: fast; DynamoDB and ImportTable read any level
# ISA-L's deflate (isal): level 1 compresses a backup's lines as small as zlib's level 1 (~38 %) for a
# fifth of the CPU (3 us per 1.3 KB item where zlib needs 15); the bytes are ordinary gzip.
FAST_COMPRESS_LEVEL = 1
_CHUNK = 1 << 20


@dataclass(frozen=True)
class DataFile:
    """One data file of an export: its store key, how many items it holds and its base64 MD5."""

    key: str
    item_count: int
    md5: str
    etag: str | None = None

    def manifest_line(self) -> dict[str, Any]:
        etag = self.etag or base64.b64decode(self.md5).hex()
        return {"itemCount": self.item_count, "md5Checksum": self.md5, "etag": etag, "dataFileS3Key": self.key}


@dataclass(frozen=True)
class ExportManifest:
    """An export as its manifests describe it."""

    export_dir: str
    summary: dict[str, Any]
    files: tuple[DataFile, ...] = field(default=())

    @property
    def item_count(self) -> int:
        return sum(data_file.item_count for data_file in self.files)

    @property
    def export_id(self) -> str:
        return self.export_dir.rstrip("/").rsplit("/", 1)[-1]


# -- naming --------------------------------------------------------------------------------------------


def new_export_id(now: float | None = None) -> str:
    """An id shaped like DynamoDB's: 14 digits of epoch milliseconds, a dash, 8 hex digits."""
    millis = int((time.time() if now is None else now) * 1000)
    return f"{millis:014d}-{secrets.token_hex(4)}"


def export_dir_key(table_dir: str, export_id: str) -> str:
    return join(table_dir, EXPORTS_FOLDER, export_id)


def data_file_key(export_dir: str, name: str) -> str:
    return join(export_dir, DATA, name if name.endswith(DATA_SUFFIX) else name + DATA_SUFFIX)


def find_exports(store: Store, prefix: str = "") -> list[str]:
    """The export folders (``.../AWSDynamoDB/<id>``) under ``prefix``, found by their manifest-summary.json."""
    found = []
    for key in store.list(prefix):
        parts = key.split("/")
        if parts[-1] == SUMMARY and len(parts) >= 3 and parts[-3] == EXPORTS_FOLDER:
            found.append("/".join(parts[:-1]))
    return sorted(found)


# -- writing -------------------------------------------------------------------------------------------


class _HashingWriter:
    """A binary sink that counts and MD5s what passes through to the real file."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.md5 = hashlib.md5()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.md5.update(data)
        self.size += len(data)
        return self.handle.write(data)

    def flush(self) -> None:
        self.handle.flush()


@dataclass(frozen=True)
class WrittenFile:
    """A finished local data file: its items, compressed size, base64 and hex MD5, uncompressed size."""

    path: Path
    item_count: int
    size: int
    md5: str
    etag: str
    raw_bytes: int

    def data_file(self, key: str) -> DataFile:
        return DataFile(key, self.item_count, self.md5, self.etag)


class DataFileWriter:
    """Streams export lines into a local ``.json.gz`` file, counting items and computing its MD5.

    ``close()`` flushes and fsyncs; the caller then moves the file into its store (``Store.put_file``).
    """

    def __init__(self, path: Path, compresslevel: int = COMPRESS_LEVEL, *, fast: bool = False) -> None:
        """``fast``: compress with ISA-L at FAST_COMPRESS_LEVEL (backups' scans), not zlib."""
        self.path = path
        self._handle = open(path, "wb")  # noqa: SIM115  (closed by close() or abort())
        self._sink = _HashingWriter(self._handle)
        # mtime=0 and no file name in the header: the same lines always give the same bytes.
        if fast:
            self._gzip: gzip.GzipFile = cast(Any, igzip.IGzipFile)(
                filename="", mode="wb", fileobj=self._sink, compresslevel=FAST_COMPRESS_LEVEL, mtime=0)
        else:
            self._gzip = gzip.GzipFile(filename="", mode="wb", fileobj=cast(Any, self._sink),
                                       compresslevel=compresslevel, mtime=0)
        self.item_count = 0
        self.raw_bytes = 0

    def write_lines(self, lines: bytes, count: int) -> None:
        """``count`` complete lines (each ending in a newline), already encoded."""
        self._gzip.write(lines)
        self.item_count += count
        self.raw_bytes += len(lines)

    def close(self) -> WrittenFile:
        self._gzip.close()
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()
        digest = self._sink.md5.digest()
        return WrittenFile(self.path, self.item_count, self._sink.size, base64.b64encode(digest).decode("ascii"),
                           digest.hex(), self.raw_bytes)

    def abort(self) -> None:
        """Close and delete an unfinished file."""
        with contextlib.suppress(Exception):
            self._gzip.close()
        with contextlib.suppress(Exception):
            self._handle.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def start_export(store: Store, export_dir: str) -> None:
    """The empty ``_started`` marker, as DynamoDB writes it when an export begins."""
    store.write_bytes(join(export_dir, STARTED), b"")


def summary_document(
    *,
    export_dir: str,
    item_count: int,
    start_time: str,
    end_time: str,
    table_arn: str | None = None,
    table_id: str | None = None,
    export_arn: str | None = None,
    export_time: str | None = None,
    billed_size_bytes: int = 0,
    s3_bucket: str | None = None,
    s3_prefix: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A manifest-summary.json document with DynamoDB's keys."""
    return {
        "version": VERSION,
        "exportArn": export_arn,
        "startTime": start_time,
        "endTime": end_time,
        "tableArn": table_arn,
        "tableId": table_id,
        "exportTime": export_time or start_time,
        "s3Bucket": s3_bucket,
        "s3Prefix": s3_prefix,
        "s3SseAlgorithm": None,
        "s3SseKmsKeyId": None,
        "manifestFilesS3Key": join(export_dir, FILES),
        "billedSizeBytes": billed_size_bytes,
        "itemCount": item_count,
        "outputFormat": OUTPUT_FORMAT,
        "exportType": "FULL_EXPORT",
        **extra,
    }


def write_manifests(store: Store, export_dir: str, files: Sequence[DataFile], summary: dict[str, Any]) -> None:
    """manifest-files.json then manifest-summary.json (the summary last), each with its MD5 files."""
    files_text = "".join(json.dumps(f.manifest_line(), sort_keys=True) + "\n" for f in files).encode("utf-8")
    _write_with_checksum(store, join(export_dir, FILES), files_text)
    summary_text = (json.dumps(summary, indent=2, sort_keys=True) + "\n").encode("utf-8")
    _write_with_checksum(store, join(export_dir, SUMMARY), summary_text)


def _write_with_checksum(store: Store, key: str, data: bytes) -> None:
    digest = hashlib.md5(data).hexdigest().encode("ascii")
    store.write_bytes(key, data)
    stem = key.removesuffix(".json")
    store.write_bytes(stem + ".md5", digest)
    store.write_bytes(stem + ".checksum", digest)


# -- reading -------------------------------------------------------------------------------------------


def read_export(store: Store, export_dir: str) -> ExportManifest:
    """The manifests of the export at ``export_dir``; BackupError (file, line, reason) if they are unusable."""
    export_dir = export_dir.rstrip("/")
    summary_key = join(export_dir, SUMMARY)
    summary_bytes = _read_checked(store, summary_key)
    try:
        summary = json.loads(summary_bytes)
    except ValueError as exc:
        raise BackupError(store.location(summary_key), None, f"invalid JSON: {exc}") from None
    if not isinstance(summary, dict):
        raise BackupError(store.location(summary_key), None, "must be a JSON object")
    files_key = join(export_dir, FILES)
    files_bytes = _read_checked(store, files_key)
    files = tuple(_manifest_lines(store, export_dir, files_key, files_bytes))
    return ExportManifest(export_dir, summary, files)


def _read_checked(store: Store, key: str) -> bytes:
    try:
        data = store.read_bytes(key)
    except FileNotFoundError:
        raise BackupError(store.location(key), None, "missing manifest: the export is incomplete or not an export",
                          hint="point at a complete backup or export folder (AWSDynamoDB/<id>/)") from None
    stem = key.removesuffix(".json")
    for checksum_key in (stem + ".md5", stem + ".checksum"):
        try:
            expected = store.read_bytes(checksum_key).decode("ascii", "replace").strip()
        except FileNotFoundError:
            continue
        digest = hashlib.md5(data).digest()
        if expected and expected not in (digest.hex(), base64.b64encode(digest).decode("ascii")):
            raise BackupError(store.location(key), None,
                              f"MD5 mismatch: {checksum_key.rsplit('/', 1)[-1]} says {expected}, the file's is "
                              f"{digest.hex()}")
        break
    return data


def _manifest_lines(store: Store, export_dir: str, files_key: str, data: bytes) -> Iterator[DataFile]:
    where = store.location(files_key)
    for number, raw in enumerate(data.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            entry = json.loads(raw)
        except ValueError as exc:
            raise BackupError(where, number, f"invalid JSON: {exc}") from None
        if not isinstance(entry, dict):
            raise BackupError(where, number, "each line must be a JSON object")
        count, md5, key = entry.get("itemCount"), entry.get("md5Checksum"), entry.get("dataFileS3Key")
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise BackupError(where, number, f"itemCount must be a whole number, got {count!r}")
        if not isinstance(md5, str) or not isinstance(key, str) or not key:
            raise BackupError(where, number, "md5Checksum and dataFileS3Key must be strings")
        etag = entry.get("etag")
        yield DataFile(_store_key(export_dir, key), count, md5, etag if isinstance(etag, str) else None)


def _store_key(export_dir: str, data_key: str) -> str:
    """A manifest's dataFileS3Key (relative to the bucket, with DynamoDB's prefix) as a key of this store."""
    marker = f"{EXPORTS_FOLDER}/{export_dir.rsplit('/', 1)[-1]}/"
    if marker in data_key:
        return join(export_dir, data_key.split(marker, 1)[1])
    return join(export_dir, DATA, data_key.rsplit("/", 1)[-1])


class _HashingReader:
    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.md5 = hashlib.md5()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.md5.update(data)
        return data

    def drain(self) -> None:
        while self.read(_CHUNK):
            pass


def file_md5(store: Store, key: str) -> str:
    """The base64 MD5 of the object at ``key`` (streamed); FileNotFoundError if missing."""
    with store.open_read(key) as handle:
        reader = _HashingReader(handle)
        reader.drain()
    return base64.b64encode(reader.md5.digest()).decode("ascii")


def check_md5(store: Store, data_file: DataFile) -> None:
    """BackupError unless the object exists and its MD5 is the manifest's."""
    where = store.location(data_file.key)
    try:
        actual = file_md5(store, data_file.key)
    except FileNotFoundError:
        raise BackupError(where, None, "data file missing (listed in manifest-files.json)") from None
    if actual != data_file.md5:
        raise BackupError(where, None, f"MD5 mismatch: manifest-files.json says {data_file.md5}, "
                          f"the file's is {actual}")


def iter_items(store: Store, data_file: DataFile, *, check_first: bool = True) -> Iterator[tuple[int, Item]]:
    """(line number, wire item) of every line of a data file.

    With ``check_first`` the file's MD5 is checked before the first item is yielded, so a bad file
    stops a restore before anything is written. A truncated gzip, a malformed line or an item count
    different from the manifest's raise BackupError naming the file and line.
    """
    where = store.location(data_file.key)
    if check_first:
        check_md5(store, data_file)
    number = items = 0
    try:
        with store.open_read(data_file.key) as handle:
            reader = _HashingReader(handle)
            with gzip.GzipFile(fileobj=cast(Any, reader), mode="rb") as lines:
                for number, raw in enumerate(lines, start=1):
                    if not raw.strip():
                        continue
                    if not raw.endswith(b"\n"):
                        _truncated_line(raw, where, number)
                    try:
                        item = loads_line(raw)
                    except ValueError as exc:
                        raise BackupError(where, number, str(exc)) from None
                    items += 1
                    yield number, item
            reader.drain()
    except FileNotFoundError:
        raise BackupError(where, None, "data file missing (listed in manifest-files.json)") from None
    except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as exc:
        raise BackupError(where, number + 1 if number else None,
                          f"not a complete gzip file ({exc or 'truncated'}): damaged or truncated") from None
    if items != data_file.item_count:
        raise BackupError(where, None, f"holds {items} items, manifest-files.json says {data_file.item_count}")
    if not check_first:
        actual = base64.b64encode(reader.md5.digest()).decode("ascii")
        if actual != data_file.md5:
            raise BackupError(where, None, f"MD5 mismatch: manifest-files.json says {data_file.md5}, the file's is "
                              f"{actual}")


def _truncated_line(raw: bytes, where: str, number: int) -> None:
    # The last line of DynamoDB's files ends with a newline; one without is the end of a cut file, unless it
    # is a complete item (some writers omit the final newline).
    try:
        loads_line(raw)
    except ValueError:
        raise BackupError(where, number, "incomplete last line: the file is truncated") from None


def count_items(store: Store, data_file: DataFile) -> int:
    """How many items a data file really holds (reads it all; checks MD5 and every line)."""
    return sum(1 for _ in iter_items(store, data_file))
