"""Operator experience (issue 12): options anywhere, JSON errors, the target header, honest reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from ddbctl.cli.base import DdbctlGroup, global_options
from ddbctl.cli.main import wants_json
from ddbctl.cli.state import CliState, pass_state
from ddbctl.local.pytest_plugin import LocalDynamoDB

from .conftest import Run
from .test_plan_cli import write_table

TABLE = "construction-expenses-staging-orders"


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


# -- options anywhere -----------------------------------------------------------------------------------------------


def test_output_debug_config_and_settings_work_after_the_command(run: Run, dynamodb: LocalDynamoDB,
                                                                  tmp_path: Path) -> None:
    schemas = write_table(tmp_path / "schemas")
    config = tmp_path / "ddbctl.toml"
    config.write_text('prefix = "construction-expenses"\n')
    result = run("plan", "--dir", str(schemas), "-o", "json", "--debug", "--config", str(config), "-e", "staging",
                 server=dynamodb)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["environment"] == "staging" and data["target"]["environment"] == "staging"
    assert data["tables"][0]["physical_name"] == TABLE


@pytest.mark.parametrize("form", [["-o", "json"], ["--output", "json"], ["--output=json"], ["-ojson"]])
def test_every_spelling_of_json_output_after_the_command(run: Run, dynamodb: LocalDynamoDB, tmp_path: Path,
                                                         form: list[str]) -> None:
    result = run("plan", "--dir", str(write_table(tmp_path / "s")), *form, server=dynamodb)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["counts"]["create"] == 1


def test_the_option_after_the_command_wins(run: Run, dynamodb: LocalDynamoDB, tmp_path: Path) -> None:
    result = run("-e", "dev", "-o", "text", "plan", "-e", "staging", "-o", "json", "--dir",
                 str(write_table(tmp_path / "s")), server=dynamodb)
    assert json.loads(result.stdout)["environment"] == "staging"


def test_subcommands_of_a_group_accept_the_global_options() -> None:
    root = DdbctlGroup("root")
    group = DdbctlGroup("things")

    @group.command("show")
    @pass_state
    def show(state: CliState) -> None:
        click.echo(json.dumps({"output": state.output, "debug": state.debug, "flags": state.flags}))

    root.add_command(group)
    nested = DdbctlGroup("nested")
    root.add_command(nested)  # a DdbctlGroup: its commands added later get the options too

    @nested.group("deeper")
    def deeper() -> None:
        """A subgroup is a DdbctlGroup too."""

    @deeper.command("late")
    @pass_state
    def late(state: CliState) -> None:
        click.echo(state.output)

    result = CliRunner().invoke(root, ["things", "-e", "qa", "show", "-o", "json", "--debug", "--region", "eu-west-1"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"output": "json", "debug": True,
                                         "flags": {"environment": "qa", "region": "eu-west-1"}}
    assert CliRunner().invoke(root, ["nested", "deeper", "-e", "dev", "late", "-o", "json"]).output == "json\n"


def test_a_command_without_the_global_options_must_be_added_as_plain() -> None:
    root = DdbctlGroup("root")
    with pytest.raises(TypeError, match="cls=DdbctlCommand"):
        root.add_command(click.Command("bare"))
    root.add_plain_command(click.Command("bare"))
    assert "bare" in root.commands


def test_no_callback_is_replaced_and_every_command_declares_its_options() -> None:
    """The global options are parsed by the command's class: each callback is the function its module
    defines (its own options as parameters), and no option is made optional or required behind its back."""
    import inspect  # noqa: PLC0415

    from ddbctl.cli.main import cli  # noqa: PLC0415

    def walk(group: click.Group) -> list[click.Command]:
        found: list[click.Command] = []
        for command in group.commands.values():
            found.append(command)
            if isinstance(command, click.Group):
                found.extend(walk(command))
        return found

    globals_ = {option.name for option in global_options()}
    for command in walk(cli):
        assert command.callback is not None
        module = inspect.getmodule(command.callback)
        assert module is not None and module.__name__.startswith("ddbctl.cli."), command.name
        own = {param.name for param in command.params} - globals_
        parameters = inspect.signature(command.callback).parameters
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
            continue  # `local` takes its tuning options as **tuning
        assert own == set(parameters) - {"state", "ctx"}, command.name


@pytest.mark.parametrize(("argv", "expected"), [
    (["plan", "-o", "json"], True), (["-o", "text", "plan"], False), (["--output=json"], True),
    (["-ojson"], True), (["plan", "--", "-o", "json"], False), (["-o", "json", "-o", "text"], False),
])
def test_json_mode_is_seen_before_parsing(argv: list[str], expected: bool) -> None:
    assert wants_json(argv) is expected


# -- JSON errors ----------------------------------------------------------------------------------------------------


def error_of(text: str) -> dict[str, Any]:
    document = json.loads(text)
    assert set(document["error"]) == {"code", "message", "hint", "exit_code"}
    return document["error"]  # type: ignore[no-any-return]


def test_a_spec_error_is_a_json_error_on_stdout_with_the_same_exit_code(run: Run, dynamodb: LocalDynamoDB,
                                                                          tmp_path: Path) -> None:
    schemas = write_table(tmp_path / "schemas")
    (schemas / "orders.json").write_text("{")
    result = run("plan", "--dir", str(schemas), "-o", "json", server=dynamodb)
    assert result.exit_code == 2
    error = error_of(result.stdout)
    assert error["code"] == "SpecError" and error["exit_code"] == 2
    assert "1 problem in spec files" in error["message"] and "ddbctl validate" in error["hint"]
    assert result.stderr == ""
    detailed = run("plan", "--dir", str(schemas), "-o", "json", "--detailed-exitcode", server=dynamodb)
    assert detailed.exit_code == 1 and error_of(detailed.stdout)["exit_code"] == 1


def test_a_config_error_and_a_usage_error_in_json(run: Run) -> None:
    bad_env = run("create", "-o", "json", env={"ENVIRONMENT": "bad env!"})
    assert bad_env.exit_code == 2 and error_of(bad_env.stdout)["code"] == "ConfigError"
    bad_value = run("plan", "-o", "json", "--concurrency", "0")
    assert bad_value.exit_code == 2
    error = error_of(bad_value.stdout)
    assert error["code"] == "BadParameter" and "--concurrency" in error["message"]
    assert error["hint"] == "see `cli plan --help`"
    unknown = run("-o", "json", "plan", "--nope")
    assert unknown.exit_code == 2 and error_of(unknown.stdout)["code"] == "NoSuchOption"
    missing = run("-o", "json", "wait")
    assert missing.exit_code == 2 and error_of(missing.stdout)["code"] == "MissingParameter"


def test_an_aws_error_carries_the_aws_error_code(run: Run, dynamodb: LocalDynamoDB, tmp_path: Path) -> None:
    dynamodb.server.inject_fault("ListTables", None, "AccessDeniedException", "not you")
    result = run("-o", "json", "-e", "staging", "plan", "--dir", str(write_table(tmp_path / "s")), server=dynamodb)
    assert result.exit_code == 1
    error = error_of(result.stdout)
    assert error["code"] == "AccessDeniedException" and "grant dynamodb:ListTables on \"*\"" in error["hint"]


def test_an_unreachable_endpoint_in_json(run: Run, tmp_path: Path) -> None:
    result = run("-o", "json", "plan", "--dir", str(write_table(tmp_path / "s")),
                 env={"AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID": "x",
                      "AWS_SECRET_ACCESS_KEY": "y"})
    assert result.exit_code == 1
    assert error_of(result.stdout)["code"] == "EndpointError"


def test_a_failed_table_adds_the_error_to_the_one_report_document(run: Run, dynamodb: LocalDynamoDB,
                                                                   tmp_path: Path) -> None:
    dynamodb.server.inject_fault("CreateTable", None, "ValidationException", "no")
    result = run("-o", "json", "-e", "staging", "apply", "--yes", "--dir", str(write_table(tmp_path / "s")),
                 server=dynamodb)
    assert result.exit_code == 1
    document = json.loads(result.stdout)  # exactly one document
    assert document["ok"] is False and document["counts"]["failed"] == 1
    assert document["error"]["code"] == "TablesFailed" and document["error"]["exit_code"] == 1
    assert document["target"]["environment"] == "staging"


def test_max_wait_errors_name_what_the_user_set(run: Run) -> None:
    from_env = run("wait", "--table", "t", env={"MAX_WAIT": "abc"})
    assert from_env.exit_code == 2
    assert "MAX_WAIT: 'abc' is not a number" in from_env.stderr
    assert "--max-wait" not in from_env.stderr.splitlines()[-1]
    from_flag = run("wait", "--table", "t", "--max-wait", "abc")
    assert "Invalid value for '--max-wait': 'abc' is not a number" in from_flag.stderr
    negative = run("wait", "--table", "t", env={"MAX_WAIT": "-5"})
    assert "MAX_WAIT: '-5' is not a number of seconds (0 or more)" in negative.stderr
    as_json = run("wait", "--table", "t", "-o", "json", env={"MAX_WAIT": "abc"})
    assert "MAX_WAIT: 'abc' is not a number" in error_of(as_json.stdout)["message"]


def test_an_invalid_environment_names_the_variable_or_the_flag(run: Run) -> None:
    from_env = run("create", env={"ENVIRONMENT": "bad env!"})
    assert "ENVIRONMENT" in from_env.stderr and "'bad env!'" in from_env.stderr
    from_flag = run("create", "-e", "bad env!")
    assert "-e/--environment" in from_flag.stderr


# -- the target -----------------------------------------------------------------------------------------------------


def test_plan_apply_and_create_print_the_target_first(run: Run, dynamodb: LocalDynamoDB, tmp_path: Path) -> None:
    schemas = write_table(tmp_path / "schemas")
    account = dynamodb.server.account_id
    header = ["Target: environment staging, prefix construction-expenses",
              f"        account {account}, region us-east-1, endpoint {dynamodb.endpoint_url}"]
    for command in (["plan"], ["create"], ["apply", "--yes"], ["plan"]):
        result = run("-e", "staging", *command, "--dir", str(schemas), server=dynamodb)
        assert result.exit_code == 0, result.output
        assert result.stderr.splitlines()[:2] == header, command
        data = json.loads(run("-e", "staging", "-o", "json", *command, "--dir", str(schemas), server=dynamodb).stdout)
        assert data["target"] == {"account": account, "region": "us-east-1", "endpoint": dynamodb.endpoint_url,
                                  "environment": "staging", "prefix": "construction-expenses"}


def test_add_gsi_prints_the_target_first(run: Run, dynamodb: LocalDynamoDB, tmp_path: Path) -> None:
    schemas = write_table(tmp_path / "schemas")
    run("-e", "staging", "apply", "--yes", "--dir", str(schemas), server=dynamodb)
    result = run("-e", "staging", "add-gsi", "--table", "orders", "--index", "by-x", "--partition-key", "x:S",
                 server=dynamodb)
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("Target: environment staging, prefix construction-expenses\n"
                                    f"        account {dynamodb.server.account_id}, region us-east-1")
    assert result.stderr.count("Target:") == 1


# -- plan and apply reports -----------------------------------------------------------------------------------------


def test_no_drift_note_when_the_files_ask_for_the_change(run: Run, dynamodb: LocalDynamoDB, tmp_path: Path) -> None:
    schemas = write_table(tmp_path / "schemas")
    run("-e", "staging", "apply", "--yes", "--dir", str(schemas), server=dynamodb)
    write_table(schemas, Tags=[{"Key": "Team", "Value": "payments"}])
    asked = run("-e", "staging", "plan", "--dir", str(schemas), server=dynamodb)
    assert "set tags Team=payments" in asked.stdout
    assert "Changes to existing tables undo" not in asked.stderr
    run("-e", "staging", "apply", "--yes", "--dir", str(schemas), server=dynamodb)
    dynamodb.client().tag_resource(
        ResourceArn=dynamodb.client().describe_table(TableName=TABLE)["Table"]["TableArn"],
        Tags=[{"Key": "AddedByHand", "Value": "yes"}])
    drifted = run("-e", "staging", "plan", "--dir", str(schemas), server=dynamodb)
    assert "remove tags AddedByHand" in drifted.stdout
    assert "Changes to existing tables undo whatever differs from the files" in drifted.stderr


def test_apply_lists_changed_tables_and_counts_unchanged_ones(run: Run, dynamodb: LocalDynamoDB,
                                                               tmp_path: Path) -> None:
    schemas = tmp_path / "schemas"
    for name in ("orders", "users", "items"):
        write_table(schemas, name)
    assert run("-e", "staging", "apply", "--yes", "--dir", str(schemas), server=dynamodb).exit_code == 0
    write_table(schemas, "users", Tags=[{"Key": "Team", "Value": "a"}])
    result = run("-e", "staging", "apply", "--yes", "--dir", str(schemas), server=dynamodb)
    assert result.exit_code == 0
    report = result.stdout.splitlines()[-2:]
    assert report == ["updated   construction-expenses-staging-users",
                      "1 updated, 2 unchanged (2 not listed: -v lists every table)"]
    write_table(schemas, "users", Tags=[{"Key": "Team", "Value": "b"}])
    verbose = run("-e", "staging", "apply", "--yes", "-v", "--dir", str(schemas), server=dynamodb)
    assert "unchanged construction-expenses-staging-items" in verbose.stdout
    assert verbose.stdout.splitlines()[-1] == "1 updated, 2 unchanged"


def test_no_line_is_printed_twice(run: Run, dynamodb: LocalDynamoDB, tmp_path: Path) -> None:
    schemas = tmp_path / "schemas"
    for name in ("orders", "users"):
        write_table(schemas, name)
    result = run("-e", "staging", "create", "--dir", str(schemas), server=dynamodb)
    assert result.exit_code == 0
    every = lines(result.stdout) + lines(result.stderr)
    assert len(every) == len(set(every)), every
    assert sum(f"staging-{name}" in line and "created" in line for line in every for name in ("orders",)) == 1


# -- small fixes ----------------------------------------------------------------------------------------------------


def test_the_local_banner_names_the_port_it_listens_on_and_both_region_variables(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from ddbctl.cli.local_cmd import _announce  # noqa: PLC0415

    _announce("http://127.0.0.1:9123", aws_like=False)
    banner = capsys.readouterr().out
    assert "export AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:9123" in banner
    assert "AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1" in banner
    assert "or run ddbctl with --endpoint-url http://127.0.0.1:9123." in banner
    assert "--local" not in banner
    _announce("http://127.0.0.1:8000", aws_like=True)
    assert "or run ddbctl with --local." in capsys.readouterr().out


def test_demo_removes_its_temporary_directory_and_keeps_dir(run: Run, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile  # noqa: PLC0415

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    result = run("demo", "--schemas", str(write_table(tmp_path / "schemas")))
    assert result.exit_code == 0, result.output
    assert "now removed (--dir DIR keeps them)" in result.stdout
    assert list(scratch.iterdir()) == []
    kept = run("demo", "--schemas", str(tmp_path / "schemas"), "--dir", str(tmp_path / "out"))
    assert (tmp_path / "out" / "orders.json").is_file() and f"spec files: {tmp_path / 'out'}" in kept.stdout


def test_the_summary_fits_100_columns_unless_wide(run: Run, dynamodb: LocalDynamoDB, tmp_path: Path) -> None:
    from ddbctl.ops.demo import EXAMPLE_SCHEMAS  # noqa: PLC0415

    run("create", "--dir", str(EXAMPLE_SCHEMAS), server=dynamodb)
    narrow = run("export", "--dir", str(tmp_path / "out"), server=dynamodb)
    assert narrow.exit_code == 0
    # The summary fits; the closing line carries the user's path whole (never wrapped), whatever its length.
    closing = f"Exported 13 table(s) to {tmp_path / 'out'}"
    assert closing in narrow.stdout.splitlines()
    assert max(len(line) for line in narrow.stdout.splitlines() if line != closing) <= 100
    assert "construction-expenses-company-expenses  ACTIVE" in narrow.stdout
    wide = run("export", "--dir", str(tmp_path / "out"), "--wide", server=dynamodb)
    assert max(len(line) for line in wide.stdout.splitlines()) > 100
