"""``ddbctl backup`` against the local servers: every type, segments, kill -9 and re-run, faults, read rate."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ddbctl.config import Settings
from ddbctl.errors import NotOwned
from ddbctl.local.pytest_plugin import FAST_AWS_LIKE, LocalDynamoDB
from ddbctl.ops.backup import MANIFEST, BackupOptions, backup
from ddbctl.ops.backup_verify import verify_backup

from ..tools import INTERRUPTIBLE_PYTHON
from .backup_helpers import (
    assert_same_items,
    backup_items,
    create_table,
    every_type_items,
    physical,
    put_items,
    scan_all,
)

SettingsFor = Callable[..., Settings]


def scans(server: LocalDynamoDB) -> list[dict[str, Any]]:
    return [op for op in server.server.operations() if op["operation"] == "Scan"]


def test_a_backup_of_every_type_is_exact_and_verifies(
    awslike_dynamodb: LocalDynamoDB, settings_for: SettingsFor, tmp_path: Path
) -> None:
    create_table(awslike_dynamodb, physical("orders"))
    create_table(awslike_dynamodb, physical("ledger"), ("account", "N"), ("entry", "B"))
    orders = every_type_items(120, seed=1)
    orders.append({"id": {"S": "big"}, "text": {"S": "x" * 390_000}, "blob": {"B": os.urandom(5_000)}})
    ledger = [{"account": {"N": str(n % 7)}, "entry": {"B": n.to_bytes(4, "big")}, "v": {"N": f"{n}.50"}}
              for n in range(60)]
    put_items(awslike_dynamodb, physical("orders"), orders)
    put_items(awslike_dynamodb, physical("ledger"), ledger)

    options = BackupOptions(page_limit=17, file_bytes=20_000)
    result = backup(settings_for(awslike_dynamodb), str(tmp_path / "b"), options)

    assert result.complete and not result.failed
    manifest = json.loads((tmp_path / "b" / MANIFEST).read_text())
    assert manifest["format"] == "ddbctl-backup/1" and manifest["kind"] == "scan"
    assert (manifest["environment"], manifest["prefix"]) == ("production", "construction-expenses")
    assert set(manifest["tables"]) == {"orders", "ledger"}
    entry = manifest["tables"]["orders"]
    assert entry["physical"] == physical("orders") and entry["itemCount"] == len(orders)
    assert len(entry["files"]) > 2, "files rolled at the size limit (2 segments)"
    spec = json.loads((tmp_path / "b" / entry["spec"]).read_text())
    assert spec["TableName"] == "orders" and spec["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert_same_items(backup_items(tmp_path / "b", entry["export"]), scan_all(awslike_dynamodb, physical("orders")),
                      "id")
    assert_same_items(backup_items(tmp_path / "b", manifest["tables"]["ledger"]["export"]), ledger, "account", "entry")
    assert not (tmp_path / "b" / ".ddbctl").exists(), "run state removed once complete"
    checked = verify_backup(str(tmp_path / "b"))
    assert checked.items == len(orders) + len(ledger)


def test_parallel_segments_read_each_item_exactly_once(
    awslike_dynamodb: LocalDynamoDB, settings_for: SettingsFor, tmp_path: Path
) -> None:
    create_table(awslike_dynamodb, physical("events"), ("pk", "S"), ("sk", "N"))
    items = [{"pk": {"S": f"p{n % 41}"}, "sk": {"N": str(n)}, "body": {"S": "x" * (n % 200)}} for n in range(700)]
    put_items(awslike_dynamodb, physical("events"), items)
    awslike_dynamodb.server.clear_operations()

    result = backup(settings_for(awslike_dynamodb), str(tmp_path / "b"), BackupOptions(segments=7, page_limit=11))

    assert result.tables[0].segments == 7
    assert_same_items(backup_items(tmp_path / "b", result.tables[0].export_dir), items, "pk", "sk")
    assert len(scans(awslike_dynamodb)) >= 700 // 11, "pages of at most 11 items"


def test_only_the_environments_tables_are_backed_up(
    dynamodb: LocalDynamoDB, settings_for: SettingsFor, tmp_path: Path
) -> None:
    create_table(dynamodb, physical("orders"))
    create_table(dynamodb, physical("orders", "staging"))
    create_table(dynamodb, physical("tagged"), tags={"Environment": "dev"})
    create_table(dynamodb, "other-prefix-orders")
    create_table(dynamodb, physical("console"), tags={})  # production's name, no Environment tag: not owned
    result = backup(settings_for(dynamodb), str(tmp_path / "b"))
    assert [t.logical for t in result.tables] == ["orders"]
    with pytest.raises(NotOwned, match=physical("console")):
        backup(settings_for(dynamodb), str(tmp_path / "named"), BackupOptions(tables=["console"]))
    assert verify_backup(str(tmp_path / "b")).items == 0, "an empty table is a valid, empty export"
    staging = backup(settings_for(dynamodb, "staging"), str(tmp_path / "s"))
    assert [t.physical for t in staging.tables] == [physical("orders", "staging")]


def test_a_complete_backup_is_left_alone_and_another_environment_is_refused(
    dynamodb: LocalDynamoDB, settings_for: SettingsFor, tmp_path: Path
) -> None:
    create_table(dynamodb, physical("orders"))
    put_items(dynamodb, physical("orders"), every_type_items(5, seed=2))
    first = backup(settings_for(dynamodb), str(tmp_path / "b"))
    before = (tmp_path / "b" / MANIFEST).read_bytes()
    dynamodb.server.clear_operations()
    again = backup(settings_for(dynamodb), str(tmp_path / "b"))
    assert first.complete and again.already_complete
    assert dynamodb.server.operations() == [], "nothing sent for a complete backup"
    assert (tmp_path / "b" / MANIFEST).read_bytes() == before
    from ddbctl.errors import ConfigError  # noqa: PLC0415

    with pytest.raises(ConfigError, match="complete backup of environment 'production'"):
        backup(settings_for(dynamodb, "staging"), str(tmp_path / "b"))


# -- the local server's Scan -----------------------------------------------------------------------------


def test_scan_honours_segments_limit_and_reports_consumed_capacity(any_dynamodb: LocalDynamoDB) -> None:
    create_table(any_dynamodb, "t-scan")
    items = [{"id": {"S": f"k{n}"}, "pad": {"S": "x" * 1000}} for n in range(120)]
    put_items(any_dynamodb, "t-scan", items)
    client = any_dynamodb.client(max_attempts=8)
    seen: list[str] = []
    for segment in range(5):
        start: dict[str, Any] | None = None
        while True:
            page = client.scan(TableName="t-scan", Segment=segment, TotalSegments=5, Limit=7,
                               **({"ExclusiveStartKey": start} if start else {}))
            assert page["Count"] <= 7
            seen.extend(item["id"]["S"] for item in page["Items"])
            start = page.get("LastEvaluatedKey")
            if not start:
                break
    assert sorted(seen) == sorted(item["id"]["S"] for item in items), "segments are disjoint and complete"
    eventual = client.scan(TableName="t-scan", Limit=10, ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]
    consistent = client.scan(TableName="t-scan", Limit=10, ReturnConsumedCapacity="TOTAL",
                             ConsistentRead=True)["ConsumedCapacity"]
    # 10 items of ~1 KB: 3 steps of 4 KB; eventually consistent reads cost half.
    assert eventual == {"TableName": "t-scan", "CapacityUnits": 1.5}
    assert consistent["CapacityUnits"] == 3.0
    assert "ConsumedCapacity" not in client.scan(TableName="t-scan", Limit=1)


# -- kill -9 and re-run ----------------------------------------------------------------------------------

SLOW = replace(FAST_AWS_LIKE, table_create_seconds=0.05, latency_ms=15, seed=11)


def backup_command(server: LocalDynamoDB, directory: Path) -> tuple[list[str], dict[str, str]]:
    command = [*INTERRUPTIBLE_PYTHON, "-m", "ddbctl", "--endpoint-url", server.endpoint_url, "-o", "json", "backup",
               "--to", str(directory), "--page-size", "20", "--file-bytes", "12000", "--segments", "4"]
    return command, {**os.environ, **server.env}


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_a_backup_killed_at_a_random_moment_continues_exactly_when_run_again(
    local_server_factory: Callable[..., LocalDynamoDB], tmp_path: Path, seed: int
) -> None:
    server = local_server_factory(aws_like=SLOW)
    create_table(server, physical("orders"))
    create_table(server, physical("ledger"), ("account", "N"), ("entry", "S"))
    orders = every_type_items(500, seed=seed)
    put_items(server, physical("orders"), orders)
    put_items(server, physical("ledger"), [{"account": {"N": str(n)}, "entry": {"S": "e"}} for n in range(100)])
    pages = 500 // 20 + 100 // 20 + 8
    rng = random.Random(seed)
    stop_after = rng.randint(0, pages)
    stop = signal.SIGINT if seed == 5 else signal.SIGKILL
    directory = tmp_path / "b"
    command, env = backup_command(server, directory)
    server.server.clear_operations()

    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while len(scans(server)) < stop_after and process.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.002)
    process.send_signal(stop)
    _, stderr = process.communicate(timeout=60)
    if process.returncode != 0:
        assert process.returncode == (130 if stop is signal.SIGINT else -stop), stderr
        assert not (directory / MANIFEST).exists(), "an interrupted backup is not complete"
    interrupted_scans = len(scans(server))

    server.server.clear_operations()
    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads(rerun.stdout)
    assert summary["complete"]
    if stop_after >= pages * 3 // 4 and process.returncode != 0:
        assert len(scans(server)) < interrupted_scans, "the re-run continued from the checkpoints"

    checked = verify_backup(str(directory))
    assert checked.items == 600
    manifest = json.loads((directory / MANIFEST).read_text())
    assert_same_items(backup_items(directory, manifest["tables"]["orders"]["export"]), orders, "id")
    assert_same_items(backup_items(directory, manifest["tables"]["ledger"]["export"]),
                      scan_all(server, physical("ledger")), "account", "entry")


# -- faults and read rate --------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_throttling_and_server_errors_give_an_exact_backup(
    local_server_factory: Callable[..., LocalDynamoDB], settings_for: SettingsFor, tmp_path: Path, seed: int
) -> None:
    clean = local_server_factory(aws_like=replace(FAST_AWS_LIKE, table_create_seconds=0.05))
    faulty_options = replace(FAST_AWS_LIKE, table_create_seconds=0.05, throttle_rate=0.1, error_rate=0.02, seed=seed)
    server = local_server_factory(aws_like=faulty_options)
    items = every_type_items(400, seed=seed)
    for target in (clean, server):
        create_table(target, physical("orders"))
        put_items(target, physical("orders"), items)
    server.server.clear_operations()
    result = backup(settings_for(server), str(tmp_path / "b"), BackupOptions(page_limit=9, segments=5))
    assert result.complete
    assert_same_items(backup_items(tmp_path / "b", result.tables[0].export_dir), items, "id")
    errors = [op["error"] for op in server.server.operations() if op["error"]]
    assert "ThrottlingException" in errors and set(errors) <= {"ThrottlingException", "InternalServerError"}


def test_scan_errors_beyond_botocores_retries_are_retried_not_skipped(
    dynamodb: LocalDynamoDB, settings_for: SettingsFor, tmp_path: Path
) -> None:
    create_table(dynamodb, physical("orders"))
    items = every_type_items(50, seed=3)
    put_items(dynamodb, physical("orders"), items)
    # More failures in a row than botocore's 8 attempts: ddbctl's own retry of the page rides them out.
    dynamodb.server.inject_fault("Scan", physical("orders"), "InternalServerError", "boom", status=500, times=11)
    result = backup(settings_for(dynamodb), str(tmp_path / "b"), BackupOptions(segments=1, page_limit=7))
    assert result.complete
    assert_same_items(backup_items(tmp_path / "b", result.tables[0].export_dir), items, "id")
    assert [op["error"] for op in scans(dynamodb)].count("InternalServerError") == 11


def test_a_scan_that_keeps_failing_stops_the_table_and_a_rerun_finishes_it(
    dynamodb: LocalDynamoDB, settings_for: SettingsFor, tmp_path: Path
) -> None:
    create_table(dynamodb, physical("orders"))
    create_table(dynamodb, physical("users"))
    items = every_type_items(40, seed=4)
    put_items(dynamodb, physical("orders"), items)
    put_items(dynamodb, physical("users"), items[:5])
    dynamodb.server.inject_fault("Scan", physical("orders"), "AccessDeniedException", "no", status=400)
    failed = backup(settings_for(dynamodb), str(tmp_path / "b"), BackupOptions(page_limit=7))
    assert not failed.complete and [logical for logical, _ in failed.failed] == ["orders"]
    assert "AccessDeniedException" in failed.failed[0][1].message
    assert [t.logical for t in failed.tables] == ["users"], "the other table went on"
    assert not (tmp_path / "b" / MANIFEST).exists()
    dynamodb.server.clear_faults()
    finished = backup(settings_for(dynamodb), str(tmp_path / "b"), BackupOptions(page_limit=7))
    assert finished.complete
    assert_same_items(backup_items(tmp_path / "b", finished.manifest["tables"]["orders"]["export"]), items, "id")


def test_a_read_rate_caps_the_consumed_capacity(
    awslike_dynamodb: LocalDynamoDB, settings_for: SettingsFor, tmp_path: Path
) -> None:
    create_table(awslike_dynamodb, physical("orders"))
    put_items(awslike_dynamodb, physical("orders"), [{"id": {"S": f"k{n:04d}"}, "pad": {"S": "x" * 2000}}
                                              for n in range(400)])
    awslike_dynamodb.server.clear_operations()
    rate = 20.0
    result = backup(settings_for(awslike_dynamodb), str(tmp_path / "b"), BackupOptions(segments=2, read_rate=rate))
    consumed = result.tables[0].consumed_units
    assert consumed >= 400 * 2000 / 8192, "every page billed (ConsumedCapacity requested and summed)"
    times = sorted(op["time"] for op in scans(awslike_dynamodb))
    assert len(times) >= consumed / rate, "pages of at most about a second of the budget"
    # The bucket starts with one second of budget and each segment may overdraw it by one page (about a
    # second of budget); the rest is spent at `rate` per second at most. So the server saw the scans
    # spread over at least this long, however fast or slow the machine is.
    assert times[-1] - times[0] >= (consumed - rate - 2 * rate) / rate


def test_a_data_file_no_checkpoint_names_is_removed(dynamodb: LocalDynamoDB, settings_for: SettingsFor,
                                                    tmp_path: Path) -> None:
    """A run killed after storing a file but before recording it, whose segment then ends sooner: the
    stray file must not stay in data/, where an importer would read its items twice."""
    from ddbctl.aws import Dynamo  # noqa: PLC0415
    from ddbctl.data.exportfmt import data_file_key  # noqa: PLC0415
    from ddbctl.data.scan import ScanOptions, TableScan  # noqa: PLC0415
    from ddbctl.data.store import LocalStore  # noqa: PLC0415

    create_table(dynamodb, physical("orders"))
    items = every_type_items(30, seed=8)
    put_items(dynamodb, physical("orders"), items)
    store = LocalStore(tmp_path / "b")
    stray = data_file_key("export", "segment-00001-00007")
    store.write_bytes(stray, b"left by a killed run")

    scan = TableScan(Dynamo(settings_for(dynamodb)), physical("orders"), store, "export", "checkpoints",
                     tmp_path / "staging", ScanOptions(segments=2, page_limit=4))
    result = scan.run()

    assert not store.exists(stray)
    assert sorted(store.list("export/data/")) == sorted(f.key for f in result.files)
    assert result.items == len(items)


def test_a_kill_right_after_any_checkpoint_save_resumes_exactly(dynamodb: LocalDynamoDB,
                                                                settings_for: SettingsFor, tmp_path: Path) -> None:
    """kill -9 at the worst moments, deterministically: the store as it stands after each checkpoint save
    (data files and checkpoints) is copied, and a new scan resumed from each copy must give every item
    exactly once. A save that names a segment's last file without marking it done would start that
    segment again and duplicate its items."""
    import shutil  # noqa: PLC0415

    from ddbctl.aws import Dynamo  # noqa: PLC0415
    from ddbctl.data.exportfmt import iter_items  # noqa: PLC0415
    from ddbctl.data.scan import ScanOptions, TableScan  # noqa: PLC0415
    from ddbctl.data.store import LocalStore  # noqa: PLC0415

    class SnapshotAfterEachCheckpoint(LocalStore):
        def __init__(self, root: Path) -> None:
            super().__init__(root)
            self.snapshots: list[Path] = []

        def write_bytes(self, key: str, data: bytes) -> None:
            super().write_bytes(key, data)
            if key.startswith("checkpoints/"):
                copy = tmp_path / f"after-save-{len(self.snapshots):03d}"
                shutil.copytree(self.root, copy)
                self.snapshots.append(copy)

    create_table(dynamodb, physical("orders"))
    items = every_type_items(40, seed=9)
    put_items(dynamodb, physical("orders"), items)
    dynamo = Dynamo(settings_for(dynamodb))
    options = ScanOptions(segments=2, page_limit=4, file_bytes=1)  # every page ends a file
    store = SnapshotAfterEachCheckpoint(tmp_path / "b")
    TableScan(dynamo, physical("orders"), store, "export", "checkpoints", tmp_path / "staging", options).run()
    assert len(store.snapshots) >= 12  # 40 items in pages of 4, over 2 segments

    for number, snapshot in enumerate(store.snapshots):
        resumed = LocalStore(snapshot)
        result = TableScan(dynamo, physical("orders"), resumed, "export", "checkpoints",
                           tmp_path / f"staging-{number}", options).run()
        found = [item for data_file in result.files for _, item in iter_items(resumed, data_file)]
        assert_same_items(found, items, "id")
