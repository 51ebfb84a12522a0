"""One way to end a command (issue 18 point 5): every command, run into a failure with ``-o json``, prints
exactly one JSON document on stdout whose ``"error"`` has code, message, hint and exit_code (the
process's exit code), and nothing on stderr. The list of cases covers every command and group
subcommand of the click tree: a command added later without a case fails this test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest

from ddbctl.cli.main import cli
from ddbctl.local.pytest_plugin import LocalDynamoDB

from .conftest import Run

UNREACHABLE = {"AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:9", "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9",
               "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"}
P = "construction-expenses-"


def command_paths(group: click.Group = cli, path: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    found: set[tuple[str, ...]] = set()
    for name, command in group.commands.items():
        found.add((*path, name))
        if isinstance(command, click.Group):
            found |= command_paths(command, (*path, name))
    return found


def bad_specs(tmp_path: Path) -> Path:
    directory = tmp_path / "bad"
    directory.mkdir(exist_ok=True)
    (directory / "orders.json").write_text('{"TableName": "orders"}', encoding="utf-8")
    return directory


# (command path, arguments after it, expected error code, expected exit code); {bad} is a directory of an invalid
# spec file, {tmp} an empty scratch directory. Each runs against an unreachable endpoint.
CASES: list[tuple[tuple[str, ...], list[str], str, int]] = [
    (("validate",), ["{bad}"], "SpecError", 2),
    (("schema",), ["--nope"], "NoSuchOption", 2),
    (("local",), ["--port", "70000"], "BadParameter", 2),
    (("demo",), ["--schemas", "{bad}"], "SpecError", 2),
    (("export",), ["--dir", "{tmp}/out"], "EndpointError", 1),
    (("create",), ["--dir", "{example}"], "EndpointError", 1),
    (("plan",), ["--dir", "{example}"], "EndpointError", 1),
    (("apply",), ["--yes", "--dir", "{example}"], "EndpointError", 1),
    (("add-gsi",), ["--table", "companies", "--index", "by-x", "--partition-key", "x:S"], "EndpointError", 1),
    (("wait",), ["--table", "companies"], "EndpointError", 1),
    (("adopt",), ["--all", "--yes"], "EndpointError", 1),
    (("envs",), [], "EndpointError", 1),
    (("diff",), ["staging", "dev"], "EndpointError", 1),
    (("destroy",), ["-e", "ci", "--yes"], "EndpointError", 1),
    (("backup",), ["--to", "{tmp}/backup"], "EndpointError", 1),
    (("backup", "verify"), ["{tmp}/no-backup"], "BackupError", 2),
    (("restore",), ["--from", "{tmp}/no-backup"], "BackupError", 2),
    (("snapshot",), [], "EndpointError", 1),
    (("snapshots",), [], "EndpointError", 1),
    (("generate", "cloudformation"), ["--dir", "{bad}"], "SpecError", 2),
    (("generate", "terraform"), ["--dir", "{bad}"], "SpecError", 2),
    (("generate", "table-config"), ["--dir", "{bad}"], "SpecError", 2),
    (("generate", "iam-policy"), ["--dir", "{bad}"], "SpecError", 2),
    (("generate",), ["nope"], "NoSuchCommand", 2),
]
# Variants of a command with their own code path.
VARIANTS: list[tuple[tuple[str, ...], list[str], str, int]] = [
    (("backup",), ["--native", "--to", "s3://bucket/prefix"], "EndpointError", 1),
    (("backup",), ["--native", "--to", "s3://bucket/prefix", "--segments", "3"], "UsageError", 2),
    (("restore",), ["--native", "--from", "s3://bucket/prefix", "-e", "dr"], "EndpointError", 1),
    (("restore",), ["--point-in-time", "latest", "-e", "dr"], "EndpointError", 1),
    (("restore",), ["--snapshot", "latest", "-e", "dr"], "EndpointError", 1),
    (("restore",), ["--native", "--from", "s3://b/p", "--verify"], "UsageError", 2),
    (("destroy",), ["--yes"], "ConfigError", 2),  # production without --allow-production
    (("apply",), ["--dir", "{example}"], "ConfigError", 2),  # no terminal, no --yes
    (("plan",), ["--dir", "{bad}", "--detailed-exitcode"], "SpecError", 1),
]


def error_document(text: str) -> dict[str, Any]:
    document = json.loads(text)  # exactly one document: json.loads refuses trailing text
    assert isinstance(document, dict)
    error = document["error"]
    assert set(error) == {"code", "message", "hint", "exit_code"}
    assert isinstance(error["message"], str) and error["message"]
    return document


def test_every_command_has_a_failure_case() -> None:
    assert {path for path, *_ in CASES} == command_paths()


@pytest.mark.parametrize(("path", "args", "code", "exit_code"), CASES + VARIANTS,
                         ids=[" ".join([*p, *a]) for p, a, *_ in CASES + VARIANTS])
def test_every_failure_is_one_json_document_with_an_error(run: Run, tmp_path: Path, example_dir: Path,
                                                          path: tuple[str, ...], args: list[str], code: str,
                                                          exit_code: int) -> None:
    words = [arg.format(bad=bad_specs(tmp_path), tmp=tmp_path, example=example_dir) for arg in args]
    result = run("-o", "json", *path, *words, env=UNREACHABLE)
    assert result.exit_code == exit_code, result.output
    error = error_document(result.stdout)["error"]
    assert (error["code"], error["exit_code"]) == (code, exit_code), error
    assert result.stderr == ""


def test_a_failure_after_the_report_adds_the_error_to_the_report(run: Run, dynamodb: LocalDynamoDB) -> None:
    """destroy of a deletion-protected table (the issue's example): the report, and its error, in one document."""
    client = dynamodb.client()
    key = {"AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
           "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}
    client.create_table(TableName=f"{P}ci-kept", DeletionProtectionEnabled=True,
                        Tags=[{"Key": "Environment", "Value": "ci"}], **key)
    result = run("-o", "json", "-e", "ci", "destroy", "--yes", server=dynamodb)
    assert result.exit_code == 1
    document = error_document(result.stdout)
    assert document["error"]["code"] == "TablesFailed" and document["error"]["exit_code"] == 1
    assert [(t["physical_name"], t["outcome"]) for t in document["tables"]] == [(f"{P}ci-kept", "failed")]
    assert document["target"]["environment"] == "ci"


def test_a_policy_check_that_finds_gaps_is_an_error_too(run: Run, tmp_path: Path, example_dir: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "dynamodb:ListTables", "Resource": "*"}]}), encoding="utf-8")
    result = run("-o", "json", "-e", "staging", "generate", "iam-policy", "--dir", str(example_dir), "--check",
                 str(policy), "--for", "plan")
    assert result.exit_code == 1
    document = error_document(result.stdout)
    assert document["commands"]["plan"]["ok"] is False
    assert document["error"]["code"] == "PolicyLacks"
    assert "`ddbctl -e staging generate iam-policy`" in document["error"]["hint"]
