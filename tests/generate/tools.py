"""External checkers (terraform, node, tsc): found, or the test fails on CI and is skipped elsewhere."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# .ci/run installs TypeScript here (npm, pinned); a developer may also have tsc on PATH.
LOCAL_TSC = REPO / ".cache" / "node" / "node_modules" / ".bin" / "tsc"


def require(tool: str, why: str, candidates: tuple[Path, ...] = ()) -> str:
    """The path of ``tool``; on CI (CI set) a missing tool FAILS the test, elsewhere it skips with ``why``."""
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(tool)
    if found:
        return found
    message = f"{tool} is not installed: {why}"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI must run this check)")
    pytest.skip(message)
