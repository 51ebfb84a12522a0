"""``ddbctl backup`` and ``ddbctl backup verify`` as a user meets them: exit codes and messages."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pytest

from ddbctl.local.pytest_plugin import LocalDynamoDB
from tests.integration.backup_helpers import create_table, every_type_items, physical, put_items

from .conftest import Run


@pytest.fixture
def backed_up(run: Run, dynamodb: LocalDynamoDB, tmp_path: Path) -> Path:
    create_table(dynamodb, physical("orders"))
    put_items(dynamodb, physical("orders"), every_type_items(30, seed=5))
    result = run("--endpoint-url", dynamodb.endpoint_url, "backup", "--to", str(tmp_path / "b"), "--page-size", "4",
                 server=dynamodb)
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("Target: environment production, prefix construction-expenses\n")
    assert "backed up construction-expenses-orders: 30 items" in result.stderr
    assert result.stdout.strip() == f"Backed up 1 table(s), 30 items, to {tmp_path / 'b'}"
    return tmp_path / "b"


def test_a_complete_backup_run_again_is_left_alone(run: Run, dynamodb: LocalDynamoDB, backed_up: Path) -> None:
    again = run("--endpoint-url", dynamodb.endpoint_url, "backup", "--to", str(backed_up), server=dynamodb)
    assert again.exit_code == 0
    assert again.stdout.startswith(f"The backup in {backed_up} is already complete (1 table(s), completed ")
    as_json = run("--endpoint-url", dynamodb.endpoint_url, "-o", "json", "backup", "--to", str(backed_up),
                  server=dynamodb)
    summary = json.loads(as_json.stdout)
    assert summary["complete"] and summary["already_complete"] and as_json.stderr == ""


def test_backup_json_summary_of_a_new_backup(run: Run, dynamodb: LocalDynamoDB, tmp_path: Path) -> None:
    create_table(dynamodb, physical("orders"))
    put_items(dynamodb, physical("orders"), every_type_items(7, seed=6))
    result = run("--endpoint-url", dynamodb.endpoint_url, "-o", "json", "backup", "--to", str(tmp_path / "b"),
                 "--segments", "3", server=dynamodb)
    assert result.exit_code == 0 and result.stderr == ""
    summary = json.loads(result.stdout)
    assert (summary["target"]["environment"], summary["target"]["endpoint"]) == ("production", dynamodb.endpoint_url)
    [table] = summary["tables"]
    assert (table["table"], table["physical_name"]) == ("orders", physical("orders"))
    assert (table["items"], table["segments"], "consumed_read_units" in table) == (7, 3, True)


def test_verify_accepts_a_good_backup(run: Run, backed_up: Path) -> None:
    result = run("backup", "verify", str(backed_up))
    assert result.exit_code == 0
    assert result.stdout.strip() == f"Backup {backed_up} is valid: 1 table(s), 30 items"


def test_verify_lists_every_damaged_file(run: Run, backed_up: Path) -> None:
    manifest = json.loads((backed_up / "ddbctl-backup.json").read_text())
    entry = manifest["tables"]["orders"]
    first = backed_up / entry["files"][0]["key"]
    lines = gzip.decompress(first.read_bytes()).splitlines(keepends=True)
    lines[1] = b'{"Item":{"id":{"N":"1"}}}\n'
    lines[2] = b'{"Item":{"other":{"S":"x"}}}\n'
    first.write_bytes(gzip.compress(b"".join(lines)))
    second = backed_up / entry["files"][1]["key"]
    second.write_bytes(second.read_bytes()[:-10])

    result = run("backup", "verify", str(backed_up))

    assert result.exit_code == 2
    assert f"{first}: MD5 mismatch" in result.stderr
    assert f"{second}: MD5 mismatch" in result.stderr
    as_json = run("-o", "json", "backup", "verify", str(backed_up))
    assert as_json.exit_code == 2 and not json.loads(as_json.stdout)["valid"]


def test_verify_checks_key_attributes_against_the_spec(run: Run, backed_up: Path) -> None:
    manifest = json.loads((backed_up / "ddbctl-backup.json").read_text())
    entry = manifest["tables"]["orders"]
    path = backed_up / entry["files"][0]["key"]
    lines = gzip.decompress(path.read_bytes()).splitlines(keepends=True)
    lines[1] = b'{"Item":{"id":{"N":"1"}}}\n'
    lines[2] = b'{"Item":{"other":{"S":"x"}}}\n'
    _rewrite(backed_up, entry["export"], path, b"".join(lines))

    result = run("backup", "verify", str(backed_up))

    assert result.exit_code == 2
    assert f"{path}:2: key attribute 'id' is N, the table's key is S" in result.stderr
    assert f"{path}:3: key attribute 'id' missing" in result.stderr


def test_verify_refuses_an_incomplete_backup(run: Run, tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    result = run("backup", "verify", str(tmp_path / "b"))
    assert result.exit_code == 2
    assert "ddbctl-backup.json: missing: the backup is not complete" in result.stderr


def test_an_environment_without_tables_is_refused(run: Run, dynamodb: LocalDynamoDB, tmp_path: Path) -> None:
    result = run("--endpoint-url", dynamodb.endpoint_url, "-e", "qa", "backup", "--to", str(tmp_path / "b"),
                 server=dynamodb)
    assert result.exit_code == 2
    assert "error: no tables of environment qa (prefix construction-expenses) to back up" in result.stderr
    assert not (tmp_path / "b").exists()


def test_backup_needs_a_destination(run: Run) -> None:
    result = run("backup")
    assert result.exit_code == 2 and "--to DIR is required" in result.output


def _rewrite(root: Path, export: str, path: Path, content: bytes) -> None:
    """Replace a data file's content and keep every manifest consistent, so only the content is wrong."""
    import base64  # noqa: PLC0415

    data = gzip.compress(content)
    path.write_bytes(data)
    md5 = hashlib.md5(data)
    relative = path.relative_to(root).as_posix()
    files = root / export / "manifest-files.json"
    lines = [json.loads(line) for line in files.read_text().splitlines()]
    for line in lines:
        if line["dataFileS3Key"] == relative:
            line.update(md5Checksum=base64.b64encode(md5.digest()).decode(), etag=md5.hexdigest())
    text = "".join(json.dumps(line, sort_keys=True) + "\n" for line in lines)
    files.write_text(text)
    for suffix in (".md5", ".checksum"):
        (root / export / f"manifest-files{suffix}").write_text(hashlib.md5(text.encode()).hexdigest())
    manifest = json.loads((root / "ddbctl-backup.json").read_text())
    for table in manifest["tables"].values():
        for entry in table["files"]:
            if entry["key"] == relative:
                entry["md5Checksum"] = base64.b64encode(md5.digest()).decode()
    (root / "ddbctl-backup.json").write_text(json.dumps(manifest))
