"""Every bad input of issue 8 (items 2 and 6): one message, exit 2, no traceback, nothing sent.

Each test runs the real CLI against the local server and reads the server's own operation log to
prove that no mutating call arrived.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from ddbctl.local import MUTATING_OPERATIONS
from ddbctl.local.pytest_plugin import LocalDynamoDB

from .conftest import Run

KEY = {"AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
       "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]}


def spec_dir(tmp_path: Path, **tables: str | dict[str, Any]) -> Path:
    directory = tmp_path / "schemas"
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in tables.items():
        text = content if isinstance(content, str) else json.dumps({"TableName": name, **KEY, **content})
        (directory / f"{name}.json").write_text(text)
    return directory


def assert_refused(result: Result, server: LocalDynamoDB | None, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output, result.output
    if server is not None:
        sent = [op["operation"] for op in server.server.operations() if op["operation"] in MUTATING_OPERATIONS]
        assert sent == []


@pytest.fixture
def server(dynamodb: LocalDynamoDB) -> LocalDynamoDB:
    """The local server with one production table (so apply/prune would have something to touch)."""
    dynamodb.client().create_table(TableName="construction-expenses-companies", BillingMode="PAY_PER_REQUEST",
                                   Tags=[{"Key": "Environment", "Value": "production"}], **KEY)
    dynamodb.server.clear_operations()
    return dynamodb


SPEC_COMMANDS = (("validate",), ("create",), ("plan",), ("apply", "--yes"))


def run_on_dir(run: Run, server: LocalDynamoDB, command: tuple[str, ...], directory: Path) -> Result:
    if command == ("validate",):
        return run("validate", str(directory), server=server)
    return run(*command, "--dir", str(directory), server=server)


@pytest.mark.parametrize("command", SPEC_COMMANDS)
def test_deeply_nested_json(run: Run, server: LocalDynamoDB, tmp_path: Path, command: tuple[str, ...]) -> None:
    depth = 200_000
    directory = spec_dir(tmp_path, orders='{"TableName": "orders", "Tags": ' + "[" * depth + "]" * depth + "}")
    assert_refused(run_on_dir(run, server, command, directory), server, "orders.json:/: JSON nested too deeply")


@pytest.mark.parametrize("command", SPEC_COMMANDS)
def test_capacity_beyond_dynamodbs_range(run: Run, server: LocalDynamoDB, tmp_path: Path,
                                         command: tuple[str, ...]) -> None:
    directory = spec_dir(tmp_path, orders={"BillingMode": "PROVISIONED",
                                           "ProvisionedThroughput": {"ReadCapacityUnits": 10**40,
                                                                     "WriteCapacityUnits": 1}})
    assert_refused(run_on_dir(run, server, command, directory), server,
                   "orders.json:/ProvisionedThroughput/ReadCapacityUnits: must be less than or equal to "
                   "9223372036854775807")


def test_on_demand_limits_beyond_range(run: Run, server: LocalDynamoDB, tmp_path: Path) -> None:
    zero = spec_dir(tmp_path / "zero", orders={"OnDemandThroughput": {"MaxReadRequestUnits": 0}})
    assert_refused(run("validate", str(zero), server=server), server,
                   "/OnDemandThroughput/MaxReadRequestUnits: MaxReadRequestUnits is -1 (no maximum) or at least 1")
    huge = spec_dir(tmp_path / "huge", orders={"OnDemandThroughput": {"MaxWriteRequestUnits": 2**63}})
    assert_refused(run("validate", str(huge), server=server), server,
                   "/OnDemandThroughput/MaxWriteRequestUnits: must be less than or equal to")


@pytest.mark.parametrize("command", SPEC_COMMANDS)
def test_tag_characters_dynamodb_refuses(run: Run, server: LocalDynamoDB, tmp_path: Path,
                                         command: tuple[str, ...]) -> None:
    directory = spec_dir(tmp_path, orders={"Tags": [{"Key": "team\u0000", "Value": "ok"},
                                                    {"Key": "Zürich Team_1", "Value": "a.b:c/d=e+f-g@h"}]})
    assert_refused(run_on_dir(run, server, command, directory), server,
                   "orders.json:/Tags/0/Key: tag keys may contain only letters, digits, spaces and _ . : / = + - @ "
                   "(found '\\x00')")
    assert "/Tags/1" not in run_on_dir(run, server, command, directory).output  # unicode letters are letters


def test_duplicate_json_keys_are_named_with_their_pointer(run: Run, server: LocalDynamoDB, tmp_path: Path) -> None:
    text = ('{"TableName": "orders", "BillingMode": "PROVISIONED", "BillingMode": "PAY_PER_REQUEST", '
            '"KeySchema": [{"AttributeName": "id", "KeyType": "HASH", "KeyType": "RANGE"}], '
            '"AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}]}')
    directory = spec_dir(tmp_path, orders=text)
    result = run("plan", "--dir", str(directory), server=server)
    assert_refused(result, server, "orders.json:/BillingMode: duplicate key 'BillingMode'",
                   "orders.json:/KeySchema/0/KeyType: duplicate key 'KeyType'")


# -- the spec directory (item 2) -------------------------------------------------------------------------


@pytest.mark.parametrize(("make", "fragment"), [
    (lambda d: (d / "x.json").symlink_to(d / "missing.json"), "x.json:/: dangling symbolic link"),
    (lambda d: (d / "x.json").symlink_to(d / "x.json"), "x.json:/: symbolic link that loops"),
    (lambda d: (d / "x.json").mkdir(), "x.json:/: a directory, not a spec file"),
    (lambda d: os.mkfifo(d / "x.json"), "x.json:/: not a regular file"),
])
def test_every_json_entry_must_be_a_readable_file(run: Run, server: LocalDynamoDB, tmp_path: Path,
                                                  make: Any, fragment: str) -> None:
    directory = spec_dir(tmp_path, orders={})
    make(directory)
    for command in SPEC_COMMANDS:
        assert_refused(run_on_dir(run, server, command, directory), server, fragment)


def test_a_dangling_link_never_plans_a_deletion(run: Run, server: LocalDynamoDB, tmp_path: Path) -> None:
    directory = spec_dir(tmp_path, orders={})
    (directory / "companies.json").symlink_to(tmp_path / "gone" / "companies.json")
    result = run("apply", "--yes", "--prune", "--allow-destroy", "--dir", str(directory), server=server)
    assert_refused(result, server, "companies.json:/: dangling symbolic link")
    assert "DELETE" not in result.output


def test_a_symlink_to_a_spec_file_is_fine(run: Run, server: LocalDynamoDB, tmp_path: Path) -> None:
    directory = spec_dir(tmp_path, orders={})
    elsewhere = spec_dir(tmp_path / "shared", companies={})
    (directory / "companies.json").symlink_to(elsewhere / "companies.json")
    result = run("validate", str(directory), server=server)
    assert result.exit_code == 0 and "2 spec file(s)" in result.output


# -- export's directory ----------------------------------------------------------------------------------


@pytest.fixture
def immutable_dir(tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "frozen"
    directory.mkdir()
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(directory)], check=False,
                                                        capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available here")
    try:
        yield directory
    finally:
        subprocess.run(["chattr", "-i", str(directory)], check=True)


def test_export_into_an_immutable_directory(run: Run, server: LocalDynamoDB, immutable_dir: Path) -> None:
    for target in (immutable_dir, immutable_dir / "sub"):
        result = run("export", "--dir", str(target), server=server)
        assert_refused(result, server, f"error: cannot write to directory {immutable_dir}: Operation not permitted")
    assert server.server.operations() == []  # checked before anything was read


def test_export_into_a_read_only_directory(run: Run, server: LocalDynamoDB, tmp_path: Path) -> None:
    directory = tmp_path / "read-only"
    directory.mkdir()
    directory.chmod(0o555)
    try:
        if os.access(directory, os.W_OK):  # root ignores the mode: then the kernel's own read-only place
            directory = Path("/proc/ddbctl-export")
        result = run("export", "--dir", str(directory), server=server)
    finally:
        (tmp_path / "read-only").chmod(0o755)
    assert_refused(result, server, "error: cannot write to directory")


def test_export_into_a_path_that_is_a_file(run: Run, server: LocalDynamoDB, tmp_path: Path) -> None:
    file = tmp_path / "file"
    file.write_text("x")
    assert_refused(run("export", "--dir", str(file / "schemas"), server=server), server,
                   f"error: cannot write to {file} (in {file / 'schemas'}): it is not a directory")
    assert_refused(run("export", "--dir", str(file), server=server), server, "is a file")


# -- settings -------------------------------------------------------------------------------------------


def test_unknown_region_without_a_custom_endpoint(run: Run, tmp_path: Path) -> None:
    env = {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y", "AWS_ENDPOINT_URL_DYNAMODB": "",
           "AWS_ENDPOINT_URL": ""}
    result = run("--region", "mars-1", "export", "--dir", str(tmp_path / "out"), env=env)
    assert_refused(result, None, "error: unknown AWS region 'mars-1'", "hint: set --region or AWS_REGION")


def test_any_region_name_with_a_custom_endpoint(run: Run, server: LocalDynamoDB, tmp_path: Path) -> None:
    # With a custom endpoint the region is only a name to sign with: ddbctl sends the call (this server,
    # moto, has no backend for that name and fails it; another DynamoDB-compatible server may not).
    result = run("--region", "mars-1", "export", "--dir", str(tmp_path / "out"), server=server)
    assert "unknown AWS region" not in result.output
    assert [op["operation"] for op in server.server.operations()][:1] == ["ListTables"]


@pytest.mark.parametrize(("value", "fragment"), [
    ("Prod", "did you mean 'production'?"),
    ("PRODUCTION", "did you mean 'production'?"),
    ("prod", "did you mean 'production'?"),
    ("-", "invalid environment '-' (from ENVIRONMENT)"),
    ("qa--eu", "no leading, trailing or double hyphen"),
    ("staging-", "no leading, trailing or double hyphen"),
])
def test_bad_environment_names(run: Run, server: LocalDynamoDB, tmp_path: Path, value: str, fragment: str) -> None:
    directory = spec_dir(tmp_path, orders={})
    result = run("create", "--dir", str(directory), server=server, env={"ENVIRONMENT": value})
    assert_refused(result, server, fragment)
    assert server.server.operations() == []


def test_an_environment_not_listed_in_the_project_file(run: Run, server: LocalDynamoDB, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "ddbctl.toml").write_text('environments = ["production", "staging", "qa"]\n')
    monkeypatch.chdir(tmp_path)
    directory = spec_dir(tmp_path, orders={})
    result = run("create", "--dir", str(directory), server=server, env={"ENVIRONMENT": "stagingfoo"})
    assert_refused(result, server, "unknown environment 'stagingfoo' (from ENVIRONMENT): ddbctl.toml lists "
                   "production, staging, qa", "did you mean 'staging'?")
    listed = run("-e", "qa", "create", "--dir", str(directory), "--dry-run", server=server)
    assert listed.exit_code == 0, listed.output


def test_an_empty_environment_means_production(run: Run, server: LocalDynamoDB, tmp_path: Path) -> None:
    directory = spec_dir(tmp_path, orders={})
    result = run("create", "--dir", str(directory), "--dry-run", server=server, env={"ENVIRONMENT": ""})
    assert result.exit_code == 0 and '"TableName": "construction-expenses-orders"' in result.output


def test_unknown_profile_and_missing_credentials_share_exit_code_2(run: Run, tmp_path: Path) -> None:
    directory = spec_dir(tmp_path, orders={})
    none = str(tmp_path / "none")
    base = {"AWS_SHARED_CREDENTIALS_FILE": none, "AWS_CONFIG_FILE": none, "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": ""}
    profile = run("--endpoint-url", "http://127.0.0.1:9", "create", "--dir", str(directory),
                  env={**base, "AWS_PROFILE": "nope"})
    assert_refused(profile, None, "error: AWS profile 'nope' not found")
    missing = run("--endpoint-url", "http://127.0.0.1:9", "create", "--dir", str(directory), env=base)
    assert_refused(missing, None, "error: no AWS credentials found")


def test_add_gsi_capacity_beyond_range(run: Run, server: LocalDynamoDB) -> None:
    result = run("add-gsi", "--table", "companies", "--index", "by-x", "--partition-key", "x:S",
                 "--read-capacity", str(10**40), "--write-capacity", "1", server=server)
    assert_refused(result, server, "--read-capacity and --write-capacity must be 1 to 9223372036854775807")


def test_add_gsi_into_an_immutable_spec_directory_says_the_file_was_not_written(
    run: Run, server: LocalDynamoDB, tmp_path: Path
) -> None:
    directory = spec_dir(tmp_path, companies={"BillingMode": "PAY_PER_REQUEST"})
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(directory)], check=False,
                                                        capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available here")
    try:
        result = run("add-gsi", "--table", "companies", "--index", "by-x", "--partition-key", "x:S",
                     "--dir", str(directory), server=server)
    finally:
        subprocess.run(["chattr", "-i", str(directory)], check=True)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert "companies.json not changed: not written: cannot write" in result.output
