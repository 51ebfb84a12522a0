from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result

from ddbctl.cli.main import cli
from ddbctl.local.pytest_plugin import LocalDynamoDB

Run = Callable[..., Result]


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch) -> Run:
    """Run ``ddbctl ARGS`` in-process against a server (its dummy credentials in the environment)."""

    def invoke(*args: str, server: LocalDynamoDB | None = None, env: dict[str, str] | None = None) -> Result:
        for variable in ("ENVIRONMENT", "TABLE_PREFIX", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
            monkeypatch.delenv(variable, raising=False)
        environment = {**(server.env if server else {}), **(env or {})}
        return CliRunner().invoke(cli, list(args), env=environment, catch_exceptions=False)

    return invoke
