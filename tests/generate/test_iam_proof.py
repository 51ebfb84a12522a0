"""Proof, not assertion: each command runs against the local server, and the operations it really sent
(the server's operation log) are exactly ``ddbctl.permissions.OPERATIONS[command]`` over its runs, and
the generated policy for that command allows every one of them on the tables it touched."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ddbctl.cli.main import cli
from ddbctl.generate import iam
from ddbctl.local.pytest_plugin import FAST_AWS_LIKE, LocalDynamoDB, ServerPool
from ddbctl.permissions import INFORMATIONAL, OPERATIONS, RESTORED

from .specs import write_specs

ACCOUNT = "123456789012"
ENVIRONMENT = "staging"
STEM = f"construction-expenses-{ENVIRONMENT}-"


def _key(name: str, kind: str = "HASH") -> dict[str, str]:
    return {"AttributeName": name, "KeyType": kind}


def _attr(name: str, kind: str = "S") -> dict[str, str]:
    return {"AttributeName": name, "AttributeType": kind}


ORDERS: dict[str, Any] = {
    "TableName": "orders",
    "AttributeDefinitions": [_attr("id"), _attr("customer")],
    "KeySchema": [_key("id")],
    "GlobalSecondaryIndexes": [{"IndexName": "by-customer", "KeySchema": [_key("customer")],
                                "Projection": {"ProjectionType": "ALL"}}],
    "Tags": [{"Key": "Team", "Value": "a"}],
    "TimeToLiveSpecification": {"Enabled": True, "AttributeName": "expires"},
}
LEGACY: dict[str, Any] = {"TableName": "legacy", "AttributeDefinitions": [_attr("id")], "KeySchema": [_key("id")]}
# Every kind of change to orders: index deleted and created, stream, tags added and removed, TTL and
# PITR off; a new table; legacy pruned.
ORDERS_CHANGED: dict[str, Any] = {
    **ORDERS,
    "AttributeDefinitions": [_attr("id"), _attr("status")],
    "GlobalSecondaryIndexes": [{"IndexName": "by-status", "KeySchema": [_key("status")],
                                "Projection": {"ProjectionType": "KEYS_ONLY"}}],
    "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    "Tags": [{"Key": "Owner", "Value": "b"}],
    "TimeToLiveSpecification": {"Enabled": False},
    "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": False},
}
INVOICES: dict[str, Any] = {"TableName": "invoices", "AttributeDefinitions": [_attr("id")], "KeySchema": [_key("id")]}

Run = Callable[..., list[dict[str, Any]]]


@pytest.fixture(params=["plain", "awslike"])
def dynamodb(request: pytest.FixtureRequest, local_servers: ServerPool) -> LocalDynamoDB:
    """Plain moto, and the AWS-like server (tables CREATING for a while, index builds one at a time, TTL
    cool-down short enough to wait out): the same commands must send the same kinds of operations."""
    return local_servers.fresh(None if request.param == "plain" else replace(FAST_AWS_LIKE, ttl_cooldown_seconds=0.5))


@pytest.fixture
def run(dynamodb: LocalDynamoDB, monkeypatch: pytest.MonkeyPatch) -> Run:
    """Run ``ddbctl -e staging ARGS`` against the server; the operations it sent (from the server's log)."""
    for variable in ("ENVIRONMENT", "TABLE_PREFIX", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(variable, raising=False)

    def invoke(*args: str, expect: int = 0, environment: str = ENVIRONMENT) -> list[dict[str, Any]]:
        dynamodb.server.clear_operations()
        result: Result = CliRunner().invoke(cli, ["-e", environment, *args], env=dynamodb.env,
                                            catch_exceptions=False)
        assert result.exit_code == expect, result.output
        return dynamodb.server.operations()

    return invoke


def policy_for(command: str, spec_dir: Path, environment: str = ENVIRONMENT, *,
               bucket: str | None = None) -> dict[str, Any]:
    s3 = ["--bucket", bucket] if bucket else []
    result = CliRunner().invoke(cli, ["-e", environment, "generate", "iam-policy", "--for", command, "--dir",
                                      str(spec_dir), "--account", ACCOUNT, *s3], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.output)
    return document


def prove(command: str, runs: list[list[dict[str, Any]]], spec_dir: Path) -> None:
    """The union of what the runs sent is OPERATIONS[command], and the policy allows each call."""
    sent = {entry["operation"] for operations in runs for entry in operations} - INFORMATIONAL
    assert sent == OPERATIONS[command], (
        f"{command}: sent but not listed {sorted(sent - OPERATIONS[command])}; "
        f"listed but never sent {sorted(OPERATIONS[command] - sent)}")
    document = policy_for(command, spec_dir)
    granted = {action for statement in document["Statement"] if statement["Effect"] == "Allow"
               for action in statement["Action"] if action.startswith("dynamodb:")}
    implied = {"dynamodb:TagResource"} if "CreateTable" in OPERATIONS[command] else set()  # tags at creation
    assert granted == {f"dynamodb:{operation}" for operation in OPERATIONS[command]} | implied
    for operations in runs:
        for entry in operations:
            if entry["operation"] in INFORMATIONAL:
                continue  # refused, they are no error: a policy need not grant them
            action = f"dynamodb:{entry['operation']}"
            resources = [f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{t}" for t in entry["tables"]] or ["*"]
            for resource in resources:
                assert iam.allows(document, action, resource), (action, resource)
            assert all(t.startswith(STEM) for t in entry["tables"]), entry


def test_create_export_plan_wait_add_gsi_and_apply_send_exactly_their_operations(run: Run, tmp_path: Path) -> None:
    first = write_specs(tmp_path / "first", ORDERS, LEGACY)
    create_runs = [run("create", "--dir", str(first)), run("create", "--dir", str(first)),
                   run("create", "--dir", str(first), "--dry-run")]
    prove("create", create_runs, first)

    export_dir = tmp_path / "exported"
    export_runs = [run("export", "--dir", str(export_dir)),
                   run("export", "--dir", str(export_dir), "--table", "orders")]
    prove("export", export_runs, first)

    wait_runs = [run("wait", "--table", "orders"), run("wait", "--table", "orders", "--index", "by-customer")]
    prove("wait", wait_runs, first)

    add_gsi_runs = [
        run("add-gsi", "--table", "orders", "--index", "by-region", "--partition-key", "region:S"),
        run("add-gsi", "--table", "orders", "--index", "by-region", "--partition-key", "region:S"),  # exists
        run("add-gsi", "--table", "orders", "--index", "by-day", "--partition-key", "day:N", "--dry-run"),
    ]
    prove("add-gsi", add_gsi_runs, first)

    second = write_specs(tmp_path / "second", ORDERS_CHANGED, INVOICES)
    plan_runs = [run("plan", "--dir", str(second)), run("plan", "--dir", str(second), "--detailed-exitcode", expect=2)]
    prove("plan", plan_runs, second)

    apply_runs = [
        run("apply", "--dir", str(second), "--dry-run"),
        run("apply", "--dir", str(second), "--yes", "--allow-destroy", "--prune"),
        run("apply", "--dir", str(second), "--yes"),  # converged: reads only
    ]
    prove("apply", apply_runs, second)


def test_adopt_envs_diff_and_destroy_send_exactly_their_operations(
    run: Run, dynamodb: LocalDynamoDB, tmp_path: Path
) -> None:
    specs = write_specs(tmp_path / "specs", ORDERS, LEGACY)
    run("create", "--dir", str(specs))
    client = dynamodb.client()
    client.create_table(TableName=f"{STEM}untagged", BillingMode="PAY_PER_REQUEST", **{
        key: value for key, value in LEGACY.items() if key != "TableName"})
    client.get_waiter("table_exists").wait(TableName=f"{STEM}untagged", WaiterConfig={"Delay": 0.2})
    prove("adopt", [run("adopt", "--table", "untagged", "--dry-run"), run("adopt", "--table", "untagged", "--yes"),
                    run("adopt", "--all", "--yes")], specs)
    prove("envs", [run("envs"), run("envs", "--dir", str(specs))], specs)
    prove("diff", [run("diff", ENVIRONMENT, "--dir", str(specs), expect=2),
                   run("diff", ENVIRONMENT, "production", expect=2)], specs)
    prove("destroy", [run("destroy", "--dry-run"), run("destroy", "--yes"), run("destroy", "--yes")], specs)


def test_every_command_is_listed() -> None:
    """A new command cannot be forgotten: every command of the CLI has its row (sending nothing is a row too)."""
    names = {name for name, command in cli.commands.items() if not hasattr(command, "commands")}
    names |= {f"{group} {name}" for group, command in cli.commands.items()
              for name in getattr(command, "commands", {})}
    local_only = {"local", "demo", "schema"}
    assert names - local_only - set(OPERATIONS) == set()


def test_validate_sends_nothing(run: Run, tmp_path: Path) -> None:
    directory = write_specs(tmp_path / "s", ORDERS)
    operations = run("validate", str(directory))
    assert operations == []
    prove("validate", [operations], directory)


def test_every_listed_operation_has_an_iam_mapping() -> None:
    for command in OPERATIONS:
        assert iam.permissions([command]) is not None  # raises ConfigError for an unmapped operation


# -- data and disaster recovery ------------------------------------------------------------------------

BUCKET = "ddbctl-iam-proof"
# The native restores succeed (exit 0): their converge step then proves the CONVERGE operations too.
NATIVE_RESTORE_EXIT = 0
PITR = {"PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True}}


def prove_across(command: str, runs: list[list[dict[str, Any]]], spec_dir: Path, environments: list[str],
                 unproven: frozenset[str] = frozenset()) -> None:
    """``prove`` for a command that reads one environment's tables and writes another's (restores): the
    policies generated for those environments together allow each call, the S3 ones on the bucket.
    ``unproven``: listed operations these runs cannot reach (never sent operations outside the row)."""
    sent = {entry["operation"] for operations in runs for entry in operations} - INFORMATIONAL
    listed = OPERATIONS[command]
    assert listed - unproven <= sent <= listed, (
        f"{command}: sent but not listed {sorted(sent - listed)}; "
        f"listed but never sent {sorted(listed - unproven - sent)}")
    documents = [policy_for(command, spec_dir, environment, bucket=f"s3://{BUCKET}")
                 for environment in environments]
    stems = tuple(f"construction-expenses-{environment}-" if environment != "production"
                  else "construction-expenses-" for environment in environments)
    for operations in runs:
        for entry in operations:
            operation = entry["operation"]
            if operation in INFORMATIONAL:
                continue
            if operation.startswith("s3:"):
                action, resources = operation, [entry["resource"]]
            else:
                action = f"dynamodb:{operation}"
                resources = [_dynamodb_resource(operation, table) for table in entry["tables"]] or ["*"]
                assert all(t.startswith(stems) for t in entry["tables"]), entry
            for resource in resources:
                assert any(iam.allows(document, action, resource) for document in documents), (action, resource)


def _dynamodb_resource(operation: str, table: str) -> str:
    """The ARN a logged call acts on: the table, or its backup/export/import (the log names the table)."""
    sub = {"DescribeBackup": "/backup/x", "DeleteBackup": "/backup/x", "DescribeExport": "/export/x",
           "DescribeImport": "/import/x"}.get(operation, "")
    return f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{table}{sub}"


def test_backup_restore_snapshots_and_native_dr_send_exactly_their_operations(
        run: Run, dynamodb: LocalDynamoDB, tmp_path: Path) -> None:
    specs = write_specs(tmp_path / "specs", {**ORDERS, **PITR, "BillingMode": "PAY_PER_REQUEST"},
                        {**LEGACY, **PITR, "BillingMode": "PAY_PER_REQUEST"})
    run("create", "--dir", str(specs))
    client = dynamodb.client()
    for number in range(30):
        client.put_item(TableName=f"{STEM}orders", Item={"id": {"S": f"o{number}"}, "customer": {"S": "c"},
                                                         "amount": {"N": "12.50"}, "raw": {"B": b"\x00\xff"}})
    dynamodb.s3_client().create_bucket(Bucket=BUCKET)
    folder, scan, native = tmp_path / "backup", f"s3://{BUCKET}/scan", f"s3://{BUCKET}/native"

    found: dict[str, list[list[dict[str, Any]]]] = {}
    found["backup"] = [run("backup", "--to", str(folder)), run("backup", "--to", str(folder)),
                       run("backup", "--to", scan), run("backup", "--to", scan)]
    found["backup verify"] = [run("backup", "verify", str(folder))]
    found["backup --native"] = [run("backup", "--native", "--to", native), run("backup", "--native", "--to", native)]
    found["snapshot"] = [run("snapshot"), run("snapshot", "--table", "orders")]
    found["snapshots"] = [run("snapshots"), run("snapshots", "--table", "orders")]
    found["restore"] = [run("restore", "--from", str(folder), "--dir", str(specs), environment="dev"),
                        run("restore", "--from", str(folder), expect=2, environment="dev"),  # holds items now
                        run("restore", "--from", scan, "--overwrite", "--verify", environment="dev"),
                        run("restore", "--from", native, "--overwrite", environment="dev")]  # a native export
    # restore --native from production's export (what test_native_dr proves to converge); the restored
    # tables' files ask for a stream, which only the converge step after a restore can set (UpdateTable)
    run("create", "--dir", str(specs), environment="production")
    stream = {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}}
    restored = write_specs(tmp_path / "restored", {**ORDERS, **PITR, **stream, "BillingMode": "PAY_PER_REQUEST"},
                           {**LEGACY, **PITR, **stream, "BillingMode": "PAY_PER_REQUEST"})
    found["backup --native"].append(run("backup", "--native", "--to", f"{native}-production", environment="production"))
    found["restore --native"] = [
        run("restore", "--native", "--from", f"{native}-production", "--dir", str(restored), environment="dr",
            expect=NATIVE_RESTORE_EXIT),
        run("restore", "--native", "--from", f"{native}-production", expect=2, environment="dr")]
    found["restore --point-in-time"] = [run("restore", "--point-in-time", "latest", "--from-environment",
                                            ENVIRONMENT, "--dir", str(restored), environment="qa",
                                            expect=NATIVE_RESTORE_EXIT)]
    found["restore --snapshot"] = [run("restore", "--snapshot", "latest", "--from-environment",
                                       ENVIRONMENT, "--dir", str(restored), environment="sandbox",
                                       expect=NATIVE_RESTORE_EXIT)]
    changed = write_specs(tmp_path / "changed", {**ORDERS_CHANGED, **PITR}, INVOICES)
    found["apply --snapshot-first"] = [
        run("apply", "--dir", str(changed), "--dry-run", "--snapshot-first"),
        run("apply", "--dir", str(changed), "--yes", "--allow-destroy", "--prune", "--snapshot-first")]
    targets = {"backup --native": ["production"], "restore": ["dev"], "restore --native": ["dr"],
               "restore --point-in-time": ["qa"], "restore --snapshot": ["sandbox"]}
    for command, runs in found.items():
        native_restore = command.startswith("restore --")
        converge = RESTORED if native_restore and NATIVE_RESTORE_EXIT else frozenset()
        prove_across(command, runs, specs, [ENVIRONMENT, *targets.get(command, [])], converge)
