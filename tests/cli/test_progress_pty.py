"""Live progress on a real terminal: `ddbctl wait` in a pseudo-terminal, the elapsed time ticking.

The AWS-like server holds the table in CREATING (10 minutes), so the wait cannot end during the test:
what is asserted is that the live display shows two different elapsed times, not how long anything took.
"""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ddbctl.local import AwsLikeOptions
from ddbctl.local.pytest_plugin import LocalDynamoDB

SRC = str(Path(__file__).resolve().parents[2] / "src")
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\r")
TABLE = "construction-expenses-companies"
# The live row: table, (no step for a wait), state, elapsed.
ROW = re.compile(rb"construction-expenses-compan\S*\s+CREATING\s+(\d+(?:m\d\ds)?s?)")
HOLD = AwsLikeOptions(table_create_seconds=600, seed=3)


def create_held_table(db: LocalDynamoDB) -> None:
    db.client().create_table(TableName=TABLE, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                             BillingMode="PAY_PER_REQUEST")


def run_in_pty(args: list[str], env: dict[str, str], until: Callable[[bytes], bool], limit: float) -> bytes:
    """Run ``python -m ddbctl ARGS`` with a pseudo-terminal as stdin/stdout/stderr; read until ``until``."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "ddbctl", *args], stdin=terminal, stdout=terminal,
                               stderr=terminal, env=env, close_fds=True)
    os.close(terminal)
    seen = b""
    deadline = time.monotonic() + limit
    try:
        while time.monotonic() < deadline and not until(seen):
            ready, _, _ = select.select([controller], [], [], 0.5)
            if ready:
                try:
                    seen += os.read(controller, 65536)
                except OSError:  # the process ended: the terminal is gone
                    break
    finally:
        process.kill()
        process.wait()
        os.close(controller)
    return ANSI.sub(b"", seen)


def elapsed_values(output: bytes) -> list[bytes]:
    values: list[bytes] = []
    for match in ROW.finditer(output):
        if not values or values[-1] != match.group(1):
            values.append(match.group(1))
    return values


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_the_live_display_ticks_while_a_table_stays_creating(
    local_server_factory: Callable[..., LocalDynamoDB],
) -> None:
    db = local_server_factory(HOLD)
    create_held_table(db)
    env = {**os.environ, **db.env, "PYTHONPATH": os.pathsep.join(filter(None, [SRC, os.environ.get("PYTHONPATH")])),
           "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"}
    env.pop("NO_COLOR", None)
    env.pop("ENVIRONMENT", None)
    output = run_in_pty(["--endpoint-url", db.endpoint_url, "wait", "--table", "companies", "--max-wait", "60"],
                        env, until=lambda seen: len(elapsed_values(ANSI.sub(b"", seen))) >= 3, limit=30)
    values = elapsed_values(output)
    assert len(values) >= 2, output[-2000:]
    assert len(set(values)) >= 2
    assert b"\xe2\x86\x92" not in output, "no log lines on a terminal: the live display only"
