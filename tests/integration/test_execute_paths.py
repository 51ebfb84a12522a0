"""The executor's own paths on the AWS-like server with no delays: outcomes and progress events, each
"not now" answer it rides out itself (one botocore attempt per call, so every re-send is ddbctl's), the
limits of those retries, stale plans, --no-wait, and the messages that end a wait.

Waits and back-offs run on a virtual clock that moves only when ddbctl sleeps: a retry for 100 s costs
nothing, the pauses asked for are checked exactly, and an intermediate state is held by the server (a
hold, released from a progress event) instead of raced. Written against mutants of execute.py
(tools/mutation)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ddbctl.changes import Change, CreateIndex, CreateTable, Request, UpdatePITR
from ddbctl.config import Settings
from ddbctl.errors import AccessDenied, AwsError, EffectNotSeen, StalePlan, TableNotFound, UnsafeChange, WaitTimeout
from ddbctl.execute import Events, ExecOptions, Outcome, Report, TableResult, TableState, execute, wait_until_settled
from ddbctl.local.pytest_plugin import LocalDynamoDB, ServerPool
from ddbctl.ops.converge import plan_tables
from ddbctl.ops.session import connect
from ddbctl.plan import Plan, Status, TablePlan
from ddbctl.waiting import SYSTEM_CLOCK, Clock

from ..clocks import FakeClock
from .test_apply import write
from .test_apply_properties import INSTANT

PREFIX = "construction-expenses-staging-"
ORDERS = PREFIX + "orders"
TTL_COOL_DOWN = "Time to live has been modified multiple times within a fixed interval"
AGAIN_LATER = "run `ddbctl apply` again later: it picks up where this run stopped"
QUICK = Clock(sleep=lambda seconds: time.sleep(min(seconds, 0.05)))


def VirtualClock() -> FakeClock:
    """Time that passes only when ddbctl sleeps, from 1000 s (a monotonic clock does not start at 0)."""
    return FakeClock(start=1000.0)


class Recorded(Events):
    """Every progress event, in order; ``on_request``/``on_waiting`` act on the server at that moment."""

    def __init__(self, on_request: Callable[[Request], None] | None = None,
                 on_waiting: Callable[[TableState], None] | None = None) -> None:
        self.started: list[str] = []
        self.sent: list[tuple[str, str, str]] = []  # (logical, change kind, operation)
        self.states: list[TableState] = []
        self.waited_for: set[str] = set()  # the physical names the waiting events were given
        self.finished: list[tuple[str, Outcome]] = []
        self.on_request, self.on_waiting = on_request, on_waiting
        self._lock = threading.Lock()

    def table_started(self, table: TablePlan) -> None:
        with self._lock:
            self.started.append(table.logical)

    def request_sent(self, table: TablePlan, change: Change, request: Request) -> None:
        with self._lock:
            self.sent.append((table.logical, change.kind, request.operation))
        if self.on_request is not None:
            self.on_request(request)

    def waiting(self, physical: str, state: TableState) -> None:
        with self._lock:
            self.states.append(state)
            self.waited_for.add(physical)
        if self.on_waiting is not None:
            self.on_waiting(state)

    def table_finished(self, result: TableResult) -> None:
        with self._lock:
            self.finished.append((result.logical, result.outcome))


@pytest.fixture
def db(local_servers: ServerPool) -> LocalDynamoDB:
    return local_servers.fresh(INSTANT)


@pytest.fixture
def staging(db: LocalDynamoDB, settings_for: Callable[..., Settings]) -> Settings:
    return settings_for(db, "staging")


def table_file(name: str = "orders", **fields: Any) -> dict[str, Any]:
    indexes = fields.get("GlobalSecondaryIndexes", [])
    used = sorted({"pk", *(k["AttributeName"] for index in indexes for k in index["KeySchema"])})
    return {"TableName": name, "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": n, "AttributeType": "S"} for n in used], **fields}


def make_plan(settings: Settings, directory: Path, **options: Any) -> Plan:
    return plan_tables(settings, directory, allow_destroy=True, **options)


def run(settings: Settings, plan: Plan, clock: Clock = QUICK, events: Events | None = None,
        **options: Any) -> Report:
    """``plan`` through ``execute`` with ONE botocore attempt per call: every re-send is ddbctl's."""
    dynamo = connect(settings, max_attempts=1).dynamo
    # max_wait: a liveness bound, not a timing assertion: every change shows on the first read here.
    return execute(plan, dynamo, ExecOptions(**{"max_wait": 10.0, "clock": clock, **options}), events)


def converge(settings: Settings, directory: Path, *documents: dict[str, Any]) -> None:
    report = run(settings, make_plan(settings, write(directory, *documents)))
    assert report.ok, [(r.physical, r.error) for r in report.results]


def calls(db: LocalDynamoDB, operation: str) -> list[str | None]:
    """The error code (None: success) of each ``operation`` the server received, in order."""
    return [o["error"] for o in db.server.operations() if o["operation"] == operation]


def only(report: Report) -> TableResult:
    [result] = report.results
    return result


# -- outcomes and events ---------------------------------------------------------------------------------


def test_each_table_gets_the_outcome_of_its_plan_and_each_step_is_reported(
    db: LocalDynamoDB, staging: Settings, tmp_path: Path
) -> None:
    directory = tmp_path / "s"
    converge(staging, directory, table_file(), table_file("users"), table_file("legacy"), table_file("keys"))
    new_keys = table_file("keys", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    write(directory, table_file(Tags=[{"Key": "team", "Value": "a"}]), table_file("users"), table_file("teams"),
          new_keys)
    plan = make_plan(staging, directory)
    assert plan.table("legacy").status is Status.UNMANAGED and not plan.table("legacy").changes
    events = Recorded()
    report = run(staging, plan, events=events)
    assert [(r.logical, r.physical, r.outcome, r.note) for r in report.results] == [
        (name, PREFIX + name, outcome, None) for name, outcome in (
            ("keys", Outcome.FAILED), ("legacy", Outcome.SKIPPED), ("orders", Outcome.UPDATED),
            ("teams", Outcome.CREATED), ("users", Outcome.UNCHANGED))]
    refused = report.by(Outcome.FAILED)[0].error
    assert isinstance(refused, UnsafeChange) and refused.message == plan.table("keys").reason
    assert refused.hint == "nothing was sent for this table"
    assert not report.ok
    assert [change.kind for change in report.results[2].done] == ["tag"]
    assert [change.kind for change in report.results[3].done] == ["create-table", "update-pitr"]
    assert sorted(events.started) == ["orders", "teams"]
    assert sorted(events.finished) == sorted((r.logical, r.outcome) for r in report.results)
    assert sorted(events.sent) == [("orders", "tag", "TagResource"), ("teams", "create-table", "CreateTable"),
                                   ("teams", "update-pitr", "UpdateContinuousBackups")]
    assert [s.physical for s in events.states] == [PREFIX + "teams"]  # the create's wait reads DescribeTable
    assert events.waited_for == {PREFIX + "teams"}
    assert events.states[-1].status == "ACTIVE"

    pruned = run(staging, make_plan(staging, directory, prune=True), events=(events := Recorded()))
    assert [(r.logical, r.outcome) for r in pruned.results if r.outcome is not Outcome.UNCHANGED] == [
        ("keys", Outcome.FAILED), ("legacy", Outcome.DELETED)]
    assert events.sent == [("legacy", "delete-table", "DeleteTable")]
    assert events.states[-1] == TableState(PREFIX + "legacy", "MISSING", elapsed=events.states[-1].elapsed)


def test_concurrency_bounds_the_tables_changed_at_once(db: LocalDynamoDB, staging: Settings, tmp_path: Path) -> None:
    """With --concurrency 1 the second table starts only when the first is finished: the first table's
    request waits (up to 2 s, a bound, not a measurement) for a second table to start, which never may."""
    converge(staging, tmp_path / "s", table_file(), table_file("users"))
    plan = make_plan(staging, write(tmp_path / "s", table_file(TableClass="STANDARD_INFREQUENT_ACCESS"),
                                    table_file("users", TableClass="STANDARD_INFREQUENT_ACCESS")))
    second_started = threading.Event()

    class Watched(Recorded):
        def table_started(self, table: TablePlan) -> None:
            if self.started:
                second_started.set()
            super().table_started(table)

    def first_request(request: Request) -> None:
        if len(events.sent) == 1:
            second_started.wait(2.0)

    events = Watched(on_request=first_request)
    report = run(staging, plan, events=events, concurrency=1)
    assert report.ok, [(r.physical, r.error) for r in report.results]
    assert [logical for logical, _ in events.finished] == events.started  # each finished before the next began
    assert len(events.started) == 2


def test_an_interrupt_from_a_worker_stops_apply_before_the_request_is_sent(
    db: LocalDynamoDB, staging: Settings, tmp_path: Path
) -> None:
    converge(staging, tmp_path / "s", table_file())
    plan = make_plan(staging, write(tmp_path / "s", table_file(TableClass="STANDARD_INFREQUENT_ACCESS")))

    def interrupt(request: Request) -> None:
        raise KeyboardInterrupt

    db.server.clear_operations()
    with pytest.raises(KeyboardInterrupt):
        run(staging, plan, events=Recorded(on_request=interrupt))
    assert calls(db, "UpdateTable") == []


def test_an_interrupt_stops_the_other_tables_waits_without_another_read(
    db: LocalDynamoDB, staging: Settings, tmp_path: Path
) -> None:
    """users waits for someone else's change (held UPDATING) when orders' worker is interrupted: the
    pause users is in ends with the stop, and it reads nothing more."""
    converge(staging, tmp_path / "s", table_file(), table_file("users"))
    plan = make_plan(staging, write(tmp_path / "s", table_file(TableClass="STANDARD_INFREQUENT_ACCESS"),
                                    table_file("users", TableClass="STANDARD_INFREQUENT_ACCESS")))
    users = PREFIX + "users"
    db.server.hold(users)
    db.client().update_table(TableName=users, DeletionProtectionEnabled=True)
    pausing, resume, paused, resumed = threading.Event(), threading.Event(), [], []

    def pause(seconds: float) -> None:  # users' wait for ACTIVE: held until apply was interrupted
        paused.append(threading.current_thread())
        pausing.set()
        resumed.append(resume.wait(30.0))

    def interrupt(request: Request) -> None:
        pausing.wait(30.0)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(staging, plan, Clock(now=time.monotonic, sleep=pause), Recorded(on_request=interrupt), recheck=False,
            concurrency=2)
    reads = len(calls(db, "DescribeTable"))
    resume.set()
    paused[0].join(30.0)
    assert not paused[0].is_alive()
    assert resumed == [True], "apply returned without waiting for the paused worker"
    assert len(calls(db, "DescribeTable")) == reads, "users went on waiting after the interrupt"
    assert [o["table"] for o in db.server.operations() if o["operation"] == "UpdateTable"] == [users]  # by hand
    db.server.release(users)


# -- ddbctl's own retries, and their limits ----------------------------------------------------------------


@pytest.mark.parametrize("code", ["LimitExceededException", "ResourceInUseException"])
def test_busy_answers_from_an_idle_table_are_retried_twice_with_a_growing_pause_then_reported(
    db: LocalDynamoDB, staging: Settings, tmp_path: Path, code: str
) -> None:
    converge(staging, tmp_path / "s", table_file())
    db.server.inject_fault("UpdateTable", ORDERS, code, "busy", times=2)
    db.server.clear_operations()
    virtual = VirtualClock()
    plan = make_plan(staging, write(tmp_path / "s", table_file(TableClass="STANDARD_INFREQUENT_ACCESS")))
    report = run(staging, plan, virtual.clock)
    assert only(report).outcome is Outcome.UPDATED, only(report).error
    assert calls(db, "UpdateTable") == [code, code, None]
    assert virtual.sleeps == [1.0, 2.0]

    db.server.inject_fault("UpdateTable", ORDERS, code, "still busy", times=3)
    db.server.clear_operations()
    virtual = VirtualClock()
    report = run(staging, make_plan(staging, write(tmp_path / "s", table_file(TableClass="STANDARD"))),
                 virtual.clock)
    result = only(report)
    assert result.outcome is Outcome.FAILED and result.done == ()
    assert isinstance(result.error, AwsError) and result.error.code == code
    assert calls(db, "UpdateTable") == [code] * 3  # an idle table's third "busy" is a real refusal
    assert virtual.sleeps == [1.0, 2.0]


def test_a_refusal_while_the_table_is_updating_waits_for_active_then_resends_at_once(
    db: LocalDynamoDB, staging: Settings, tmp_path: Path
) -> None:
    """Someone else's change holds the table UPDATING (a stale read told apply it was ACTIVE): the
    refusal is real, ddbctl waits for ACTIVE (released once a wait has seen UPDATING) and sends again."""
    converge(staging, tmp_path / "s", table_file())
    plan = make_plan(staging, write(tmp_path / "s", table_file(TableClass="STANDARD_INFREQUENT_ACCESS")))
    db.server.hold(ORDERS)
    db.client().update_table(TableName=ORDERS, StreamSpecification={"StreamEnabled": True,
                                                                     "StreamViewType": "KEYS_ONLY"})
    db.server.inject_fault("DescribeTable", ORDERS, action="stale", times=1)  # the recheck's read
    db.server.clear_operations()

    def release(state: TableState) -> None:
        if state.status == "UPDATING":
            db.server.release(ORDERS)

    virtual, events = VirtualClock(), Recorded(on_waiting=release)
    result = only(run(staging, plan, virtual.clock, events))
    assert result.outcome is Outcome.UPDATED, result.error
    assert calls(db, "UpdateTable") == ["ResourceInUseException", None]
    assert [(s.status, s.elapsed) for s in events.states][:2] == [("UPDATING", 0.0), ("ACTIVE", pytest.approx(0.2))]
    assert events.waited_for == {ORDERS}
    assert virtual.sleeps == [0.2]  # one poll of the wait; no back-off before the re-send
    table = db.client().describe_table(TableName=ORDERS)["Table"]
    assert table["TableClassSummary"]["TableClass"] == "STANDARD_INFREQUENT_ACCESS"


def test_pitr_unavailable_is_retried_with_a_doubling_pause_until_max_wait(
    db: LocalDynamoDB, staging: Settings, tmp_path: Path
) -> None:
    directory = write(tmp_path / "s", table_file())
    db.server.inject_fault("UpdateContinuousBackups", ORDERS, "ContinuousBackupsUnavailableException",
                           "Backups are being enabled")
    virtual = VirtualClock()
    result = only(run(staging, make_plan(staging, directory), virtual.clock, max_wait=100.0))
    assert result.outcome is Outcome.FAILED and [c.kind for c in result.done] == ["create-table"]
    assert virtual.sleeps == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 9.0]
    assert isinstance(result.error, WaitTimeout) and result.error.exit_code == 3
    assert result.error.message == (f"{ORDERS}: enable point-in-time recovery still refused after 100s "
                                    f"(--max-wait 100): UpdateContinuousBackups {ORDERS} failed: "
                                    "ContinuousBackupsUnavailableException: Backups are being enabled")
    assert result.error.hint == AGAIN_LATER
    assert calls(db, "UpdateContinuousBackups") == ["ContinuousBackupsUnavailableException"] * 9

    db.server.clear_faults()
    db.server.inject_fault("UpdateContinuousBackups", ORDERS, "ContinuousBackupsUnavailableException",
                           "Backups are being enabled", times=2)
    virtual = VirtualClock()
    result = only(run(staging, make_plan(staging, directory), virtual.clock, max_wait=100.0))
    assert result.outcome is Outcome.UPDATED and [c.kind for c in result.done] == ["update-pitr"]
    assert virtual.sleeps == [1.0, 2.0]


def test_the_ttl_cool_down_is_waited_out_until_max_wait_and_other_validation_errors_are_not(
    db: LocalDynamoDB, staging: Settings, tmp_path: Path
) -> None:
    converge(staging, tmp_path / "s", table_file())
    plan = make_plan(staging, write(tmp_path / "s", table_file(
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})))
    db.server.inject_fault("UpdateTimeToLive", ORDERS, "ValidationException", TTL_COOL_DOWN)
    virtual = VirtualClock()
    result = only(run(staging, plan, virtual.clock, max_wait=3.5))
    assert isinstance(result.error, WaitTimeout)
    assert result.error.message == (f"{ORDERS}: DynamoDB still refuses to enable TTL on expires after 4s "
                                    "(--max-wait 3.5): it allows one TTL change per table within about an hour")
    assert result.error.hint == AGAIN_LATER
    assert virtual.sleeps == [1.0, 2.0, 0.5]  # the last pause ends at --max-wait

    db.server.clear_faults()
    db.server.inject_fault("UpdateTimeToLive", ORDERS, "ValidationException", "TimeToLive is already enabled",
                           times=1)
    db.server.clear_operations()
    virtual = VirtualClock()
    result = only(run(staging, plan, virtual.clock, max_wait=10.0))
    assert isinstance(result.error, AwsError) and not isinstance(result.error, WaitTimeout)
    assert result.error.code == "ValidationException" and "TimeToLive is already enabled" in result.error.message
    assert calls(db, "UpdateTimeToLive") == ["ValidationException"] and virtual.sleeps == []

    result = only(run(staging, plan, VirtualClock().clock, max_wait=10.0))  # no refusal: done, and seen
    assert result.outcome is Outcome.UPDATED, result.error
    assert db.client().describe_time_to_live(TableName=ORDERS)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}


def test_a_table_created_by_someone_else_meanwhile_is_skipped(
    db: LocalDynamoDB, staging: Settings, tmp_path: Path
) -> None:
    plan = make_plan(staging, write(tmp_path / "s", table_file()))
    db.server.inject_fault("CreateTable", ORDERS, "ResourceInUseException", "Table already exists", times=1)
    result = only(run(staging, plan))
    assert result == TableResult("orders", ORDERS, Outcome.SKIPPED, note="already exists (created meanwhile)")
    assert calls(db, "UpdateContinuousBackups") == []


def test_a_change_accepted_but_never_carried_out_fails_with_what_never_appeared(
    db: LocalDynamoDB, staging: Settings, tmp_path: Path
) -> None:
    converge(staging, tmp_path / "s", table_file())
    plan = make_plan(staging, write(tmp_path / "s", table_file(TableClass="STANDARD_INFREQUENT_ACCESS",
                                                               Tags=[{"Key": "team", "Value": "a"}])))
    assert [c.kind for c in plan.changes] == ["update-class", "tag"]
    db.server.inject_fault("UpdateTable", ORDERS, action="ignore", times=1)
    virtual = VirtualClock()
    result = only(run(staging, plan, virtual.clock, max_wait=5.0))
    assert result.outcome is Outcome.FAILED and [c.kind for c in result.done] == ["update-class"]
    assert isinstance(result.error, EffectNotSeen) and result.error.exit_code == 1
    assert result.error.message == (f"{ORDERS}: UpdateTable accepted but table class STANDARD_INFREQUENT_ACCESS "
                                    "never appeared after 5s (--max-wait 5)")
    assert result.error.hint == ("the endpoint answered success without making the change; check that it is "
                                 "DynamoDB (or a server that carries out this request), then run the command again")
    assert sum(virtual.sleeps) == pytest.approx(5.0)
    assert calls(db, "TagResource") == []


# -- stale plans -----------------------------------------------------------------------------------------


def test_a_plan_made_against_another_state_is_refused_unless_recheck_is_off(
    db: LocalDynamoDB, staging: Settings, tmp_path: Path
) -> None:
    directory = write(tmp_path / "s", table_file())
    created_since = make_plan(staging, directory)
    db.client().create_table(TableName=ORDERS, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                             BillingMode="PAY_PER_REQUEST")
    result = only(run(staging, created_since))
    assert isinstance(result.error, StalePlan) and result.outcome is Outcome.FAILED
    assert (result.logical, result.physical, result.done) == ("orders", ORDERS, ())
    assert result.error.message == f"{ORDERS} was created since the plan was made"
    assert result.error.hint == "run `ddbctl plan` again and review the new plan"

    db.server.reset()  # the lookalike made by hand has no Environment tag: ddbctl makes its own
    converge(staging, directory, table_file())
    tagged = make_plan(staging, write(directory, table_file(Tags=[{"Key": "team", "Value": "a"}])))
    db.client().update_table(TableName=ORDERS, DeletionProtectionEnabled=True)
    result = only(run(staging, tagged))
    assert isinstance(result.error, StalePlan)
    assert result.error.message == f"{ORDERS} changed since the plan was made"
    assert result.error.hint == "run `ddbctl plan` again and review the new plan"
    assert only(run(staging, tagged, recheck=False)).outcome is Outcome.UPDATED

    untagged = make_plan(staging, write(directory, table_file()))
    db.client().update_table(TableName=ORDERS, DeletionProtectionEnabled=False)
    db.client().delete_table(TableName=ORDERS)
    result = only(run(staging, untagged))
    assert isinstance(result.error, TableNotFound)
    assert result.error.message == f"table {ORDERS} does not exist"
    assert result.error.hint == "it was deleted after the plan was made; run plan again"
    result = only(run(staging, untagged, recheck=False))
    assert isinstance(result.error, TableNotFound)
    assert result.error.message == f"table {ORDERS} does not exist"
    assert result.error.hint == "it was deleted while ddbctl was waiting for it"


# -- waits: --no-wait, max wait, reads the identity may not make ---------------------------------------------


BY_A = {"IndexName": "by-a", "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"}}


def _create_held_index(db: LocalDynamoDB, staging: Settings, tmp_path: Path, **table: Any) -> Plan:
    """ORDERS exists; the plan adds index by-a (and ``table``'s settings), whose build the server holds."""
    converge(staging, tmp_path / "s", table_file())
    db.server.hold(ORDERS, "by-a")
    return make_plan(staging, write(tmp_path / "s", table_file(GlobalSecondaryIndexes=[BY_A], **table)))


def test_no_wait_returns_once_the_index_is_listed_but_waits_for_a_busy_table_before_the_first_step(
    db: LocalDynamoDB, staging: Settings, tmp_path: Path
) -> None:
    plan = _create_held_index(db, staging, tmp_path)
    assert [type(c) for c in plan.changes] == [CreateIndex]
    result = only(run(staging, plan, VirtualClock().clock, wait=False))
    assert result.outcome is Outcome.UPDATED and [c.kind for c in result.done] == ["create-index"]
    [index] = db.client().describe_table(TableName=ORDERS)["Table"]["GlobalSecondaryIndexes"]
    assert index["IndexStatus"] == "CREATING"

    # The index is still building: even --no-wait waits for the table to settle before a plan's first step.
    plan = make_plan(staging, write(tmp_path / "s", table_file(GlobalSecondaryIndexes=[BY_A], Tags=[
        {"Key": "team", "Value": "a"}], TableClass="STANDARD_INFREQUENT_ACCESS")))
    assert [c.kind for c in plan.changes] == ["update-class", "tag"]
    virtual = VirtualClock()
    result = only(run(staging, plan, virtual.clock, wait=False, max_wait=10.0))
    assert result.outcome is Outcome.FAILED and result.done == ()
    assert isinstance(result.error, WaitTimeout)
    state = TableState.of(ORDERS, db.client().describe_table(TableName=ORDERS)["Table"])
    assert result.error.message == (f"{ORDERS} is still {state.summary()} after 10s (--max-wait 10); "
                                    "the operation goes on inside DynamoDB")
    assert result.error.hint == f"keep waiting with: ddbctl -e staging wait --table {ORDERS}"
    assert sum(virtual.sleeps) == pytest.approx(10.0)


def test_without_no_wait_the_last_step_is_waited_for_until_the_table_settles(
    db: LocalDynamoDB, staging: Settings, tmp_path: Path
) -> None:
    plan = _create_held_index(db, staging, tmp_path)
    result = only(run(staging, plan, VirtualClock().clock, max_wait=5.0))
    assert result.outcome is Outcome.FAILED and isinstance(result.error, WaitTimeout)
    assert result.error.hint == f"keep waiting with: ddbctl -e staging wait --table {ORDERS} --index by-a"


@pytest.mark.parametrize("wait", [True, False], ids=["wait", "no-wait"])
def test_an_index_build_past_max_wait_names_the_command_that_waits_for_that_index(
    db: LocalDynamoDB, staging: Settings, tmp_path: Path, wait: bool
) -> None:
    """Only the last step of a --no-wait run is not waited for: the index built first is, either way."""
    plan = _create_held_index(db, staging, tmp_path, Tags=[{"Key": "team", "Value": "a"}])
    assert [c.kind for c in plan.changes] == ["create-index", "tag"]
    virtual, events = VirtualClock(), Recorded()
    result = only(run(staging, plan, virtual.clock, events, max_wait=10.0, wait=wait))
    assert result.outcome is Outcome.FAILED and [c.kind for c in result.done] == ["create-index"]
    assert isinstance(result.error, WaitTimeout) and result.error.exit_code == 3
    state = events.states[-1]
    assert state.index_status("by-a") == "CREATING" and state.elapsed == pytest.approx(10.0)
    assert events.waited_for == {ORDERS}
    assert result.error.message == (f"{ORDERS} is still {state.summary()} after 10s (--max-wait 10); "
                                    "the operation goes on inside DynamoDB")
    assert result.error.hint == f"keep waiting with: ddbctl -e staging wait --table {ORDERS} --index by-a"
    assert ("orders", "tag", "TagResource") not in events.sent


def test_a_table_still_updating_after_a_change_at_max_wait_offers_the_command_for_the_table(
    db: LocalDynamoDB, staging: Settings, tmp_path: Path
) -> None:
    converge(staging, tmp_path / "s", table_file())
    plan = make_plan(staging, write(tmp_path / "s", table_file(TableClass="STANDARD_INFREQUENT_ACCESS")))
    db.server.hold(ORDERS)  # the change is made (the class shows) but the table stays UPDATING
    virtual, events = VirtualClock(), Recorded()
    result = only(run(staging, plan, virtual.clock, events, max_wait=5.0))
    assert result.outcome is Outcome.FAILED and [c.kind for c in result.done] == ["update-class"]
    assert isinstance(result.error, WaitTimeout)
    assert result.error.message == (f"{ORDERS} is still UPDATING after 5s (--max-wait 5); "
                                    "the operation goes on inside DynamoDB")
    assert result.error.hint == f"keep waiting with: ddbctl -e staging wait --table {ORDERS}"
    assert {s.status for s in events.states} == {"UPDATING"}


def everything_but(db: LocalDynamoDB, *denied: str) -> list[str]:
    return sorted(set(db.client().meta.service_model.operation_names) - set(denied))


def test_a_change_the_identity_may_not_read_back_is_trusted_but_a_table_it_may_not_describe_fails(
    db: LocalDynamoDB, staging: Settings, tmp_path: Path
) -> None:
    converge(staging, tmp_path / "s", table_file())
    ttl = table_file(TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    plan = make_plan(staging, write(tmp_path / "s", {
        **ttl, "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": False}}))
    assert [c.kind for c in plan.changes] == ["update-ttl", "update-pitr"]

    def deny(*actions: str) -> Callable[[Request], None]:
        return lambda request: db.server.set_policy(everything_but(db, *actions))

    db.server.clear_operations()
    result = only(run(staging, plan, events=Recorded(on_request=deny("DescribeTimeToLive"))))
    assert result.outcome is Outcome.UPDATED, result.error
    # DynamoDB's success answer has to do; TTL leaves the table ACTIVE, so the PITR step is sent at once.
    sent = [(o["operation"], o["error"]) for o in db.server.operations()]
    at = sent.index(("UpdateTimeToLive", None))
    assert sent[at:at + 3] == [("UpdateTimeToLive", None), ("DescribeTimeToLive", "AccessDeniedException"),
                                 ("UpdateContinuousBackups", None)]
    db.server.set_policy(None)

    plan = make_plan(staging, write(tmp_path / "s", {
        **ttl, "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": False},
        "TableClass": "STANDARD_INFREQUENT_ACCESS"}))
    assert [c.kind for c in plan.changes] == ["update-class"]
    result = only(run(staging, plan, events=Recorded(on_request=deny("DescribeTable"))))
    assert result.outcome is Outcome.FAILED and isinstance(result.error, AccessDenied)
    assert [c.kind for c in result.done] == ["update-class"]
    db.server.set_policy(None)


def test_no_wait_still_waits_for_a_new_table_to_be_active_before_its_next_step(
    db: LocalDynamoDB, staging: Settings, tmp_path: Path
) -> None:
    """Only a --no-wait run's last step is not waited for: the PITR step is sent once the table is ACTIVE."""
    db.server.hold(ORDERS)
    plan = make_plan(staging, write(tmp_path / "s", table_file()))
    assert [type(c) for c in plan.changes] == [CreateTable, UpdatePITR]

    def release(state: TableState) -> None:
        if state.status == "CREATING":
            db.server.release(ORDERS)

    events = Recorded(on_waiting=release)
    result = only(run(staging, plan, VirtualClock().clock, events, wait=False))
    assert result.outcome is Outcome.CREATED, result.error
    assert [s.status for s in events.states][:2] == ["CREATING", "ACTIVE"]
    assert calls(db, "UpdateContinuousBackups") == [None]


def test_a_wait_for_a_busy_table_offers_the_command_that_resumes_it(db: LocalDynamoDB, staging: Settings,
                                                                     tmp_path: Path) -> None:
    converge(staging, tmp_path / "s", table_file())
    db.server.hold(ORDERS)
    db.client().update_table(TableName=ORDERS, TableClass="STANDARD_INFREQUENT_ACCESS")
    dynamo = connect(staging, max_attempts=1).dynamo
    with pytest.raises(WaitTimeout) as raised:
        wait_until_settled(dynamo, ORDERS, max_wait=5.0, clock=VirtualClock().clock)
    assert raised.value.message == (f"{ORDERS} is still UPDATING after 5s (--max-wait 5); "
                                    "the operation goes on inside DynamoDB")
    assert raised.value.hint == f"keep waiting with: ddbctl wait --table {ORDERS}"
    db.server.release(ORDERS)
    assert wait_until_settled(dynamo, ORDERS, max_wait=5.0, clock=VirtualClock().clock).settled


def test_a_retry_on_the_system_clock_pauses_for_real_and_then_sends_again(
    db: LocalDynamoDB, staging: Settings, tmp_path: Path
) -> None:
    """The one test of the real pause (1 s): the system clock's sleep is the interruptible one."""
    converge(staging, tmp_path / "s", table_file())
    db.server.inject_fault("UpdateTable", ORDERS, "LimitExceededException", "busy", times=1)
    db.server.clear_operations()
    plan = make_plan(staging, write(tmp_path / "s", table_file(TableClass="STANDARD_INFREQUENT_ACCESS")))
    result = only(run(staging, plan, SYSTEM_CLOCK))
    assert result.outcome is Outcome.UPDATED, result.error
    assert calls(db, "UpdateTable") == ["LimitExceededException", None]
