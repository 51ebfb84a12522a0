"""`ddbctl generate TARGET` from the command line: stdout or --out, clean errors, no call to AWS."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ddbctl.cli.main import cli
from ddbctl.local.pytest_plugin import LocalDynamoDB

from .specs import EXAMPLE_DIR, LEDGER, write_specs

TARGETS: tuple[tuple[str, ...], ...] = (
    ("cloudformation",), ("cloudformation", "--format", "json", "--parameterized"), ("terraform",),
    ("terraform", "--no-import"), ("iam-policy",), ("table-config", "--lang", "js"), ("table-config", "--lang", "ts"),
    ("table-config", "--lang", "python"),
)


def ddbctl(*args: str, env: dict[str, str] | None = None) -> Result:
    clean = {"ENVIRONMENT": "", "TABLE_PREFIX": "", "AWS_REGION": "", "AWS_DEFAULT_REGION": ""}
    return CliRunner().invoke(cli, list(args), env={**clean, **(env or {})})


@pytest.mark.parametrize("target", TARGETS, ids=" ".join)
def test_stdout_and_out_file_are_the_same_bytes_and_send_nothing_to_aws(
        target: tuple[str, ...], tmp_path: Path, dynamodb: LocalDynamoDB) -> None:
    dynamodb.server.clear_operations()
    printed = ddbctl("generate", *target, "--dir", str(EXAMPLE_DIR), "-e", "staging", env=dynamodb.env)
    assert printed.exit_code == 0, printed.output
    out = tmp_path / "generated.txt"
    written = ddbctl("-e", "staging", "generate", *target, "--dir", str(EXAMPLE_DIR), "--out", str(out),
                     env=dynamodb.env)
    assert written.exit_code == 0, written.output
    assert out.read_text(encoding="utf-8") == printed.output
    if target[0] != "iam-policy":
        assert "companies" in printed.output
    assert dynamodb.server.operations() == []  # generators never call AWS


def test_the_selected_environment_and_prefix_reach_every_target() -> None:
    result = ddbctl("generate", "cloudformation", "--dir", str(EXAMPLE_DIR), "-e", "dev", "--prefix", "acme")
    assert "TableName: acme-dev-companies" in result.output
    result = ddbctl("generate", "terraform", "--dir", str(EXAMPLE_DIR), env={"ENVIRONMENT": "qa", "TABLE_PREFIX": "x"})
    assert 'default     = "qa"' in result.output and 'default     = "x"' in result.output


def test_cloudformation_import_file(tmp_path: Path) -> None:
    imports = tmp_path / "import.json"
    result = ddbctl("generate", "cloudformation", "--dir", str(EXAMPLE_DIR), "-e", "staging", "--import", str(imports))
    assert result.exit_code == 0
    resources = json.loads(imports.read_text(encoding="utf-8"))
    assert len(resources) == 13
    assert resources[0]["ResourceIdentifier"] == {"TableName": "construction-expenses-staging-companies"}


@pytest.mark.parametrize(("bad", "message"), [("missing-dir/out.yaml", "directory {parent} does not exist"),
                                              (".", "is a directory")])
def test_a_bad_out_path_is_a_clean_exit_2_and_writes_nothing(tmp_path: Path, bad: str, message: str) -> None:
    imports = tmp_path / "import.json"
    out = tmp_path / bad
    result = ddbctl("generate", "cloudformation", "--dir", str(EXAMPLE_DIR), "--out", str(out), "--import",
                    str(imports))
    assert result.exit_code == 2
    assert message.format(parent=out.parent) in result.output
    assert "Traceback" not in result.output
    assert not imports.exists()


def test_invalid_spec_files_are_a_clean_exit_2(tmp_path: Path) -> None:
    directory = write_specs(tmp_path / "s", LEDGER)
    (directory / "broken.json").write_text('{"TableName": "broken", "KeySchema": []}', encoding="utf-8")
    for target in ("cloudformation", "terraform", "iam-policy", "table-config"):
        result = ddbctl("generate", target, "--dir", str(directory))
        assert result.exit_code == 2
        assert "problem" in result.output and "broken.json" in result.output
        assert "Traceback" not in result.output


def test_a_value_the_target_cannot_express_is_refused_and_the_old_file_is_kept(tmp_path: Path) -> None:
    aliased = {**LEDGER, "SSESpecification": {"Enabled": True, "KMSMasterKeyId": "alias/ledger"}}
    directory = write_specs(tmp_path / "s", aliased)
    out = tmp_path / "main.tf"
    out.write_text("# the previous file\n", encoding="utf-8")
    result = ddbctl("generate", "terraform", "--dir", str(directory), "--out", str(out))
    assert result.exit_code == 2
    assert "error: table ledger: SSESpecification.KMSMasterKeyId 'alias/ledger' is not a key ARN" in result.output
    assert out.read_text(encoding="utf-8") == "# the previous file\n"
    assert sorted(tmp_path.iterdir()) == sorted([directory, out])  # no temporary file left behind
    # CloudFormation takes an alias.
    assert ddbctl("generate", "cloudformation", "--dir", str(directory)).exit_code == 0


def test_an_existing_out_file_is_replaced_with_its_mode_kept(tmp_path: Path) -> None:
    out = tmp_path / "policy.json"
    out.write_text("old", encoding="utf-8")
    out.chmod(0o640)
    assert ddbctl("generate", "iam-policy", "--dir", str(EXAMPLE_DIR), "--out", str(out)).exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["Version"] == "2012-10-17"
    assert out.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["policy.json"]  # no temporary file left behind
