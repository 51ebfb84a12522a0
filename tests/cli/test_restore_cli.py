"""`ddbctl restore`: what a user sees (messages, exit codes, JSON), and a real dynamodump dump."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from ddbctl.local.pytest_plugin import LocalDynamoDB

from ..integration.test_restore import checksums, items_for
from ..restore_helpers import scan_all, simple_spec, write_backup
from .conftest import Run

TABLE = "construction-expenses-staging-companies"


def test_restore_reports_each_table_in_json(awslike_dynamodb: LocalDynamoDB, run: Run, tmp_path: Path) -> None:
    backup = write_backup(tmp_path / "backup", {"companies": (simple_spec("companies"), [items_for(30)])})
    result = run("-o", "json", "restore", "--from", str(backup), "-e", "staging", "--verify",
                 "--state-dir", str(tmp_path / "state"), server=awslike_dynamodb)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] and report["kind"] == "ddbctl"
    assert report["tables"] == [{"table": "companies", "physical_name": TABLE, "created": True, "expected": 30,
                                 "count": 30, "written": 30, "empty_at_start": True, "checksums_match": True}]


def test_a_bad_backup_exits_2_with_file_and_line_and_no_traceback(
    awslike_dynamodb: LocalDynamoDB, run: Run, tmp_path: Path
) -> None:
    rows = items_for(10)
    rows[4] = {"pk": {"N": "5"}}
    backup = write_backup(tmp_path / "backup", {"companies": (simple_spec("companies"), [rows])})
    result = run("restore", "--from", str(backup), "-e", "staging", "--state-dir", str(tmp_path / "s"),
                 server=awslike_dynamodb)
    assert result.exit_code == 2
    assert "error: bad backup:" in result.stderr and ".json.gz:5:" in result.stderr
    assert "key attribute 'pk' is of type N" in result.stderr and "Traceback" not in result.stderr


def test_a_table_with_items_exits_2_and_names_overwrite(awslike_dynamodb: LocalDynamoDB, run: Run,
                                                        tmp_path: Path) -> None:
    backup = write_backup(tmp_path / "backup", {"companies": (simple_spec("companies"), [items_for(5)])})
    assert run("restore", "--from", str(backup), "-e", "staging", "--state-dir", str(tmp_path / "a"),
               server=awslike_dynamodb).exit_code == 0
    again = run("restore", "--from", str(backup), "-e", "staging", "--state-dir", str(tmp_path / "b"),
                server=awslike_dynamodb)
    assert again.exit_code == 2 and "already holds items" in again.stderr and "--overwrite" in again.stderr
    overwrite = run("restore", "--from", str(backup), "-e", "staging", "--overwrite", "--state-dir",
                    str(tmp_path / "b"), server=awslike_dynamodb)
    assert overwrite.exit_code == 0 and "5 items in the table, 5 in the backup" in overwrite.stdout


def test_items_past_the_deadline_exit_1_saying_how_many_and_where(
    awslike_dynamodb: LocalDynamoDB, run: Run, tmp_path: Path
) -> None:
    backup = write_backup(tmp_path / "backup", {"companies": (simple_spec("companies"), [items_for(12)])})
    awslike_dynamodb.server.inject_fault("BatchWriteItem", TABLE, "ProvisionedThroughputExceededException", "slow")
    result = run("restore", "--from", str(backup), "-e", "staging", "--max-wait", "2", "--state-dir",
                 str(tmp_path / "state"), server=awslike_dynamodb)
    assert result.exit_code == 1
    assert "12 items could not be written by the deadline; saved to" in result.stderr
    assert str(tmp_path / "state" / "unwritten-0001.jsonl") in result.stderr
    assert "run the same command again" in result.stderr


@pytest.mark.skipif(importlib.util.find_spec("dynamodump") is None, reason="dynamodump is not installed")
def test_a_dump_made_by_dynamodump_restores_into_another_environment(
    awslike_dynamodb: LocalDynamoDB, run: Run, tmp_path: Path
) -> None:
    client = awslike_dynamodb.client(max_attempts=5)
    source = "construction-expenses-companies"
    client.create_table(TableName=source, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        BillingMode="PAY_PER_REQUEST")
    client.get_waiter("table_exists").wait(TableName=source, WaiterConfig={"Delay": 0.2})
    rows = items_for(60)
    for row in rows:
        row["bs"] = {"BS": [b"\x00", b"\xfe\xff"]}
        row["ss"] = {"SS": ["a", "b"]}
    for start in range(0, 60, 20):
        client.batch_write_item(RequestItems={source: [{"PutRequest": {"Item": r}} for r in rows[start:start + 20]]})
    host, port = awslike_dynamodb.endpoint_url.removeprefix("http://").rsplit(":", 1)
    dump = tmp_path / "dump"
    subprocess.run([sys.executable, "-m", "dynamodump.dynamodump", "-m", "backup", "-r", "us-east-1", "--host", host,
                    "--port", port, "--accessKey", "testing", "--secretKey", "testing", "-s", source,
                    "--dumpPath", str(dump), "--log", "error"], check=True, timeout=300)
    assert (dump / source / "data" / "0001.json").is_file()

    result = run("restore", "--from", str(dump), "-e", "staging", "--verify", "--state-dir", str(tmp_path / "s"),
                 server=awslike_dynamodb)
    assert result.exit_code == 0, result.output
    assert checksums(scan_all(client, TABLE)) == checksums(rows)
