"""Least privilege (issue 8 item 5): with the seed policy's actions (simulated by the local server, which
answers every other action with AccessDeniedException as AWS does), create, add-gsi and wait work;
export and plan say which action is missing, on which ARN, and which commands send it. Each command's
calls are within ``ddbctl.permissions.OPERATIONS`` (proved from the server's operation log).

The server simulates actions, not resources: it stands for the seed's policy with ListTables granted on
"*". The seed's policy as written grants ListTables on a table ARN, which AWS never matches, so on AWS
every connecting command stops at ListTables (docs/iam.md).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ddbctl.local.pytest_plugin import LocalDynamoDB
from ddbctl.permissions import INFORMATIONAL, OPERATIONS, OPTIONAL

from .conftest import Run

SEED_POLICY = ("DescribeTable", "CreateTable", "UpdateTable", "UpdateContinuousBackups", "UpdateTimeToLive",
               "TagResource", "ListTables")


def sent(server: LocalDynamoDB) -> list[tuple[str, str | None]]:
    entries = [(o["operation"], o["error"]) for o in server.server.operations()]
    server.server.clear_operations()
    return entries


def within(command: str, entries: list[tuple[str, str | None]]) -> None:
    """Every call is one the command's row allows; refused only where the read is optional."""
    for operation, error in entries:
        if operation in INFORMATIONAL:  # the header's account, export's key aliases: refused, no error
            continue
        assert operation in OPERATIONS[command], (command, operation)
        assert error != "AccessDeniedException" or operation in OPTIONAL, (command, operation)


@pytest.mark.parametrize("mode", ["plain", "awslike"])
def test_the_seed_policy_runs_create_add_gsi_and_wait_and_names_what_export_and_plan_miss(
    run: Run, example_dir: Path, tmp_path: Path, mode: str, request: pytest.FixtureRequest
) -> None:
    server: LocalDynamoDB = request.getfixturevalue("dynamodb" if mode == "plain" else "awslike_dynamodb")
    server.server.set_policy(SEED_POLICY)

    created = run("create", "--dir", str(example_dir), server=server)
    assert created.exit_code == 0, created.stderr
    within("create", sent(server))

    added = run("add-gsi", "--table", "companies", "--index", "by-owner", "--partition-key", "ownerId:S",
                server=server)
    assert added.exit_code == 0, added.stderr
    within("add-gsi", sent(server))
    dry = run("add-gsi", "--table", "companies", "--index", "by-city", "--partition-key", "city:S", "--dry-run",
              server=server)
    assert dry.exit_code == 0, dry.stderr
    # DescribeTable, and the tag read that proves ownership (refused here: the name rule alone then).
    assert {op for op, _ in sent(server)} - INFORMATIONAL <= {"ListTables", "DescribeTable", "ListTagsOfResource"}

    waited = run("wait", "--table", "companies", server=server)
    assert waited.exit_code == 0, waited.stderr
    within("wait", sent(server))

    account = server.server.account_id
    for command in (["export", "--dir", str(tmp_path / "out")], ["plan", "--dir", str(example_dir)]):
        result = run(*command, server=server)
        assert result.exit_code == 1
        assert result.stdout == ""
        [message, hint] = result.stderr.splitlines()[-2:]
        assert re.fullmatch(
            r"error: access denied: this identity may not call dynamodb:Describe(TimeToLive|ContinuousBackups) on "
            rf"arn:aws:dynamodb:us-east-1:{account}:table/construction-expenses-[a-z-]+ \(AccessDeniedException\); "
            r"ddbctl sends it for: export, plan, apply.*", message), message
        assert hint.startswith("  hint: grant dynamodb:Describe")
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_denied_change_names_each_tables_fate(
    run: Run, dynamodb: LocalDynamoDB, tmp_path: Path
) -> None:
    """apply with UpdateTable refused: each table fails with the denial (an IAM policy may refuse some tables
    and not others, so each is tried), the output names each table's fate; exit 1."""
    directory = tmp_path / "schemas"
    directory.mkdir()
    for name in ("alpha", "beta", "gamma"):
        (directory / f"{name}.json").write_text(json.dumps({
            "TableName": name, "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]}))
    assert run("create", "--dir", str(directory), server=dynamodb).exit_code == 0
    for name in ("alpha", "beta", "gamma"):
        document = json.loads((directory / f"{name}.json").read_text())
        (directory / f"{name}.json").write_text(json.dumps({**document, "TableClass": "STANDARD_INFREQUENT_ACCESS"}))
    dynamodb.server.set_policy(set(OPERATIONS["apply"]) - {"UpdateTable"})
    result = run("apply", "--dir", str(directory), "--yes", "--concurrency", "1", server=dynamodb)
    assert result.exit_code == 1
    output = result.stdout + result.stderr
    for name in ("alpha", "beta", "gamma"):
        assert re.search(rf"construction-expenses-{name}: access denied: this identity may not call "
                         rf"dynamodb:UpdateTable on arn:aws:dynamodb:us-east-1:\d+:table/construction-expenses-{name} ",
                         output), output
    assert "3 failed" in output
