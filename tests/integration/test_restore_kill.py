"""kill -9 at seeded moments during `ddbctl restore`, then the same command again: exact every time.

The moment is counted in requests the server has received (not in seconds), so each seed kills at the
same stage of the work whatever the machine's speed: before validation, during table creation, in the
middle of the writes, during the final count.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ddbctl.config import Settings
from ddbctl.data.items import item_checksum, loads_line
from ddbctl.local import AwsLikeOptions
from ddbctl.local.pytest_plugin import LocalDynamoDB, ServerPool

from ..restore_helpers import scan_all, simple_spec, write_backup
from .test_restore import checksums, items_for

SettingsFor = Callable[..., Settings]
TABLE = "construction-expenses-staging-companies"
SLOW = AwsLikeOptions(table_create_seconds=0.2, unprocessed_rate=0.2, latency_ms=15, seed=99)
ITEMS = 1200


def ddbctl(server: LocalDynamoDB, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, **server.env, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen([sys.executable, "-m", "ddbctl", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def kill_after(process: subprocess.Popen[bytes], server: LocalDynamoDB, requests: int) -> bool:
    """SIGKILL once the server has received ``requests`` requests; False if the process ended first."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if len(server.server.operations()) >= requests:
            process.send_signal(signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.002)
    raise AssertionError("the restore neither progressed nor ended")


@pytest.mark.parametrize("seed", range(10))
def test_kill_9_at_a_random_moment_then_the_same_command_is_exact(
    local_servers: ServerPool, tmp_path: Path, seed: int
) -> None:
    server = local_servers.fresh(SLOW)
    rows = items_for(ITEMS)
    backup = write_backup(tmp_path / "backup", {"companies": (simple_spec("companies"),
                                                              [rows[:500], rows[500:900], rows[900:]])})
    command = ("-e", "staging", "restore", "--from", str(backup), "--state-dir", str(tmp_path / "state"),
               "--concurrency", "3", "--endpoint-url", server.endpoint_url)
    moment = random.Random(seed).randint(1, 70)  # a full run takes about 70 requests

    first = ddbctl(server, *command)
    killed = kill_after(first, server, moment)

    if killed:
        _check_the_checkpoint_claims_only_written_items(server, backup, tmp_path / "state")
        second = ddbctl(server, *command)
        _, err = second.communicate(timeout=300)
        assert second.returncode == 0, err.decode()
    else:
        assert first.returncode == 0
    assert checksums(scan_all(server.client(max_attempts=5), TABLE)) == checksums(rows)
    assert not (tmp_path / "state").exists()


def _check_the_checkpoint_claims_only_written_items(server: LocalDynamoDB, backup: Path, state: Path) -> None:
    checkpoint = state / "checkpoint.json"
    if not checkpoint.exists():
        return  # killed before the first write: nothing claimed
    claimed = json.loads(checkpoint.read_text())["files"]
    try:
        in_table = {item_checksum(item) for item in scan_all(server.client(max_attempts=5), TABLE)}
    except server.client().exceptions.ResourceNotFoundException:
        in_table = set()
    import gzip  # noqa: PLC0415

    for key, (done_through, _) in claimed.items():
        lines = gzip.decompress((backup / key).read_bytes()).splitlines()[:done_through]
        missing = [number for number, line in enumerate(lines, start=1) if item_checksum(loads_line(line))
                   not in in_table]
        assert missing == [], f"{key}: the checkpoint claims lines {missing[:5]}... that are not in the table"
