"""The executor: runs a Plan through ``aws``, tables in parallel, each table's steps in order, and waits.

It decides nothing about *what* to change (that is the planner's job); it only sends the requests,
waits for DynamoDB to settle, and rides out DynamoDB's transient refusals: another index build in
progress (LimitExceededException), a table still UPDATING (ResourceInUseException), PITR not yet
available after creation, the TTL change cool-down.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .aws import Dynamo, Json
from .changes import Change, CreateTable, DeleteTable, Request
from .errors import AwsError, DdbctlError, StalePlan, TableNotFound, WaitTimeout
from .live import live_spec
from .plan import Plan, Status, TablePlan, equivalent
from .waiting import SYSTEM_CLOCK, Clock, Expired, poll

BUSY_STATUSES = {"CREATING", "UPDATING", "DELETING"}
# DynamoDB's "not now" answers: wait for the table to settle, then send the same request again.
_RETRY_AFTER_SETTLING = {"LimitExceededException", "ResourceInUseException"}
_RETRY_LATER = {"ContinuousBackupsUnavailableException"}
_TTL_COOLDOWN = "modified multiple times within a fixed interval"
RETRY_DELAY = 1.0


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True)
class TableState:
    """A DescribeTable reading, as progress reports it."""

    physical: str
    status: str
    indexes: tuple[tuple[str, str, bool], ...] = ()  # (name, IndexStatus, Backfilling)
    item_count: int | None = None
    size_bytes: int | None = None
    elapsed: float = 0.0

    @property
    def settled(self) -> bool:
        return self.status == "ACTIVE" and all(status == "ACTIVE" for _, status, _ in self.indexes)

    @classmethod
    def of(cls, physical: str, table: Json | None, elapsed: float = 0.0) -> TableState:
        if table is None:
            return cls(physical, "MISSING", elapsed=elapsed)
        indexes = tuple(
            (str(i["IndexName"]), str(i.get("IndexStatus", "ACTIVE")), bool(i.get("Backfilling", False)))
            for i in table.get("GlobalSecondaryIndexes") or []
        )
        return cls(physical, str(table.get("TableStatus")), indexes, table.get("ItemCount"),
                   table.get("TableSizeBytes"), elapsed)


class Events:
    """Progress callbacks; the default does nothing. Called from worker threads."""

    def table_started(self, table: TablePlan) -> None: ...
    def request_sent(self, table: TablePlan, change: Change, request: Request) -> None: ...
    def waiting(self, physical: str, state: TableState) -> None: ...
    def table_finished(self, result: TableResult) -> None: ...


@dataclass(frozen=True)
class TableResult:
    logical: str
    physical: str
    outcome: Outcome
    done: tuple[Change, ...] = ()
    error: DdbctlError | None = None
    note: str | None = None


@dataclass(frozen=True)
class Report:
    results: tuple[TableResult, ...]

    def by(self, outcome: Outcome) -> list[TableResult]:
        return [r for r in self.results if r.outcome is outcome]

    @property
    def ok(self) -> bool:
        return not self.by(Outcome.FAILED)


@dataclass(frozen=True)
class ExecOptions:
    concurrency: int = 8
    max_wait: float = 900.0
    wait: bool = True  # wait for the last asynchronous step of each table to settle
    recheck: bool = True  # re-describe each existing table first and refuse a stale plan
    clock: Clock = field(default=SYSTEM_CLOCK)


def execute(plan: Plan, dynamo: Dynamo, options: ExecOptions | None = None, events: Events | None = None) -> Report:
    """Carry out ``plan``: tables concurrently (bounded), one table's steps in order. Never raises per table."""
    options = options or ExecOptions()
    runner = _Runner(dynamo, options, events or Events())
    with ThreadPoolExecutor(max_workers=max(1, options.concurrency)) as pool:
        results = tuple(pool.map(runner.run_table, plan.tables))
    return Report(results)


def wait_until_settled(
    dynamo: Dynamo,
    physical: str,
    *,
    max_wait: float,
    events: Events | None = None,
    clock: Clock = SYSTEM_CLOCK,
    done: Callable[[TableState], bool] | None = None,
) -> TableState:
    """Wait until the table and all its indexes are ACTIVE (or ``done`` holds); WaitTimeout at the deadline."""
    events = events or Events()
    start = clock.now()

    def fetch() -> TableState:
        return TableState.of(physical, dynamo.describe_table(physical), clock.now() - start)

    def report(state: TableState, _: float) -> None:
        events.waiting(physical, state)

    condition = done or (lambda state: state.settled or state.status == "MISSING")
    try:
        state = poll(fetch, condition, max_wait=max_wait, clock=clock, on_poll=report)
    except Expired as exc:
        last = exc.last if isinstance(exc.last, TableState) else TableState(physical, "UNKNOWN")
        raise WaitTimeout(
            f"{physical} is still {_describe_state(last)} after {exc.elapsed:.0f}s (--max-wait {max_wait:g}); "
            "the operation goes on inside DynamoDB",
            hint=f"keep waiting with: ddbctl wait --table {physical}",
        ) from exc
    if state.status == "MISSING" and done is None:
        raise TableNotFound(physical, hint="it was deleted while ddbctl was waiting for it")
    return state


def _describe_state(state: TableState) -> str:
    busy = [f"index {name} {status}{' (backfilling)' if backfilling else ''}"
            for name, status, backfilling in state.indexes if status != "ACTIVE"]
    return ", ".join([state.status, *busy])


class _Runner:
    def __init__(self, dynamo: Dynamo, options: ExecOptions, events: Events) -> None:
        self.dynamo = dynamo
        self.options = options
        self.events = events

    def run_table(self, table: TablePlan) -> TableResult:
        if not table.changes:
            outcome = Outcome.UNCHANGED if table.status is Status.UNCHANGED else Outcome.SKIPPED
            return self._finish(TableResult(table.logical, table.physical, outcome, note=table.reason))
        self.events.table_started(table)
        done: list[Change] = []
        try:
            settled = self._recheck(table)
            for change in table.changes:
                if not settled and not isinstance(change, CreateTable):
                    self._settle(table.physical)
                self._send(table, change)
                done.append(change)
                settled = not change.settles
            if self.options.wait and not settled:
                self._settle(table.physical, gone_ok=isinstance(table.changes[-1], DeleteTable))
        except _AlreadyExists:
            return self._finish(TableResult(table.logical, table.physical, Outcome.SKIPPED,
                                            note="already exists (created meanwhile)"))
        except DdbctlError as exc:
            return self._finish(TableResult(table.logical, table.physical, Outcome.FAILED, tuple(done), exc))
        outcome = Outcome.CREATED if table.status is Status.CREATE else Outcome.UPDATED
        return self._finish(TableResult(table.logical, table.physical, outcome, tuple(done)))

    def _finish(self, result: TableResult) -> TableResult:
        self.events.table_finished(result)
        return result

    def _recheck(self, table: TablePlan) -> bool:
        """Whether the table is known idle. Refuses a plan made against a different live state."""
        if table.before is None or not self.options.recheck:
            return False
        live = self.dynamo.describe_live(table.physical)
        if live is None:
            raise TableNotFound(table.physical, hint="it was deleted after the plan was made; run plan again")
        if not equivalent(live_spec(table.logical, live), table.before):
            raise StalePlan(
                f"{table.physical} changed since the plan was made",
                hint="run `ddbctl plan` again and review the new plan",
            )
        return TableState.of(table.physical, live.table).settled

    def _settle(self, physical: str, gone_ok: bool = False) -> None:
        done = (lambda s: s.status == "MISSING") if gone_ok else None
        wait_until_settled(self.dynamo, physical, max_wait=self.options.max_wait, events=self.events,
                           clock=self.options.clock, done=done)

    def _send(self, table: TablePlan, change: Change) -> None:
        for request in change.requests():
            self._send_one(table, change, request)

    def _send_one(self, table: TablePlan, change: Change, request: Request) -> None:
        clock = self.options.clock
        deadline = clock.now() + self.options.max_wait
        while True:
            self.events.request_sent(table, change, request)
            try:
                self.dynamo.call(request.operation, request.params)
                return
            except AwsError as exc:
                if request.operation == "CreateTable" and exc.code == "ResourceInUseException":
                    raise _AlreadyExists from exc
                if not _transient(exc) or clock.now() >= deadline:
                    raise
                if exc.code in _RETRY_AFTER_SETTLING:
                    self._settle(table.physical)
                else:
                    clock.sleep(RETRY_DELAY)


def _transient(exc: AwsError) -> bool:
    if exc.code in _RETRY_AFTER_SETTLING or exc.code in _RETRY_LATER:
        return True
    return exc.code == "ValidationException" and _TTL_COOLDOWN in exc.message


class _AlreadyExists(Exception):
    pass


def describe_requests(plan: Plan) -> list[dict[str, Any]]:
    """The exact requests a real run of ``plan`` sends, in order per table (what --dry-run prints)."""
    return [
        {"operation": request.operation, "params": request.params}
        for change in plan.changes
        for request in change.requests()
    ]
