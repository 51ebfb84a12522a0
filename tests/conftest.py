"""Shared fixtures: the local DynamoDB servers (ddbctl.local.pytest_plugin) and small helpers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest_plugins = ["ddbctl.local.pytest_plugin"]

EXAMPLE_DIR = Path(__file__).resolve().parents[1] / "src" / "ddbctl" / "examples" / "construction-expenses" / "schemas"


@pytest.fixture
def example_dir(tmp_path: Path) -> Path:
    """A private copy of the bundled 13-table example."""
    target = tmp_path / "schemas"
    shutil.copytree(EXAMPLE_DIR, target)
    return target
