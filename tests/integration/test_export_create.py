"""export and create against a real DynamoDB-compatible server over HTTP (plain moto and AWS-like)."""

from __future__ import annotations

import filecmp
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ddbctl import create_tables, export_tables
from ddbctl.config import Settings
from ddbctl.errors import CredentialsError, EndpointError, SpecError, TableNotFound
from ddbctl.execute import Outcome
from ddbctl.local import AwsLikeOptions
from ddbctl.local.pytest_plugin import LocalDynamoDB, ServerPool
from ddbctl.ops.create import CreateResult

from ..gsi_tables import wait_until
from .conftest import mutations

SettingsFor = Callable[..., Settings]
STAGING = "construction-expenses-staging-"


def test_create_then_export_round_trips_in_another_environment(
    any_dynamodb: LocalDynamoDB, settings_for: SettingsFor, example_dir: Path, tmp_path: Path
) -> None:
    production = settings_for(any_dynamodb, "production")
    created = create_tables(production, example_dir)
    assert created.report is not None and len(created.report.by(Outcome.CREATED)) == 13

    first = tmp_path / "first"
    exported = export_tables(production, first)
    assert len(exported.files) == 13 and (first / "table-summary.txt").is_file()

    staging = settings_for(any_dynamodb, "staging")
    again = create_tables(staging, first)
    assert again.report is not None and len(again.report.by(Outcome.CREATED)) == 13
    second = tmp_path / "second"
    export_tables(staging, second)
    names = sorted(p.name for p in first.glob("*.json"))
    match, mismatch, errors = filecmp.cmpfiles(first, second, names, shallow=False)
    assert mismatch == [] and errors == [] and len(match) == 13

    expenses = (first / "company-expenses.json").read_text()
    assert '"StreamViewType": "NEW_AND_OLD_IMAGES"' in expenses and '"by-amount"' in expenses
    dlq = (first / "paddle-webhook-dlq.json").read_text()
    assert '"AttributeName": "ttl"' in dlq and '"Enabled": true' in dlq


def test_create_applies_the_seed_defaults_and_environment_tags(
    any_dynamodb: LocalDynamoDB, settings_for: SettingsFor, example_dir: Path
) -> None:
    create_tables(settings_for(any_dynamodb, "staging"), example_dir)
    client = any_dynamodb.client()
    table = client.describe_table(TableName=STAGING + "pending-payments")["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["SSEDescription"]["Status"] == "ENABLED"
    ttl = client.describe_time_to_live(TableName=STAGING + "pending-payments")["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "ttl"}
    pitr = client.describe_continuous_backups(TableName=STAGING + "pending-payments")
    assert pitr["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == (
        "ENABLED")
    tags = {t["Key"]: t["Value"] for t in client.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"]}
    assert tags["Environment"] == "staging" and tags["ManagedBy"] == "ddbctl" and tags["Team"] == "platform"
    no_ttl = client.describe_time_to_live(TableName=STAGING + "companies")["TimeToLiveDescription"]
    assert no_ttl["TimeToLiveStatus"] == "DISABLED"


def test_a_second_create_sends_no_mutating_call(
    any_dynamodb: LocalDynamoDB, settings_for: SettingsFor, example_dir: Path
) -> None:
    settings = settings_for(any_dynamodb, "staging")
    create_tables(settings, example_dir)
    any_dynamodb.server.clear_operations()
    result = create_tables(settings, example_dir)
    assert result.report is not None and len(result.report.by(Outcome.SKIPPED)) == 13
    assert mutations(any_dynamodb) == []
    assert all(not t.drift for t in result.plan.tables)


def test_an_existing_table_that_differs_is_reported(
    dynamodb: LocalDynamoDB, settings_for: SettingsFor, example_dir: Path
) -> None:
    settings = settings_for(dynamodb, "staging")
    create_tables(settings, example_dir)
    client = dynamodb.client()
    client.update_table(TableName=STAGING + "companies", TableClass="STANDARD_INFREQUENT_ACCESS")
    client.update_time_to_live(
        TableName=STAGING + "companies", TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    dynamodb.server.clear_operations()
    result = create_tables(settings, example_dir)
    # create reads DescribeTable only (the seed's IAM policy grants no other read): what it shows is
    # reported; TTL, PITR and tags are plan's to compare.
    assert result.plan.table("companies").drift == ("table class -> STANDARD",)
    sent = {op["operation"] for op in dynamodb.server.operations()}
    assert sent == {"ListTables", "DescribeTable", "ListTagsOfResource"}  # the tags prove ownership


def test_dry_run_sends_nothing_and_shows_what_a_real_run_sends(
    any_dynamodb: LocalDynamoDB, settings_for: SettingsFor, example_dir: Path
) -> None:
    settings = settings_for(any_dynamodb, "dev")
    dry = create_tables(settings, example_dir, dry_run=True)
    assert dry.report is None
    assert mutations(any_dynamodb) == []
    shown = [(r.operation, r.params.get("TableName")) for c in dry.plan.changes for r in c.requests()]
    assert len(shown) == 13 + 13 + 2  # CreateTable and PITR for each table, TTL for two
    create_tables(settings, example_dir, concurrency=1)
    assert mutations(any_dynamodb) == shown


def test_other_environments_and_prefixes_are_never_touched(
    any_dynamodb: LocalDynamoDB, settings_for: SettingsFor, example_dir: Path, tmp_path: Path
) -> None:
    client = any_dynamodb.client()
    key = {"AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
           "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}
    for name in ("construction-expenses-companies", "construction-expenses-dev-companies",
                 "other-app-companies", "construction-expenses-audit"):
        client.create_table(TableName=name, **key)
    arn = client.describe_table(TableName="construction-expenses-audit")["Table"]["TableArn"]
    client.tag_resource(ResourceArn=arn, Tags=[{"Key": "Environment", "Value": "qa"}])
    arn = client.describe_table(TableName="construction-expenses-companies")["Table"]["TableArn"]
    client.tag_resource(ResourceArn=arn, Tags=[{"Key": "Environment", "Value": "production"}])
    any_dynamodb.server.clear_operations()

    create_tables(settings_for(any_dynamodb, "staging"), example_dir)
    touched = {table for _, table in mutations(any_dynamodb)}
    assert touched and all(t is not None and t.startswith(STAGING) for t in touched)

    exported = export_tables(settings_for(any_dynamodb, "production"), tmp_path / "out")
    assert [p.name for p in exported.files] == ["companies.json"]
    assert exported.live.foreign == ("construction-expenses-audit",)


def test_one_failing_table_does_not_stop_the_others(
    any_dynamodb: LocalDynamoDB, settings_for: SettingsFor, example_dir: Path
) -> None:
    any_dynamodb.server.inject_fault("CreateTable", STAGING + "companies", "AccessDeniedException",
                                 "User is not authorized to perform: dynamodb:CreateTable")
    result = create_tables(settings_for(any_dynamodb, "staging"), example_dir)
    assert result.report is not None and not result.report.ok
    failed = result.report.by(Outcome.FAILED)
    assert [r.logical for r in failed] == ["companies"]
    assert failed[0].error is not None and "AccessDeniedException" in failed[0].error.message
    assert failed[0].error.hint is not None and "dynamodb:CreateTable" in failed[0].error.hint
    assert len(result.report.by(Outcome.CREATED)) == 12


def test_bad_files_are_rejected_before_any_call(
    dynamodb: LocalDynamoDB, settings_for: SettingsFor, example_dir: Path
) -> None:
    (example_dir / "companies.json").write_text('{"TableName": "companies"}')
    with pytest.raises(SpecError, match=r"companies\.json:/AttributeDefinitions: required field is missing"):
        create_tables(settings_for(dynamodb, "staging"), example_dir)
    assert dynamodb.server.operations() == []


def test_export_of_a_named_table_and_of_a_missing_one(
    dynamodb: LocalDynamoDB, settings_for: SettingsFor, example_dir: Path, tmp_path: Path
) -> None:
    settings = settings_for(dynamodb, "staging")
    create_tables(settings, example_dir)
    exported = export_tables(settings, tmp_path, ["companies", STAGING + "company-users"])
    assert sorted(p.name for p in exported.files) == ["companies.json", "company-users.json"]
    dynamodb.server.clear_operations()
    with pytest.raises(TableNotFound, match=STAGING + "nope"):
        export_tables(settings, tmp_path / "missing", ["nope"])
    assert mutations(dynamodb) == []
    assert not (tmp_path / "missing").exists(), "nothing is written when a named table is missing"


def test_export_sends_only_reads(dynamodb: LocalDynamoDB, settings_for: SettingsFor, example_dir: Path,
                                 tmp_path: Path) -> None:
    settings = settings_for(dynamodb, "staging")
    create_tables(settings, example_dir)
    dynamodb.server.clear_operations()
    export_tables(settings, tmp_path)
    operations = [op["operation"] for op in dynamodb.server.operations()]
    assert mutations(dynamodb) == []
    per_table = {"DescribeTable", "DescribeTimeToLive", "DescribeContinuousBackups", "ListTagsOfResource"}
    per_key = {"kms:DescribeKey", "kms:ListAliases"}  # KMS: is the SSE key AWS managed, has it an alias
    assert set(operations) == per_table | per_key | {"ListTables"}
    assert len(operations) <= 2 + 4 * 13 + 2  # probe and listing, four reads per table, two per KMS key


def test_missing_credentials_fail_fast(
    dynamodb: LocalDynamoDB, settings_for: SettingsFor, example_dir: Path, monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    settings = settings_for(dynamodb, "staging")
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    started = time.monotonic()
    with pytest.raises(CredentialsError, match="no AWS credentials found"):
        create_tables(settings, example_dir)
    assert time.monotonic() - started < 30  # no retry loop over missing credentials (botocore's would take minutes)
    assert dynamodb.server.operations() == []


def test_unreachable_endpoint_fails_fast(settings_for: SettingsFor, example_dir: Path,
                                         local_server_factory: Callable[..., LocalDynamoDB]) -> None:
    server = local_server_factory()
    settings = settings_for(server)
    server.server.stop()  # a port that was just free: nothing listens there now
    started = time.monotonic()
    with pytest.raises(EndpointError, match=r"cannot reach DynamoDB at http://127\.0\.0\.1"):
        create_tables(settings, example_dir)
    assert time.monotonic() - started < 10


@pytest.mark.awslike
def test_create_sends_the_create_requests_concurrently(
    local_servers: ServerPool, settings_for: SettingsFor, example_dir: Path
) -> None:
    # Every table stays CREATING until released: one-after-another creation would send one CreateTable
    # and wait; concurrent creation sends as many as its concurrency (4 here) before any is ACTIVE.
    server = local_servers.fresh(AwsLikeOptions(table_create_seconds=0, seed=7))
    for path in example_dir.glob("*.json"):
        server.server.hold(STAGING + path.stem)
    settings = settings_for(server, "staging")
    outcome: list[object] = []
    creating = threading.Thread(target=lambda: outcome.append(create_tables(settings, example_dir, concurrency=4)))
    creating.start()
    try:
        wait_until(lambda: sum(op["operation"] == "CreateTable" for op in server.server.operations()) >= 4,
                   what="4 CreateTable requests while no table is ACTIVE")
    finally:
        server.server.release()
        creating.join(timeout=120)
    (result,) = outcome
    assert isinstance(result, CreateResult) and result.report is not None and result.report.ok


def test_create_waits_for_active_before_ttl_and_pitr(
    local_server_factory: Callable[..., LocalDynamoDB], settings_for: SettingsFor, example_dir: Path
) -> None:
    # PITR is refused for 3 s after ACTIVE: long enough that ddbctl, polling, meets the refusal on a loaded machine.
    server = local_server_factory(AwsLikeOptions(table_create_seconds=1.0, pitr_unavailable_seconds=3.0, seed=7))
    settings = settings_for(server, "staging")
    result = create_tables(settings, example_dir)
    assert result.report is not None and result.report.ok, result.report
    assert len(result.report.by(Outcome.CREATED)) == 13
    client = server.client()
    for name in ("pending-payments", "paddle-webhook-dlq"):
        ttl = client.describe_time_to_live(TableName=STAGING + name)["TimeToLiveDescription"]
        assert ttl["TimeToLiveStatus"] == "ENABLED"
    refused = [op for op in server.server.operations() if op["error"] == "ContinuousBackupsUnavailableException"]
    assert refused, "the server refused early PITR updates, and ddbctl retried them"
    described = client.describe_continuous_backups(TableName=STAGING + "companies")
    assert described["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"][
        "PointInTimeRecoveryStatus"] == "ENABLED"
