"""The ownership rule through the library, on both local servers (plain and AWS-like)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from ddbctl.config import Settings
from ddbctl.local.pytest_plugin import LocalDynamoDB
from ddbctl.ops.adopt import adopt_tables, plan_adoption
from ddbctl.ops.converge import apply_plan, plan_tables
from ddbctl.ops.create import create_tables
from ddbctl.ops.export import export_tables
from ddbctl.plan import Status

from .conftest import mutations

SettingsFor = Callable[..., Settings]
P = "construction-expenses-"
KEY = {"AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
       "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}


def test_prune_never_touches_lookalikes_and_adoption_makes_them_owned(
    any_dynamodb: LocalDynamoDB, settings_for: SettingsFor, tmp_path: Path
) -> None:
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    (schemas / "companies.json").write_text(json.dumps({"TableName": "companies", **KEY}))
    for environment in ("production", "staging"):
        create_tables(settings_for(any_dynamodb, environment), schemas)
    client = any_dynamodb.client(max_attempts=5)
    for name in (f"{P}staging", f"{P}Staging-companies", f"{P}test-companies", f"{P}companies-archive"):
        client.create_table(TableName=name, **KEY)
    for name in (f"{P}test-companies", f"{P}companies-archive"):
        client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.2})
    any_dynamodb.server.clear_operations()

    production = settings_for(any_dynamodb, "production")
    plan = plan_tables(production, schemas, allow_destroy=True, prune=True)
    assert {t.physical: t.status for t in plan.tables} == {
        f"{P}companies": Status.UNCHANGED, f"{P}companies-archive": Status.NOT_OWNED,
        f"{P}test-companies": Status.NOT_OWNED}
    assert plan.converged
    report = apply_plan(production, plan)
    assert report.ok and mutations(any_dynamodb) == []

    exported = export_tables(production, tmp_path / "out")
    assert [p.name for p in exported.files] == ["companies.json"]
    assert sorted(exported.live.unowned) == ["companies-archive", "test-companies"]

    adoption = plan_adoption(production, [f"{P}test-companies"])
    assert [c.physical for c in adoption.to_adopt] == [f"{P}test-companies"]
    assert all(result.ok for result in adopt_tables(production, adoption))
    after = plan_tables(production, schemas, allow_destroy=True, prune=True)
    assert after.table("test-companies").status is Status.DELETE  # owned now, no spec file: prunable
    assert after.table("companies-archive").status is Status.NOT_OWNED
