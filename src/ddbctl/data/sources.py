"""What a restore reads: a ddbctl backup, a bare DynamoDB export, or a dynamodump dump.

All three become one ``RestoreSource``: tables by their logical name in the target environment, each
with its data files (the unit of a restore's checkpoint) and, where the source has one, its spec.

- ddbctl backup: ``ddbctl-backup.json`` at the root (written last: without it the backup is incomplete).
- bare native export: one or more ``AWSDynamoDB/<id>/`` folders; the table is the one named by
  ``tableArn`` in ``manifest-summary.json`` (stripped of any known environment's stem). It has no spec.
- dynamodump: ``<table>/schema.json`` (DescribeTable output) and ``<table>/data/0001.json``... (raw Scan
  pages, ``{"Items": [...]}``). dynamodump writes every binary value, at any depth and in sets, as
  base64 of the bytes (its JSON encoder turns ``bytes`` into base64): decoded once here, like an
  export's. (Its own restore decodes only top-level ``B`` and so double-encodes nested binary and
  ``BS``; a dump of a table restored that way holds those double-encoded values, which are restored as
  the bytes they are.)
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..errors import BackupError, Problem, SpecError
from ..naming import Namespace
from ..spec.files import logical_from_any_environment, read_spec
from ..spec.model import TableSpec
from .exportfmt import SUMMARY, DataFile, find_exports, iter_items, read_export
from .items import Item, from_file_item
from .store import Store

BACKUP_MANIFEST = "ddbctl-backup.json"
BACKUP_FORMAT = "ddbctl-backup/1"
DUMP_SCHEMA = "schema.json"
Kind = Literal["ddbctl", "export", "dynamodump"]
_TABLE_ARN = re.compile(r":table/([^/]+)")


@dataclass(frozen=True)
class SourceFile:
    key: str  # store key; also the checkpoint's name for this file
    item_count: int | None = None
    md5: str | None = None


@dataclass(frozen=True)
class SourceTable:
    logical: str
    physical: str | None  # the table's name in the source environment, when known
    spec_key: str | None  # ddbctl spec file or DescribeTable output; None for a bare export
    files: tuple[SourceFile, ...]
    item_count: int | None  # what the manifest promises; None when the source does not say


@dataclass(frozen=True)
class RestoreSource:
    store: Store
    kind: Kind
    tables: dict[str, SourceTable]
    fingerprint: str  # changes when the backup at this place is another one
    environment: str | None = None  # the source environment, when the manifest names it

    def describe(self) -> str:
        return self.store.describe()


def open_source(store: Store, namespace: Namespace) -> RestoreSource:
    """Recognise the layout at the store's root; BackupError when it is none of the three."""
    if store.exists(BACKUP_MANIFEST):
        return _ddbctl_backup(store, namespace)
    keys = store.list("")
    if DUMP_SCHEMA in keys or any(_dump_table(key) for key in keys):
        return _dynamodump(store, keys, namespace)
    if any(key.startswith("schemas/") for key in keys) and any(key.startswith("tables/") for key in keys):
        raise BackupError(_where(store, BACKUP_MANIFEST), None,
                          "missing manifest: the backup never completed (its manifest is written last)")
    exports = [""] if SUMMARY in keys else find_exports(store, "")  # --from may name the export folder itself
    if exports:
        return _native_exports(store, exports, namespace)
    raise BackupError(store.describe(), None, "not a backup: no ddbctl-backup.json, no AWSDynamoDB/<id>/ "
                      "export folder and no dynamodump <table>/schema.json")


def read_items(source: RestoreSource, file: SourceFile) -> Iterator[tuple[int, Item]]:
    """(line, item) of one data file, in order; BackupError naming file and line on anything wrong."""
    if source.kind == "dynamodump":
        yield from _dump_page(source.store, file.key)
    else:
        # The MD5 is computed while streaming and checked at the end: one read per file and pass.
        yield from iter_items(source.store, DataFile(file.key, file.item_count or 0, file.md5 or ""),
                              check_first=False)


def load_spec(source: RestoreSource, table: SourceTable, namespace: Namespace) -> TableSpec | None:
    """The table's spec from the source (ddbctl spec file or dynamodump's DescribeTable output)."""
    if table.spec_key is None:
        return None
    data = _read(source.store, table.spec_key)
    with tempfile.TemporaryDirectory(prefix="ddbctl-spec-") as scratch:
        path = Path(scratch) / f"{table.logical}.json"
        path.write_bytes(data)
        spec, problems = read_spec(path, namespace)
    if problems or spec is None:
        where = _where(source.store, table.spec_key)
        raise SpecError([Problem(where, p.pointer, p.rule) for p in problems] or [Problem(where, "", "unusable")])
    if spec.table_name != table.logical:
        spec = spec.model_copy(update={"table_name": table.logical})
    return spec


# -- ddbctl backup ---------------------------------------------------------------------------------------


def _ddbctl_backup(store: Store, namespace: Namespace) -> RestoreSource:
    where = _where(store, BACKUP_MANIFEST)
    data = _read(store, BACKUP_MANIFEST)
    manifest = _json_object(data, where)
    if manifest.get("format") != BACKUP_FORMAT:
        raise BackupError(where, None, f"unknown format {manifest.get('format')!r} (expected {BACKUP_FORMAT!r})")
    tables_doc = manifest.get("tables")
    if not isinstance(tables_doc, dict):
        raise BackupError(where, None, "'tables' must be an object of tables by logical name")
    tables: dict[str, SourceTable] = {}
    for logical, entry in sorted(tables_doc.items()):
        if not isinstance(entry, dict) or not isinstance(entry.get("files"), list):
            raise BackupError(where, None, f"tables.{logical}: expected an object with a 'files' list")
        files = []
        for number, item in enumerate(entry["files"]):
            if not isinstance(item, dict) or not isinstance(item.get("key"), str):
                raise BackupError(where, None, f"tables.{logical}.files[{number}]: expected an object with a 'key'")
            files.append(SourceFile(item["key"], _int_or_none(item.get("itemCount")), item.get("md5Checksum")))
        spec_key = entry.get("spec") if isinstance(entry.get("spec"), str) else None
        tables[logical] = SourceTable(logical, entry.get("physical"), spec_key, tuple(files),
                                      _int_or_none(entry.get("itemCount")))
    environment = manifest.get("environment") if isinstance(manifest.get("environment"), str) else None
    return RestoreSource(store, "ddbctl", tables, _digest(data), environment)


# -- bare native export ------------------------------------------------------------------------------------


def _native_exports(store: Store, exports: list[str], namespace: Namespace) -> RestoreSource:
    tables: dict[str, SourceTable] = {}
    digest = hashlib.sha256()
    for export_key in exports:
        manifest = read_export(store, export_key)
        summary = manifest.summary
        match = _TABLE_ARN.search(str(summary.get("tableArn", "")))
        physical = match.group(1) if match else None
        # Without a tableArn the table is unnamed (""): --table must name it.
        logical = logical_from_any_environment(physical, namespace) if physical else ""
        if logical in tables:
            raise BackupError(_where(store, export_key), None,
                              f"a second export of table {logical} (the first is under "
                              f"{tables[logical].files[0].key if tables[logical].files else '?'}): keep one")
        files = tuple(SourceFile(f.key, f.item_count, f.md5) for f in manifest.files)
        count = sum(f.item_count for f in manifest.files)
        tables[logical] = SourceTable(logical, physical, None, files, count)
        digest.update(export_key.encode() + b"\0" + json.dumps([f.key for f in files]).encode())
    return RestoreSource(store, "export", tables, digest.hexdigest())


# -- dynamodump --------------------------------------------------------------------------------------------


def _dump_table(key: str) -> str | None:
    parts = key.split("/")
    return parts[0] if len(parts) == 2 and parts[1] == DUMP_SCHEMA else None


def _dynamodump(store: Store, keys: list[str], namespace: Namespace) -> RestoreSource:
    if DUMP_SCHEMA in keys:  # --from names one table's folder
        described = _json_object(_read(store, DUMP_SCHEMA), _where(store, DUMP_SCHEMA))
        name = str((described.get("Table") or described).get("TableName") or "")
        folders = {name: ""}
    else:
        folders = {table: f"{table}/" for key in keys if (table := _dump_table(key))}
    tables: dict[str, SourceTable] = {}
    digest = hashlib.sha256()
    for physical, folder in sorted(folders.items()):
        logical = logical_from_any_environment(physical, namespace)
        pages = sorted(key for key in keys if key.startswith(f"{folder}data/") and key.endswith(".json"))
        tables[logical] = SourceTable(logical, physical, f"{folder}{DUMP_SCHEMA}",
                                      tuple(SourceFile(key) for key in pages), None)
        digest.update(json.dumps([physical, pages]).encode())
    return RestoreSource(store, "dynamodump", tables, digest.hexdigest())


def _dump_page(store: Store, key: str) -> Iterator[tuple[int, Item]]:
    """One dynamodump page: its items numbered from 1 (the item's place in ``Items``)."""
    where = _where(store, key)
    page = _json_object(_read(store, key), where)
    items = page.get("Items")
    if not isinstance(items, list):
        raise BackupError(where, None, "a dynamodump page must be an object with an 'Items' list")
    for number, raw in enumerate(items, start=1):
        try:
            item = from_file_item(raw)
        except ValueError as exc:
            raise BackupError(where, number, f"item {number} of Items: {exc}") from None
        yield number, item


# -- helpers -----------------------------------------------------------------------------------------------


def _read(store: Store, key: str) -> bytes:
    try:
        return store.read_bytes(key)
    except FileNotFoundError:
        raise BackupError(_where(store, key), None, "file missing") from None
    except OSError as exc:
        raise BackupError(_where(store, key), None, f"cannot read: {exc.strerror or exc}") from None


def _json_object(data: bytes, where: str) -> dict[str, Any]:
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise BackupError(where, line, f"invalid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise BackupError(where, None, "expected a JSON object")
    return document


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _where(store: Store, key: str) -> str:
    return store.location(key) if key else store.describe()
