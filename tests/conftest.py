"""Shared fixtures. The local DynamoDB servers come from ddbctl.local.pytest_plugin (loaded by -p in pyproject)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from ddbctl.local.pytest_plugin import LocalDynamoDB, ServerPool

from .servers import BUILD_IN_PROGRESS_SECONDS, SLOW_INDEX

# Property tests assert properties, not speed: no per-example deadline and no "too slow" health check, so a
# loaded machine (CI, or several test runs at once) cannot fail them. Tests may still set their own settings.
settings.register_profile("ddbctl", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ddbctl")

EXAMPLE_DIR = Path(__file__).resolve().parents[1] / "src" / "ddbctl" / "examples" / "construction-expenses" / "schemas"


@pytest.fixture
def example_dir(tmp_path: Path) -> Path:
    """A private copy of the bundled 13-table example."""
    target = tmp_path / "schemas"
    shutil.copytree(EXAMPLE_DIR, target)
    return target


@pytest.fixture
def slow_index(local_servers: ServerPool) -> LocalDynamoDB:
    """An AWS-like server whose index builds take 1.5 s (the first 0.5 s before backfilling), emptied."""
    return local_servers.fresh(SLOW_INDEX)


@pytest.fixture
def long_build(local_servers: ServerPool) -> LocalDynamoDB:
    """An AWS-like server whose index builds last long enough (BUILD_IN_PROGRESS_SECONDS) that ddbctl,
    however slowly a loaded machine starts it, sees another build still running."""
    return local_servers.fresh(replace(SLOW_INDEX, index_create_seconds=BUILD_IN_PROGRESS_SECONDS))
