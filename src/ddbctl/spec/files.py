"""Spec files on disk: read (ddbctl's format or raw describe-table output), check, write deterministically."""

from __future__ import annotations

import json
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
        paths = sorted(p for p in directory.iterdir() if p.suffix == ".json" and p.is_file())
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
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return None, [Problem(str(path), "", f"cannot read file: {exc.strerror or exc}")]
    except UnicodeDecodeError:
        return None, [Problem(str(path), "", "file is not UTF-8 text")]
    if not text.strip():
        return None, [Problem(str(path), "", "file is empty: expected a JSON object describing one table")]
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, [Problem(str(path), "", f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")]
    if not isinstance(document, dict):
        kind = type(document).__name__.replace("list", "array").replace("dict", "object")
        return None, [Problem(str(path), "", f"top level must be a JSON object describing one table, not {kind}")]
    if _is_description(document):
        return _from_description(path, document, namespace)
    return _from_spec(path, document, namespace)


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
    """Write ``spec`` to ``directory/<logical name>.json``, only touching the file when its bytes change."""
    path = directory / f"{spec.table_name}.json"
    text = dump_spec(spec)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path
