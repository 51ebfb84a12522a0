"""plan/apply against the AWS-like local server over HTTP: every change kind, the guards, drift,
interruption and resume, and random faults. Each test ends with an empty plan (the state is exact)
and checks the live table through a plain boto3 client, independently of ddbctl's own reading."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ddbctl.aws import Dynamo
from ddbctl.changes import DeleteIndex, DeleteTable
from ddbctl.config import Settings
from ddbctl.errors import StalePlan, UnsafeChange, WaitTimeout
from ddbctl.execute import Outcome, Report
from ddbctl.local import AwsLikeOptions, LocalServer
from ddbctl.local.pytest_plugin import FAST_AWS_LIKE, LocalDynamoDB, ServerPool, local_dynamodb
from ddbctl.ops.converge import apply_plan, plan_tables
from ddbctl.ops.export import export_tables
from ddbctl.ops.session import connect
from ddbctl.plan import Plan, Status
from ddbctl.waiting import Clock

from ..tools import INTERRUPTIBLE_PYTHON, dump_threads
from .conftest import mutations

SettingsFor = Callable[..., Settings]
PREFIX = "construction-expenses-staging-"
ORDERS = PREFIX + "orders"
UNITS_5 = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
UNITS_2 = {"ReadCapacityUnits": 2, "WriteCapacityUnits": 2}
KEYS_ONLY = {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
MAX_WAIT = 30.0
# Waits poll with backoff up to 5 s, made for DynamoDB's minutes; on the fast server, poll often instead.
QUICK_POLLS = Clock(sleep=lambda seconds: time.sleep(min(seconds, 0.05)))

pytestmark = pytest.mark.awslike


# -- fixtures and helpers ------------------------------------------------------------------------------


@pytest.fixture
def quick_ttl(local_servers: ServerPool) -> LocalDynamoDB:
    """AWS-like, with a TTL cool-down short enough to wait out (DynamoDB's is about an hour)."""
    return local_servers.fresh(replace(FAST_AWS_LIKE, ttl_cooldown_seconds=0.5))


@pytest.fixture
def staging(awslike_dynamodb: LocalDynamoDB, settings_for: SettingsFor) -> Settings:
    return settings_for(awslike_dynamodb, "staging")


def table_file(name: str = "orders", **fields: Any) -> dict[str, Any]:
    """A spec file: key ``pk``, the attribute definitions its keys need (``S`` unless ``types``)."""
    types = fields.pop("types", {})
    document: dict[str, Any] = {"TableName": name, "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}], **fields}
    used = sorted({k["AttributeName"] for index in [document, *document.get("GlobalSecondaryIndexes", [])]
                   for k in index["KeySchema"]})
    document["AttributeDefinitions"] = [{"AttributeName": n, "AttributeType": types.get(n, "S")} for n in used]
    return document


def gsi(name: str, key: str, throughput: dict[str, int] | None = None) -> dict[str, Any]:
    index = {"IndexName": name, "KeySchema": [{"AttributeName": key, "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "ALL"}}
    return {**index, "ProvisionedThroughput": throughput} if throughput else index


def write(directory: Path, *documents: dict[str, Any]) -> Path:
    directory.mkdir(exist_ok=True)
    for path in directory.glob("*.json"):
        path.unlink()
    for document in documents:
        (directory / f"{document['TableName']}.json").write_text(json.dumps(document))
    return directory


def converge(settings: Settings, directory: Path, max_wait: float = MAX_WAIT, **options: Any) -> tuple[Plan, Report]:
    context = connect(settings)
    plan = plan_tables(settings, directory, context=context, **options)
    return plan, apply_plan(settings, plan, max_wait=max_wait, context=context, clock=QUICK_POLLS)


def converge_from(server: LocalDynamoDB, settings: Settings, directory: Path, *before: dict[str, Any],
                  after: list[dict[str, Any]], **options: Any) -> tuple[Plan, Report]:
    """Create ``before``, then converge to ``after``; only the second run's calls stay recorded."""
    _, created = converge(settings, write(directory, *before))
    assert created.ok, created
    server.server.clear_operations()
    plan, report = converge(settings, write(directory, *after), **options)
    assert report.ok, [(r.physical, r.error) for r in report.results if r.error]
    return plan, report


def assert_converged(settings: Settings, directory: Path, **options: Any) -> None:
    again = plan_tables(settings, directory, **options)
    assert again.converged, [(t.physical, [c.summary() for c in (*t.changes, *t.held)]) for t in again.tables]


def describe(server: LocalDynamoDB, table: str = ORDERS) -> dict[str, Any]:
    result: dict[str, Any] = server.client().describe_table(TableName=table)["Table"]
    return result


def errors(server: LocalDynamoDB) -> list[tuple[str, str | None]]:
    return [(op["operation"], op["error"]) for op in server.server.operations() if op["error"]]


# -- each change kind ----------------------------------------------------------------------------------


def test_indexes_are_added_and_deleted_one_at_a_time(
    awslike_dynamodb: LocalDynamoDB, staging: Settings, tmp_path: Path
) -> None:
    before = table_file(GlobalSecondaryIndexes=[gsi("by-old", "old")])
    after = table_file(GlobalSecondaryIndexes=[gsi("by-a", "a"), gsi("by-b", "b"), gsi("by-c", "c")])
    plan, _ = converge_from(awslike_dynamodb, staging, tmp_path / "s", before, after=[after], allow_destroy=True)
    assert [c.summary() for c in plan.changes] == [
        "delete index by-old", "create index by-a (a, ALL)", "create index by-b (b, ALL)", "create index by-c (c, ALL)"]
    updates = [op for op in awslike_dynamodb.server.operations() if op["operation"] == "UpdateTable"]
    assert len(updates) == 4 and errors(awslike_dynamodb) == []  # never LimitExceeded: each build awaited
    gaps = [b["time"] - a["time"] for a, b in itertools.pairwise(updates[1:])]
    assert all(gap >= FAST_AWS_LIKE.index_create_seconds for gap in gaps)
    indexes = {i["IndexName"]: i["IndexStatus"] for i in describe(awslike_dynamodb)["GlobalSecondaryIndexes"]}
    assert indexes == {"by-a": "ACTIVE", "by-b": "ACTIVE", "by-c": "ACTIVE"}
    assert_converged(staging, tmp_path / "s")


def test_billing_switches_both_ways_with_index_throughput(
    awslike_dynamodb: LocalDynamoDB, staging: Settings, tmp_path: Path
) -> None:
    on_demand = table_file(GlobalSecondaryIndexes=[gsi("by-a", "a")])
    provisioned = table_file(BillingMode="PROVISIONED", ProvisionedThroughput=UNITS_5,
                             GlobalSecondaryIndexes=[gsi("by-a", "a", UNITS_2)])
    converge_from(awslike_dynamodb, staging, tmp_path / "s", on_demand, after=[provisioned])
    table = describe(awslike_dynamodb)
    assert table["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert table["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"]["WriteCapacityUnits"] == 2
    assert_converged(staging, tmp_path / "s")

    converge(staging, write(tmp_path / "s", on_demand))
    assert describe(awslike_dynamodb)["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert_converged(staging, tmp_path / "s")


@pytest.mark.parametrize(("before", "after", "requests"), [
    ({"StreamEnabled": False}, {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}, 1),
    ({"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}, {"StreamEnabled": False}, 1),
    pytest.param({"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
                 {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}, 2, id="view-change"),
], ids=["enable", "disable", "view-change"])
def test_stream_changes(awslike_dynamodb: LocalDynamoDB, staging: Settings, tmp_path: Path,
                        before: dict[str, Any], after: dict[str, Any], requests: int) -> None:
    converge_from(awslike_dynamodb, staging, tmp_path / "s", table_file(StreamSpecification=before),
                  after=[table_file(StreamSpecification=after)])
    assert mutations(awslike_dynamodb) == [("UpdateTable", ORDERS)] * requests
    stream = describe(awslike_dynamodb).get("StreamSpecification") or {"StreamEnabled": False}
    assert stream == after
    assert_converged(staging, tmp_path / "s")


def test_table_class_changes(awslike_dynamodb: LocalDynamoDB, staging: Settings, tmp_path: Path) -> None:
    converge_from(awslike_dynamodb, staging, tmp_path / "s", table_file(),
                  after=[table_file(TableClass="STANDARD_INFREQUENT_ACCESS")])
    assert describe(awslike_dynamodb)["TableClassSummary"]["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    assert_converged(staging, tmp_path / "s")


def test_sse_changes(awslike_dynamodb: LocalDynamoDB, staging: Settings, tmp_path: Path) -> None:
    converge_from(awslike_dynamodb, staging, tmp_path / "s", table_file(),
                  after=[table_file(SSESpecification={"Enabled": False})])
    assert "SSEDescription" not in describe(awslike_dynamodb)
    assert_converged(staging, tmp_path / "s")


def test_deletion_protection_is_enabled_but_disabled_only_with_allow_destroy(
    awslike_dynamodb: LocalDynamoDB, staging: Settings, tmp_path: Path
) -> None:
    directory = tmp_path / "s"
    protected = table_file(DeletionProtectionEnabled=True)
    converge_from(awslike_dynamodb, staging, directory, table_file(), after=[protected])
    assert describe(awslike_dynamodb)["DeletionProtectionEnabled"] is True

    write(directory, table_file())
    plan, report = converge(staging, directory)
    assert plan.changes == () and [c.summary() for c in plan.held] == ["DISABLE deletion protection"]
    assert report.results[0].outcome is Outcome.SKIPPED
    assert describe(awslike_dynamodb)["DeletionProtectionEnabled"] is True
    converge(staging, directory, allow_destroy=True)
    assert describe(awslike_dynamodb)["DeletionProtectionEnabled"] is False
    assert_converged(staging, directory)


def test_ttl_is_enabled_renamed_through_the_cool_down_and_disabled(
    quick_ttl: LocalDynamoDB, settings_for: SettingsFor, tmp_path: Path
) -> None:
    settings, directory = settings_for(quick_ttl, "staging"), tmp_path / "s"

    def ttl(name: str | None) -> dict[str, Any]:
        enabled = {"Enabled": True, "AttributeName": name} if name else {"Enabled": False}
        return table_file(TimeToLiveSpecification=enabled)

    def live_ttl() -> dict[str, Any]:
        result: dict[str, Any] = quick_ttl.client().describe_time_to_live(TableName=ORDERS)["TimeToLiveDescription"]
        return result

    converge_from(quick_ttl, settings, directory, ttl(None), after=[ttl("expires")])
    assert live_ttl() == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}

    quick_ttl.server.clear_operations()
    plan, report = converge(settings, write(directory, ttl("ttl")))
    assert report.ok and [c.summary() for c in plan.changes] == ["disable TTL on expires", "enable TTL on ttl"]
    refused = [e for op, e in errors(quick_ttl) if op == "UpdateTimeToLive"]
    assert refused, "the cool-down refused at least one attempt, which was retried"
    assert live_ttl() == {"TimeToLiveStatus": "ENABLED", "AttributeName": "ttl"}

    converge(settings, write(directory, ttl(None)))
    assert live_ttl()["TimeToLiveStatus"] == "DISABLED"
    assert_converged(settings, directory)


def test_a_ttl_cool_down_beyond_max_wait_says_to_run_apply_again_later(
    awslike_dynamodb: LocalDynamoDB, staging: Settings, tmp_path: Path
) -> None:
    # Creating the table with TTL counts as its first TTL change: the rename's disable meets the cool-down.
    directory = tmp_path / "s"
    converge(staging, write(directory, table_file(TimeToLiveSpecification={"Enabled": True, "AttributeName": "a"})))
    started = time.monotonic()
    _, report = converge(staging, write(directory, table_file(
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "b"})), max_wait=1.0)
    assert time.monotonic() - started < 10
    error = report.results[0].error
    assert isinstance(error, WaitTimeout)
    assert "disable TTL on a" in error.message and "one TTL change per table within about an hour" in error.message
    assert error.hint is not None and "run `ddbctl apply` again later" in error.hint
    remaining = [c.summary() for c in plan_tables(staging, directory).changes]
    assert remaining == ["disable TTL on a", "enable TTL on b"]


def test_pitr_is_enabled_and_disabled_only_with_allow_destroy(
    awslike_dynamodb: LocalDynamoDB, staging: Settings, tmp_path: Path
) -> None:
    directory = tmp_path / "s"
    off = table_file(PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False})
    converge_from(awslike_dynamodb, staging, directory, off, after=[table_file()])

    def status() -> str:
        backups = awslike_dynamodb.client().describe_continuous_backups(TableName=ORDERS)
        pitr = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
        return str(pitr["PointInTimeRecoveryStatus"])

    assert status() == "ENABLED"
    plan, _ = converge(staging, write(directory, off))
    assert plan.changes == () and status() == "ENABLED"
    converge(staging, directory, allow_destroy=True)
    assert status() == "DISABLED"
    assert_converged(staging, directory)


def test_tags_are_added_changed_and_removed(awslike_dynamodb: LocalDynamoDB, staging: Settings, tmp_path: Path) -> None:
    before = table_file(Tags=[{"Key": "team", "Value": "a"}, {"Key": "old", "Value": "x"}])
    after = table_file(Tags=[{"Key": "team", "Value": "b"}, {"Key": "cost", "Value": "42"}])
    converge_from(awslike_dynamodb, staging, tmp_path / "s", before, after=[after])
    assert mutations(awslike_dynamodb) == [("TagResource", ORDERS), ("UntagResource", ORDERS)]
    arn = describe(awslike_dynamodb)["TableArn"]
    tags = {t["Key"]: t["Value"] for t in awslike_dynamodb.client().list_tags_of_resource(ResourceArn=arn)["Tags"]}
    assert tags == {"team": "b", "cost": "42", "Environment": "staging", "ManagedBy": "ddbctl"}
    assert_converged(staging, tmp_path / "s")


def test_many_changes_on_many_tables_converge_in_one_apply(
    awslike_dynamodb: LocalDynamoDB, staging: Settings, example_dir: Path
) -> None:
    converge(staging, example_dir)
    expenses = json.loads((example_dir / "company-expenses.json").read_text())
    expenses["GlobalSecondaryIndexes"].append(gsi("by-status", "status"))
    expenses["AttributeDefinitions"].append({"AttributeName": "status", "AttributeType": "S"})
    expenses["Tags"].append({"Key": "cost-center", "Value": "42"})
    (example_dir / "company-expenses.json").write_text(json.dumps(expenses))
    companies = json.loads((example_dir / "companies.json").read_text())
    companies["DeletionProtectionEnabled"] = True
    (example_dir / "companies.json").write_text(json.dumps(companies))
    _, report = converge(staging, example_dir)
    assert report.ok and len(report.by(Outcome.UPDATED)) == 2 and len(report.by(Outcome.UNCHANGED)) == 11
    assert_converged(staging, example_dir)


# -- drift ---------------------------------------------------------------------------------------------


def test_an_index_added_by_hand_shows_as_drift_until_exported(
    awslike_dynamodb: LocalDynamoDB, staging: Settings, tmp_path: Path
) -> None:
    directory = write(tmp_path / "s", table_file())
    converge(staging, directory)
    client = awslike_dynamodb.client()
    client.update_table(TableName=ORDERS, AttributeDefinitions=[{"AttributeName": "h", "AttributeType": "S"}],
                        GlobalSecondaryIndexUpdates=[{"Create": gsi("by-hand", "h")}])
    plan = plan_tables(staging, directory)
    assert plan.table("orders").held == (DeleteIndex(ORDERS, index_name="by-hand"),)

    export_tables(staging, directory)  # accept the live state into the files instead
    assert "by-hand" in (directory / "orders.json").read_text()
    assert_converged(staging, directory)


def test_the_stuck_index_of_issue_8_converges_on_the_plain_server(
    dynamodb: LocalDynamoDB, settings_for: SettingsFor, tmp_path: Path
) -> None:
    """An index added by hand with only its own AttributeDefinition (the AWS CLI way): DynamoDB merges the
    definitions, and so does the plain local server now. The untouched index is not re-created, nothing is
    held, and apply then plan --detailed-exitcode agree that the table matches its file."""
    staging = settings_for(dynamodb, "staging")
    directory = write(tmp_path / "s", table_file(GlobalSecondaryIndexes=[gsi("by-name", "name")]))
    converge(staging, directory)
    dynamodb.client().update_table(
        TableName=ORDERS, AttributeDefinitions=[{"AttributeName": "email", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[{"Create": gsi("by-email", "email")}])
    write(directory, table_file(GlobalSecondaryIndexes=[gsi("by-name", "name"), gsi("by-email", "email")]))
    for allow_destroy in (False, True):
        plan = plan_tables(staging, directory, allow_destroy=allow_destroy)
        assert (plan.table("orders").status, plan.changes, plan.held) == (Status.UNCHANGED, (), ())
    types = {d["AttributeName"]: d["AttributeType"] for d in describe(dynamodb)["AttributeDefinitions"]}
    assert types == {"pk": "S", "name": "S", "email": "S"}
    command = [sys.executable, "-m", "ddbctl", "-e", "staging", "plan", "--dir", str(directory), "--detailed-exitcode"]
    checked = subprocess.run(command, check=False, env={**os.environ, **dynamodb.env}, capture_output=True)
    assert checked.returncode == 0, checked.stderr


# -- guards --------------------------------------------------------------------------------------------


def test_a_change_needing_a_new_table_is_refused_and_the_others_converge(
    awslike_dynamodb: LocalDynamoDB, staging: Settings, tmp_path: Path
) -> None:
    directory = write(tmp_path / "s", table_file(), table_file("users"))
    converge(staging, directory)
    new_keys = table_file(KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    new_keys["AttributeDefinitions"] = [{"AttributeName": "id", "AttributeType": "S"}]
    awslike_dynamodb.server.clear_operations()
    plan, report = converge(staging, write(directory, new_keys, table_file("users", StreamSpecification=KEYS_ONLY)))
    assert plan.table("orders").status is Status.REFUSED
    failed = report.by(Outcome.FAILED)
    assert [r.logical for r in failed] == ["orders"] and isinstance(failed[0].error, UnsafeChange)
    assert "key schema" in failed[0].error.message and "new table" in failed[0].error.message
    assert [r.logical for r in report.by(Outcome.UPDATED)] == ["users"]
    assert all(table != ORDERS for _, table in mutations(awslike_dynamodb))


def test_prune_deletes_only_unprotected_tables_and_only_with_allow_destroy(
    awslike_dynamodb: LocalDynamoDB, staging: Settings, tmp_path: Path
) -> None:
    protected = table_file("kept", DeletionProtectionEnabled=True)
    directory = write(tmp_path / "s", table_file(), table_file("legacy"), protected)
    converge(staging, directory)
    write(directory, table_file())
    held, _ = converge(staging, directory, prune=True)
    assert held.table("legacy").held == (DeleteTable(PREFIX + "legacy"),)
    assert awslike_dynamodb.client().describe_table(TableName=PREFIX + "legacy")
    plan, report = converge(staging, directory, prune=True, allow_destroy=True)
    assert plan.table("kept").status is Status.REFUSED
    assert [r.logical for r in report.by(Outcome.FAILED)] == ["kept"]
    names = awslike_dynamodb.client().list_tables()["TableNames"]
    assert PREFIX + "legacy" not in names and PREFIX + "kept" in names and ORDERS in names


def test_a_table_changed_between_plan_and_apply_fails_as_stale_and_the_others_go_on(
    awslike_dynamodb: LocalDynamoDB, staging: Settings, tmp_path: Path
) -> None:
    directory = write(tmp_path / "s", table_file(), table_file("users"))
    converge(staging, directory)
    tags = [{"Key": "a", "Value": "1"}]
    write(directory, table_file(Tags=tags), table_file("users", Tags=tags))
    plan = plan_tables(staging, directory)
    Dynamo(staging).call("UpdateTable", {"TableName": ORDERS, "DeletionProtectionEnabled": True})
    report = apply_plan(staging, plan, max_wait=MAX_WAIT, clock=QUICK_POLLS)
    failed = report.by(Outcome.FAILED)
    assert [r.logical for r in failed] == ["orders"] and isinstance(failed[0].error, StalePlan)
    assert [r.logical for r in report.by(Outcome.UPDATED)] == ["users"]
    arn = describe(awslike_dynamodb)["TableArn"]
    assert {"Key": "a", "Value": "1"} not in awslike_dynamodb.client().list_tags_of_resource(ResourceArn=arn)["Tags"]


# -- interruption and resume ---------------------------------------------------------------------------


def slow_plan_files(directory: Path) -> Path:
    """A table with a stream, three index builds and TTL, one with an index swapped, one to create."""
    indexes = [gsi(f"by-{key}", key) for key in ("a", "b", "c")]
    ttl = {"Enabled": True, "AttributeName": "ttl"}
    orders = table_file(GlobalSecondaryIndexes=indexes, TimeToLiveSpecification=ttl, StreamSpecification=KEYS_ONLY)
    return write(directory, orders, table_file("users", GlobalSecondaryIndexes=indexes[:2]), table_file("teams"))


def apply_command(server: LocalDynamoDB, directory: Path) -> tuple[list[str], dict[str, str]]:
    command = [*INTERRUPTIBLE_PYTHON, "-m", "ddbctl", "-e", "staging", "--endpoint-url", server.endpoint_url,
               "apply", "--dir", str(directory), "--yes", "--allow-destroy", "--max-wait", "900"]
    return command, {**os.environ, **server.env}


@pytest.mark.parametrize(("stop", "after_mutations"), [
    (signal.SIGKILL, 1), (signal.SIGINT, 3), (signal.SIGKILL, 5),
], ids=["kill-after-1", "ctrl-c-after-3", "kill-after-5"])
def test_an_interrupted_apply_converges_when_run_again(
    awslike_dynamodb: LocalDynamoDB, staging: Settings, tmp_path: Path, stop: signal.Signals, after_mutations: int
) -> None:
    directory = write(tmp_path / "s", table_file(), table_file("users", GlobalSecondaryIndexes=[gsi("by-z", "z")]))
    converge(staging, directory)
    slow_plan_files(directory)
    # The last of orders' three builds is held: the apply cannot finish before the signal, however
    # loaded the machine (it waited on a 0.6 s build before, and a slow poll here could miss it).
    awslike_dynamodb.server.hold(ORDERS, "by-c")
    awslike_dynamodb.server.clear_operations()
    command, env = apply_command(awslike_dynamodb, directory)
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while len(mutations(awslike_dynamodb)) < after_mutations:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.005)
    process.send_signal(stop)
    # A liveness bound, not a timing assertion: only a hang fails it (and shows every thread's stack).
    try:
        _, stderr = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail(f"apply did not exit within 120 s of {stop.name}:\n{dump_threads(process)}")
    if stop is signal.SIGINT:
        assert process.returncode == 130 and "run the command again" in stderr
    else:
        assert process.returncode == -stop
    awslike_dynamodb.server.release()
    unfinished = plan_tables(staging, directory, allow_destroy=True)
    assert not unfinished.converged, "interrupted mid-way"

    awslike_dynamodb.server.clear_operations()
    _, resumed = converge(staging, directory, allow_destroy=True)
    assert resumed.ok, [(r.physical, r.error) for r in resumed.results if r.error]
    assert errors(awslike_dynamodb) == [], "no completed step was repeated in a way DynamoDB refuses"
    assert_converged(staging, directory, allow_destroy=True)


# -- faults --------------------------------------------------------------------------------------------


def test_throttling_and_server_errors_are_ridden_out_and_the_state_is_exact(
    settings_for: SettingsFor, example_dir: Path
) -> None:
    for path in example_dir.glob("*.json"):
        if path.stem not in ("companies", "company-expenses", "pending-payments", "paddle-webhook-dlq"):
            path.unlink()
    options = replace(FAST_AWS_LIKE, throttle_rate=0.1, error_rate=0.02, seed=7, ttl_cooldown_seconds=0)
    with LocalServer(aws_like=options) as server:
        faulty = local_dynamodb(server)
        settings = settings_for(faulty, "staging")
        _, created = converge(settings, example_dir)
        assert created.ok and len(created.by(Outcome.CREATED)) == 4
        expenses = json.loads((example_dir / "company-expenses.json").read_text())
        expenses["GlobalSecondaryIndexes"].append(gsi("by-status", "status"))
        expenses["AttributeDefinitions"].append({"AttributeName": "status", "AttributeType": "S"})
        expenses["TimeToLiveSpecification"] = {"Enabled": True, "AttributeName": "expires"}
        (example_dir / "company-expenses.json").write_text(json.dumps(expenses))
        _, updated = converge(settings, example_dir)
        assert updated.ok and [r.logical for r in updated.by(Outcome.UPDATED)] == ["company-expenses"]
        assert_converged(settings, example_dir)
        codes = {error for _, error in errors(faulty)}
        assert {"ThrottlingException", "InternalServerError"} <= codes, "faults were injected and ridden out"


def test_apply_options_are_honoured_by_a_custom_server(settings_for: SettingsFor, tmp_path: Path) -> None:
    """An AWS-like server with slow index builds: a max-wait shorter than the build fails clearly."""
    with LocalServer(aws_like=AwsLikeOptions(table_create_seconds=0.1, index_create_seconds=5, seed=3)) as server:
        slow = local_dynamodb(server)
        settings = settings_for(slow, "staging")
        directory = write(tmp_path / "s", table_file())
        converge(settings, directory)
        write(directory, table_file(GlobalSecondaryIndexes=[gsi("by-a", "a"), gsi("by-b", "b")]))
        _, report = converge(settings, directory, max_wait=0.5)
        error = report.results[0].error
        assert isinstance(error, WaitTimeout) and "by-a" in error.message
        assert [c.summary() for c in report.results[0].done] == ["create index by-a (a, ALL)"]
