"""add-gsi ``--dir``: the tables' spec files, read (and checked) before any call, given the new indexes after.

A file is only ever extended with the indexes asked for: never created, never changed when it
defines one of them differently or when the result would break one of DynamoDB's rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError, SpecError
from ..naming import Namespace
from ..spec import rules
from ..spec.files import read_spec, write_spec
from ..spec.model import TableSpec
from .gsi_input import IndexRequest


@dataclass(frozen=True)
class FileUpdate:
    path: Path
    changed: bool
    note: str | None = None  # why the file was not changed


def read_files(directory: Path, tables: Iterable[str], namespace: Namespace) -> dict[str, TableSpec | None]:
    """Each table's spec file (None when absent), read before any call: SpecError if one is invalid."""
    found: dict[str, TableSpec | None] = {}
    problems = []
    for logical in tables:
        path = _path(directory, logical)
        if not path.is_file():
            found[logical] = None
            continue
        spec, file_problems = read_spec(path, namespace)
        problems += file_problems
        found[logical] = spec
    if problems:
        raise SpecError(problems)
    return found


def update_files(
    directory: Path, files: Mapping[str, TableSpec | None], kept: Mapping[str, Sequence[IndexRequest]]
) -> tuple[FileUpdate, ...]:
    """Give each file (as ``read_files`` read it) the indexes ``kept`` for its table; one update per such table."""
    return tuple(_update_file(directory, logical, spec, kept[logical])
                 for logical, spec in files.items() if kept.get(logical))


def _update_file(directory: Path, logical: str, spec: TableSpec | None, requests: Sequence[IndexRequest]) -> FileUpdate:
    path = _path(directory, logical)
    if spec is None:
        return FileUpdate(path, False, f"no such file: not created (write the table's full spec with "
                                       f"`ddbctl export --table {logical} --dir {directory}`)")
    differing = [r.index_name for r in requests
                 if (existing := spec.gsi(r.index_name)) is not None and existing.canonical() != r.index.canonical()]
    if differing:
        return FileUpdate(path, False, f"the file defines index {', '.join(differing)} differently: left unchanged")
    missing = [r for r in requests if spec.gsi(r.index_name) is None]
    if not missing:
        return FileUpdate(path, False, "already lists the index")
    updated = _with_indexes(spec, missing)
    findings = rules.check(updated)
    if findings:
        return FileUpdate(path, False, "not changed: the result would break a rule: " + findings[0][1])
    try:
        write_spec(directory, updated)
    except ConfigError as exc:  # read-only or immutable directory, a directory named like the file, ...
        return FileUpdate(path, False, f"not written: {exc.message}")
    return FileUpdate(path, True)  # it gained an index, so its bytes changed


def _with_indexes(spec: TableSpec, requests: Sequence[IndexRequest]) -> TableSpec:
    defined = spec.attribute_types
    added = {d.attribute_name: d for r in requests for d in r.attribute_definitions if d.attribute_name not in defined}
    return spec.model_copy(update={
        "global_secondary_indexes": (*spec.gsis, *(r.index for r in requests)),
        "attribute_definitions": (*spec.attribute_definitions, *added.values()),
    })


def _path(directory: Path, logical: str) -> Path:
    return directory / f"{logical}.json"  # where write_spec writes the table's spec


__all__ = ["FileUpdate", "read_files", "update_files"]
