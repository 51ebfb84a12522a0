"""``add-gsi`` and ``wait``: add global secondary indexes to live tables; wait for tables and indexes.

add-gsi is a plan restricted to index creations (``Scope.INDEXES``) run by the same executor as
``create``: desired = the live table + the new index(es). It thereby inherits the executor's handling
of DynamoDB's one-online-index-build-per-table rule (settle before each UpdateTable, retry
LimitExceeded/ResourceInUse after settling): one table's indexes are built one after another,
different tables in parallel, and each UpdateTable carries the table's full AttributeDefinitions.

Checks that need no call run before the first call (names, key types, projection, capacity pairs:
:mod:`.gsi_input`); checks that need the live table (it exists, key attribute types, the 20-index
limit, throughput on a provisioned table) run here before the first mutating call. ``--dir`` spec
files are read and updated by :mod:`.gsi_files`.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from .. import execute as executor
from ..aws import DEFAULT_CONCURRENCY, LiveTable
from ..changes import Change, CreateIndex, Request, units_text
from ..config import Settings
from ..errors import AwsError, ConfigError, DdbctlError, TableNotFound, WaitTimeout
from ..execute import Events, ExecOptions, Outcome, Report, TableResult, TableState, execute, wait_until_settled
from ..naming import Namespace, name_problem
from ..ownership import survey
from ..plan import Plan, PlanOptions, Scope, Status, TablePlan, keys_text, make_plan, with_added_indexes
from ..spec import rules
from ..spec.model import GlobalSecondaryIndex, Projection, TableSpec
from ..waiting import SYSTEM_CLOCK, Clock
from .gsi_files import FileUpdate, read_files, update_files
from .gsi_input import IndexRequest, input_error, request_problems, resolve_table
from .session import Context, connect

DEFAULT_MAX_WAIT = ExecOptions.max_wait


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
    concurrency: int = DEFAULT_CONCURRENCY,
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
    files = read_files(directory, grouped, namespace) if directory is not None else {}
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
        for result in (*w.skipped, *_outcomes(w, plan, by_table.get(w.logical), options, recorder, namespace))
    ]
    updates = update_files(directory, files, _kept(grouped, results)) if directory is not None else ()
    return GsiResult(tuple(results), plan, report, updates)


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
    # DescribeTable only: add-gsi needs no permission beyond DescribeTable and UpdateTable (and the probe's
    # ListTables), as the seed's scripts did.
    live = survey(context.dynamo, namespace, grouped, concurrency=concurrency, full=False)
    specs = live.specs()
    for logical in grouped:
        if logical not in specs and logical not in live.not_owned():
            raise TableNotFound(namespace.physical(logical), hint=f"no such table in environment "
                                f"{namespace.environment}: check --table and -e, or create the table first")
        live.require_owned(logical)  # only owned tables are changed: NotOwned with how to adopt
    checked = [_table_work(logical, requests, specs[logical], live.tables[logical])
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
    logical: str, requests: Sequence[IndexRequest], live: TableSpec, described: LiveTable
) -> tuple[_TableWork, list[str]]:
    physical = described.physical_name
    state = TableState.of(physical, described.table)
    new = tuple(r for r in requests if live.gsi(r.index_name) is None)
    skipped = tuple(_skipped(logical, r, live, state) for r in requests if live.gsi(r.index_name) is not None)
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
    return with_added_indexes(live, [r.index for r in new], types)


def _skipped(logical: str, request: IndexRequest, live: TableSpec, state: TableState) -> IndexResult:
    existing = live.gsi(request.index_name)
    assert existing is not None
    return IndexResult(logical, state.physical, request.index_name, IndexOutcome.SKIPPED,
                       status=state.index_status(request.index_name),
                       differences=tuple(index_differences(existing, live.attribute_types, request)))


def index_differences(live: GlobalSecondaryIndex, live_types: Mapping[str, str], request: IndexRequest) -> list[str]:
    """How an existing index differs from ``request``, one phrase per difference (empty: it matches)."""
    differences = []
    live_keys = keys_text(live.key_schema, live_types)
    asked_keys = keys_text(request.index.key_schema, request.key_types)
    if live_keys != asked_keys:
        differences.append(f"keys {live_keys} (asked {asked_keys})")
    live_projection = _projection_text(live.projection.canonical())
    asked_projection = _projection_text(request.index.projection.canonical())
    if live_projection != asked_projection:
        differences.append(f"projection {live_projection} (asked {asked_projection})")
    asked_throughput = request.index.provisioned_throughput
    if asked_throughput is not None and asked_throughput != live.provisioned_throughput:
        differences.append(f"throughput {units_text(live.provisioned_throughput)} "
                           f"(asked {units_text(asked_throughput)})")
    return differences


def _projection_text(projection: Projection) -> str:
    attributes = projection.non_key_attributes
    return projection.projection_type + (f" {','.join(attributes)}" if attributes else "")


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
    work: _TableWork, plan: Plan, result: TableResult | None, options: ExecOptions, recorder: _Recorder,
    namespace: Namespace,
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
        last = IndexOutcome.CREATED if options.wait else IndexOutcome.REQUESTED
        return [replace(base, index_name=name, outcome=last if name == order[-1] else IndexOutcome.CREATED)
                for name in order]
    pending = [name for name in order if name not in done]
    error = result.error or DdbctlError(f"{work.physical}: failed")
    timed_out = isinstance(error, WaitTimeout)
    # The culprit: the index being waited for at a timeout (or at the end), else the one whose step failed.
    culprit = done[-1] if done and (timed_out or not pending) else pending[0]
    if timed_out:
        error = _timeout(work.physical, culprit, culprit in done, recorder.last.get(work.physical),
                         options.max_wait, namespace, pending)
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
            f"index {index} on {physical} is still {_index_phase(state, index)} {after}; the build goes on "
            "inside DynamoDB",
            hint=f"keep waiting with: {wait_command(physical, index, namespace)}{later}",
        )
    return WaitTimeout(
        f"{physical} is still busy ({state.summary() if state else 'not ACTIVE'}) {after}; "
        f"index {index} was not requested",
        hint=f"wait with `{wait_command(physical, None, namespace)}`, then run add-gsi again",
    )


def wait_command(physical: str, index: str | None, namespace: Namespace) -> str:
    """The command that resumes a wait for a table (or just one of its indexes) of ``namespace``."""
    return executor.wait_command(physical, index, namespace.environment)


def _index_phase(state: TableState | None, index: str) -> str:
    return (state.index_phase(index) if state else None) or "not ACTIVE"


# -- spec files (--dir) -------------------------------------------------------------------------------


_IN_FILE = (IndexOutcome.CREATED, IndexOutcome.REQUESTED)


def _kept(
    grouped: Mapping[str, Sequence[IndexRequest]], results: Sequence[IndexResult]
) -> dict[str, list[IndexRequest]]:
    """What each table's spec file gets: the indexes created or requested, and those that exist and match."""
    kept = {(r.logical, r.index_name) for r in results if r.outcome in _IN_FILE or r.matches}
    return {logical: [r for r in requests if (logical, r.index_name) in kept] for logical, requests in grouped.items()}


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
        return state.index_status(index) in ("ACTIVE", None)

    state = wait_until_settled(context.dynamo, physical, max_wait=max_wait, events=events, clock=clock, done=done,
                               resume=wait_command(physical, index, namespace))
    if state.status == "MISSING":
        raise TableNotFound(physical, hint=f"no such table in environment {namespace.environment}")
    if index is not None and state.index_status(index) is None:
        names = ", ".join(name for name, _, _ in state.indexes) or "none"
        raise AwsError(f"index {index} does not exist on {physical}",
                       hint=f"its global secondary indexes: {names}", code="ResourceNotFoundException")
    return WaitResult(physical, index, state, clock.now() - start)


__all__ = [
    "DEFAULT_MAX_WAIT",
    "GsiResult",
    "IndexOutcome",
    "IndexResult",
    "WaitResult",
    "add_gsi",
    "index_differences",
    "wait_command",
    "wait_for",
]
