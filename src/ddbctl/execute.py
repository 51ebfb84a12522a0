"""The executor: runs a Plan through ``aws``, tables in parallel, each table's steps in order, and waits.

It decides nothing about *what* to change (that is the planner's job); it only sends the requests,
waits after each for the effect that step must have (``effects``: the index listed then ACTIVE, the
setting changed, the tag set; not merely "nothing busy"), and rides out DynamoDB's transient refusals:
another index build in progress (LimitExceededException), a table still UPDATING
(ResourceInUseException), PITR not yet available after creation, the TTL change cool-down.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from .aws import DEFAULT_CONCURRENCY, Dynamo, Json
from .changes import Change, CreateIndex, CreateTable, DeleteTable, Request, TagTable, UntagTable, UpdateTTL
from .effects import DESCRIBE_BACKUPS, DESCRIBE_TABLE, DESCRIBE_TTL, effect_of
from .errors import (
    AccessDenied,
    AwsError,
    DdbctlError,
    EffectNotSeen,
    StalePlan,
    TableNotFound,
    UnsafeChange,
    WaitTimeout,
)
from .naming import PRODUCTION
from .ownership import live_spec
from .plan import Plan, Status, TablePlan, equivalent
from .waiting import SYSTEM_CLOCK, Clock, Expired, poll

# DynamoDB's "not now" answers: wait for the table to settle, then send the same request again.
_RETRY_AFTER_SETTLING = {"LimitExceededException", "ResourceInUseException"}
_RETRY_LATER = {"ContinuousBackupsUnavailableException"}
_TTL_COOLDOWN = "modified multiple times within a fixed interval"
RETRY_DELAY = 1.0  # first pause before re-sending a refused request; doubles up to MAX_RETRY_DELAY
MAX_RETRY_DELAY = 30.0
MAX_IDLE_REFUSALS = 2  # "busy" answers from a table that is idle: a real refusal after this many


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"
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

    def index_status(self, name: str) -> str | None:
        """The IndexStatus of index ``name``; None when the table has no such index."""
        return next((status for index, status, _ in self.indexes if index == name), None)

    def index_phase(self, name: str) -> str | None:
        """Index ``name`` as messages show it (``CREATING (backfilling)``); None when there is no such index."""
        return next((_phase(status, backfilling) for index, status, backfilling in self.indexes if index == name),
                    None)

    def summary(self) -> str:
        """The table's status and every index not yet ACTIVE, as messages show them."""
        busy = [f"index {name} {_phase(status, backfilling)}"
                for name, status, backfilling in self.indexes if status != "ACTIVE"]
        return ", ".join([self.status, *busy])

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


def _phase(status: str, backfilling: bool) -> str:
    return status + (" (backfilling)" if backfilling else "")


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
    concurrency: int = DEFAULT_CONCURRENCY
    max_wait: float = 900.0
    wait: bool = True  # wait for the last asynchronous step of each table to settle
    recheck: bool = True  # re-describe each existing table first and refuse a stale plan
    clock: Clock = field(default=SYSTEM_CLOCK)


def execute(plan: Plan, dynamo: Dynamo, options: ExecOptions | None = None, events: Events | None = None) -> Report:
    """Carry out ``plan``: tables concurrently (bounded), one table's steps in order. Never raises per table.

    On KeyboardInterrupt the workers stop before their next request or wait, and the interrupt is
    re-raised: every request sent goes on inside DynamoDB, and planning again picks up from there.
    """
    options = options or ExecOptions()
    runner = _Runner(dynamo, options, events or Events(), plan.environment)
    pool = ThreadPoolExecutor(max_workers=max(1, options.concurrency))
    try:
        futures = [pool.submit(runner.run_table, table) for table in plan.tables]
        results = tuple(future.result() for future in futures)
    except BaseException:
        runner.stop()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return Report(results)


def wait_until_settled(
    dynamo: Dynamo,
    physical: str,
    *,
    max_wait: float,
    events: Events | None = None,
    clock: Clock = SYSTEM_CLOCK,
    done: Callable[[TableState], bool] | None = None,
    resume: str | None = None,
) -> TableState:
    """Wait until the table and all its indexes are ACTIVE (or ``done`` holds); WaitTimeout at the deadline.

    ``resume`` is the command the WaitTimeout's hint offers to keep waiting (default: for the whole table).
    """
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
        raise _still_busy(last, exc.elapsed, max_wait, resume or wait_command(physical)) from exc
    if state.status == "MISSING" and done is None:
        raise TableNotFound(physical, hint="it was deleted while ddbctl was waiting for it")
    return state


def _still_busy(state: TableState, elapsed: float, max_wait: float, resume: str) -> WaitTimeout:
    return WaitTimeout(
        f"{state.physical} is still {state.summary()} after {elapsed:.0f}s (--max-wait {max_wait:g}); "
        "the operation goes on inside DynamoDB",
        hint=f"keep waiting with: {resume}",
    )


def wait_command(physical: str, index: str | None = None, environment: str = PRODUCTION) -> str:
    """The command that resumes a wait for a table (or just one of its indexes) of ``environment``."""
    option = "" if environment == PRODUCTION else f" -e {environment}"
    return f"ddbctl{option} wait --table {physical}" + (f" --index {index}" if index else "")


class _Runner:
    def __init__(self, dynamo: Dynamo, options: ExecOptions, events: Events, environment: str) -> None:
        self.dynamo = dynamo
        self.events = events
        self.environment = environment  # for the command a WaitTimeout's hint offers
        self._stopping = threading.Event()
        self.options = replace(options, clock=replace(options.clock, sleep=self._sleep))
        self._sleep_for = options.clock.sleep

    def stop(self) -> None:
        self._stopping.set()

    def _sleep(self, seconds: float) -> None:
        """The clock's sleep, cut short when apply is interrupted."""
        if self._sleep_for is SYSTEM_CLOCK.sleep:
            self._stopping.wait(seconds)  # wakes at once when stopped
        else:
            self._sleep_for(seconds)
        self._check_stopping()

    def _check_stopping(self) -> None:
        if self._stopping.is_set():
            raise _Stopped

    def run_table(self, table: TablePlan) -> TableResult:
        if table.status is Status.REFUSED:
            error = UnsafeChange(table.reason or "refused", hint="nothing was sent for this table")
            return self._finish(TableResult(table.logical, table.physical, Outcome.FAILED, error=error))
        if not table.changes:
            outcome = Outcome.UNCHANGED if table.status is Status.UNCHANGED else Outcome.SKIPPED
            return self._finish(TableResult(table.logical, table.physical, outcome, note=table.reason))
        self.events.table_started(table)
        done: list[Change] = []
        try:
            settled = self._recheck(table)
            for position, change in enumerate(table.changes, start=1):
                if not settled and not isinstance(change, CreateTable):
                    self._settle(table.physical)
                self._send(table, change)
                done.append(change)
                # Every step but a --no-wait run's last is waited for until its effect is there and the
                # table is ACTIVE again; that last one until its effect is there at least.
                settled = self._verify(table, change, complete=self.options.wait or position < len(table.changes))
        except _AlreadyExists:
            return self._finish(TableResult(table.logical, table.physical, Outcome.SKIPPED,
                                            note="already exists (created meanwhile)"))
        except DdbctlError as exc:
            return self._finish(TableResult(table.logical, table.physical, Outcome.FAILED, tuple(done), exc))
        outcome = {Status.CREATE: Outcome.CREATED, Status.DELETE: Outcome.DELETED}.get(table.status, Outcome.UPDATED)
        return self._finish(TableResult(table.logical, table.physical, outcome, tuple(done)))

    def _finish(self, result: TableResult) -> TableResult:
        self.events.table_finished(result)
        return result

    def _recheck(self, table: TablePlan) -> bool:
        """Whether the table is known idle. Refuses a plan made against a different live state."""
        if not self.options.recheck:
            return False
        if table.before is None:
            if self.dynamo.describe_table(table.physical) is not None:
                raise StalePlan(f"{table.physical} was created since the plan was made",
                                hint="run `ddbctl plan` again and review the new plan")
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

    def _settle(self, physical: str) -> None:
        """Wait for the table and its indexes to be ACTIVE (someone else's change in progress)."""
        wait_until_settled(self.dynamo, physical, max_wait=self.options.max_wait, events=self.events,
                           clock=self.options.clock, resume=wait_command(physical, None, self.environment))

    def _verify(self, table: TablePlan, change: Change, *, complete: bool) -> bool:
        """Wait until ``change``'s effect shows (``complete``: and the table is ACTIVE again); whether the
        table is known to be settled afterwards.

        Raises EffectNotSeen when the effect never shows within --max-wait (the request was accepted
        but not carried out), WaitTimeout when it shows but the table is still busy at the deadline.
        """
        effect = effect_of(change)
        physical, clock, max_wait = table.physical, self.options.clock, self.options.max_wait
        start = clock.now()
        last: list[TableState] = []

        def fetch() -> Json | None:
            answer = self._read(effect.read, change)
            if effect.read == DESCRIBE_TABLE:
                last.append(TableState.of(physical, answer, clock.now() - start))
                self.events.waiting(physical, last[-1])
            return answer

        def done(answer: Json | None) -> bool:
            if not effect.seen(answer):
                return False
            if not complete or not effect.settles or isinstance(change, DeleteTable):
                return True
            return TableState.of(physical, answer).settled

        try:
            poll(fetch, done, max_wait=max_wait, clock=clock)
        except AccessDenied:
            if effect.read == DESCRIBE_TABLE:
                raise
            # The identity may make the change but not read it back (the seed's policy grants
            # UpdateTimeToLive but not DescribeTimeToLive): DynamoDB's success answer has to do.
            return True
        except Expired as exc:
            busy = last[-1] if last and not last[-1].settled and last[-1].status != "MISSING" else None
            if not effect.seen(exc.last if isinstance(exc.last, dict) else None) and busy is None:
                operation = change.requests()[-1].operation
                raise EffectNotSeen(
                    f"{physical}: {operation} accepted but {effect.text} never appeared after {exc.elapsed:.0f}s "
                    f"(--max-wait {max_wait:g})",
                    hint="the endpoint answered success without making the change; check that it is DynamoDB (or "
                    "a server that carries out this request), then run the command again",
                ) from exc
            index = change.index.index_name if isinstance(change, CreateIndex) else None
            state = last[-1] if last else TableState(physical, "UNKNOWN")
            raise _still_busy(state, exc.elapsed, max_wait, wait_command(physical, index, self.environment)) from exc
        return complete or not effect.settles

    def _read(self, operation: str, change: Change) -> Json | None:
        """The answer of the read that shows ``change``'s effect (see ``effects``)."""
        physical = change.physical
        if operation == DESCRIBE_TABLE:
            return self.dynamo.describe_table(physical)
        if operation == DESCRIBE_TTL:
            return self.dynamo.call(operation, {"TableName": physical}).get("TimeToLiveDescription") or {}
        if operation == DESCRIBE_BACKUPS:
            return self.dynamo.call(operation, {"TableName": physical}).get("ContinuousBackupsDescription") or {}
        assert isinstance(change, TagTable | UntagTable)
        return {"Tags": self.dynamo.list_tags(change.arn)}

    def _send(self, table: TablePlan, change: Change) -> None:
        for request in change.requests():
            self._send_one(table, change, request)

    def _send_one(self, table: TablePlan, change: Change, request: Request) -> None:
        """Send ``request``, riding out DynamoDB's "not now" answers until --max-wait.

        A busy table (LimitExceeded, ResourceInUse) is waited for, then the request sent again; the
        same answer from an idle table is retried a few times only, as it is then no passing state.
        """
        clock = self.options.clock
        start = clock.now()
        delay = RETRY_DELAY
        idle_refusals = 0
        while True:
            self._check_stopping()
            self.events.request_sent(table, change, request)
            try:
                self.dynamo.call(request.operation, request.params)
                return
            except AwsError as exc:
                if request.operation == "CreateTable" and exc.code == "ResourceInUseException":
                    raise _AlreadyExists from exc
                if not _transient(exc):
                    raise
                waited = clock.now() - start
                if waited >= self.options.max_wait:
                    raise _gave_up(table.physical, change, exc, waited, self.options.max_wait) from exc
                if exc.code in _RETRY_AFTER_SETTLING:
                    if self._wait_if_busy(table.physical):
                        continue
                    idle_refusals += 1
                    if idle_refusals > MAX_IDLE_REFUSALS:
                        raise
                clock.sleep(min(delay, max(self.options.max_wait - waited, 0.0)))
                delay = min(delay * 2, MAX_RETRY_DELAY)

    def _wait_if_busy(self, physical: str) -> bool:
        """Wait for the table to settle; whether it was busy at all."""
        if TableState.of(physical, self.dynamo.describe_table(physical)).settled:
            return False
        self._settle(physical)
        return True


def _gave_up(physical: str, change: Change, exc: AwsError, waited: float, max_wait: float) -> WaitTimeout:
    if isinstance(change, UpdateTTL):
        message = (f"{physical}: DynamoDB still refuses to {change.summary()} after {waited:.0f}s (--max-wait "
                   f"{max_wait:g}): it allows one TTL change per table within about an hour")
    else:
        message = (f"{physical}: {change.summary()} still refused after {waited:.0f}s (--max-wait {max_wait:g}): "
                   f"{exc.message}")
    return WaitTimeout(message, hint="run `ddbctl apply` again later: it picks up where this run stopped")


def _transient(exc: AwsError) -> bool:
    if exc.code in _RETRY_AFTER_SETTLING or exc.code in _RETRY_LATER:
        return True
    return exc.code == "ValidationException" and _TTL_COOLDOWN in exc.message


class _AlreadyExists(Exception):
    pass


class _Stopped(BaseException):
    """Raised in a worker when apply is interrupted; not a DdbctlError, so it ends the worker."""


def describe_requests(plan: Plan) -> list[dict[str, Any]]:
    """The exact requests a real run of ``plan`` sends, in order per table (what --dry-run prints)."""
    return [
        {"operation": request.operation, "params": request.params}
        for change in plan.changes
        for request in change.requests()
    ]
