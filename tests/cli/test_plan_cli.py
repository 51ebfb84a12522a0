"""`ddbctl plan` and `ddbctl apply` as a user meets them: exit codes, confirmation, the exact messages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ddbctl.cli import guard
from ddbctl.cli.main import cli
from ddbctl.local import MUTATING_OPERATIONS
from ddbctl.local.pytest_plugin import LocalDynamoDB

from .conftest import Run

TABLE = "construction-expenses-staging-orders"


def write_table(directory: Path, name: str = "orders", **fields: Any) -> Path:
    directory.mkdir(exist_ok=True)
    document = {"TableName": name, "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}], **fields}
    (directory / f"{name}.json").write_text(json.dumps(document))
    return directory


def mutating(server: LocalDynamoDB) -> list[str]:
    return [op["operation"] for op in server.server.operations() if op["operation"] in MUTATING_OPERATIONS]


@pytest.fixture
def schemas(tmp_path: Path) -> Path:
    return write_table(tmp_path / "schemas")


def staging(run: Run, server: LocalDynamoDB, *args: str) -> Any:
    return run("-e", "staging", *args, server=server)


def test_plan_shows_each_step_in_order_and_a_summary(run: Run, dynamodb: LocalDynamoDB, schemas: Path) -> None:
    write_table(schemas, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    result = staging(run, dynamodb, "plan", "--dir", str(schemas))
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"+ {TABLE} (create)",
        "    1. create table (keys pk, PAY_PER_REQUEST)",
        "    2. enable TTL on expires",
        "    3. enable point-in-time recovery",
        "Plan: 1 to create, 0 to update, 0 to delete, 0 held, 0 refused; 3 change(s).",
    ]
    assert mutating(dynamodb) == []


def test_plan_detailed_exitcode_is_2_with_changes_0_without_and_1_on_error(
    run: Run, dynamodb: LocalDynamoDB, schemas: Path, tmp_path: Path
) -> None:
    assert staging(run, dynamodb, "plan", "--dir", str(schemas), "--detailed-exitcode").exit_code == 2
    assert staging(run, dynamodb, "apply", "--dir", str(schemas), "--yes").exit_code == 0
    converged = staging(run, dynamodb, "plan", "--dir", str(schemas), "--detailed-exitcode")
    assert converged.exit_code == 0
    assert converged.stdout == "No changes: the live tables match the spec files.\n"
    (schemas / "orders.json").write_text("{")
    broken = staging(run, dynamodb, "plan", "--dir", str(schemas), "--detailed-exitcode")
    assert broken.exit_code == 1 and "error: 1 problem in spec files:" in broken.stderr
    missing = staging(run, dynamodb, "plan", "--dir", str(tmp_path / "nowhere"), "--detailed-exitcode")
    assert missing.exit_code == 1 and "does not exist" in missing.stderr


def test_held_destructive_steps_count_as_changes_and_are_explained(
    run: Run, dynamodb: LocalDynamoDB, schemas: Path
) -> None:
    write_table(schemas, DeletionProtectionEnabled=True)
    staging(run, dynamodb, "apply", "--dir", str(schemas), "--yes")
    write_table(schemas)
    result = staging(run, dynamodb, "plan", "--dir", str(schemas), "--detailed-exitcode")
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        f"~ {TABLE} (held)",
        "    held: DISABLE deletion protection (destructive: needs --allow-destroy)",
        "Plan: 0 to create, 0 to update, 0 to delete, 1 held, 0 refused; 0 change(s); 1 step(s) held (destructive "
        "or waiting for one: rerun with --allow-destroy).",
    ]
    assert "To keep such a live change instead, write it into the files: ddbctl export" in result.stderr
    allowed = staging(run, dynamodb, "plan", "--dir", str(schemas), "--allow-destroy")
    assert "    1. DISABLE deletion protection (destructive)" in allowed.stdout


def test_apply_without_a_terminal_and_without_yes_refuses_and_sends_nothing(
    run: Run, dynamodb: LocalDynamoDB, schemas: Path
) -> None:
    dynamodb.server.clear_operations()
    result = staging(run, dynamodb, "apply", "--dir", str(schemas))
    assert result.exit_code == 2
    target = f"-e staging --endpoint-url {dynamodb.endpoint_url}"
    assert result.stderr == (
        "error: apply needs confirmation, but stdin is not a terminal: nothing was sent\n"
        f"  hint: review with `ddbctl {target} plan --dir {schemas}`, then run "
        f"`ddbctl {target} apply --dir {schemas} --yes`\n")
    assert dynamodb.server.operations() == []


def test_apply_on_a_terminal_wants_the_environments_name_typed(
    dynamodb: LocalDynamoDB, schemas: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("ENVIRONMENT", "TABLE_PREFIX", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr(guard, "stdin_is_terminal", lambda: True)

    def answer(text: str) -> Result:
        args = ["-e", "staging", "apply", "--dir", str(schemas)]
        return CliRunner().invoke(cli, args, env=dynamodb.env, input=text, catch_exceptions=False)

    declined = answer("production\n")
    assert declined.exit_code == 1
    assert ("Applying these changes to environment staging. Type the environment's name (staging) to confirm: "
            in declined.stderr)
    assert "apply cancelled: nothing was sent" in declined.stderr
    assert mutating(dynamodb) == []
    accepted = answer("staging\n")
    assert accepted.exit_code == 0
    assert accepted.stdout.splitlines()[-2:] == [f"created   {TABLE}", "1 created"]
    assert mutating(dynamodb) == ["CreateTable", "UpdateContinuousBackups"]


def test_apply_dry_run_prints_the_exact_requests_and_sends_none(
    run: Run, dynamodb: LocalDynamoDB, schemas: Path
) -> None:
    result = staging(run, dynamodb, "apply", "--dir", str(schemas), "--dry-run")
    assert result.exit_code == 0
    assert "1. CreateTable" in result.stdout and "2. UpdateContinuousBackups" in result.stdout
    assert "dry run: 2 request(s) shown, none sent" in result.stderr
    assert mutating(dynamodb) == []


def test_apply_refuses_a_key_change_and_exits_1_after_converging_the_rest(
    run: Run, dynamodb: LocalDynamoDB, schemas: Path
) -> None:
    write_table(schemas, "users")
    staging(run, dynamodb, "apply", "--dir", str(schemas), "--yes")
    write_table(schemas, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    write_table(schemas, "users", Tags=[{"Key": "team", "Value": "a"}])
    planned = staging(run, dynamodb, "plan", "--dir", str(schemas))
    assert planned.exit_code == 1
    assert f"! {TABLE} (refused)" in planned.stdout
    assert "    refused: key schema differs (live pk:S, file id:S): DynamoDB cannot change a table's keys; a new " \
           "table is needed: create one and migrate the data" in planned.stdout
    applied = staging(run, dynamodb, "apply", "--dir", str(schemas), "--yes")
    assert applied.exit_code == 1
    assert "updated   construction-expenses-staging-users" in applied.stdout
    assert f"failed    {TABLE}: key schema differs" in applied.stdout
    assert "(hint: nothing was sent for this table)" in applied.stdout


def test_unmanaged_tables_are_listed_and_left_alone(run: Run, dynamodb: LocalDynamoDB, schemas: Path) -> None:
    write_table(schemas, "legacy")
    staging(run, dynamodb, "apply", "--dir", str(schemas), "--yes")
    (schemas / "legacy.json").unlink()
    result = staging(run, dynamodb, "plan", "--dir", str(schemas), "--detailed-exitcode")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "? construction-expenses-staging-legacy (live table with no spec file: left alone)",
        "No changes: the live tables match the spec files (1 live table(s) without a spec file left alone).",
    ]
    pruned = staging(run, dynamodb, "plan", "--dir", str(schemas), "--prune", "--detailed-exitcode")
    assert pruned.exit_code == 2
    assert "    held: DELETE TABLE and all its data (destructive: needs --allow-destroy)" in pruned.stdout


def test_plan_and_apply_as_json(run: Run, dynamodb: LocalDynamoDB, schemas: Path) -> None:
    planned = staging(run, dynamodb, "-o", "json", "plan", "--dir", str(schemas))
    data = json.loads(planned.stdout)
    assert data["counts"] == {"create": 1, "update": 0, "delete": 0, "held_tables": 0, "unchanged": 0, "changes": 2,
                              "destructive": 0, "held": 0, "refused": 0, "unmanaged": 0,
                              "not_owned": 0}
    assert [c["kind"] for c in data["tables"][0]["changes"]] == ["create-table", "update-pitr"]
    applied = json.loads(staging(run, dynamodb, "-o", "json", "apply", "--dir", str(schemas), "--yes").stdout)
    assert applied["ok"] is True and applied["counts"]["created"] == 1
    again = json.loads(staging(run, dynamodb, "-o", "json", "apply", "--dir", str(schemas), "--yes").stdout)
    assert again["ok"] is True and again["plan"]["converged"] is True


def test_help_describes_the_flags(run: Run) -> None:
    plan_help = run("plan", "--help").output
    apply_help = run("apply", "--help").output
    for flag in ("--dir", "--allow-destroy", "--prune", "--detailed-exitcode", "--concurrency"):
        assert flag in plan_help
    for flag in ("--dir", "--yes", "--allow-destroy", "--prune", "--dry-run", "--concurrency", "--max-wait"):
        assert flag in apply_help
