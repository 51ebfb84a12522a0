"""add-gsi's request: the index(es) asked for, from flags and the seed's variables or from spec files.

Everything here is checked without a call (names, key types, projection, capacity pairs) and raises
ConfigError or SpecError before anything is sent; the checks that need the live table are in
:mod:`ddbctl.ops.gsi`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError, SpecError
from ..naming import Namespace, name_problem
from ..ownership import resolve_table_name
from ..spec import rules
from ..spec.files import load_dir, read_spec
from ..spec.model import (
    MAX_UNITS,
    AttributeDefinition,
    AttributeType,
    GlobalSecondaryIndex,
    KeySchemaElement,
    Projection,
    ProjectionType,
    ProvisionedThroughput,
    TableSpec,
)

ATTRIBUTE_TYPES: tuple[AttributeType, ...] = ("S", "N", "B")
PROJECTION_TYPES: tuple[ProjectionType, ...] = ("ALL", "KEYS_ONLY", "INCLUDE")
_TYPE_NAMES = "S (string), N (number) or B (binary)"


@dataclass(frozen=True)
class IndexRequest:
    """One global secondary index to add to one table.

    ``table`` is a logical name or a physical name of the selected environment;
    ``attribute_definitions`` give the types of the index's key attributes.
    """

    table: str
    index: GlobalSecondaryIndex
    attribute_definitions: tuple[AttributeDefinition, ...]

    @property
    def index_name(self) -> str:
        return self.index.index_name

    @property
    def key_types(self) -> dict[str, str]:
        return {d.attribute_name: d.attribute_type for d in self.attribute_definitions}


@dataclass(frozen=True)
class GsiInput:
    """add-gsi's flags as given (None: not given). The seed's environment variables fill the rest."""

    table: str | None = None
    index: str | None = None
    partition_key: str | None = None  # NAME[:S|N|B]
    sort_key: str | None = None
    projection: str | None = None
    attributes: str | None = None  # comma-separated
    read_capacity: int | None = None
    write_capacity: int | None = None


def request_from_input(flags: GsiInput, environ: Mapping[str, str]) -> IndexRequest:
    """The index asked for by flags and the seed's variables (TABLE_NAME, INDEX_NAME, PARTITION_KEY, ...).

    Flags win over variables. The key flags replace all four key variables and the projection flags
    both projection variables, so a stale SORT_KEY in the shell never slips into a flag-defined index.
    Raises ConfigError listing every problem; sends nothing.
    """
    problems: list[str] = []
    table = flags.table or _env(environ, "TABLE_NAME")
    index_name = flags.index or _env(environ, "INDEX_NAME")
    if not table:
        problems.append("no table given: pass --table NAME or set TABLE_NAME")
    if not index_name:
        problems.append("no index name given: pass --index NAME or set INDEX_NAME")
    keys = _keys_from_input(flags, environ, problems)
    projection = _projection_from_input(flags, environ, problems)
    throughput = _throughput_from_input(flags.read_capacity, flags.write_capacity, problems)
    problems += _index_name_problems(index_name) + (_projection_problems(projection) if projection else [])
    if problems or table is None or index_name is None or projection is None:
        raise input_error(problems)
    request = index_request(table, index_name, keys, projection, throughput)
    problems = _key_problems(request.index.key_schema, request.key_types)
    if problems:
        raise input_error(problems)
    return request


def index_request(
    table: str,
    index_name: str,
    keys: Sequence[tuple[str, AttributeType]],
    projection: Projection,
    throughput: ProvisionedThroughput | None = None,
) -> IndexRequest:
    """An IndexRequest from its parts: ``keys`` are (name, type), partition key first."""
    schema = tuple(KeySchemaElement(attribute_name=name, key_type="RANGE" if position else "HASH")
                   for position, (name, _) in enumerate(keys))
    definitions = tuple(AttributeDefinition(attribute_name=name, attribute_type=kind) for name, kind in keys)
    index = GlobalSecondaryIndex(
        index_name=index_name, key_schema=schema, projection=projection, provisioned_throughput=throughput
    )
    return IndexRequest(table, index, definitions)


def requests_from_spec(path: Path, namespace: Namespace) -> list[IndexRequest]:
    """Every GSI of a spec file, or of every spec file of a directory (SpecError if any file is invalid)."""
    if path.is_dir():
        specs = [item.spec for item in load_dir(path, namespace)]
    else:
        spec, problems = read_spec(path, namespace)
        if spec is None or problems:
            raise SpecError(problems)
        specs = [spec]
    return [
        IndexRequest(spec.table_name, index, _definitions(spec, index.key_attributes))
        for spec in specs
        for index in spec.gsis
    ]


def request_problems(request: IndexRequest) -> list[str]:
    """What is wrong with ``request`` on its own (no table needed), in words a user of the CLI acts on."""
    index = request.index
    problems = _index_name_problems(index.index_name)
    problems += _key_problems(index.key_schema, request.key_types)
    problems += _projection_problems(index.projection)
    return problems


def input_error(problems: Sequence[str]) -> ConfigError:
    hint = "no change was sent to DynamoDB"
    if len(problems) == 1:
        return ConfigError(problems[0], hint=hint)
    listed = "\n".join(f"  - {problem}" for problem in problems)
    return ConfigError(f"{len(problems)} problems with the index request:\n{listed}", hint=hint)


def resolve_table(name: str, namespace: Namespace) -> tuple[str, str]:
    """(logical, physical) of a --table argument: a physical name of the environment, else a logical name.

    A physical name of another environment is refused with "did you mean -e staging?" (ConfigError).
    """
    logical = resolve_table_name(name, namespace)
    return logical, namespace.physical(logical)


def _index_name_problems(index_name: str | None) -> list[str]:
    problem = name_problem(index_name, "index name") if index_name else None
    return [problem] if problem else []


def _env(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    return value or None


def _keys_from_input(
    flags: GsiInput, environ: Mapping[str, str], problems: list[str]
) -> list[tuple[str, AttributeType]]:
    given: list[tuple[str, str | None, str | None, str]]
    if flags.partition_key is not None or flags.sort_key is not None:
        given = [("partition key", flags.partition_key, None, "--partition-key"),
                 ("sort key", flags.sort_key, None, "--sort-key")]
        how = "pass --partition-key NAME:TYPE"
    else:
        given = [(what, _env(environ, source), _env(environ, f"{source}_TYPE"), source)
                 for what, source in (("partition key", "PARTITION_KEY"), ("sort key", "SORT_KEY"))]
        how = "pass --partition-key NAME:TYPE or set PARTITION_KEY and PARTITION_KEY_TYPE"
    partition_text, sort_text = given[0][1], given[1][1]
    if not (partition_text or "").strip():
        sort_given = bool((sort_text or "").strip())
        problems.append(f"a sort key needs a partition key: {how}" if sort_given else f"no partition key given: {how}")
        return []
    parsed = [_parse_key(what, text, type_text, source, problems) for what, text, type_text, source in given]
    return [key for key in parsed if key is not None]


def _parse_key(
    what: str, text: str | None, type_text: str | None, source: str, problems: list[str]
) -> tuple[str, AttributeType] | None:
    """``NAME[:TYPE]`` (the type after the last colon); for a variable, the type may come from ``<source>_TYPE``."""
    if text is None or not text.strip():
        return None
    name, colon, suffix = text.strip().rpartition(":")
    if not colon:
        name, suffix = suffix, ""
    suffix, separate = suffix.strip().upper(), (type_text or "").strip().upper()
    if not name:
        problems.append(f"{what} {text!r} has no attribute name: write NAME:TYPE")
        return None
    if suffix and separate and suffix != separate:
        problems.append(f"{what} {name!r}: {source} says type {suffix} but {source}_TYPE says {separate}")
        return None
    kind = suffix or separate
    if not kind:
        fix = f"write {source} {name}:S" if source.startswith("--") else f"set {source}_TYPE"
        problems.append(f"missing type for {what} {name!r}: {fix} (the type is {_TYPE_NAMES})")
        return None
    for known in ATTRIBUTE_TYPES:
        if kind == known:
            return name, known
    where = source if suffix else f"{source}_TYPE"  # what the user set: the flag, the variable
    problems.append(f"{where}: unknown type {kind!r} for {what} {name!r}: use {_TYPE_NAMES}")
    return None


def _projection_from_input(flags: GsiInput, environ: Mapping[str, str], problems: list[str]) -> Projection | None:
    if flags.projection is not None or flags.attributes is not None:
        kind_text, attributes_text, where = flags.projection, flags.attributes, "--projection"
    else:
        kind_text, attributes_text = _env(environ, "PROJECTION_TYPE"), _env(environ, "PROJECTION_ATTRIBUTES")
        where = "PROJECTION_TYPE"
    kind = (kind_text or "ALL").strip().upper()
    if kind not in PROJECTION_TYPES:
        problems.append(f"{where}: unknown projection {kind_text!r}: use ALL, KEYS_ONLY or INCLUDE")
        return None
    attributes = tuple(a.strip() for a in (attributes_text or "").split(",") if a.strip())
    return Projection(projection_type=kind, non_key_attributes=attributes or None)


def _throughput_from_input(read: int | None, write: int | None, problems: list[str]) -> ProvisionedThroughput | None:
    if read is None and write is None:
        return None
    if read is None or write is None:
        problems.append("give both --read-capacity and --write-capacity, or neither")
        return None
    if not (1 <= read <= MAX_UNITS and 1 <= write <= MAX_UNITS):
        problems.append(f"--read-capacity and --write-capacity must be 1 to {MAX_UNITS} (DynamoDB's range)")
        return None
    return ProvisionedThroughput(read_capacity_units=read, write_capacity_units=write)


def _key_problems(schema: Sequence[KeySchemaElement], types: Mapping[str, str]) -> list[str]:
    problems = []
    roles = tuple(k.key_type for k in schema)
    if roles not in (("HASH",), ("HASH", "RANGE")):
        problems.append("an index has one partition (HASH) key and at most one sort (RANGE) key")
    if len(schema) == 2 and schema[0].attribute_name == schema[1].attribute_name:
        name = schema[0].attribute_name
        problems.append(f"the partition and sort keys must be different attributes (both are {name!r})")
    for element in schema:
        if len(element.attribute_name) > rules.MAX_KEY_ATTRIBUTE_NAME:
            problems.append(f"key attribute names are at most {rules.MAX_KEY_ATTRIBUTE_NAME} characters")
        if types.get(element.attribute_name) not in ATTRIBUTE_TYPES:
            problems.append(f"key attribute {element.attribute_name!r} has no type: give S, N or B")
    return problems


def _projection_problems(projection: Projection) -> list[str]:
    attributes = projection.non_key_attributes
    if projection.projection_type == "INCLUDE":
        if not attributes:
            return ["projection INCLUDE needs the attributes to project: pass --attributes a,b "
                    "or set PROJECTION_ATTRIBUTES"]
        repeated = sorted({a for a in attributes if attributes.count(a) > 1})
        return [f"attribute {a!r} is listed more than once in the projection" for a in repeated]
    if attributes:
        return [f"attributes to project (--attributes, PROJECTION_ATTRIBUTES) are only for projection INCLUDE, "
                f"not {projection.projection_type}"]
    return []


def _definitions(spec: TableSpec, names: Iterable[str]) -> tuple[AttributeDefinition, ...]:
    types = spec.attribute_types
    return tuple(
        AttributeDefinition(attribute_name=name, attribute_type=types[name])
        for name in names if name in types
    )


__all__ = [
    "ATTRIBUTE_TYPES",
    "PROJECTION_TYPES",
    "GsiInput",
    "IndexRequest",
    "index_request",
    "input_error",
    "request_from_input",
    "request_problems",
    "requests_from_spec",
    "resolve_table",
]
