"""Every wait past --max-wait exits 3 (issue 18 point 5), naming the table and what is still in progress:
apply with an index still building, create with a table still CREATING, destroy with one still DELETING.
The AWS-like server holds the transition, so the wait outlasts --max-wait however slow the machine."""

from __future__ import annotations

import json
from pathlib import Path

from ddbctl.local.pytest_plugin import LocalDynamoDB

from .conftest import Run
from .test_plan_cli import write_table

TABLE = "construction-expenses-staging-orders"
BY_CREATED = {"IndexName": "by-created", "KeySchema": [{"AttributeName": "created", "KeyType": "HASH"}],
              "Projection": {"ProjectionType": "KEYS_ONLY"}}
ATTRIBUTES = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "created", "AttributeType": "S"}]


def test_apply_whose_index_build_outlives_max_wait_exits_3(run: Run, awslike_dynamodb: LocalDynamoDB,
                                                           tmp_path: Path) -> None:
    server = awslike_dynamodb
    schemas = write_table(tmp_path / "schemas")
    assert run("-e", "staging", "apply", "--yes", "--dir", str(schemas), server=server).exit_code == 0
    write_table(schemas, AttributeDefinitions=ATTRIBUTES, GlobalSecondaryIndexes=[BY_CREATED])
    server.server.hold(TABLE, "by-created")

    result = run("-e", "staging", "-o", "json", "apply", "--yes", "--dir", str(schemas), "--max-wait", "0.5",
                 server=server)
    assert result.exit_code == 3, result.output
    document = json.loads(result.stdout)
    assert [(t["physical_name"], t["outcome"]) for t in document["tables"]] == [(TABLE, "in_progress")]
    assert document["counts"]["in_progress"] == 1 and document["counts"]["failed"] == 0
    error = document["error"]
    assert (error["code"], error["exit_code"]) == ("WaitTimeout", 3)
    assert TABLE in error["message"] and "index by-created CREATING" in error["message"]
    assert "wait --table" in error["hint"] and "--index by-created" in error["hint"]

    # A second index waits for the first build (one per table at a time), which is still held.
    by_other = {**BY_CREATED, "IndexName": "by-other"}
    write_table(schemas, AttributeDefinitions=ATTRIBUTES, GlobalSecondaryIndexes=[BY_CREATED, by_other])
    text = run("-e", "staging", "apply", "--yes", "--dir", str(schemas), "--max-wait", "0.5", server=server)
    assert text.exit_code == 3, text.output
    assert f"in progress {TABLE}: " in text.stdout and "1 in progress" in text.stdout
    assert "failed" not in text.stdout
    assert "error: 1 table(s) still in progress past --max-wait: " in text.stderr
    server.server.release()


def test_create_and_destroy_past_max_wait_exit_3(run: Run, awslike_dynamodb: LocalDynamoDB, tmp_path: Path) -> None:
    server = awslike_dynamodb
    schemas = write_table(tmp_path / "schemas")
    server.server.hold(TABLE)
    created = run("-e", "staging", "-o", "json", "create", "--dir", str(schemas), "--max-wait", "0.5", server=server)
    assert created.exit_code == 3, created.output
    document = json.loads(created.stdout)
    assert document["error"]["code"] == "WaitTimeout" and "CREATING" in document["error"]["message"]
    server.server.release(TABLE)
    assert run("-e", "staging", "wait", "--table", "orders", server=server).exit_code == 0

    server.server.hold(TABLE)
    destroyed = run("-e", "staging", "-o", "json", "destroy", "--yes", "--max-wait", "0.5", server=server)
    assert destroyed.exit_code == 3, destroyed.output
    document = json.loads(destroyed.stdout)
    assert [t["outcome"] for t in document["tables"]] == ["in_progress"]
    assert document["error"]["code"] == "WaitTimeout" and TABLE in document["error"]["message"]
    server.server.release()
