"""Native disaster recovery end to end, over HTTP, S3 served by the same local server:
native backup -> native restore, client backup in S3 -> native restore, native export -> client restore,
point-in-time restore of the 13 example tables, snapshots and apply --snapshot-first, refusals."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ddbctl.cli.main import cli
from ddbctl.config import Settings
from ddbctl.local import MUTATING_OPERATIONS
from ddbctl.local.pytest_plugin import LocalDynamoDB
from ddbctl.ops.backup import backup
from ddbctl.ops.native import native_backup

from .native_helpers import BUCKET, put_items, s3_client, sample_item, scan_all

PREFIX = "construction-expenses"
Run = Callable[..., Result]


@pytest.fixture
def ddbctl(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """``ddbctl ARGS`` in-process against a server (its endpoint serves DynamoDB and S3)."""

    def invoke(server: LocalDynamoDB, *args: str) -> Result:
        for variable in ("ENVIRONMENT", "TABLE_PREFIX", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB",
                         "AWS_ENDPOINT_URL_S3"):
            monkeypatch.delenv(variable, raising=False)
        return CliRunner().invoke(cli, list(args), env=server.env, catch_exceptions=False)

    return invoke


def _spec(name: str, *, gsi: bool = True, pitr: bool = True, protected: bool = True) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                 {"AttributeName": "kind", "AttributeType": "S"}] if gsi else
                                [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        "DeletionProtectionEnabled": protected,
        "TableClass": "STANDARD_INFREQUENT_ACCESS",
        "Tags": [{"Key": "team", "Value": "payments"}],
        "TimeToLiveSpecification": {"AttributeName": "expiresAt", "Enabled": True},
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": pitr},
    }
    if gsi:
        spec["GlobalSecondaryIndexes"] = [{"IndexName": "by-kind",
                                           "KeySchema": [{"AttributeName": "kind", "KeyType": "HASH"}],
                                           "Projection": {"ProjectionType": "ALL"}}]
    return spec


def _write_specs(directory: Path, *specs: dict[str, Any]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for spec in specs:
        (directory / f"{spec['TableName']}.json").write_text(json.dumps(spec, indent=2))
    return directory


def _physical(logical: str, environment: str = "production") -> str:
    return f"{PREFIX}-{logical}" if environment == "production" else f"{PREFIX}-{environment}-{logical}"


def _items(count: int) -> list[dict[str, Any]]:
    return [{**sample_item(n), "kind": {"S": f"k{n % 3}"}} for n in range(count)]


def _production(server: LocalDynamoDB, ddbctl: Run, specs: Path, counts: dict[str, int]) -> None:
    result = ddbctl(server, "create", "--dir", str(specs))
    assert result.exit_code == 0, result.output
    client = server.client(max_attempts=8)
    for logical, count in counts.items():
        put_items(client, _physical(logical), _items(count))
    s3_client(server).create_bucket(Bucket=BUCKET)


def _plan_is_empty(server: LocalDynamoDB, ddbctl: Run, specs: Path, environment: str) -> None:
    result = ddbctl(server, "plan", "--dir", str(specs), "-e", environment, "--detailed-exitcode")
    assert result.exit_code == 0, result.output


def _mutations(server: LocalDynamoDB) -> list[tuple[str, str | None]]:
    return [(op["operation"], op["table"]) for op in server.server.operations()
            if op["operation"] in MUTATING_OPERATIONS]


def test_native_backup_then_native_restore_into_another_environment(
        awslike_dynamodb: LocalDynamoDB, ddbctl: Run, settings_for: Callable[..., Settings], tmp_path: Path) -> None:
    server = awslike_dynamodb
    specs = _write_specs(tmp_path / "specs", _spec("orders"), _spec("events", gsi=False))
    _production(server, ddbctl, specs, {"orders": 1100, "events": 7})
    location = f"s3://{BUCKET}/dr/native-1"
    exported = ddbctl(server, "backup", "--native", "--to", location)
    assert exported.exit_code == 0, exported.output
    assert "native backup complete" in exported.output
    manifest = json.loads(s3_client(server).get_object(Bucket=BUCKET, Key="dr/native-1/ddbctl-backup.json")
                          ["Body"].read())
    assert manifest["kind"] == "native" and manifest["environment"] == "production"
    orders = manifest["tables"]["orders"]
    assert orders["itemCount"] == 1100 and orders["exportArn"].startswith("arn:aws:dynamodb:")
    assert orders["export"].startswith("tables/orders/AWSDynamoDB/") and len(orders["files"]) == 2
    assert sum(f["itemCount"] for f in orders["files"]) == 1100

    restored = ddbctl(server, "restore", "--native", "--from", location, "-e", "staging", "--dir", str(specs))
    assert restored.exit_code == 0, restored.output
    client = server.client(max_attempts=8)
    for logical in ("orders", "events"):
        assert scan_all(client, _physical(logical, "staging")) == scan_all(client, _physical(logical))
    tags = client.list_tags_of_resource(
        ResourceArn=client.describe_table(TableName=_physical("orders", "staging"))["Table"]["TableArn"])["Tags"]
    assert {"Key": "Environment", "Value": "staging"} in tags and {"Key": "ManagedBy", "Value": "ddbctl"} in tags
    _plan_is_empty(server, ddbctl, specs, "staging")

    # The targets exist now: a second native restore is refused before anything is created.
    server.server.clear_operations()
    again = ddbctl(server, "restore", "--native", "--from", location, "-e", "staging")
    assert again.exit_code == 2
    assert "exist already" in again.output and f"ddbctl restore --from {location} --overwrite" in again.output
    assert _mutations(server) == []


def test_client_backup_uploaded_to_s3_then_native_restore(
        dynamodb: LocalDynamoDB, ddbctl: Run, settings_for: Callable[..., Settings], tmp_path: Path) -> None:
    specs = _write_specs(tmp_path / "specs", _spec("orders"))
    _production(dynamodb, ddbctl, specs, {"orders": 40})
    location = f"s3://{BUCKET}/client-backup"
    assert backup(settings_for(dynamodb), location).manifest is not None  # the scan backup, written to S3
    verified = ddbctl(dynamodb, "backup", "verify", location)
    assert verified.exit_code == 0, verified.output
    assert f"Backup {location}" in verified.output and "1 table(s), 40 items" in verified.output
    restored = ddbctl(dynamodb, "restore", "--native", "--from", location, "-e", "dev", "--dir", str(specs))
    assert restored.exit_code == 0, restored.output
    client = dynamodb.client()
    assert scan_all(client, _physical("orders", "dev")) == scan_all(client, _physical("orders"))
    _plan_is_empty(dynamodb, ddbctl, specs, "dev")


def test_native_export_then_client_restore_into_an_existing_table(
        dynamodb: LocalDynamoDB, ddbctl: Run, settings_for: Callable[..., Settings], tmp_path: Path) -> None:
    specs = _write_specs(tmp_path / "specs", _spec("orders"))
    _production(dynamodb, ddbctl, specs, {"orders": 30})
    location = f"s3://{BUCKET}/native-2"
    assert native_backup(settings_for(dynamodb), location).ok
    assert ddbctl(dynamodb, "create", "--dir", str(specs), "-e", "staging").exit_code == 0  # the existing table
    restored = ddbctl(dynamodb, "restore", "--from", location, "-e", "staging")
    assert restored.exit_code == 0, restored.output
    client = dynamodb.client()
    assert scan_all(client, _physical("orders", "staging")) == scan_all(client, _physical("orders"))


def test_point_in_time_restore_of_the_13_example_tables_into_dr(
        dynamodb: LocalDynamoDB, ddbctl: Run, example_dir: Path) -> None:
    assert ddbctl(dynamodb, "create", "--dir", str(example_dir)).exit_code == 0
    client = dynamodb.client()
    client.put_item(TableName=_physical("companies"), Item={"companyId": {"S": "c1"}, "name": {"S": "ACME"}})
    sources = set(client.list_tables()["TableNames"])
    assert len(sources) == 13
    dynamodb.server.clear_operations()
    result = ddbctl(dynamodb, "restore", "--point-in-time", "latest", "-e", "dr", "--dir", str(example_dir))
    assert result.exit_code == 0, result.output
    _plan_is_empty(dynamodb, ddbctl, example_dir, "dr")
    assert scan_all(client, _physical("companies", "dr")) == scan_all(client, _physical("companies"))
    # The source is never modified: every mutating call names a dr table first.
    touched = {table for _, table in _mutations(dynamodb)}
    assert touched and not touched & sources
    restores = [op for op in dynamodb.server.operations() if op["operation"] == "RestoreTableToPointInTime"]
    assert len(restores) == 13


def test_apply_snapshot_first_before_an_index_deletion_and_the_snapshot_restores(
        dynamodb: LocalDynamoDB, ddbctl: Run, tmp_path: Path) -> None:
    before = _write_specs(tmp_path / "before", _spec("orders"))
    _production(dynamodb, ddbctl, before, {"orders": 12})
    after = _write_specs(tmp_path / "after", _spec("orders", gsi=False))
    dynamodb.server.clear_operations()
    applied = ddbctl(dynamodb, "apply", "--dir", str(after), "--yes", "--allow-destroy", "--snapshot-first")
    assert applied.exit_code == 0, applied.output
    assert f"snapshot {_physical('orders')}-" in applied.output
    operations = [op["operation"] for op in dynamodb.server.operations() if op["operation"] in MUTATING_OPERATIONS]
    assert operations.index("CreateBackup") < operations.index("UpdateTable")
    listed = ddbctl(dynamodb, "-o", "json", "snapshots")
    (snapshot,) = json.loads(listed.output)["snapshots"]
    assert snapshot["status"] == "AVAILABLE" and snapshot["name"].startswith(_physical("orders") + "-")
    restored = ddbctl(dynamodb, "restore", "--snapshot", "latest", "-e", "staging", "--dir", str(before))
    assert restored.exit_code == 0, restored.output
    client = dynamodb.client()
    staging = client.describe_table(TableName=_physical("orders", "staging"))["Table"]
    assert [index["IndexName"] for index in staging["GlobalSecondaryIndexes"]] == ["by-kind"]  # as it was
    assert len(scan_all(client, _physical("orders", "staging"))) == 12
    _plan_is_empty(dynamodb, ddbctl, before, "staging")


def test_a_table_without_pitr_is_refused_before_any_call(
        dynamodb: LocalDynamoDB, ddbctl: Run, settings_for: Callable[..., Settings], tmp_path: Path) -> None:
    specs = _write_specs(tmp_path / "specs", _spec("orders"), _spec("ledger", pitr=False))
    _production(dynamodb, ddbctl, specs, {"orders": 3})
    dynamodb.server.clear_operations()
    refused = ddbctl(dynamodb, "backup", "--native", "--to", f"s3://{BUCKET}/nopitr")
    assert refused.exit_code == 2, refused.output
    header, message = refused.output.splitlines()[0], next(
        line for line in refused.output.splitlines() if line.startswith("error:"))
    assert header == "Target: environment production, prefix construction-expenses"  # the target, first
    assert _physical("ledger") in message and _physical("orders") not in message
    assert '"PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true}' in refused.output
    assert "ddbctl apply" in refused.output and "Traceback" not in refused.output
    result = ddbctl(dynamodb, "restore", "--point-in-time", "latest", "-e", "dr")
    assert result.exit_code == 2 and "point-in-time recovery is off" in result.output
    assert _mutations(dynamodb) == []
    assert s3_client(dynamodb).list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0


def test_an_existing_target_is_refused_by_every_restore(dynamodb: LocalDynamoDB, ddbctl: Run, tmp_path: Path) -> None:
    specs = _write_specs(tmp_path / "specs", _spec("orders"))
    _production(dynamodb, ddbctl, specs, {"orders": 2})
    assert ddbctl(dynamodb, "create", "--dir", str(specs), "-e", "dr").exit_code == 0
    assert ddbctl(dynamodb, "snapshot").exit_code == 0
    dynamodb.server.clear_operations()
    for args in (("--point-in-time", "latest"), ("--snapshot", "latest")):
        result = ddbctl(dynamodb, "restore", *args, "-e", "dr")
        assert result.exit_code == 2, result.output
        assert f"exist already in environment dr: {_physical('orders', 'dr')}" in result.output
        assert "--overwrite" in result.output
    assert _mutations(dynamodb) == []


def test_an_interrupted_native_backup_continues_with_the_exports_it_started(
        local_server_factory: Callable[..., LocalDynamoDB], ddbctl: Run, settings_for: Callable[..., Settings],
        tmp_path: Path) -> None:
    from ddbctl.local import AwsLikeOptions  # noqa: PLC0415
    from ddbctl.ops.native import ExportOptions  # noqa: PLC0415

    server = local_server_factory(AwsLikeOptions(table_create_seconds=0.1, export_seconds=1.5, seed=3))
    specs = _write_specs(tmp_path / "specs", _spec("orders", gsi=False), _spec("events", gsi=False))
    _production(server, ddbctl, specs, {"orders": 5, "events": 3})
    location = f"s3://{BUCKET}/resumed"
    first = native_backup(settings_for(server), location, ExportOptions(max_wait=0))  # gives up at once
    assert not first.ok and all("still IN_PROGRESS" in job.detail for job in first.jobs)
    resumed = ddbctl(server, "backup", "--native", "--to", location)
    assert resumed.exit_code == 0, resumed.output
    exports = [op for op in server.server.operations() if op["operation"] == "ExportTableToPointInTime"]
    assert len(exports) == 2  # one per table, none started again
    again = ddbctl(server, "backup", "--native", "--to", location)
    assert again.exit_code == 0 and "already holds a complete backup" in again.output


def test_failed_exports_and_import_errors_are_reported_per_table(
        dynamodb: LocalDynamoDB, ddbctl: Run, tmp_path: Path) -> None:
    specs = _write_specs(tmp_path / "specs", _spec("orders", gsi=False))
    _production(dynamodb, ddbctl, specs, {"orders": 4})
    missing = ddbctl(dynamodb, "backup", "--native", "--to", "s3://no-such-bucket/x")
    assert missing.exit_code == 2 and "the bucket no-such-bucket does not exist" in missing.output
    dynamodb.server.inject_fault("ExportTableToPointInTime", _physical("orders"), "AccessDeniedException",
                                 "not authorized to perform dynamodb:ExportTableToPointInTime", times=1)
    failed = ddbctl(dynamodb, "backup", "--native", "--to", f"s3://{BUCKET}/refused")
    assert failed.exit_code == 1
    assert f"failed {_physical('orders')}: export not started: access denied" in failed.output
    assert "dynamodb:ExportTableToPointInTime on arn:aws:dynamodb:" in failed.output  # the table, not "*"
    assert f"table/{_physical('orders')}" in failed.output
    assert "AccessDeniedException" in failed.output
    # A backup whose data file has a line without the key: ImportTable counts it, ddbctl names the log group.
    location = f"s3://{BUCKET}/damaged"
    assert ddbctl(dynamodb, "backup", "--native", "--to", location).exit_code == 0
    s3 = s3_client(dynamodb)
    manifest = json.loads(s3.get_object(Bucket=BUCKET, Key="damaged/ddbctl-backup.json")["Body"].read())
    import gzip  # noqa: PLC0415

    key = "damaged/" + manifest["tables"]["orders"]["export"] + "/data/extra.json.gz"
    s3.put_object(Bucket=BUCKET, Key=key, Body=gzip.compress(b'{"Item":{"other":{"S":"no key"}}}\n'))
    restored = ddbctl(dynamodb, "restore", "--native", "--from", location, "-e", "staging")
    assert restored.exit_code == 1
    assert "1 item(s) could not be imported" in restored.output and "/aws-dynamodb/imports" in restored.output


def test_incremental_exports_are_written_and_refused_by_import(
        dynamodb: LocalDynamoDB, ddbctl: Run, tmp_path: Path) -> None:
    specs = _write_specs(tmp_path / "specs", _spec("orders", gsi=False))
    _production(dynamodb, ddbctl, specs, {"orders": 2})
    location = f"s3://{BUCKET}/incremental"
    result = ddbctl(dynamodb, "backup", "--native", "--to", location, "--incremental-since", "2026-11-30T00:00:00Z")
    assert result.exit_code == 0, result.output
    (export,) = [op for op in dynamodb.server.operations() if op["operation"] == "ExportTableToPointInTime"]
    assert export["status"] == 200
    manifest = json.loads(s3_client(dynamodb).get_object(Bucket=BUCKET, Key="incremental/ddbctl-backup.json")
                          ["Body"].read())
    assert manifest["exportType"] == "INCREMENTAL_EXPORT"
    refused = ddbctl(dynamodb, "restore", "--native", "--from", location, "-e", "staging")
    assert refused.exit_code == 2 and "incremental export" in refused.output


def test_point_in_time_restore_waits_for_creating_tables_on_the_aws_like_server(
        awslike_dynamodb: LocalDynamoDB, ddbctl: Run, tmp_path: Path) -> None:
    specs = _write_specs(tmp_path / "specs", _spec("orders"))
    _production(awslike_dynamodb, ddbctl, specs, {"orders": 6})
    result = ddbctl(awslike_dynamodb, "restore", "--point-in-time", "2026-12-01T08:30:00Z", "-e", "dr",
                    "--dir", str(specs))
    assert result.exit_code == 0, result.output
    restore = next(op for op in awslike_dynamodb.server.operations() if op["operation"] == "RestoreTableToPointInTime")
    describes = [op for op in awslike_dynamodb.server.operations()
                 if op["operation"] == "DescribeTable" and op["table"] == _physical("orders", "dr")
                 and op["time"] > restore["time"]]
    assert len(describes) >= 2  # waited while the restored table was CREATING
    _plan_is_empty(awslike_dynamodb, ddbctl, specs, "dr")
    client = awslike_dynamodb.client(max_attempts=8)
    assert scan_all(client, _physical("orders", "dr")) == scan_all(client, _physical("orders"))


def test_a_rerun_continues_the_restores_and_imports_an_interrupted_run_started(
        local_server_factory: Callable[..., LocalDynamoDB], ddbctl: Run, settings_for: Callable[..., Settings],
        tmp_path: Path) -> None:
    from ddbctl.local import AwsLikeOptions  # noqa: PLC0415

    # Long enough that the re-run, however slowly a loaded machine starts it, finds them still in progress.
    server = local_server_factory(AwsLikeOptions(table_create_seconds=0.1, import_seconds=8, restore_seconds=8,
                                                 export_seconds=0.1, seed=5))
    specs = _write_specs(tmp_path / "specs", _spec("orders"))
    _production(server, ddbctl, specs, {"orders": 9})
    client = server.client(max_attempts=8)
    # What a run killed right after sending its request leaves: a restore still CREATING the dr table...
    client.restore_table_to_point_in_time(SourceTableName=_physical("orders"),
                                          TargetTableName=_physical("orders", "dr"), UseLatestRestorableTime=True)
    result = ddbctl(server, "restore", "--point-in-time", "latest", "-e", "dr", "--dir", str(specs))
    assert result.exit_code == 0, result.output
    assert [op["operation"] for op in server.server.operations()].count("RestoreTableToPointInTime") == 1
    _plan_is_empty(server, ddbctl, specs, "dr")
    # ... and an import still IN_PROGRESS.
    location = f"s3://{BUCKET}/rerun"
    assert native_backup(settings_for(server), location).ok
    manifest = json.loads(s3_client(server).get_object(Bucket=BUCKET, Key="rerun/ddbctl-backup.json")["Body"].read())
    spec = json.loads((specs / "orders.json").read_text())
    client.import_table(
        S3BucketSource={"S3Bucket": BUCKET, "S3KeyPrefix": f"rerun/{manifest['tables']['orders']['export']}/data/"},
        InputFormat="DYNAMODB_JSON", InputCompressionType="GZIP",
        TableCreationParameters={"TableName": _physical("orders", "staging"), "KeySchema": spec["KeySchema"],
                                 "AttributeDefinitions": spec["AttributeDefinitions"],
                                 "BillingMode": "PAY_PER_REQUEST",
                                 "GlobalSecondaryIndexes": spec["GlobalSecondaryIndexes"]})
    result = ddbctl(server, "restore", "--native", "--from", location, "-e", "staging", "--dir", str(specs))
    assert result.exit_code == 0, result.output
    assert [op["operation"] for op in server.server.operations()].count("ImportTable") == 1
    assert scan_all(client, _physical("orders", "staging")) == scan_all(client, _physical("orders"))
    _plan_is_empty(server, ddbctl, specs, "staging")
    # Once finished, the same restore again is refused: its tables exist and may have changed since.
    again = ddbctl(server, "restore", "--native", "--from", location, "-e", "staging")
    assert again.exit_code == 2 and "exist already" in again.output


def test_a_deleted_production_table_comes_back_from_its_snapshot(dynamodb: LocalDynamoDB, ddbctl: Run,
                                                                 tmp_path: Path) -> None:
    specs = _write_specs(tmp_path / "specs", _spec("ledger", protected=False), _spec("orders"))
    _production(dynamodb, ddbctl, specs, {"ledger": 8, "orders": 2})
    client = dynamodb.client()
    before = scan_all(client, _physical("ledger"))
    assert ddbctl(dynamodb, "snapshot", "--table", "ledger").exit_code == 0
    client.delete_table(TableName=_physical("ledger"))
    client.get_waiter("table_not_exists").wait(TableName=_physical("ledger"), WaiterConfig={"Delay": 0.1})
    listed = ddbctl(dynamodb, "snapshots")
    assert f"{_physical('ledger')}-" in listed.output  # a deleted table's snapshots are still listed
    restored = ddbctl(dynamodb, "restore", "--snapshot", "latest", "--dir", str(specs))  # into production again
    assert restored.exit_code == 0, restored.output
    assert scan_all(client, _physical("ledger")) == before
    _plan_is_empty(dynamodb, ddbctl, specs, "production")
