"""Ownership as a user meets it (issue 8, item 1): only the environment's owned tables are ever changed.

Production, staging, dev and qa are created by ddbctl; hand-made untagged lookalikes sit beside them.
`apply --prune --allow-destroy` for production deletes and changes none of them, export writes none
of them; tables made outside ddbctl export and plan clean, and `adopt` takes them over explicitly.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ddbctl.local.pytest_plugin import LocalDynamoDB

from .conftest import Run
from .crowded import KEY, LOOKALIKES, P, crowded, mutations, project, table_names, write_spec

__all__ = ["crowded", "project"]  # fixtures


def test_prune_for_production_deletes_and_changes_no_lookalike(run: Run, crowded: LocalDynamoDB,
                                                               project: Path) -> None:
    before = table_names(crowded)
    result = run("apply", "--yes", "--prune", "--allow-destroy", "--dir", "schemas", server=crowded)
    assert result.exit_code == 0, result.output
    assert mutations(crowded) == []
    assert table_names(crowded) == before
    # Lookalikes that fit production's names are listed as not owned, with how to adopt them.
    assert "Not owned by this environment" in result.stdout
    assert (f"  {P}test-companies: not owned: no Environment tag (made outside ddbctl, or an untagged lookalike); "
            "never changed") in result.stdout.splitlines()
    for name in ("construction-expenses-staging", "construction-expenses-Staging-companies",
                 "construction-expenses-qa-untagged"):
        assert name not in result.stdout  # the name rule gives them to another environment or to none

    plan = run("plan", "--prune", "--allow-destroy", "--detailed-exitcode", "--dir", "schemas", server=crowded)
    assert plan.exit_code == 0, plan.output
    assert "4 table(s) not owned left alone" in plan.stdout


def test_prune_deletes_an_owned_table_and_shows_it_as_a_deletion(run: Run, crowded: LocalDynamoDB,
                                                                 project: Path) -> None:
    (project / "schemas" / "company-users.json").unlink()
    plan = run("plan", "--prune", "--allow-destroy", "--dir", "schemas", server=crowded)
    lines = plan.stdout.splitlines()
    assert f"- {P}company-users (delete)" in lines
    assert "    1. DELETE TABLE and all its data (destructive)" in lines
    assert "Plan: 0 to create, 0 to update, 1 to delete, 0 held, 0 refused; 1 change(s) (1 destructive)" in plan.stdout
    assert "(update)" not in plan.stdout

    result = run("apply", "--yes", "--prune", "--allow-destroy", "--dir", "schemas", server=crowded)
    assert result.exit_code == 0, result.output
    assert f"deleted   {P}company-users" in result.stdout.splitlines()
    assert mutations(crowded) == [("DeleteTable", f"{P}company-users")]
    assert {f"{P}staging-company-users", f"{P}qa-company-users", *LOOKALIKES} <= table_names(crowded)


def test_export_for_production_writes_only_owned_tables(run: Run, crowded: LocalDynamoDB, project: Path) -> None:
    result = run("export", "--dir", "out", server=crowded)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (project / "out").glob("*.json")) == ["companies.json", "company-users.json"]
    for name in ("test-companies", "v2-companies", "v2-staging-companies", "companies-archive"):
        assert f"not written {P}{name}: not owned: no Environment tag" in result.stderr
        assert f"adopt --table {P}{name}" in result.stderr
    assert mutations(crowded) == []


def test_export_then_plan_is_clean_whoever_made_the_tables(run: Run, dynamodb: LocalDynamoDB, tmp_path: Path) -> None:
    client = dynamodb.client()
    # As the AWS CLI or console makes them: no tags at all.
    client.create_table(TableName=f"{P}companies", **KEY)
    # As the seed's create-dynamodb-tables.sh makes them: Environment tag, no ManagedBy.
    client.create_table(TableName=f"{P}company-users", Tags=[{"Key": "Environment", "Value": "production"}], **KEY)
    schemas = tmp_path / "schemas"
    exported = run("export", "--dir", str(schemas), server=dynamodb)
    assert exported.exit_code == 0, exported.output
    assert sorted(p.name for p in schemas.glob("*.json")) == ["company-users.json"]
    plan = run("plan", "--dir", str(schemas), "--detailed-exitcode", server=dynamodb)
    assert plan.exit_code == 0, plan.output
    assert "No changes" in plan.stdout and "1 table(s) not owned left alone" in plan.stdout

    dynamodb.server.clear_operations()
    adopted = run("adopt", "--all", "--yes", server=dynamodb)
    assert adopted.exit_code == 0, adopted.output
    assert adopted.stdout.splitlines() == [f"adopted {P}companies"]
    assert [op for op, _ in mutations(dynamodb)] == ["TagResource"]
    arn = client.describe_table(TableName=f"{P}companies")["Table"]["TableArn"]
    tags = {t["Key"]: t["Value"] for t in client.list_tags_of_resource(ResourceArn=arn)["Tags"]}
    assert tags == {"Environment": "production", "ManagedBy": "ddbctl"}

    exported = run("export", "--dir", str(schemas), server=dynamodb)
    assert sorted(p.name for p in schemas.glob("*.json")) == ["companies.json", "company-users.json"]
    plan = run("plan", "--dir", str(schemas), "--detailed-exitcode", server=dynamodb)
    assert plan.exit_code == 0, plan.output
    assert plan.stdout.strip() == "No changes: the live tables match the spec files."


def test_an_unowned_table_with_a_spec_file_is_never_changed(run: Run, dynamodb: LocalDynamoDB, tmp_path: Path) -> None:
    dynamodb.client().create_table(TableName=f"{P}companies", **KEY)
    schemas = tmp_path / "schemas"
    write_spec(schemas, "companies")
    stream = {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    document = {"TableName": "companies", **KEY, "StreamSpecification": stream}
    (schemas / "companies.json").write_text(json.dumps(document))
    dynamodb.server.clear_operations()
    plan = run("plan", "--dir", str(schemas), "--detailed-exitcode", server=dynamodb)
    assert plan.exit_code == 0, plan.output
    applied = run("apply", "--yes", "--allow-destroy", "--dir", str(schemas), server=dynamodb)
    assert applied.exit_code == 0, applied.output
    created = run("create", "--dir", str(schemas), server=dynamodb)
    assert created.exit_code == 0 and "not owned" in created.stdout
    gsi = run("add-gsi", "--table", "companies", "--index", "by-x", "--partition-key", "x:S", server=dynamodb)
    assert gsi.exit_code == 2
    assert f"error: {P}companies: not owned: no Environment tag" in gsi.stderr
    assert f"adopt --table {P}companies" in gsi.stderr
    assert mutations(dynamodb) == []


def test_adopt_refuses_a_table_of_another_environment(run: Run, dynamodb: LocalDynamoDB) -> None:
    dynamodb.client().create_table(TableName=f"{P}companies", Tags=[{"Key": "Environment", "Value": "staging"}], **KEY)
    dynamodb.server.clear_operations()
    result = run("adopt", "--table", "companies", "--yes", server=dynamodb)
    assert result.exit_code == 2
    assert "is tagged Environment=staging: ddbctl never adopts a table of another environment" in result.stderr
    assert "Traceback" not in result.output
    assert mutations(dynamodb) == []


@pytest.mark.parametrize(("name", "hint"), [
    (f"{P}staging-companies", "did you mean -e staging?"),
    ("staging-companies", "did you mean -e staging --table companies?"),
])
def test_a_name_of_another_environment_gets_did_you_mean(run: Run, dynamodb: LocalDynamoDB, name: str,
                                                         hint: str) -> None:
    for command in (("wait", "--table", name), ("export", "--table", name, "--dir", "x"),
                    ("add-gsi", "--table", name, "--index", "by-x", "--partition-key", "x:S")):
        result = run(*command, server=dynamodb)
        assert result.exit_code == 2, (command, result.output)
        assert hint in result.stderr
        assert "construction-expenses-construction-expenses" not in result.output
    assert mutations(dynamodb) == []
