"""``add-gsi`` and ``wait``: add global secondary indexes to live tables; wait for tables and indexes.

add-gsi is a plan restricted to index creations (``Scope.INDEXES``) run by the same executor as
``create``: desired = the live table + the new index(es). It thereby inherits the executor's handling
of DynamoDB's one-online-index-build-per-table rule (settle before each UpdateTable, retry
LimitExceeded/ResourceInUse after settling): one table's indexes are built one after another,
different tables in parallel, and each UpdateTable carries the table's full AttributeDefinitions.

Checks that need no call run before the first call (names, key types, projection, capacity pairs);
checks that need the live table (it exists, key attribute types, the 20-index limit, throughput on a
provisioned table) run before the first mutating call.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from ..changes import Change, CreateIndex, Request
from ..config import Settings
from ..errors import AwsError, ConfigError, DdbctlError, SpecError, TableNotFound, WaitTimeout
from ..execute import Events, ExecOptions, Outcome, Report, TableResult, TableState, execute, wait_until_settled
from ..live import read_live
from ..naming import PRODUCTION, Namespace, name_problem
from ..plan import Plan, PlanOptions, Scope, Status, TablePlan, make_plan
from ..spec import rules
from ..spec.files import load_dir, read_spec, write_spec
from ..spec.model import (
    AttributeDefinition,
    AttributeType,
    GlobalSecondaryIndex,
    KeySchemaElement,
    Projection,
    ProjectionType,
    ProvisionedThroughput,
    TableSpec,
)
from ..waiting import SYSTEM_CLOCK, Clock
from .session import Context, connect

ATTRIBUTE_TYPES: tuple[AttributeType, ...] = ("S", "N", "B")
PROJECTION_TYPES: tuple[ProjectionType, ...] = ("ALL", "KEYS_ONLY", "INCLUDE")
DEFAULT_MAX_WAIT = 900.0
_TYPE_NAMES = "S (string), N (number) or B (binary)"


# -- the request --------------------------------------------------------------------------------------


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


def _index_name_problems(index_name: str | None) -> list[str]:
    problem = name_problem(index_name, "index name") if index_name else None
    return [problem] if problem else []


def input_error(problems: Sequence[str]) -> ConfigError:
    hint = "no change was sent to DynamoDB"
    if len(problems) == 1:
        return ConfigError(problems[0], hint=hint)
    listed = "\n".join(f"  - {problem}" for problem in problems)
    return ConfigError(f"{len(problems)} problems with the index request:\n{listed}", hint=hint)


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
    keys = [_parse_key(what, text, type_text, source, problems) for what, text, type_text, source in given if text]
    return [key for key in keys if key is not None]


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
    problems.append(f"unknown type {kind!r} for {what} {name!r}: use {_TYPE_NAMES}")
    return None


def _projection_from_input(flags: GsiInput, environ: Mapping[str, str], problems: list[str]) -> Projection | None:
    if flags.projection is not None or flags.attributes is not None:
        kind_text, attributes_text = flags.projection, flags.attributes
    else:
        kind_text, attributes_text = _env(environ, "PROJECTION_TYPE"), _env(environ, "PROJECTION_ATTRIBUTES")
    kind = (kind_text or "ALL").strip().upper()
    if kind not in PROJECTION_TYPES:
        problems.append(f"unknown projection {kind_text!r}: use ALL, KEYS_ONLY or INCLUDE")
        return None
    attributes = tuple(a.strip() for a in (attributes_text or "").split(",") if a.strip())
    return Projection(projection_type=kind, non_key_attributes=attributes or None)


def _throughput_from_input(read: int | None, write: int | None, problems: list[str]) -> ProvisionedThroughput | None:
    if read is None and write is None:
        return None
    if read is None or write is None:
        problems.append("give both --read-capacity and --write-capacity, or neither")
        return None
    if read < 1 or write < 1:
        problems.append("--read-capacity and --write-capacity must be 1 or more")
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


# -- results ------------------------------------------------------------------------------------------


class IndexOutcome(StrEnum):
    CREATED = "created"  # built and ACTIVE
    REQUESTED = "requested"  # accepted by DynamoDB, not waited for (--no-wait)
    PLANNED = "planned"  # dry run: would be requested
    SKIPPED = "skipped"  # an index of that name exists already
    NOT_SENT = "not-sent"  # an earlier step of the same table failed
    FAILED = "failed"


@dataclass(frozen=True)
class IndexResult:
    logical: str
    physical: str
    index_name: str
    outcome: IndexOutcome
    differences: tuple[str, ...] = ()  # skipped: how the live index differs from the request
    status: str | None = None  # skipped: the live IndexStatus
    elapsed: float | None = None  # seconds from the start until the table finished
    error: DdbctlError | None = None
    note: str | None = None

    @property
    def matches(self) -> bool | None:
        """For a skipped index: whether the live index is the one asked for."""
        return None if self.outcome is not IndexOutcome.SKIPPED else not self.differences


@dataclass(frozen=True)
class FileUpdate:
    path: Path
    changed: bool
    note: str | None = None  # why the file was not changed


@dataclass(frozen=True)
class GsiResult:
    indexes: tuple[IndexResult, ...]
    plan: Plan
    report: Report | None  # None for a dry run
    files: tuple[FileUpdate, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def failures(self) -> list[IndexResult]:
        return [r for r in self.indexes if r.outcome is IndexOutcome.FAILED]

    @property
    def error(self) -> DdbctlError | None:
        """The error to report (and its exit code): a real failure rather than a wait that ran out of time."""
        errors = [r.error for r in self.failures if r.error is not None]
        return next((e for e in errors if not isinstance(e, WaitTimeout)), errors[0] if errors else None)


@dataclass(frozen=True)
class WaitResult:
    physical: str
    index_name: str | None
    state: TableState
    elapsed: float


# -- add-gsi ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _TableWork:
    logical: str
    physical: str
    new: tuple[IndexRequest, ...]
    skipped: tuple[IndexResult, ...]
    desired: TableSpec | None  # the live table plus the new indexes; None when there is none


def add_gsi(
    settings: Settings,
    requests: IndexRequest | Sequence[IndexRequest],
    *,
    max_wait: float = DEFAULT_MAX_WAIT,
    wait: bool = True,
    events: Events | None = None,
    dry_run: bool = False,
    directory: Path | None = None,
    concurrency: int = 8,
    context: Context | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> GsiResult:
    """Add the requested global secondary indexes that their live tables lack; skip those that exist.

    Indexes of one table are built one after another, tables in parallel; another build in progress
    on a table (started by anyone) is waited for first. With ``wait``, returns once every new index is
    ACTIVE or ``max_wait`` seconds ran out (then that index's result carries a WaitTimeout; the build
    goes on in DynamoDB). With ``dry_run``, only reads: ``result.plan`` holds the exact requests.
    With ``directory``, each table's spec file ``<directory>/<logical>.json`` gets the new index too
    (an absent file is reported, never created; a dry run writes none). Raises ConfigError, SpecError
    or TableNotFound before any mutating call; failures while executing are reported per index in the
    result.
    """
    wanted = [requests] if isinstance(requests, IndexRequest) else list(requests)
    namespace = settings.namespace
    grouped = _group(wanted, namespace)
    files = _read_files(directory, grouped, namespace) if directory is not None else {}
    context = context or connect(settings, concurrency=concurrency)
    work, plan = _plan(context, grouped, concurrency)
    if dry_run:
        planned = [IndexResult(w.logical, w.physical, r.index_name, IndexOutcome.PLANNED) for w in work for r in w.new]
        return GsiResult((*(r for w in work for r in w.skipped), *planned), plan, None)
    recorder = _Recorder(events or Events(), clock)
    options = ExecOptions(concurrency=concurrency, max_wait=max_wait, wait=wait, recheck=False, clock=clock)
    report = execute(plan, context.dynamo, options, recorder)
    by_table = {r.logical: r for r in report.results}
    results = [
        result for w in work
        for result in (*w.skipped, *_outcomes(w, plan, by_table.get(w.logical), wait, max_wait, recorder, namespace))
    ]
    updates = _update_files(directory, files, results, wanted, namespace) if directory is not None else ()
    return GsiResult(tuple(results), plan, report, updates)


def resolve_table(name: str, namespace: Namespace) -> tuple[str, str]:
    """(logical, physical) of a --table argument: a physical name of the environment, else a logical name."""
    logical = namespace.logical(name) or name
    return logical, namespace.physical(logical)


def _group(wanted: Sequence[IndexRequest], namespace: Namespace) -> dict[str, list[IndexRequest]]:
    """Requests by logical table, checked on their own (ConfigError before any call)."""
    problems: list[str] = [] if wanted else ["no index to add"]
    grouped: dict[str, list[IndexRequest]] = {}
    for request in wanted:
        logical, physical = resolve_table(request.table, namespace)
        problem = name_problem(physical, "table name")
        if problem:
            problems.append(f"invalid table {request.table!r}: {problem}")
        problems += request_problems(request)
        same = [r for r in grouped.get(logical, []) if r.index_name == request.index_name]
        if any(r != request for r in same):
            problems.append(f"index {request.index_name} is asked for twice on {physical}, differently")
        if not same:
            grouped.setdefault(logical, []).append(request)
    if problems:
        raise input_error(problems)
    return grouped


def _plan(
    context: Context, grouped: Mapping[str, Sequence[IndexRequest]], concurrency: int
) -> tuple[list[_TableWork], Plan]:
    """Read the tables, check the requests against them (before any mutating call), and plan."""
    namespace = context.namespace
    live = read_live(context.dynamo, namespace, grouped, concurrency=concurrency)
    specs = live.specs()
    for logical in grouped:
        if logical not in specs:
            raise TableNotFound(namespace.physical(logical), hint=f"no such table in environment "
                                f"{namespace.environment}: check --table and -e, or create the table first")
    checked = [_table_work(logical, namespace.physical(logical), requests, specs[logical],
                           _index_statuses(live.tables[logical].table))
               for logical, requests in grouped.items()]
    problems = [problem for _, found in checked for problem in found]
    if problems:
        raise input_error(problems)
    work = [w for w, _ in checked]
    desired = {w.logical: w.desired for w in work if w.desired is not None}
    plan = make_plan(desired, {name: specs[name] for name in desired}, namespace, arns=live.arns(),
                     options=PlanOptions(scope=Scope.INDEXES))
    for w in work:
        _check_planned(plan, w)
    return work, plan


def _check_planned(plan: Plan, work: _TableWork) -> None:
    """Every new index has its CreateIndex step (the planner refuses or holds what DynamoDB would refuse)."""
    if not work.new:
        return
    table = plan.table(work.logical)
    planned = {c.index.index_name for c in table.changes if isinstance(c, CreateIndex)}
    missing = [r.index_name for r in work.new if r.index_name not in planned]
    if table.status is Status.REFUSED or missing:
        reason = table.reason or "DynamoDB would refuse it in the table's current state"
        raise ConfigError(f"cannot add index {', '.join(missing)} to {table.physical}: {reason}")


def _table_work(
    logical: str, physical: str, requests: Sequence[IndexRequest], live: TableSpec, statuses: Mapping[str, str]
) -> tuple[_TableWork, list[str]]:
    new = tuple(r for r in requests if live.gsi(r.index_name) is None)
    skipped = tuple(_skipped(logical, physical, live, r, statuses.get(r.index_name))
                    for r in requests if live.gsi(r.index_name) is not None)
    problems = [p for r in new for p in _live_problems(r, live, physical)]
    problems += _limit_problems(live, new, physical)
    desired = _desired(live, new) if new else None
    if desired is not None and not problems:
        before = set(rules.check(live))
        problems += [f"{physical}: {rule}" for pointer, rule in rules.check(desired) if (pointer, rule) not in before]
    return _TableWork(logical, physical, new, skipped, desired), problems


def _live_problems(request: IndexRequest, live: TableSpec, physical: str) -> list[str]:
    problems = []
    if any(i.index_name == request.index_name for i in live.lsis):
        problems.append(f"{physical} already has a local secondary index named {request.index_name}")
    for name, kind in request.key_types.items():
        live_kind = live.attribute_types.get(name)
        if live_kind is not None and live_kind != kind:
            problems.append(
                f"attribute {name!r} is already defined as {live_kind} on {physical} ({_users(live, name)}): "
                f"index {request.index_name} cannot use it as {kind}"
            )
    provisioned = live.billing_mode == "PROVISIONED"
    if provisioned and request.index.provisioned_throughput is None:
        problems.append(f"{physical} uses provisioned capacity: give index {request.index_name} its own with "
                        "--read-capacity N --write-capacity N")
    if not provisioned and request.index.provisioned_throughput is not None:
        problems.append(f"{physical} is on-demand (PAY_PER_REQUEST): leave out --read-capacity/--write-capacity")
    return problems


def _limit_problems(live: TableSpec, new: Sequence[IndexRequest], physical: str) -> list[str]:
    if len(live.gsis) + len(new) <= rules.MAX_GSIS:
        return []
    return [f"{physical} has {len(live.gsis)} global secondary indexes: adding {len(new)} would exceed "
            f"DynamoDB's limit of {rules.MAX_GSIS} per table"]


def _users(spec: TableSpec, attribute: str) -> str:
    users = ["the table's key"] if attribute in {k.attribute_name for k in spec.key_schema} else []
    users += [f"index {i.index_name}" for i in spec.gsis if attribute in i.key_attributes]
    users += [f"index {i.index_name}" for i in spec.lsis if attribute in i.key_attributes]
    return "used by " + ", ".join(users) if users else "unused"


def _desired(live: TableSpec, new: Sequence[IndexRequest]) -> TableSpec:
    """The live table plus the new indexes, with AttributeDefinitions for exactly the key attributes."""
    types = {**live.attribute_types, **{n: t for r in new for n, t in r.key_types.items()}}
    with_indexes = live.model_copy(update={"global_secondary_indexes": (*live.gsis, *(r.index for r in new))})
    definitions = tuple(
        AttributeDefinition(attribute_name=name, attribute_type=types[name])
        for name in sorted(with_indexes.key_attributes())
    )
    return with_indexes.model_copy(update={"attribute_definitions": definitions})


def _index_statuses(description: Mapping[str, object]) -> dict[str, str]:
    return {name: status for name, status, _ in TableState.of("", dict(description)).indexes}


def _skipped(logical: str, physical: str, live: TableSpec, request: IndexRequest, status: str | None) -> IndexResult:
    existing = live.gsi(request.index_name)
    assert existing is not None
    return IndexResult(logical, physical, request.index_name, IndexOutcome.SKIPPED, status=status,
                       differences=tuple(index_differences(existing, live.attribute_types, request)))


def index_differences(live: GlobalSecondaryIndex, live_types: Mapping[str, str], request: IndexRequest) -> list[str]:
    """How an existing index differs from ``request``, one phrase per difference (empty: it matches)."""
    differences = []
    live_keys = _keys_text(live.key_schema, live_types)
    asked_keys = _keys_text(request.index.key_schema, request.key_types)
    if live_keys != asked_keys:
        differences.append(f"keys {live_keys} (asked {asked_keys})")
    live_projection = _projection_text(live.projection.canonical())
    asked_projection = _projection_text(request.index.projection.canonical())
    if live_projection != asked_projection:
        differences.append(f"projection {live_projection} (asked {asked_projection})")
    asked_throughput = request.index.provisioned_throughput
    if asked_throughput is not None and asked_throughput != live.provisioned_throughput:
        differences.append(f"throughput {_throughput_text(live.provisioned_throughput)} "
                           f"(asked {_throughput_text(asked_throughput)})")
    return differences


def _keys_text(schema: Sequence[KeySchemaElement], types: Mapping[str, str]) -> str:
    return "+".join(f"{k.attribute_name}:{types.get(k.attribute_name, '?')}" for k in schema)


def _projection_text(projection: Projection) -> str:
    attributes = projection.non_key_attributes
    return projection.projection_type + (f" {','.join(attributes)}" if attributes else "")


def _throughput_text(throughput: ProvisionedThroughput | None) -> str:
    if throughput is None:
        return "on-demand"
    return f"{throughput.read_capacity_units}R/{throughput.write_capacity_units}W"


# -- outcomes of a run --------------------------------------------------------------------------------


class _Recorder(Events):
    """Forwards the executor's events and keeps what results need: the last state seen and finish times."""

    def __init__(self, inner: Events, clock: Clock) -> None:
        self.inner = inner
        self.clock = clock
        self.start = clock.now()
        self.last: dict[str, TableState] = {}
        self.finished: dict[str, float] = {}
        self._lock = threading.Lock()

    def table_started(self, table: TablePlan) -> None:
        self.inner.table_started(table)

    def request_sent(self, table: TablePlan, change: Change, request: Request) -> None:
        self.inner.request_sent(table, change, request)

    def waiting(self, physical: str, state: TableState) -> None:
        with self._lock:
            self.last[physical] = state
        self.inner.waiting(physical, state)

    def table_finished(self, result: TableResult) -> None:
        with self._lock:
            self.finished[result.physical] = self.clock.now() - self.start
        self.inner.table_finished(result)


def _outcomes(
    work: _TableWork, plan: Plan, result: TableResult | None, wait: bool, max_wait: float,
    recorder: _Recorder, namespace: Namespace,
) -> list[IndexResult]:
    """Each new index's outcome from its table's result (the executor reports per table)."""
    if not work.new or result is None:
        return []
    order = [c.index.index_name for c in plan.table(work.logical).changes if isinstance(c, CreateIndex)]
    done = [c.index.index_name for c in result.done if isinstance(c, CreateIndex)]
    base = IndexResult(work.logical, work.physical, "", IndexOutcome.CREATED,
                       elapsed=recorder.finished.get(work.physical))
    if result.outcome is not Outcome.FAILED:
        # Every index but the last was waited for before the next was sent.
        last = IndexOutcome.CREATED if wait else IndexOutcome.REQUESTED
        return [replace(base, index_name=name, outcome=last if name == order[-1] else IndexOutcome.CREATED)
                for name in order]
    pending = [name for name in order if name not in done]
    error = result.error or DdbctlError(f"{work.physical}: failed")
    timed_out = isinstance(error, WaitTimeout)
    # The culprit: the index being waited for at a timeout (or at the end), else the one whose step failed.
    culprit = done[-1] if done and (timed_out or not pending) else pending[0]
    if timed_out:
        error = _timeout(work.physical, culprit, culprit in done, recorder.last.get(work.physical), max_wait,
                         namespace, pending)
    note = f"not requested: index {culprit} did not finish; run add-gsi again"
    return [
        replace(base, index_name=name, outcome=IndexOutcome.FAILED, error=error) if name == culprit
        else replace(base, index_name=name) if name in done
        else replace(base, index_name=name, outcome=IndexOutcome.NOT_SENT, note=note)
        for name in order
    ]


def _timeout(
    physical: str, index: str, requested: bool, state: TableState | None, max_wait: float,
    namespace: Namespace, pending: Sequence[str],
) -> WaitTimeout:
    after = f"after {max_wait:g}s (--max-wait/MAX_WAIT)"
    if requested:
        rest = [name for name in pending if name != index]
        later = f"; then run add-gsi again for {', '.join(rest)}" if rest else ""
        return WaitTimeout(
            f"index {index} on {physical} is still {_index_state(state, index)} {after}; the build goes on "
            "inside DynamoDB",
            hint=f"keep waiting with: {wait_command(physical, index, namespace)}{later}",
        )
    return WaitTimeout(
        f"{physical} is still busy ({_busy(state)}) {after}; index {index} was not requested",
        hint=f"wait with `{wait_command(physical, None, namespace)}`, then run add-gsi again",
    )


def wait_command(physical: str, index: str | None, namespace: Namespace) -> str:
    """The command that resumes a wait."""
    environment = "" if namespace.environment == PRODUCTION else f" -e {namespace.environment}"
    return f"ddbctl{environment} wait --table {physical}" + (f" --index {index}" if index else "")


def _index_state(state: TableState | None, index: str) -> str:
    found = next(((status, backfilling) for name, status, backfilling in (state.indexes if state else ())
                  if name == index), None)
    if found is None:
        return "not ACTIVE"
    status, backfilling = found
    return status + (" (backfilling)" if backfilling else "")


def _busy(state: TableState | None) -> str:
    if state is None:
        return "not ACTIVE"
    busy = [f"index {name} {status}" for name, status, _ in state.indexes if status != "ACTIVE"]
    return ", ".join([state.status, *busy])


# -- spec files ---------------------------------------------------------------------------------------


def _read_files(directory: Path, grouped: Mapping[str, object], namespace: Namespace) -> dict[str, TableSpec | None]:
    """Each table's spec file (None when absent), read before any call: SpecError if one is invalid."""
    found: dict[str, TableSpec | None] = {}
    problems = []
    for logical in grouped:
        path = directory / f"{logical}.json"
        if not path.is_file():
            found[logical] = None
            continue
        spec, file_problems = read_spec(path, namespace)
        problems += file_problems
        found[logical] = spec
    if problems:
        raise SpecError(problems)
    return found


_IN_FILE = (IndexOutcome.CREATED, IndexOutcome.REQUESTED)


def _update_files(
    directory: Path, files: Mapping[str, TableSpec | None], results: Sequence[IndexResult],
    wanted: Sequence[IndexRequest], namespace: Namespace,
) -> tuple[FileUpdate, ...]:
    by_name = {(resolve_table(r.table, namespace)[0], r.index_name): r for r in wanted}
    updates = []
    for logical, spec in files.items():
        keep = [by_name[(logical, r.index_name)] for r in results if r.logical == logical
                and (r.outcome in _IN_FILE or r.matches)]
        if keep:
            updates.append(_update_file(directory, logical, spec, keep))
    return tuple(updates)


def _update_file(directory: Path, logical: str, spec: TableSpec | None, requests: Sequence[IndexRequest]) -> FileUpdate:
    path = directory / f"{logical}.json"
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
    before = path.read_bytes()
    write_spec(directory, updated)
    return FileUpdate(path, path.read_bytes() != before)


def _with_indexes(spec: TableSpec, requests: Sequence[IndexRequest]) -> TableSpec:
    defined = spec.attribute_types
    added = {d.attribute_name: d for r in requests for d in r.attribute_definitions if d.attribute_name not in defined}
    return spec.model_copy(update={
        "global_secondary_indexes": (*spec.gsis, *(r.index for r in requests)),
        "attribute_definitions": (*spec.attribute_definitions, *added.values()),
    })


# -- wait ---------------------------------------------------------------------------------------------


def wait_for(
    settings: Settings,
    table: str,
    index: str | None = None,
    *,
    max_wait: float = DEFAULT_MAX_WAIT,
    events: Events | None = None,
    context: Context | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> WaitResult:
    """Wait until ``table`` and all its indexes (or just ``index``) are ACTIVE.

    ``table`` is a logical name or a physical name of the environment. Raises TableNotFound, an
    AwsError when the index does not exist, or WaitTimeout after ``max_wait`` seconds (with the
    command that resumes the wait as its hint).
    """
    namespace = settings.namespace
    _, physical = resolve_table(table, namespace)
    problems = [p for p in (name_problem(physical, "table name"),
                            name_problem(index, "index name") if index is not None else None) if p]
    if problems:
        raise input_error(problems)
    context = context or connect(settings)
    start = clock.now()

    def done(state: TableState) -> bool:
        if state.status == "MISSING":
            return True
        if index is None:
            return state.settled
        return _status_of(state, index) in ("ACTIVE", None)

    try:
        state = wait_until_settled(context.dynamo, physical, max_wait=max_wait, events=events, clock=clock, done=done)
    except WaitTimeout as exc:
        raise WaitTimeout(exc.message, hint=f"keep waiting with: {wait_command(physical, index, namespace)}") from exc
    if state.status == "MISSING":
        raise TableNotFound(physical, hint=f"no such table in environment {namespace.environment}")
    if index is not None and _status_of(state, index) is None:
        names = ", ".join(name for name, _, _ in state.indexes) or "none"
        raise AwsError(f"index {index} does not exist on {physical}",
                       hint=f"its global secondary indexes: {names}", code="ResourceNotFoundException")
    return WaitResult(physical, index, state, clock.now() - start)


def _status_of(state: TableState, index: str) -> str | None:
    return next((status for name, status, _ in state.indexes if name == index), None)


__all__ = [
    "DEFAULT_MAX_WAIT",
    "FileUpdate",
    "GsiInput",
    "GsiResult",
    "IndexOutcome",
    "IndexRequest",
    "IndexResult",
    "WaitResult",
    "add_gsi",
    "index_differences",
    "index_request",
    "request_from_input",
    "request_problems",
    "requests_from_spec",
    "resolve_table",
    "wait_command",
    "wait_for",
]
