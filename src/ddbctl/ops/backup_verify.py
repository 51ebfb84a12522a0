"""``backup verify``: check a backup offline, every file and line, and list every problem found.

Checks: the top-level manifest is present and complete; each table's spec file is valid; its export's
manifests are present, their MD5 files match, and they agree with the top-level manifest; every data
file's MD5, gzip stream and line syntax; item counts (file, export, top level); and that every item
has the table's key attributes with the spec's types. Sends nothing to AWS.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..data.exportfmt import DataFile, ExportManifest, iter_items, read_export
from ..data.items import Item
from ..data.store import Store, open_store
from ..errors import BackupError, BackupProblem
from ..spec.files import parse_spec
from ..spec.model import TableSpec
from .backup import FORMAT, MANIFEST

MAX_PROBLEMS_PER_FILE = 20


@dataclass(frozen=True)
class VerifiedTable:
    logical: str
    items: int
    files: int


@dataclass(frozen=True)
class VerifyResult:
    location: str
    tables: tuple[VerifiedTable, ...]

    @property
    def items(self) -> int:
        return sum(t.items for t in self.tables)


def verify_backup(location: str, store: Store | None = None) -> VerifyResult:
    """Every problem of the backup at ``location`` in one BackupError (exit 2), or what was checked."""
    store = store or open_store(location)
    problems: list[BackupProblem] = []
    manifest = _top_manifest(store, problems)
    tables: list[VerifiedTable] = []
    for logical, entry in sorted((manifest or {}).get("tables", {}).items()):
        checked = _table(store, logical, entry, problems)
        if checked is not None:
            tables.append(checked)
    if problems:
        raise BackupError.of(problems, hint="the backup cannot be restored as it is; take a new one "
                             "(or restore only the tables without problems with --table)")
    return VerifyResult(store.describe(), tuple(tables))


def _top_manifest(store: Store, problems: list[BackupProblem]) -> dict[str, Any] | None:
    where = store.location(MANIFEST)
    try:
        manifest = json.loads(store.read_bytes(MANIFEST))
    except FileNotFoundError:
        problems.append(BackupProblem(where, None, "missing: the backup is not complete (run the same backup "
                                      "command again to finish it)"))
        return None
    except ValueError as exc:
        problems.append(BackupProblem(where, None, f"invalid JSON: {exc}"))
        return None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        problems.append(BackupProblem(where, None, f"not a ddbctl backup manifest (format must be {FORMAT!r})"))
        return None
    if not isinstance(manifest.get("tables"), dict):
        problems.append(BackupProblem(where, None, "tables must be an object"))
        return None
    for name in ("environment", "prefix", "completed"):
        if not isinstance(manifest.get(name), str):
            problems.append(BackupProblem(where, None, f"{name} missing"))
    return manifest


def _table(store: Store, logical: str, entry: Any, problems: list[BackupProblem]) -> VerifiedTable | None:
    where = f"{store.location(MANIFEST)} (table {logical})"
    if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in ("spec", "export")):
        problems.append(BackupProblem(where, None, "each table needs spec and export keys"))
        return None
    spec = _spec(store, entry["spec"], problems)
    try:
        export = read_export(store, entry["export"])
    except BackupError as error:
        problems.extend(error.problems)
        return None
    _compare_manifests(where, entry, export, problems)
    keys = _key_types(spec) if spec is not None else {}
    items = 0
    for data_file in export.files:
        items += _data_file(store, data_file, keys, problems)
    summary_count = export.summary.get("itemCount")
    if isinstance(summary_count, int) and summary_count != export.item_count:
        problems.append(BackupProblem(store.location(f"{export.export_dir}/manifest-summary.json"), None,
                                      f"itemCount {summary_count} but the data files hold {export.item_count}"))
    return VerifiedTable(logical, items, len(export.files))


def _spec(store: Store, key: str, problems: list[BackupProblem]) -> TableSpec | None:
    where = store.location(key)
    try:
        document = json.loads(store.read_bytes(key))
    except FileNotFoundError:
        problems.append(BackupProblem(where, None, "spec file missing"))
        return None
    except ValueError as exc:
        problems.append(BackupProblem(where, None, f"invalid JSON: {exc}"))
        return None
    spec, findings = parse_spec(document if isinstance(document, dict) else {})
    problems.extend(BackupProblem(where, None, f"{pointer or '/'}: {rule}") for pointer, rule in findings)
    return spec if not findings else None


def _compare_manifests(where: str, entry: dict[str, Any], export: ExportManifest,
                       problems: list[BackupProblem]) -> None:
    listed = entry.get("files")
    if isinstance(listed, list):
        top = {(f.get("key"), f.get("itemCount"), f.get("md5Checksum")) for f in listed if isinstance(f, dict)}
        own = {(f.key, f.item_count, f.md5) for f in export.files}
        if top != own:
            problems.append(BackupProblem(where, None, "files differ from the export's manifest-files.json"))
    if entry.get("itemCount") != export.item_count:
        problems.append(BackupProblem(where, None, f"itemCount {entry.get('itemCount')} but the export's files "
                                      f"hold {export.item_count}"))


def _key_types(spec: TableSpec) -> dict[str, str]:
    types = spec.attribute_types
    return {element.attribute_name: types.get(element.attribute_name, "S") for element in spec.key_schema}


def _data_file(store: Store, data_file: DataFile, keys: dict[str, str], problems: list[BackupProblem]) -> int:
    where = store.location(data_file.key)
    found = 0
    count = 0
    try:
        for line, item in iter_items(store, data_file):
            count += 1
            reason = key_problem(item, keys)
            if reason is not None and found < MAX_PROBLEMS_PER_FILE:
                problems.append(BackupProblem(where, line, reason))
                found += 1
    except BackupError as error:
        problems.extend(error.problems)
    return count


def key_problem(item: Item, keys: dict[str, str]) -> str | None:
    """Why ``item`` cannot be written to a table with these key attributes ({name: S|N|B}), or None."""
    for name, expected in keys.items():
        value = item.get(name)
        if value is None:
            return f"key attribute {name!r} missing"
        ((kind, inner),) = value.items()
        if kind != expected:
            return f"key attribute {name!r} is {kind}, the table's key is {expected}"
        if kind in ("S", "B") and len(inner) == 0:
            return f"key attribute {name!r} is empty"
    return None
