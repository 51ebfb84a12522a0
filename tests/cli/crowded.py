"""Four environments created by ddbctl plus the issue's hand-made untagged lookalikes (issue 8, item 1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ddbctl.local import MUTATING_OPERATIONS
from ddbctl.local.pytest_plugin import LocalDynamoDB

from .conftest import Run

P = "construction-expenses-"
LOOKALIKES = ("construction-expenses-staging", "construction-expenses-Staging-companies",
              "construction-expenses-qa-untagged", "construction-expenses-test-companies",
              "construction-expenses-v2-companies", "construction-expenses-v2-staging-companies",
              "construction-expenses-companies-archive")
KEY = {"AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
       "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}
ENVIRONMENTS = ("production", "staging", "dev", "qa")


def write_spec(directory: Path, name: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.json").write_text(json.dumps({"TableName": name, **KEY}))


def mutations(server: LocalDynamoDB) -> list[tuple[str, Any]]:
    return [(op["operation"], op["table"]) for op in server.server.operations()
            if op["operation"] in MUTATING_OPERATIONS]


def table_names(server: LocalDynamoDB) -> set[str]:
    return set(server.client().list_tables()["TableNames"])


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project directory whose ddbctl.toml knows qa, with the spec files of two tables."""
    (tmp_path / "ddbctl.toml").write_text(f"environments = {json.dumps(list(ENVIRONMENTS))}\n")
    for name in ("companies", "company-users"):
        write_spec(tmp_path / "schemas", name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def crowded(run: Run, dynamodb: LocalDynamoDB, project: Path) -> LocalDynamoDB:
    """Four environments created by ddbctl, plus the issue's untagged lookalikes made by hand."""
    for environment in ENVIRONMENTS:
        result = run("-e", environment, "create", "--dir", "schemas", server=dynamodb)
        assert result.exit_code == 0, result.output
    client = dynamodb.client()
    for name in LOOKALIKES:
        client.create_table(TableName=name, **KEY)
    dynamodb.server.clear_operations()
    return dynamodb
