"""Spec files on disk: read (ddbctl's format or raw describe-table output), check, write deterministically."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import ConfigError, Problem, SpecError
from ..naming import Namespace, name_problem
from . import rules
from .convert import spec_from_description, without_managed_tags
from .model import TableSpec

SUMMARY_FILE = "table-summary.txt"
_DESCRIBE_MARKERS = ("TableStatus", "TableArn", "CreationDateTime", "TableId")


@dataclass(frozen=True)
class SpecFile:
    path: Path
    spec: TableSpec


def load_dir(directory: Path, namespace: Namespace) -> list[SpecFile]:
    """Every ``*.json`` spec in ``directory``, checked; raises SpecError listing all problems at once."""
    paths = spec_paths(directory)
    loaded: list[SpecFile] = []
    problems: list[Problem] = []
    for path in paths:
        spec, found = read_spec(path, namespace)
        problems.extend(found)
        if spec is not None:
            loaded.append(SpecFile(path, spec))
    problems.extend(_duplicates(loaded))
    if problems:
        raise SpecError(problems)
    return sorted(loaded, key=lambda f: f.spec.table_name)


def spec_paths(directory: Path) -> list[Path]:
    """The spec files of a directory, or a ConfigError saying what is wrong with it."""
    if not directory.exists():
        raise ConfigError(
            f"schema directory {directory} does not exist",
            hint="run `ddbctl export` first to write the schema files, or pass --dir",
        )
    if not directory.is_dir():
        raise ConfigError(f"{directory} is not a directory", hint="pass the directory holding the *.json files")
    try:
        # Every entry ending in .json: one that is no readable regular file is a problem, never skipped.
        paths = sorted(p for p in directory.iterdir() if p.name.endswith(".json"))
    except PermissionError as exc:
        raise ConfigError(f"cannot read schema directory {directory}: permission denied") from exc
    if not paths:
        raise ConfigError(
            f"no schema files (*.json) in {directory}",
            hint="run `ddbctl export` first to write the schema files, or pass --dir",
        )
    return paths


def read_spec(path: Path, namespace: Namespace) -> tuple[TableSpec | None, list[Problem]]:
    """One file: its spec (None if unusable) and every problem in it, with JSON pointers."""
    problem = entry_problem(path)
    if problem is not None:
        return None, [Problem(str(path), "", problem)]
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return None, [Problem(str(path), "", f"cannot read file: {exc.strerror or exc}")]
    except UnicodeDecodeError:
        return None, [Problem(str(path), "", "file is not UTF-8 text")]
    if not text.strip():
        return None, [Problem(str(path), "", "file is empty: expected a JSON object describing one table")]
    try:
        document = json.loads(text, object_pairs_hook=_Object)
    except json.JSONDecodeError as exc:
        return None, [Problem(str(path), "", f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")]
    except RecursionError:
        return None, [Problem(str(path), "", "JSON nested too deeply: a table spec is only a few levels deep")]
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        return None, [Problem(str(path), "", f"invalid JSON: {exc}")]
    duplicates = [Problem(str(path), pointer, f"duplicate key {key!r}: JSON keys must be unique (which value "
                          "counts would be a guess)") for pointer, key in _duplicate_keys(document)]
    if duplicates:
        return None, duplicates
    if not isinstance(document, dict):
        kind = type(document).__name__.replace("list", "array").replace("dict", "object")
        return None, [Problem(str(path), "", f"top level must be a JSON object describing one table, not {kind}")]
    if _is_description(document):
        return _from_description(path, document, namespace)
    return _from_spec(path, document, namespace)


def entry_problem(path: Path) -> str | None:
    """Why a directory entry named ``*.json`` cannot be read as a spec file, or None (a symlink to a file is fine)."""
    try:
        mode = path.stat().st_mode  # follows symbolic links
    except FileNotFoundError:
        if path.is_symlink():
            return (f"dangling symbolic link (to {os.readlink(path)!r}, which does not exist): "
                    "every *.json entry must be a spec file; fix or remove the link")
        return "the file disappeared while it was being read"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link that loops (it leads back to itself): fix or remove the link"
        return f"cannot read file: {exc.strerror or exc}"
    if stat.S_ISDIR(mode):
        return "a directory, not a spec file: every *.json entry must be a spec file; rename or remove it"
    if not stat.S_ISREG(mode):
        return "not a regular file (a FIFO, socket or device): every *.json entry must be a spec file"
    return None


class _Object(dict[str, Any]):
    """A JSON object as parsed, remembering keys that appeared more than once."""

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__(pairs)
        counts: dict[str, int] = {}
        for key, _ in pairs:
            counts[key] = counts.get(key, 0) + 1
        self.duplicates = [key for key, count in counts.items() if count > 1]


def _duplicate_keys(document: Any) -> list[tuple[str, str]]:
    """(JSON pointer of the object, key) for every key given twice in one object (iterative: no recursion)."""
    found: list[tuple[str, str]] = []
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        pointer, value = stack.pop()
        if isinstance(value, _Object):
            found.extend((f"{pointer}/{_escape(key)}", key) for key in value.duplicates)
            stack.extend((f"{pointer}/{_escape(key)}", item) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((f"{pointer}/{index}", item) for index, item in enumerate(value))
    return sorted(found)


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def parse_spec(document: Mapping[str, Any]) -> tuple[TableSpec | None, list[tuple[str, str]]]:
    """A spec from a JSON object in ddbctl's format: the spec, or every schema and rule problem."""
    try:
        spec = TableSpec.model_validate(document)
    except ValidationError as exc:
        return None, [(_pointer(error["loc"]), _message(error)) for error in exc.errors()]
    return spec, rules.check(spec)


def _from_spec(path: Path, document: dict[str, Any], namespace: Namespace) -> tuple[TableSpec | None, list[Problem]]:
    spec, findings = parse_spec(document)
    problems = [Problem(str(path), pointer, rule) for pointer, rule in findings]
    if spec is not None:
        if spec.table_name != path.stem:
            problems.append(
                Problem(
                    str(path),
                    "/TableName",
                    f"TableName {spec.table_name!r} does not match the file name: "
                    f"rename the file to {spec.table_name}.json or fix TableName",
                )
            )
        problems.extend(Problem(str(path), pointer, rule) for pointer, rule in _naming(spec, namespace))
    return (spec if not problems else None), problems


def _from_description(
    path: Path, document: dict[str, Any], namespace: Namespace
) -> tuple[TableSpec | None, list[Problem]]:
    table = document.get("Table", document)
    physical = table.get("TableName") if isinstance(table, dict) else None
    if not isinstance(physical, str):
        return None, [Problem(str(path), "/Table/TableName", "describe-table output without a TableName")]
    logical = logical_from_any_environment(physical, namespace)
    if path.stem not in (physical, logical):
        return None, [
            Problem(str(path), "/Table/TableName", f"TableName {physical!r} does not match the file name {path.name}")
        ]
    try:
        spec = spec_from_description(
            logical,
            table,
            ttl=document.get("TimeToLiveDescription"),
            backups=document.get("ContinuousBackupsDescription"),
            tags=document.get("Tags"),
        )
    except (ValidationError, KeyError, TypeError) as exc:
        return None, [Problem(str(path), "/Table", f"not a usable describe-table output: {exc}")]
    spec = without_managed_tags(spec)
    findings = [*rules.check(spec), *_naming(spec, namespace)]
    problems = [Problem(str(path), pointer, rule) for pointer, rule in findings]
    return (spec if not problems else None), problems


def logical_from_any_environment(physical: str, namespace: Namespace) -> str:
    """The logical name of a physical name from any known environment under the prefix (as the seed strips it)."""
    for environment in namespace.known_environments:
        logical = Namespace(environment, namespace.prefix, namespace.known_environments).logical(physical)
        if logical is not None:
            return logical
    return physical.removeprefix(f"{namespace.prefix}-")


def _naming(spec: TableSpec, namespace: Namespace) -> list[tuple[str, str]]:
    findings: list[tuple[str, str]] = []
    clash = namespace.clash(spec.table_name)
    if clash is not None:
        findings.append(
            (
                "/TableName",
                f"logical name {spec.table_name!r} starts with the environment name {clash!r} (or makes a "
                f"table name of {clash}'s): its table would be mistaken for one of {clash}'s; choose another name",
            )
        )
    physical_problem = name_problem(namespace.physical(spec.table_name))
    if physical_problem is not None:
        findings.append(("/TableName", f"in environment {namespace.environment}: {physical_problem}"))
    return findings


def _duplicates(loaded: Iterable[SpecFile]) -> list[Problem]:
    first: dict[str, Path] = {}
    problems = []
    for item in loaded:
        name = item.spec.table_name
        if name in first:
            problems.append(
                Problem(str(item.path), "/TableName", f"table {name!r} is also defined in {first[name].name}")
            )
        else:
            first[name] = item.path
    return problems


def _is_description(document: Mapping[str, Any]) -> bool:
    return isinstance(document.get("Table"), dict) or any(marker in document for marker in _DESCRIBE_MARKERS)


def _pointer(location: Iterable[int | str]) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in location)


def _message(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown field (see `ddbctl schema` for the allowed fields)"
    if kind == "missing":
        return "required field is missing"
    return str(error["msg"]).replace("Input should be", "must be")


def dump_spec(spec: TableSpec) -> str:
    """The file text for ``spec``: sorted and stable, so unchanged tables re-export to the same bytes."""
    return json.dumps(spec.canonical().to_request(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_spec(directory: Path, spec: TableSpec) -> Path:
    """Write ``spec`` to ``directory/<logical name>.json``, only touching the file when its bytes change.

    Atomic (a temporary file renamed over it); a symlink to a spec file is written through. ConfigError
    naming the file when it cannot be written.
    """
    path = directory / f"{spec.table_name}.json"
    write_text_file(path, dump_spec(spec))
    return path


def write_text_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically unless it holds those bytes already; ConfigError if it cannot."""
    if os.path.lexists(path):
        problem = entry_problem(path)
        if problem is not None:
            raise ConfigError(f"cannot write {path}: {problem}")
        path = path.resolve()  # a symlink to a file: write the file it points to
        try:
            if path.read_text(encoding="utf-8") == text:
                return
        except (OSError, UnicodeDecodeError):
            pass  # unreadable or not text: replace it
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}",
                          hint="choose another --dir, or make the directory writable") from exc


def check_writable_dir(directory: Path) -> None:
    """ConfigError unless ``directory`` is (or can be made as) a directory that accepts new files.

    Checked before anything is read, by writing and removing a temporary file in it (or in its nearest
    existing parent): permissions, read-only file systems and immutable directories all show up.
    """
    existing = directory
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        what = directory if existing == directory else f"{existing} (in {directory})"
        raise ConfigError(f"cannot write to {what}: it is not a directory", hint="pass a directory with --dir")
    try:
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".ddbctl-check-"):
            pass
    except OSError as exc:
        raise ConfigError(f"cannot write to directory {existing}: {exc.strerror or exc}",
                          hint="choose another --dir, or make the directory writable") from exc
