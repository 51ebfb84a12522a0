"""The CLI as a user meets it: exit codes and the exact messages."""

from __future__ import annotations

import json
from pathlib import Path

from ddbctl.local.pytest_plugin import LocalDynamoDB

from .conftest import Run


def test_validate_accepts_the_example(run: Run, example_dir: Path) -> None:
    result = run("validate", str(example_dir))
    assert result.exit_code == 0
    assert result.output.strip() == f"13 spec file(s) in {example_dir} are valid"


def test_validate_lists_every_problem_with_file_pointer_and_rule(run: Run, example_dir: Path) -> None:
    (example_dir / "companies.json").write_text("[]")
    spec = json.loads((example_dir / "company-users.json").read_text())
    spec["BillingMode"] = "PROVISIONED"
    (example_dir / "company-users.json").write_text(json.dumps(spec))
    result = run("validate", str(example_dir))
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert lines[0] == "error: 3 problems in spec files:"
    files = [line.split(":/", 1)[0].rsplit("/", 1)[-1] for line in lines[1:-1]]
    assert files == sorted(files), "problems are listed file by file, in name order"
    assert f"  {example_dir}/companies.json:/: top level must be a JSON object describing one table, not array" in lines
    assert any(line.endswith("company-users.json:/ProvisionedThroughput: BillingMode PROVISIONED needs "
                             "ProvisionedThroughput for the table") for line in lines)
    assert lines[-1] == "  hint: fix the files (ddbctl validate DIR lists every problem); nothing was sent to DynamoDB"


def test_validate_json_output(run: Run, example_dir: Path) -> None:
    (example_dir / "companies.json").write_text("{}")
    result = run("-o", "json", "validate", str(example_dir))
    assert result.exit_code == 2
    problems = json.loads(result.stdout)["problems"]
    assert {"file": str(example_dir / "companies.json"), "pointer": "/TableName",
            "rule": "required field is missing"} in problems


def test_validate_lists_the_valid_files_in_name_order(run: Run, example_dir: Path) -> None:
    result = run("-o", "json", "validate", str(example_dir))
    assert result.exit_code == 0
    files = json.loads(result.stdout)["files"]
    assert files == sorted(str(path) for path in example_dir.glob("*.json")) and len(files) == 13


def test_missing_directory(run: Run, tmp_path: Path) -> None:
    result = run("validate", str(tmp_path / "schemas"))
    assert result.exit_code == 2
    assert result.output == (f"error: schema directory {tmp_path / 'schemas'} does not exist\n"
                             "  hint: run `ddbctl export` first to write the schema files, or pass --dir\n")


def test_wrong_flag_is_a_usage_error(run: Run) -> None:
    result = run("create", "--dry-runn")
    assert result.exit_code == 2
    assert "Error: No such option '--dry-runn'. Did you mean '--dry-run'?" in result.output


def test_schema_prints_a_json_schema(run: Run) -> None:
    result = run("schema")
    schema = json.loads(result.output)
    assert result.exit_code == 0
    assert "TableName" in schema["properties"] and schema["additionalProperties"] is False


def test_create_dry_run_then_create_then_export(run: Run, dynamodb: LocalDynamoDB, example_dir: Path,
                                                tmp_path: Path) -> None:
    dry = run("-e", "staging", "create", "--dir", str(example_dir), "--dry-run", server=dynamodb)
    assert dry.exit_code == 0
    assert "1. CreateTable" in dry.stdout and '"TableName": "construction-expenses-staging-companies"' in dry.stdout
    assert "dry run: 28 request(s) shown, none sent" in dry.stderr
    assert dynamodb.client().list_tables()["TableNames"] == []

    created = run("-e", "staging", "create", "--dir", str(example_dir), server=dynamodb)
    assert created.exit_code == 0, created.output
    assert "13 created" in created.stdout

    again = run("-o", "json", "-e", "staging", "create", "--dir", str(example_dir), server=dynamodb)
    assert json.loads(again.stdout)["counts"]["skipped"] == 13 and again.stderr == ""

    out = tmp_path / "out"
    exported = run("export", "--dir", str(out), server=dynamodb, env={"ENVIRONMENT": "staging"})
    assert exported.exit_code == 0
    assert f"Exported 13 table(s) to {out}" in exported.stdout
    assert (out / "table-summary.txt").read_text().startswith("DynamoDB tables, environment staging")


def test_create_reports_a_failed_table_with_exit_code_1(run: Run, dynamodb: LocalDynamoDB,
                                                        example_dir: Path) -> None:
    dynamodb.server.inject_fault("CreateTable", "construction-expenses-dev-companies", "AccessDeniedException",
                                 "not authorized")
    result = run("-e", "dev", "create", "--dir", str(example_dir), server=dynamodb)
    assert result.exit_code == 1
    assert "12 created, 1 failed" in result.stdout
    assert ("failed    construction-expenses-dev-companies: access denied: this identity may not call "
            "dynamodb:CreateTable on construction-expenses-dev-companies (AccessDeniedException); ddbctl sends it "
            "for: apply, create, restore (hint: grant dynamodb:CreateTable on construction-expenses-dev-companies "
            "to this identity (docs/iam.md))") in result.stdout.splitlines()


def test_missing_credentials_message(run: Run, example_dir: Path, tmp_path: Path) -> None:
    env = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), "AWS_CONFIG_FILE": str(tmp_path / "none"),
           "AWS_EC2_METADATA_DISABLED": "true"}
    result = run("--endpoint-url", "http://127.0.0.1:9", "create", "--dir", str(example_dir), env=env)
    assert result.exit_code == 2  # a settings problem found before anything was sent, like an unknown profile
    assert result.output.startswith("error: no AWS credentials found\n  hint: configure them")


def test_unreachable_endpoint_message(run: Run, example_dir: Path) -> None:
    env = {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"}
    result = run("--endpoint-url", "http://127.0.0.1:9", "export", "--dir", str(example_dir), env=env)
    assert result.exit_code == 1
    assert result.output.startswith('error: cannot reach DynamoDB at "http://127.0.0.1:9/"') or \
        result.output.startswith("error: cannot reach DynamoDB at http://127.0.0.1:9")


def test_demo_runs_the_main_job_end_to_end(run: Run, tmp_path: Path) -> None:
    result = run("-e", "staging", "demo", "--dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "13 created" in result.stdout
    assert "second create: 13 skipped, 0 created" in result.stdout
    assert len(list(tmp_path.glob("*.json"))) == 13


def test_settings_flags_work_after_the_command_too_and_win(run: Run, dynamodb: LocalDynamoDB,
                                                            example_dir: Path) -> None:
    result = run("-e", "dev", "create", "-e", "staging", "--dir", str(example_dir), "--dry-run", server=dynamodb)
    assert result.exit_code == 0
    assert '"TableName": "construction-expenses-staging-companies"' in result.stdout
    assert "construction-expenses-dev-" not in result.stdout


def test_invalid_files_stop_apply_before_any_call(run: Run, dynamodb: LocalDynamoDB, example_dir: Path) -> None:
    (example_dir / "companies.json").write_text('{"TableName": "companies"}')
    result = run("-e", "staging", "apply", "--yes", "--dir", str(example_dir), server=dynamodb)
    assert result.exit_code == 2
    assert result.output.startswith("error: 2 problems in spec files:")
    assert dynamodb.server.operations() == [], "not even a read is sent before the files are valid"
