"""restore against the AWS-like server over HTTP: creation, identity, refusals, faults, the three layouts."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ddbctl.config import Settings
from ddbctl.data.items import Item, item_checksum
from ddbctl.errors import BackupError, RestoreIncomplete, UnsafeChange
from ddbctl.local import AwsLikeOptions
from ddbctl.local.pytest_plugin import FAST_AWS_LIKE, LocalDynamoDB, ServerPool
from ddbctl.ops.restore import RestoreOptions, restore

from ..data.strategies import ITEMS
from ..restore_helpers import scan_all, simple_spec, write_backup, write_dynamodump, write_export
from .conftest import mutations

SettingsFor = Callable[..., Settings]
PREFIX = "construction-expenses"


def items_for(count: int, start: int = 0, sort_key: bool = False) -> list[Item]:
    items = []
    for number in range(start, start + count):
        item: Item = {"pk": {"S": f"id-{number:05d}"}, "n": {"N": str(number)}, "b": {"B": bytes([number % 256]) * 3},
                      "m": {"M": {"nested": {"B": b"\x00\xff"}, "l": {"L": [{"S": ""}, {"NULL": True}]}}}}
        if sort_key:
            item["sk"] = {"N": str(number % 7)}
        items.append(item)
    return items


def checksums(items: list[Item]) -> list[str]:
    return sorted(item_checksum(item) for item in items)


def options(tmp_path: Path, **changes: Any) -> RestoreOptions:
    return RestoreOptions(state_dir=tmp_path / "state", **changes)


def writes(server: LocalDynamoDB) -> list[tuple[str, str | None]]:
    data_writes = {"BatchWriteItem", "PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems"}
    return [(op["operation"], op["table"]) for op in server.server.operations() if op["operation"] in data_writes]


def test_restore_creates_missing_tables_and_writes_every_item(
    awslike_dynamodb: LocalDynamoDB, settings_for: SettingsFor, tmp_path: Path
) -> None:
    companies, works = items_for(120), items_for(60, sort_key=True)
    backup = write_backup(tmp_path / "backup", {
        "companies": (simple_spec("companies"), [companies[:50], companies[50:], []]),
        "company-works": (simple_spec("company-works", sort_key=True), [works]),
    })
    result = restore(settings_for(awslike_dynamodb, "staging"), str(backup), options(tmp_path))

    assert result.ok and {t.logical for t in result.tables} == {"companies", "company-works"}
    assert all(t.created and t.count == t.expected for t in result.tables)
    client = awslike_dynamodb.client(max_attempts=5)
    assert checksums(scan_all(client, f"{PREFIX}-staging-companies")) == checksums(companies)
    assert checksums(scan_all(client, f"{PREFIX}-staging-company-works")) == checksums(works)
    tags = client.list_tags_of_resource(
        ResourceArn=client.describe_table(TableName=f"{PREFIX}-staging-companies")["Table"]["TableArn"])["Tags"]
    assert {"Key": "Environment", "Value": "staging"} in tags
    assert not (tmp_path / "state").exists()  # complete and verified: nothing left to resume


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(st.lists(ITEMS, max_size=40))
def test_backup_restore_scan_is_the_identity_for_every_type(
    local_servers: ServerPool, settings_for: SettingsFor, tmp_path_factory: pytest.TempPathFactory,
    items: list[Item],
) -> None:
    server = local_servers.fresh(FAST_AWS_LIKE)
    tmp_path = tmp_path_factory.mktemp("identity")
    unique = {f"id-{number}": {**item, "pk": {"S": f"id-{number}"}} for number, item in enumerate(items)}
    rows = list(unique.values())
    backup = write_backup(tmp_path / "backup", {"things": (simple_spec("things"), [rows[:17], rows[17:]])})
    result = restore(settings_for(server, "dev"), str(backup), options(tmp_path, verify=True))
    assert result.ok and result.tables[0].checksums_match is True
    scanned = scan_all(server.client(max_attempts=5), f"{PREFIX}-dev-things")
    assert checksums(scanned) == checksums(rows)


def test_a_production_backup_restored_into_staging_leaves_production_untouched(
    awslike_dynamodb: LocalDynamoDB, settings_for: SettingsFor, tmp_path: Path
) -> None:
    production_items = items_for(40)
    backup = write_backup(tmp_path / "backup", {"companies": (simple_spec("companies"), [production_items])})
    restore(settings_for(awslike_dynamodb, "production"), str(backup), options(tmp_path / "p"))
    client = awslike_dynamodb.client(max_attempts=5)
    before = scan_all(client, f"{PREFIX}-companies")
    described = client.describe_table(TableName=f"{PREFIX}-companies")["Table"]
    awslike_dynamodb.server.clear_operations()

    result = restore(settings_for(awslike_dynamodb, "staging"), str(backup), options(tmp_path / "s"))

    assert result.ok and result.tables[0].physical == f"{PREFIX}-staging-companies"
    assert scan_all(client, f"{PREFIX}-companies") == before
    assert client.describe_table(TableName=f"{PREFIX}-companies")["Table"]["TableArn"] == described["TableArn"]
    touched = {table for _, table in writes(awslike_dynamodb) + mutations(awslike_dynamodb)}
    assert touched == {f"{PREFIX}-staging-companies"}


def test_a_table_with_items_needs_overwrite_and_nothing_is_deleted(
    awslike_dynamodb: LocalDynamoDB, settings_for: SettingsFor, tmp_path: Path
) -> None:
    staging = settings_for(awslike_dynamodb, "staging")
    first = write_backup(tmp_path / "first", {"companies": (simple_spec("companies"), [items_for(10)])})
    restore(staging, str(first), options(tmp_path / "a"))
    second_items = [{**item, "n": {"N": "999"}} for item in items_for(5)] + items_for(5, start=100)
    second = write_backup(tmp_path / "second", {"companies": (simple_spec("companies"), [second_items])})
    awslike_dynamodb.server.clear_operations()

    with pytest.raises(UnsafeChange, match="already holds items") as refused:
        restore(staging, str(second), options(tmp_path / "b"))
    assert "--overwrite" in str(refused.value) and writes(awslike_dynamodb) == []

    result = restore(staging, str(second), options(tmp_path / "b", overwrite=True, verify=True))
    assert result.ok and result.tables[0].count == 15 and not result.tables[0].empty_at_start
    scanned = {item["pk"]["S"]: item for item in scan_all(awslike_dynamodb.client(), f"{PREFIX}-staging-companies")}
    assert len(scanned) == 15 and scanned["id-00000"]["n"] == {"N": "999"} and scanned["id-00009"]["n"] == {"N": "9"}


@pytest.mark.parametrize("seed", range(10))
def test_faults_lose_no_item(local_servers: ServerPool, settings_for: SettingsFor, tmp_path: Path, seed: int) -> None:
    faulty = AwsLikeOptions(table_create_seconds=0.1, unprocessed_rate=0.2, throttle_rate=0.1, error_rate=0.02,
                            seed=seed)
    server = local_servers.fresh(faulty)
    rows = items_for(300)
    backup = write_backup(tmp_path / "backup", {"companies": (simple_spec("companies"), [rows[:150], rows[150:]])})
    result = restore(settings_for(server, "staging"), str(backup), options(tmp_path, verify=True, concurrency=4))
    assert result.ok and result.tables[0].count == 300 and result.tables[0].checksums_match
    server.server.clear_faults()
    clean = server.client(max_attempts=10)
    assert checksums(scan_all(clean, f"{PREFIX}-staging-companies")) == checksums(rows)
    unprocessed = [op for op in server.server.operations() if op["operation"] == "BatchWriteItem"]
    assert len(unprocessed) > 300 // 25  # retries happened


def test_items_not_written_by_the_deadline_are_saved_and_written_first_by_a_rerun(
    awslike_dynamodb: LocalDynamoDB, settings_for: SettingsFor, tmp_path: Path
) -> None:
    staging = settings_for(awslike_dynamodb, "staging")
    rows = items_for(80)
    backup = write_backup(tmp_path / "backup", {"companies": (simple_spec("companies"), [rows])})
    table = f"{PREFIX}-staging-companies"
    awslike_dynamodb.server.inject_fault("BatchWriteItem", table, "ThrottlingException", "Rate exceeded")

    with pytest.raises(RestoreIncomplete) as incomplete:
        restore(staging, str(backup), options(tmp_path, max_wait=2, concurrency=2))
    saved = [Path(path) for path in incomplete.value.paths]
    assert incomplete.value.count == 80 and all(path.is_file() for path in saved)
    assert sum(len(path.read_bytes().splitlines()) for path in saved) == 80

    awslike_dynamodb.server.clear_faults()
    result = restore(staging, str(backup), options(tmp_path))
    assert result.ok and result.resumed and result.tables[0].count == 80
    assert checksums(scan_all(awslike_dynamodb.client(), table)) == checksums(rows)


def test_a_bare_native_export_restores_into_the_table_named(
    awslike_dynamodb: LocalDynamoDB, settings_for: SettingsFor, tmp_path: Path
) -> None:
    from ddbctl.data.store import LocalStore  # noqa: PLC0415

    rows = items_for(30)
    store = LocalStore(tmp_path / "export")
    export_dir, _ = write_export(store, tmp_path / "scratch", "prefix",
                                 [rows], "arn:aws:dynamodb:us-east-1:123456789012:table/legacy-name")
    spec_dir = tmp_path / "schemas"
    spec_dir.mkdir()
    (spec_dir / "companies.json").write_text(json.dumps(simple_spec("companies")))

    result = restore(settings_for(awslike_dynamodb, "dev"), str(tmp_path / "export" / export_dir),
                     options(tmp_path, tables=("companies",), spec_dir=spec_dir))
    assert result.ok and result.tables[0].physical == f"{PREFIX}-dev-companies" and result.tables[0].created
    assert checksums(scan_all(awslike_dynamodb.client(), f"{PREFIX}-dev-companies")) == checksums(rows)


def test_a_dynamodump_dump_restores_with_binary_at_every_depth(
    awslike_dynamodb: LocalDynamoDB, settings_for: SettingsFor, tmp_path: Path
) -> None:
    rows = items_for(45, sort_key=True)
    for row in rows:
        row["bs"] = {"BS": [b"\x01", b"\x02\xff"]}
    described = {"Table": {**simple_spec("company-works", sort_key=True),
                           "TableName": f"{PREFIX}-company-works", "TableStatus": "ACTIVE",
                           "ProvisionedThroughput": {"ReadCapacityUnits": 0, "WriteCapacityUnits": 0},
                           "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"}}}
    dump = write_dynamodump(tmp_path / "dump", f"{PREFIX}-company-works", described, [rows[:20], rows[20:]])

    result = restore(settings_for(awslike_dynamodb, "staging"), str(dump), options(tmp_path, verify=True))
    assert result.ok and result.tables[0].logical == "company-works" and result.tables[0].checksums_match
    assert checksums(scan_all(awslike_dynamodb.client(), f"{PREFIX}-staging-company-works")) == checksums(rows)


# -- bad backups: refused before anything is written ------------------------------------------------------


def _corrupt_truncated(root: Path) -> tuple[str, int | None]:
    data = next(root.glob("tables/companies/AWSDynamoDB/*/data/*.json.gz"))
    data.write_bytes(data.read_bytes()[:-20])
    return data.name, None


def _corrupt_md5(root: Path) -> tuple[str, int | None]:
    import gzip  # noqa: PLC0415

    data = sorted(root.glob("tables/companies/AWSDynamoDB/*/data/*.json.gz"))[1]
    lines = gzip.decompress(data.read_bytes()).replace(b'"id-00015"', b'"id-0001X"')
    data.write_bytes(gzip.compress(lines))
    return data.name, None


def _corrupt_manifest(root: Path) -> tuple[str, int | None]:
    (root / "ddbctl-backup.json").unlink()
    return "ddbctl-backup.json", None


def _rewrite(root: Path, line: int, text: bytes) -> str:
    """Replace one line of the first data file, keeping the manifests consistent (MD5, count)."""
    import base64  # noqa: PLC0415
    import gzip  # noqa: PLC0415
    import hashlib  # noqa: PLC0415

    data = sorted(root.glob("tables/companies/AWSDynamoDB/*/data/*.json.gz"))[0]
    lines = gzip.decompress(data.read_bytes()).splitlines(keepends=True)
    lines[line - 1] = text + b"\n"
    raw = gzip.compress(b"".join(lines))
    data.write_bytes(raw)
    old_md5 = None
    manifest_path = root / "ddbctl-backup.json"
    manifest = json.loads(manifest_path.read_text())
    for entry in manifest["tables"]["companies"]["files"]:
        if entry["key"].endswith(data.name):
            old_md5 = entry["md5Checksum"]
            entry["md5Checksum"] = base64.b64encode(hashlib.md5(raw).digest()).decode()
    manifest_path.write_text(json.dumps(manifest))
    files = next(root.glob("tables/companies/AWSDynamoDB/*/manifest-files.json"))
    text_files = files.read_text().replace(str(old_md5), manifest["tables"]["companies"]["files"][0]["md5Checksum"])
    files.write_text(text_files)
    (files.parent / "manifest-files.md5").write_text(hashlib.md5(text_files.encode()).hexdigest())
    (files.parent / "manifest-files.checksum").write_text(hashlib.md5(text_files.encode()).hexdigest())
    return data.name


def _corrupt_line(root: Path) -> tuple[str, int | None]:
    return _rewrite(root, 4, b'{"Item": {"pk": {"S": "id-00003"}, "n": {"N": '), 4


def _missing_key(root: Path) -> tuple[str, int | None]:
    return _rewrite(root, 7, b'{"Item":{"other":{"S":"x"}}}'), 7


def _wrong_key_type(root: Path) -> tuple[str, int | None]:
    return _rewrite(root, 9, b'{"Item":{"pk":{"N":"12"}}}'), 9


@pytest.mark.parametrize("corrupt", [_corrupt_truncated, _corrupt_md5, _corrupt_manifest, _corrupt_line,
                                     _missing_key, _wrong_key_type])
def test_a_bad_backup_is_refused_with_file_and_line_and_nothing_written(
    awslike_dynamodb: LocalDynamoDB, settings_for: SettingsFor, tmp_path: Path,
    corrupt: Callable[[Path], tuple[str, int | None]],
) -> None:
    rows = items_for(30)
    backup = write_backup(tmp_path / "backup", {"companies": (simple_spec("companies"), [rows[:12], rows[12:]])})
    file_name, line = corrupt(backup)
    awslike_dynamodb.server.clear_operations()

    with pytest.raises(BackupError) as refused:
        restore(settings_for(awslike_dynamodb, "staging"), str(backup), options(tmp_path))
    assert file_name in refused.value.path and refused.value.exit_code == 2
    if line is not None:
        assert refused.value.line == line
    assert writes(awslike_dynamodb) == [] and mutations(awslike_dynamodb) == []


def test_a_backup_whose_key_schema_contradicts_the_existing_table_is_refused(
    awslike_dynamodb: LocalDynamoDB, settings_for: SettingsFor, tmp_path: Path
) -> None:
    staging = settings_for(awslike_dynamodb, "staging")
    restore(staging, str(write_backup(tmp_path / "a", {"companies": (simple_spec("companies"), [[]])})),
            options(tmp_path / "sa"))
    other = write_backup(tmp_path / "b", {"companies": (simple_spec("companies", sort_key=True),
                                                        [items_for(3, sort_key=True)])})
    awslike_dynamodb.server.clear_operations()
    with pytest.raises(BackupError, match="contradicts the existing table") as refused:
        restore(staging, str(other), options(tmp_path / "sb"))
    assert "schemas/companies.json" in refused.value.path
    assert writes(awslike_dynamodb) == [] and mutations(awslike_dynamodb) == []
