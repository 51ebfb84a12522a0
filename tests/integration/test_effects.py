"""Effects are verified, not assumed (issue 8 item 4), and ddbctl's own retries are its own (issue 13).

A server that accepts a request and ignores it ("ignore" fault) makes the step fail with
"<Operation> accepted but <effect> never appeared", never "created"/"updated"; a server whose reads show a
change only after a few of them ("stale" fault) still succeeds. The retry tests use a client with ONE
botocore attempt per call, so every re-send in the server's log is ddbctl's own (botocore's standard mode
would absorb up to 8 attempts of LimitExceeded on its own).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ddbctl.config import Settings, load_settings
from ddbctl.errors import EffectNotSeen
from ddbctl.execute import Outcome
from ddbctl.local import AwsLikeOptions
from ddbctl.local.pytest_plugin import LocalDynamoDB
from ddbctl.ops.converge import apply_plan, plan_tables
from ddbctl.ops.create import create_tables
from ddbctl.ops.gsi import IndexOutcome, add_gsi
from ddbctl.ops.gsi_input import GsiInput, request_from_input
from ddbctl.ops.session import connect
from ddbctl.waiting import Clock

from ..gsi_tables import COMPANIES, create_table

QUICK = Clock(sleep=lambda seconds: time.sleep(min(seconds, 0.05)))
STAGING = "construction-expenses-staging-"
ORDERS = STAGING + "orders"


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def settings_for(db: LocalDynamoDB, environment: str = "production") -> Settings:
    return load_settings({"endpoint_url": db.endpoint_url, "region": db.region, "environment": environment},
                         environ={})


def email_index() -> Any:
    return request_from_input(GsiInput(table="companies", index="by-email", partition_key="email:S"), {})


def calls(db: LocalDynamoDB, operation: str) -> list[str | None]:
    """The error code (None: success) of each ``operation`` the server received, in order."""
    return [o["error"] for o in db.server.operations() if o["operation"] == operation]


def write(directory: Path, **fields: Any) -> Path:
    directory.mkdir(exist_ok=True)
    indexes = fields.get("GlobalSecondaryIndexes", [])
    used = sorted({"pk", *(k["AttributeName"] for index in indexes for k in index["KeySchema"])})
    document = {"TableName": "orders", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": n, "AttributeType": "S"} for n in used], **fields}
    (directory / "orders.json").write_text(json.dumps(document))
    return directory


def apply_dir(settings: Settings, directory: Path, max_wait: float = 20.0, **options: Any) -> Any:
    context = connect(settings, max_attempts=options.pop("max_attempts", 8))
    plan = plan_tables(settings, directory, context=context, allow_destroy=True, **options)
    return apply_plan(settings, plan, max_wait=max_wait, context=context, clock=QUICK)


BY_TOKEN = {"IndexName": "by-token", "KeySchema": [{"AttributeName": "token", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"}}


# -- a server that ignores requests ---------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["plain", "awslike"])
def test_add_gsi_on_a_server_ignoring_update_table_fails_instead_of_created(
    mode: str, request: pytest.FixtureRequest
) -> None:
    db: LocalDynamoDB = request.getfixturevalue("dynamodb" if mode == "plain" else "awslike_dynamodb")
    create_table(db)
    db.server.inject_fault("UpdateTable", COMPANIES, action="ignore")
    result = add_gsi(settings_for(db), email_index(), max_wait=1.0, clock=QUICK)
    [index] = result.indexes
    assert index.outcome is IndexOutcome.FAILED
    assert isinstance(index.error, EffectNotSeen) and index.error.exit_code == 1
    assert index.error.message.startswith(f"{COMPANIES}: UpdateTable accepted but index by-email never appeared "
                                          "after ")
    assert index.error.message.endswith("s (--max-wait 1)")
    assert index.error.hint == ("the endpoint answered success without making the change; check that it is "
                                "DynamoDB (or a server that carries out this request), then run the command again")
    assert calls(db, "UpdateTable") == [None]  # sent once, answered with success, and not believed


@pytest.mark.parametrize(("operation", "after"), [
    ("UpdateTable", {}),  # deleting index by-token
    ("UpdateTimeToLive", {"GlobalSecondaryIndexes": [BY_TOKEN],
                          "TimeToLiveSpecification": {"Enabled": True, "AttributeName": "expires"}}),
    ("UpdateContinuousBackups", {"GlobalSecondaryIndexes": [BY_TOKEN],
                                 "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": False}}),
    ("TagResource", {"GlobalSecondaryIndexes": [BY_TOKEN], "Tags": [{"Key": "team", "Value": "x"}]}),
    ("UntagResource", {"GlobalSecondaryIndexes": [BY_TOKEN]}),
])
def test_apply_on_a_server_ignoring_a_change_fails_the_table_instead_of_updated(
    awslike_dynamodb: LocalDynamoDB, tmp_path: Path, operation: str, after: dict[str, Any]
) -> None:
    settings = settings_for(awslike_dynamodb, "staging")
    before = {"GlobalSecondaryIndexes": [BY_TOKEN], "Tags": [{"Key": "owner", "Value": "me"}]}
    report = apply_dir(settings, write(tmp_path / "s", **before))
    assert report.ok, report
    awslike_dynamodb.server.inject_fault(operation, ORDERS, action="ignore")
    report = apply_dir(settings, write(tmp_path / "s", **after), max_wait=1.0)
    [result] = report.results
    assert result.outcome is Outcome.FAILED, result
    assert isinstance(result.error, EffectNotSeen)
    assert f"{ORDERS}: {operation} accepted but " in result.error.message
    assert "never appeared after" in result.error.message


def test_a_server_showing_changes_late_still_succeeds(awslike_dynamodb: LocalDynamoDB, tmp_path: Path) -> None:
    """Eventually consistent reads: the reads after each change still show the old state a few times."""
    settings = settings_for(awslike_dynamodb, "staging")
    report = apply_dir(settings, write(tmp_path / "s", GlobalSecondaryIndexes=[BY_TOKEN]))
    assert report.ok, report
    server = awslike_dynamodb.server
    # plan and apply's recheck read each of these once; the rest are the waits' reads after the changes.
    for read, times in (("DescribeTable", 5), ("DescribeTimeToLive", 5), ("ListTagsOfResource", 5)):
        server.inject_fault(read, ORDERS, action="stale", times=times)
    other = {**BY_TOKEN, "IndexName": "by-other"}
    directory = write(tmp_path / "s", GlobalSecondaryIndexes=[BY_TOKEN, other], Tags=[{"Key": "team", "Value": "x"}],
                      TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    report = apply_dir(settings, directory)
    assert report.ok, [(r.physical, r.error) for r in report.results]
    assert server.faults() == []  # every stale answer was given, and ddbctl read past them
    assert plan_tables(settings, directory).converged


# -- ddbctl's own retries: one botocore attempt per call ---------------------------------------------------


@pytest.mark.parametrize("code", ["LimitExceededException", "ResourceInUseException"])
def test_add_gsi_resends_after_busy_answers_itself(awslike_dynamodb: LocalDynamoDB, code: str) -> None:
    create_table(awslike_dynamodb)
    settings = settings_for(awslike_dynamodb)
    awslike_dynamodb.server.inject_fault("UpdateTable", COMPANIES, code, "busy", times=2)
    result = add_gsi(settings, email_index(), context=connect(settings, max_attempts=1), clock=QUICK)
    assert [r.outcome for r in result.indexes] == [IndexOutcome.CREATED], result.error
    assert calls(awslike_dynamodb, "UpdateTable") == [code, code, None]


def test_a_busy_answer_while_the_table_is_updating_is_waited_out(
    local_server_factory: Callable[..., LocalDynamoDB], tmp_path: Path
) -> None:
    """A real ResourceInUseException (the table is UPDATING, though a stale read said ACTIVE): ddbctl
    waits for ACTIVE and sends the same request again; botocore makes one attempt only."""
    db = local_server_factory(AwsLikeOptions(table_create_seconds=0, table_update_seconds=5.0, seed=1))
    settings = settings_for(db, "staging")
    assert apply_dir(settings, write(tmp_path / "s")).ok
    db.server.inject_fault("DescribeTable", ORDERS, action="stale", times=2)  # plan's and the recheck's reads
    db.client().update_table(TableName=ORDERS, StreamSpecification={"StreamEnabled": True,
                                                                     "StreamViewType": "KEYS_ONLY"})
    db.server.clear_operations()
    report = apply_dir(settings, write(tmp_path / "s", TableClass="STANDARD_INFREQUENT_ACCESS"), max_attempts=1)
    assert report.ok, [(r.physical, r.error) for r in report.results]
    assert calls(db, "UpdateTable") == ["ResourceInUseException", None]
    assert db.client().describe_table(TableName=ORDERS)["Table"]["TableClassSummary"]["TableClass"] == (
        "STANDARD_INFREQUENT_ACCESS")


def test_pitr_unavailable_is_retried_by_ddbctl(awslike_dynamodb: LocalDynamoDB, tmp_path: Path) -> None:
    settings = settings_for(awslike_dynamodb, "staging")
    awslike_dynamodb.server.inject_fault("UpdateContinuousBackups", ORDERS, "ContinuousBackupsUnavailableException",
                                         "Backups are being enabled", times=3)
    context = connect(settings, max_attempts=1)
    result = create_tables(settings, write(tmp_path / "s"), context=context)
    assert result.report is not None and result.report.ok, result.report
    assert calls(awslike_dynamodb, "UpdateContinuousBackups") == ["ContinuousBackupsUnavailableException"] * 3 + [None]


def test_the_ttl_cool_down_is_waited_out_by_ddbctl(awslike_dynamodb: LocalDynamoDB, tmp_path: Path) -> None:
    settings = settings_for(awslike_dynamodb, "staging")
    assert apply_dir(settings, write(tmp_path / "s")).ok
    awslike_dynamodb.server.inject_fault("UpdateTimeToLive", ORDERS, "ValidationException",
                                         "Time to live has been modified multiple times within a fixed interval",
                                         times=3)
    report = apply_dir(settings, write(tmp_path / "s", TimeToLiveSpecification={"Enabled": True,
                                                                                 "AttributeName": "expires"}),
                       max_attempts=1)
    assert report.ok, [(r.physical, r.error) for r in report.results]
    assert calls(awslike_dynamodb, "UpdateTimeToLive") == ["ValidationException"] * 3 + [None]
