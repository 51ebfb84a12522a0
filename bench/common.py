"""Shared helpers for the benchmarks: a local server, timed subprocesses, medians and ratios."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from ddbctl.local import AwsLikeOptions, LocalServer

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "src" / "ddbctl" / "examples" / "construction-expenses" / "schemas"
# The seed's scripts; DDBCTL_BASELINE overrides (a git worktree is not next to shared/).
BASELINE = Path(os.environ.get("DDBCTL_BASELINE") or ROOT.parent / "shared" / "baseline")


def require_baseline() -> None:
    missing = [tool for tool in ("aws", "jq") if shutil.which(tool) is None]
    if missing or not BASELINE.is_dir():
        sys.exit(f"benchmark needs {', '.join(missing) or BASELINE} (pip install awscli; apt-get install jq)")


def environment(server: LocalServer, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "AWS_ENDPOINT_URL_DYNAMODB": server.endpoint_url,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_PAGER": "",
        **extra,
    }


def timed(command: Sequence[str], env: dict[str, str], cwd: Path | None = None) -> float:
    """Seconds one command takes; fails loudly if it fails."""
    started = time.perf_counter()
    completed = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({completed.returncode}):\n{completed.stdout}\n{completed.stderr}")
    return elapsed


def ddbctl(*args: str) -> list[str]:
    return [sys.executable, "-m", "ddbctl", *args]


def median_line(label: str, samples: list[float]) -> str:
    spread = ", ".join(f"{s:.2f}" for s in samples)
    return f"{label:<44} median {statistics.median(samples):7.2f} s   runs: {spread}"


def aws_like_server(table_create_seconds: float = 2.0, index_create_seconds: float = 3.0) -> LocalServer:
    return LocalServer(aws_like=AwsLikeOptions(table_create_seconds=table_create_seconds,
                                               index_create_seconds=index_create_seconds, seed=1))
