from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ddbctl.config import Settings, load_settings
from ddbctl.local import MUTATING_OPERATIONS
from ddbctl.local.pytest_plugin import LocalDynamoDB


@pytest.fixture(params=["plain", "awslike"])
def any_dynamodb(request: pytest.FixtureRequest) -> LocalDynamoDB:
    """The test runs twice: on plain moto, and on the AWS-like server (tables CREATING for a while)."""
    fixture = "dynamodb" if request.param == "plain" else "awslike_dynamodb"
    server: LocalDynamoDB = request.getfixturevalue(fixture)
    return server


@pytest.fixture
def settings_for(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Settings]:
    """Settings pointing at a local server, with its dummy credentials in the environment."""

    def make(server: LocalDynamoDB, environment: str = "production", **flags: Any) -> Settings:
        for key, value in server.env.items():
            monkeypatch.setenv(key, value)
        return load_settings({"environment": environment, "endpoint_url": server.endpoint_url, **flags}, environ={})

    return make


def mutations(server: LocalDynamoDB) -> list[tuple[str, str | None]]:
    """(operation, table) of every mutating call the server received."""
    return [(op["operation"], op["table"]) for op in server.server.operations()
            if op["operation"] in MUTATING_OPERATIONS]
