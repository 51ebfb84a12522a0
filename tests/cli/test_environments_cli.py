"""Environments as first-class objects (issue 12, item 6): envs, diff, destroy, against the local server."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from ddbctl.cli import guard
from ddbctl.cli.main import cli
from ddbctl.local import AwsLikeOptions
from ddbctl.local.pytest_plugin import LocalDynamoDB

from .conftest import Run
from .crowded import KEY, LOOKALIKES, P, crowded, mutations, project, table_names, write_spec

__all__ = ["crowded", "project"]  # fixtures


def test_envs_lists_each_environment_with_its_counts(run: Run, crowded: LocalDynamoDB, project: Path) -> None:
    result = run("envs", "--dir", "schemas", server=crowded)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["environment", "tables", "owned", "not", "owned", "other", "tag", "files"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:] if not line.startswith("no environment")}
    assert rows["production"] == ["6", "2", "4", "0", "match"]  # 4 untagged lookalikes fit production's names
    assert rows["staging"] == ["2", "2", "0", "0", "match"]
    assert rows["qa"] == ["3", "2", "1", "0", "match"]  # construction-expenses-qa-untagged
    assert rows["dev"] == ["2", "2", "0", "0", "match"]
    assert (f"no environment by the naming rule: {P}Staging-companies, {P}staging") in lines
    assert mutations(crowded) == []
    (project / "schemas" / "company-users.json").unlink()  # an owned table the files no longer describe
    fewer = run("envs", "--dir", "schemas", server=crowded)
    assert "1 table(s) differ" in fewer.stdout.splitlines()[1]


def test_envs_finds_an_environment_by_its_tag_and_reports_differing_files(
    run: Run, dynamodb: LocalDynamoDB, tmp_path: Path
) -> None:
    tags = [{"Key": "Environment", "Value": "pr-7"}]
    dynamodb.client().create_table(TableName=f"{P}pr-7-companies", Tags=tags, **KEY)
    write_spec(tmp_path / "schemas", "companies")
    write_spec(tmp_path / "schemas", "users")
    result = run("-o", "json", "envs", "--dir", str(tmp_path / "schemas"), server=dynamodb)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["environments"] == [{"environment": "pr-7", "tables": [f"{P}pr-7-companies"], "table_count": 1,
                                     "owned": 1, "not_owned": 0, "other_tag": 0, "files_match": False,
                                     "differences": 2}]  # users missing; companies' PITR differs


def test_diff_two_environments_in_the_planners_words(run: Run, crowded: LocalDynamoDB, project: Path) -> None:
    same = run("diff", "staging", "dev", server=crowded)
    assert same.exit_code == 0, same.output
    assert "No differences: staging matches dev." in same.stdout

    write_spec(project / "more", "companies")
    write_spec(project / "more", "audit")
    created = run("-e", "qa", "create", "--dir", "more", server=crowded)
    assert created.exit_code == 0, created.output
    crowded.server.clear_operations()
    different = run("diff", "staging", "qa", server=crowded)
    assert different.exit_code == 2, different.output
    assert f"+ {P}staging-audit (create)" in different.stdout.splitlines()
    assert "Plan: 1 to create" in different.stdout
    reverse = run("diff", "qa", "staging", server=crowded)
    assert reverse.exit_code == 2
    assert f"- {P}qa-audit (delete)" in reverse.stdout.splitlines()
    assert f"{P}qa-untagged" in reverse.stdout  # listed as not owned, never compared
    assert mutations(crowded) == []


def test_diff_an_environment_with_files(run: Run, crowded: LocalDynamoDB, project: Path) -> None:
    assert run("diff", "dev", "--dir", "schemas", server=crowded).exit_code == 0
    write_spec(project / "schemas", "audit")
    result = run("-o", "json", "diff", "dev", "--dir", "schemas", server=crowded)
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["same"] is False and data["plan"]["counts"]["create"] == 1


@pytest.mark.parametrize("args", [("diff", "Prod", "staging"), ("diff", "staging"), ("diff", "staging", "dev",
                                                                                        "--dir", "schemas")])
def test_diff_bad_arguments_exit_1_never_2(run: Run, crowded: LocalDynamoDB, project: Path,
                                           args: tuple[str, ...]) -> None:
    result = run(*args, server=crowded)
    assert result.exit_code == 1  # 2 means "different" here, as for plan --detailed-exitcode
    assert result.stderr.startswith("error: ")


def test_destroy_deletes_only_the_environments_owned_tables(run: Run, crowded: LocalDynamoDB,
                                                            project: Path) -> None:
    before = table_names(crowded)
    result = run("-e", "qa", "destroy", "--yes", server=crowded)
    assert result.exit_code == 0, result.output
    gone = {f"{P}qa-companies", f"{P}qa-company-users"}
    assert table_names(crowded) == before - gone
    assert sorted(mutations(crowded)) == [("DeleteTable", name) for name in sorted(gone)]
    for name in gone:
        assert f"deleted   {name}" in result.stdout.splitlines()
    assert f"{P}qa-untagged" in table_names(crowded) and set(LOOKALIKES) <= table_names(crowded)
    assert "2 deleted" in result.stdout


def test_destroy_refuses_production_and_needs_confirmation(run: Run, crowded: LocalDynamoDB, project: Path) -> None:
    production = run("destroy", "--yes", server=crowded)
    assert production.exit_code == 2
    assert "error: destroy refuses production" in production.stderr and "--allow-production" in production.stderr
    no_terminal = run("-e", "staging", "destroy", server=crowded)
    assert no_terminal.exit_code == 2 and "stdin is not a terminal" in no_terminal.stderr
    dry = run("-e", "staging", "destroy", "--dry-run", server=crowded)
    assert dry.exit_code == 0 and f"- {P}staging-companies (delete)" in dry.stdout
    assert mutations(crowded) == []


def test_destroy_on_a_terminal_wants_the_environments_name_typed(
    crowded: LocalDynamoDB, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(guard, "stdin_is_terminal", lambda: True)
    for variable in ("ENVIRONMENT", "TABLE_PREFIX", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(variable, raising=False)
    runner = CliRunner()
    wrong = runner.invoke(cli, ["-e", "staging", "destroy"], input="production\n", env=crowded.env)
    assert wrong.exit_code == 1 and "destroy cancelled: nothing was sent" in wrong.output
    assert mutations(crowded) == []
    right = runner.invoke(cli, ["-e", "staging", "destroy"], input="staging\n", env=crowded.env)
    assert right.exit_code == 0, right.output
    assert {name for _, name in mutations(crowded)} == {f"{P}staging-companies", f"{P}staging-company-users"}


def test_destroy_never_deletes_a_protected_table(run: Run, dynamodb: LocalDynamoDB) -> None:
    client = dynamodb.client()
    tags = [{"Key": "Environment", "Value": "ci"}]
    client.create_table(TableName=f"{P}ci-kept", DeletionProtectionEnabled=True, Tags=tags, **KEY)
    client.create_table(TableName=f"{P}ci-gone", Tags=tags, **KEY)
    dynamodb.server.clear_operations()
    result = run("-e", "ci", "destroy", "--yes", server=dynamodb)
    assert result.exit_code == 1
    assert f"deleted   {P}ci-gone" in result.stdout.splitlines()
    assert f"{P}ci-kept: no spec file, but deletion protection is on" in result.stdout
    assert mutations(dynamodb) == [("DeleteTable", f"{P}ci-gone")]
    assert f"{P}ci-kept" in table_names(dynamodb)


def test_destroy_waits_until_each_table_is_gone(run: Run, awslike_dynamodb: LocalDynamoDB) -> None:
    client = awslike_dynamodb.client()
    client.create_table(TableName=f"{P}ci-orders", Tags=[{"Key": "Environment", "Value": "ci"}], **KEY)
    client.get_waiter("table_exists").wait(TableName=f"{P}ci-orders", WaiterConfig={"Delay": 0.2})
    result = run("-e", "ci", "destroy", "--yes", server=awslike_dynamodb)
    assert result.exit_code == 0, result.output
    # The AWS-like server keeps a deleted table DELETING for a while: destroy returned only once DescribeTable
    # said the table does not exist.
    described = [op for op in awslike_dynamodb.server.operations() if op["operation"] == "DescribeTable"]
    assert described[-1]["error"] == "ResourceNotFoundException"
    assert f"{P}ci-orders" not in table_names(awslike_dynamodb)
    assert f"deleted   {P}ci-orders" in result.stdout.splitlines()


def test_destroy_run_again_waits_for_a_table_already_being_deleted(
    run: Run, local_server_factory: Callable[..., LocalDynamoDB]
) -> None:
    # The server holds a deleted table DELETING for 3 s: a destroy interrupted after its DeleteTable, run again.
    server = local_server_factory(AwsLikeOptions(table_create_seconds=0.1, table_delete_seconds=3.0, seed=3))
    client = server.client(max_attempts=5)
    client.create_table(TableName=f"{P}ci-orders", Tags=[{"Key": "Environment", "Value": "ci"}], **KEY)
    client.get_waiter("table_exists").wait(TableName=f"{P}ci-orders", WaiterConfig={"Delay": 0.2})
    client.delete_table(TableName=f"{P}ci-orders")
    assert client.describe_table(TableName=f"{P}ci-orders")["Table"]["TableStatus"] == "DELETING"
    server.server.clear_operations()
    result = run("-e", "ci", "destroy", "--yes", server=server)
    assert result.exit_code == 0, result.output
    assert f"deleted   {P}ci-orders: was already being deleted; now gone" in result.stdout.splitlines()
    assert [op["operation"] for op in server.server.operations() if op["operation"] == "DeleteTable"] == []
    assert f"{P}ci-orders" not in table_names(server)
