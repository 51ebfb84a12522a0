"""What a user sees when DynamoDB (or a compatible server) accepts a change and does not carry it out."""

from __future__ import annotations

from ddbctl.local.pytest_plugin import LocalDynamoDB

from ..gsi_tables import COMPANIES, create_table
from .conftest import Run


def test_add_gsi_exits_1_when_the_index_never_appears(run: Run, dynamodb: LocalDynamoDB) -> None:
    create_table(dynamodb)
    dynamodb.server.inject_fault("UpdateTable", COMPANIES, action="ignore")
    result = run("add-gsi", "--table", "companies", "--index", "by-email", "--partition-key", "email:S",
                 "--max-wait", "1", server=dynamodb)
    assert result.exit_code == 1
    assert "created" not in result.stdout
    assert f"error: {COMPANIES}: UpdateTable accepted but index by-email never appeared after " in result.stderr
    assert "(--max-wait 1)" in result.stderr
