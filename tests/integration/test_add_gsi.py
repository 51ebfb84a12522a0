"""add_gsi and wait_for against the local DynamoDB over HTTP (plain moto and the AWS-like mode)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ddbctl.changes import Change, Request
from ddbctl.config import Settings, load_settings
from ddbctl.errors import AwsError, ConfigError, TableNotFound, WaitTimeout
from ddbctl.execute import Events, TableState
from ddbctl.local.pytest_plugin import LocalDynamoDB
from ddbctl.ops.export import export_tables
from ddbctl.ops.gsi import GsiResult, IndexOutcome, add_gsi, wait_for
from ddbctl.ops.gsi_input import GsiInput, request_from_input, requests_from_spec
from ddbctl.ops.session import connect
from ddbctl.plan import TablePlan
from ddbctl.spec.files import dump_spec, read_spec

from ..gsi_tables import (
    COMPANIES,
    EXPENSES,
    PREFIX,
    SEED_VARIABLES,
    create_table,
    describe,
    mutating_calls,
    spec_file,
    start_index_build,
)
from ..servers import BUILD_IN_PROGRESS_SECONDS


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*SEED_VARIABLES, "ENVIRONMENT", "TABLE_PREFIX"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


# -- helpers --------------------------------------------------------------------------------------------



def settings_for(db: LocalDynamoDB, **flags: Any) -> Settings:
    return load_settings({"endpoint_url": db.endpoint_url, "region": db.region, **flags}, environ={})


def index_of(db: LocalDynamoDB, index: str, name: str = COMPANIES) -> dict[str, Any]:
    return next(i for i in describe(db, name).get("GlobalSecondaryIndexes") or [] if i["IndexName"] == index)


def updates(db: LocalDynamoDB) -> list[dict[str, Any]]:
    return [o for o in db.server.operations() if o["operation"] == "UpdateTable"]


def email_index(table: str = "companies", index: str = "by-email", **flags: Any) -> Any:
    return request_from_input(GsiInput(table=table, index=index, partition_key=flags.pop("key", "email:S"), **flags),
                              {})


def outcomes(result: GsiResult) -> list[tuple[str, str, str]]:
    """(physical table, index, outcome) of each index, in the result's order."""
    return [(r.physical, r.index_name, r.outcome.value) for r in result.indexes]


class Recorded(Events):
    """Every progress event, in order (called from the executor's threads)."""

    def __init__(self, on_request: Callable[[Request], None] | None = None) -> None:
        self.states: list[TableState] = []
        self.requests: list[Request] = []
        self.on_request = on_request
        self._lock = threading.Lock()

    def request_sent(self, table: TablePlan, change: Change, request: Request) -> None:
        with self._lock:
            self.requests.append(request)
        if self.on_request is not None:
            self.on_request(request)

    def waiting(self, physical: str, state: TableState) -> None:
        with self._lock:
            self.states.append(state)

    def index_phases(self, index: str) -> list[str]:
        """The distinct phases of ``index`` seen, in order: CREATING, backfilling, ACTIVE."""
        phases: list[str] = []
        for state in self.states:
            for name, status, backfilling in state.indexes:
                phase = "backfilling" if backfilling else status
                if name == index and (not phases or phases[-1] != phase):
                    phases.append(phase)
        return phases


# -- the wait ---------------------------------------------------------------------------------------------


def test_add_gsi_waits_until_the_index_is_active_and_reports_each_phase(slow_index: LocalDynamoDB) -> None:
    create_table(slow_index)
    events = Recorded()
    result = add_gsi(settings_for(slow_index), email_index(), events=events)
    assert outcomes(result) == [(COMPANIES, "by-email", "created")]
    assert result.ok and result.error is None
    assert index_of(slow_index, "by-email")["IndexStatus"] == "ACTIVE"
    assert events.index_phases("by-email") == ["CREATING", "backfilling", "ACTIVE"]
    assert result.indexes[0].elapsed is not None and result.indexes[0].elapsed >= 1.4


def test_the_update_carries_the_full_attribute_definitions(dynamodb: LocalDynamoDB) -> None:
    # Plain moto replaces the table's AttributeDefinitions with the request's: had only the new key's
    # definition been sent, the table key "id" and the index key "other" would lose theirs.
    create_table(dynamodb, gsis=[("by-other", "other", "N")])
    events = Recorded()
    add_gsi(settings_for(dynamodb), email_index(sort_key="at:N"), events=events)
    expected = [{"AttributeName": "at", "AttributeType": "N"}, {"AttributeName": "email", "AttributeType": "S"},
                {"AttributeName": "id", "AttributeType": "S"}, {"AttributeName": "other", "AttributeType": "N"}]
    assert [r.params["AttributeDefinitions"] for r in events.requests] == [expected]
    assert sorted(describe(dynamodb)["AttributeDefinitions"], key=lambda d: d["AttributeName"]) == expected


# -- skip ------------------------------------------------------------------------------------------------


def test_an_existing_index_with_the_same_definition_is_skipped(awslike_dynamodb: LocalDynamoDB) -> None:
    create_table(awslike_dynamodb, gsis=[("by-email", "email", "S")])
    result = add_gsi(settings_for(awslike_dynamodb), email_index(table=COMPANIES))
    assert outcomes(result) == [(COMPANIES, "by-email", "skipped")]
    assert result.indexes[0].matches is True
    assert result.indexes[0].status == "ACTIVE"
    assert mutating_calls(awslike_dynamodb) == ["CreateTable"]


def test_an_existing_index_with_another_definition_is_skipped_and_the_difference_named(
    awslike_dynamodb: LocalDynamoDB,
) -> None:
    create_table(awslike_dynamodb, gsis=[("by-email", "email", "S")])
    result = add_gsi(settings_for(awslike_dynamodb), email_index(sort_key="at:N", projection="KEYS_ONLY"))
    skipped = result.indexes[0]
    assert (skipped.outcome, skipped.matches) == (IndexOutcome.SKIPPED, False)
    assert skipped.differences == ("keys email:S (asked email:S+at:N)", "projection ALL (asked KEYS_ONLY)")
    assert result.ok
    assert mutating_calls(awslike_dynamodb) == ["CreateTable"]


# -- one online index build at a time ------------------------------------------------------------------------


def test_a_build_in_progress_is_waited_for_and_no_limit_error_is_provoked(long_build: LocalDynamoDB) -> None:
    create_table(long_build)
    start_index_build(long_build, "by-other", "other")
    events = Recorded()
    result = add_gsi(settings_for(long_build), email_index(), events=events)
    assert outcomes(result) == [(COMPANIES, "by-email", "created")]
    # Seen building (CREATING, before or while backfilling: DynamoDB's IndexStatus is CREATING), and waited for.
    assert {"CREATING", "backfilling"} & set(events.index_phases("by-other"))
    theirs, ours = updates(long_build)
    assert ours["time"] >= theirs["time"] + BUILD_IN_PROGRESS_SECONDS  # sent once by-other was built
    assert [o for o in long_build.server.operations() if o["error"]] == []
    assert {i["IndexName"]: i["IndexStatus"] for i in describe(long_build)["GlobalSecondaryIndexes"]} == {
        "by-other": "ACTIVE", "by-email": "ACTIVE"}


def test_a_limit_exceeded_answer_is_waited_out_and_the_request_sent_again(awslike_dynamodb: LocalDynamoDB) -> None:
    # A build started by someone else between ddbctl's read and its UpdateTable: DynamoDB says
    # LimitExceededException; ddbctl waits for the table to settle and sends the same request again.
    # botocore makes ONE attempt per call here (its standard mode would absorb LimitExceeded on its own):
    # every re-send in the server's log is ddbctl's.
    create_table(awslike_dynamodb)
    awslike_dynamodb.server.inject_fault("UpdateTable", COMPANIES, "LimitExceededException",
                                         "Subscriber limit exceeded: Only 1 online index can be created or "
                                         "deleted simultaneously per table", times=2)
    settings = settings_for(awslike_dynamodb)
    result = add_gsi(settings, email_index(), context=connect(settings, max_attempts=1))
    assert outcomes(result) == [(COMPANIES, "by-email", "created")]
    assert [o["error"] for o in updates(awslike_dynamodb)] == ["LimitExceededException"] * 2 + [None]


# -- max wait, then `wait` -------------------------------------------------------------------------------------


def test_max_wait_ends_with_a_wait_timeout_and_wait_for_resumes(slow_index: LocalDynamoDB) -> None:
    create_table(slow_index)
    settings = settings_for(slow_index)
    slow_index.server.hold(COMPANIES, "by-email")  # the build outlasts max_wait, however slow the machine
    result = add_gsi(settings, email_index(), max_wait=0.3)
    assert outcomes(result) == [(COMPANIES, "by-email", "failed")]
    error = result.error
    assert isinstance(error, WaitTimeout) and error.exit_code == 3
    assert error.message.startswith(f"index by-email on {COMPANIES} is still CREATING")
    assert error.message.endswith("after 0.3s (--max-wait/MAX_WAIT); the build goes on inside DynamoDB")
    assert error.hint == f"keep waiting with: ddbctl wait --table {COMPANIES} --index by-email"
    assert index_of(slow_index, "by-email")["IndexStatus"] == "CREATING"

    slow_index.server.release(COMPANIES, "by-email")
    events = Recorded()
    waited = wait_for(settings, COMPANIES, "by-email", max_wait=10, events=events)
    assert waited.state.settled
    assert events.index_phases("by-email")[-1] == "ACTIVE"
    assert index_of(slow_index, "by-email")["IndexStatus"] == "ACTIVE"


def test_wait_for_a_whole_table_times_out_with_a_resume_hint(slow_index: LocalDynamoDB) -> None:
    create_table(slow_index)
    slow_index.server.hold(COMPANIES, "by-other")
    start_index_build(slow_index, "by-other", "other")
    settings = settings_for(slow_index, environment="production")
    with pytest.raises(WaitTimeout) as excinfo:
        wait_for(settings, "companies", max_wait=0.2)
    assert excinfo.value.hint == f"keep waiting with: ddbctl wait --table {COMPANIES}"
    slow_index.server.release(COMPANIES, "by-other")
    assert wait_for(settings, "companies", max_wait=10).state.settled


def test_wait_for_a_missing_table_or_index_fails_at_once(awslike_dynamodb: LocalDynamoDB) -> None:
    create_table(awslike_dynamodb, gsis=[("by-email", "email", "S")])
    settings = settings_for(awslike_dynamodb)
    with pytest.raises(TableNotFound):
        wait_for(settings, "nope-table", max_wait=10)
    started = time.monotonic()
    with pytest.raises(AwsError) as excinfo:
        wait_for(settings, "companies", "by-nothing", max_wait=10)
    assert time.monotonic() - started < 5
    assert excinfo.value.message == f"index by-nothing does not exist on {COMPANIES}"
    assert excinfo.value.hint == "its global secondary indexes: by-email"


# -- throttling ----------------------------------------------------------------------------------------------


def test_throttling_while_waiting_is_retried(awslike_dynamodb: LocalDynamoDB) -> None:
    create_table(awslike_dynamodb)
    server = awslike_dynamodb.server

    def throttle_the_wait(request: Request) -> None:  # the DescribeTable calls that follow get throttled
        server.inject_fault("DescribeTable", COMPANIES, "ThrottlingException", "Rate of requests exceeds the "
                            "allowed throughput.", times=2)

    server.clear_operations()
    result = add_gsi(settings_for(awslike_dynamodb), email_index(), events=Recorded(throttle_the_wait))
    assert outcomes(result) == [(COMPANIES, "by-email", "created")]
    after_update = [(o["operation"], o["error"]) for o in server.operations()]
    after_update = after_update[after_update.index(("UpdateTable", None)) + 1:]
    assert after_update[:3] == [("DescribeTable", "ThrottlingException")] * 2 + [("DescribeTable", None)]
    assert index_of(awslike_dynamodb, "by-email")["IndexStatus"] == "ACTIVE"


# -- provisioned tables, projections ------------------------------------------------------------------------


def test_a_provisioned_table_needs_index_throughput(awslike_dynamodb: LocalDynamoDB) -> None:
    create_table(awslike_dynamodb, provisioned=True)
    settings = settings_for(awslike_dynamodb)
    with pytest.raises(ConfigError) as excinfo:
        add_gsi(settings, email_index())
    assert excinfo.value.message == (f"{COMPANIES} uses provisioned capacity: give index by-email its own with "
                                     "--read-capacity N --write-capacity N")
    assert mutating_calls(awslike_dynamodb) == ["CreateTable"]

    result = add_gsi(settings, email_index(read_capacity=5, write_capacity=3))
    assert outcomes(result) == [(COMPANIES, "by-email", "created")]
    throughput = index_of(awslike_dynamodb, "by-email")["ProvisionedThroughput"]
    assert (throughput["ReadCapacityUnits"], throughput["WriteCapacityUnits"]) == (5, 3)


def test_an_on_demand_table_refuses_index_throughput(awslike_dynamodb: LocalDynamoDB) -> None:
    create_table(awslike_dynamodb)
    with pytest.raises(ConfigError, match="is on-demand"):
        add_gsi(settings_for(awslike_dynamodb), email_index(read_capacity=5, write_capacity=3))
    assert mutating_calls(awslike_dynamodb) == ["CreateTable"]


def test_include_projection(awslike_dynamodb: LocalDynamoDB) -> None:
    create_table(awslike_dynamodb)
    add_gsi(settings_for(awslike_dynamodb), email_index(projection="INCLUDE", attributes="name,status"))
    projection = index_of(awslike_dynamodb, "by-email")["Projection"]
    assert projection["ProjectionType"] == "INCLUDE"
    assert sorted(projection["NonKeyAttributes"]) == ["name", "status"]


# -- several indexes -------------------------------------------------------------------------------------------


def test_two_indexes_of_one_table_are_built_one_after_another(awslike_dynamodb: LocalDynamoDB, tmp_path: Path) -> None:
    create_table(awslike_dynamodb)
    settings = settings_for(awslike_dynamodb)
    path = spec_file(tmp_path, "companies", [("by-email", "email", "S"), ("by-vat", "vat", "N")])
    result = add_gsi(settings, requests_from_spec(path, settings.namespace))
    assert outcomes(result) == [(COMPANIES, "by-email", "created"), (COMPANIES, "by-vat", "created")]
    first, second = updates(awslike_dynamodb)
    assert (first["error"], second["error"]) == (None, None)
    assert second["time"] - first["time"] >= 0.6  # the second was sent once the first was built
    table = describe(awslike_dynamodb)
    assert {i["IndexName"]: i["IndexStatus"] for i in table["GlobalSecondaryIndexes"]} == {
        "by-email": "ACTIVE", "by-vat": "ACTIVE"}
    assert {"AttributeName": "vat", "AttributeType": "N"} in table["AttributeDefinitions"]


def test_indexes_of_two_tables_are_built_in_parallel(awslike_dynamodb: LocalDynamoDB, tmp_path: Path) -> None:
    create_table(awslike_dynamodb, COMPANIES)
    create_table(awslike_dynamodb, EXPENSES)
    spec_file(tmp_path, "companies", [("by-email", "email", "S")])
    spec_file(tmp_path, "company-expenses", [("by-company", "companyId", "S")])
    settings = settings_for(awslike_dynamodb)
    result = add_gsi(settings, requests_from_spec(tmp_path, settings.namespace))
    assert sorted(outcomes(result)) == [(COMPANIES, "by-email", "created"),
                                        (EXPENSES, "by-company", "created")]
    first, second = updates(awslike_dynamodb)
    assert {first["table"], second["table"]} == {COMPANIES, EXPENSES}
    assert abs(second["time"] - first["time"]) < 0.6  # the second did not wait for the first build


def test_indexes_the_live_table_has_are_skipped_from_a_spec(awslike_dynamodb: LocalDynamoDB, tmp_path: Path) -> None:
    create_table(awslike_dynamodb, gsis=[("by-email", "email", "S")])
    settings = settings_for(awslike_dynamodb)
    path = spec_file(tmp_path, "companies", [("by-email", "email", "S"), ("by-vat", "vat", "N")])
    result = add_gsi(settings, requests_from_spec(path, settings.namespace))
    assert outcomes(result) == [(COMPANIES, "by-email", "skipped"), (COMPANIES, "by-vat", "created")]
    assert len(updates(awslike_dynamodb)) == 1


def test_a_wait_timeout_leaves_the_next_index_of_the_table_unsent(slow_index: LocalDynamoDB, tmp_path: Path) -> None:
    create_table(slow_index)
    settings = settings_for(slow_index)
    path = spec_file(tmp_path, "companies", [("by-email", "email", "S"), ("by-vat", "vat", "N")])
    slow_index.server.hold(COMPANIES, "by-email")
    result = add_gsi(settings, requests_from_spec(path, settings.namespace), max_wait=0.3)
    assert outcomes(result) == [(COMPANIES, "by-email", "failed"), (COMPANIES, "by-vat", "not-sent")]
    assert result.indexes[1].note == "not requested: index by-email did not finish; run add-gsi again"
    assert result.error is not None and result.error.hint == (
        f"keep waiting with: ddbctl wait --table {COMPANIES} --index by-email; then run add-gsi again for by-vat")
    assert len(updates(slow_index)) == 1


# -- spec files in step -------------------------------------------------------------------------------------


def test_dir_adds_the_new_index_to_the_tables_spec_file(awslike_dynamodb: LocalDynamoDB, tmp_path: Path) -> None:
    create_table(awslike_dynamodb)
    settings = settings_for(awslike_dynamodb)
    export_tables(settings, tmp_path)
    path = tmp_path / "companies.json"
    result = add_gsi(settings, email_index(sort_key="at:N"), directory=tmp_path)
    assert [(u.path, u.changed, u.note) for u in result.files] == [(path, True, None)]
    spec, problems = read_spec(path, settings.namespace)
    assert problems == [] and spec is not None
    index = spec.gsi("by-email")
    assert index is not None and index.key_attributes == ("email", "at")
    assert spec.attribute_types == {"id": "S", "email": "S", "at": "N"}
    assert path.read_text() == dump_spec(spec)  # deterministic formatting

    export_tables(settings, tmp_path / "again")  # the file now says what a fresh export says
    assert (tmp_path / "again" / "companies.json").read_text() == path.read_text()


def test_dir_does_not_create_a_missing_spec_file(awslike_dynamodb: LocalDynamoDB, tmp_path: Path) -> None:
    create_table(awslike_dynamodb)
    result = add_gsi(settings_for(awslike_dynamodb), email_index(), directory=tmp_path)
    assert outcomes(result) == [(COMPANIES, "by-email", "created")]
    assert [(u.changed, u.note) for u in result.files] == [(False, (
        f"no such file: not created (write the table's full spec with `ddbctl export --table companies "
        f"--dir {tmp_path}`)"))]
    assert list(tmp_path.iterdir()) == []


# -- dry run, bad input ---------------------------------------------------------------------------------------


def test_dry_run_plans_the_exact_request_and_sends_no_change(awslike_dynamodb: LocalDynamoDB) -> None:
    create_table(awslike_dynamodb)
    result = add_gsi(settings_for(awslike_dynamodb), email_index(), dry_run=True)
    assert outcomes(result) == [(COMPANIES, "by-email", "planned")]
    assert result.report is None
    assert [request.params for change in result.plan.changes for request in change.requests()] == [{
        "TableName": COMPANIES,
        "AttributeDefinitions": [{"AttributeName": "email", "AttributeType": "S"},
                                 {"AttributeName": "id", "AttributeType": "S"}],
        "GlobalSecondaryIndexUpdates": [{"Create": {
            "IndexName": "by-email", "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"}}}],
    }]
    assert mutating_calls(awslike_dynamodb) == ["CreateTable"]
    assert "GlobalSecondaryIndexes" not in describe(awslike_dynamodb)


def test_a_key_attribute_defined_with_another_type_is_refused(awslike_dynamodb: LocalDynamoDB) -> None:
    create_table(awslike_dynamodb, gsis=[("by-email", "email", "S")])
    with pytest.raises(ConfigError) as excinfo:
        add_gsi(settings_for(awslike_dynamodb), email_index(index="by-email-number", key="email:N"))
    assert excinfo.value.message == (f"attribute 'email' is already defined as S on {COMPANIES} (used by index "
                                     "by-email): index by-email-number cannot use it as N")
    with pytest.raises(ConfigError, match=r"attribute 'id' is already defined as S .*\(used by the table's key\)"):
        add_gsi(settings_for(awslike_dynamodb), email_index(index="by-id", key="id:N"))
    assert mutating_calls(awslike_dynamodb) == ["CreateTable"]


def test_a_missing_table_is_reported_before_any_change(awslike_dynamodb: LocalDynamoDB) -> None:
    with pytest.raises(TableNotFound) as excinfo:
        add_gsi(settings_for(awslike_dynamodb, environment="staging"), email_index(table="companies"))
    assert excinfo.value.message == f"table {PREFIX}-staging-companies does not exist"
    assert mutating_calls(awslike_dynamodb) == []


def test_the_twenty_index_limit_is_checked_before_any_change(dynamodb: LocalDynamoDB) -> None:
    create_table(dynamodb, gsis=[(f"by-a{n:02}", f"a{n:02}", "S") for n in range(20)])
    with pytest.raises(ConfigError) as excinfo:
        add_gsi(settings_for(dynamodb), email_index())
    assert excinfo.value.message == (f"{COMPANIES} has 20 global secondary indexes: adding 1 would exceed "
                                     "DynamoDB's limit of 20 per table")
    assert mutating_calls(dynamodb) == ["CreateTable"]
