"""generate iam-policy: scoping, production's pattern, KMS keys, S3, and --check (the seed's policy included)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ddbctl.cli.main import cli
from ddbctl.config import load_settings
from ddbctl.generate import iam
from ddbctl.generate.source import load_source
from ddbctl.permissions import OPERATIONS

from .specs import AUDIT, EXAMPLE_DIR, KMS_KEY_ARN, LEDGER, write_specs

# The seed's hand-kept policy (dynamodb-scripts-README.md, "Required IAM Permissions"), verbatim.
SEED_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow",
        "Action": ["dynamodb:DescribeTable", "dynamodb:CreateTable", "dynamodb:UpdateTable",
                   "dynamodb:UpdateContinuousBackups", "dynamodb:UpdateTimeToLive", "dynamodb:TagResource",
                   "dynamodb:ListTables"],
        "Resource": "arn:aws:dynamodb:*:*:table/construction-expenses-*",
    }],
}


def generate(*args: str, env: dict[str, str] | None = None) -> Result:
    clean = {"ENVIRONMENT": "", "TABLE_PREFIX": "", "AWS_REGION": "", "AWS_DEFAULT_REGION": ""}
    return CliRunner().invoke(cli, ["generate", "iam-policy", *args], env={**clean, **(env or {})})


def statements(result: Result) -> list[dict[str, Any]]:
    assert result.exit_code == 0, result.output
    found: list[dict[str, Any]] = json.loads(result.output)["Statement"]
    return found


def by_sid(found: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {statement["Sid"]: statement for statement in found}


def test_staging_policy_is_scoped_to_staging_tables_and_lists_on_star() -> None:
    found = by_sid(statements(generate("--dir", str(EXAMPLE_DIR), "-e", "staging", "--region", "eu-west-1",
                                       "--account", "111122223333", "--for", "export,plan")))
    assert found["ActionsWithoutResourceLevelPermissions"] == {
        "Sid": "ActionsWithoutResourceLevelPermissions", "Effect": "Allow", "Action": ["dynamodb:ListTables"],
        "Resource": "*"}
    assert found["StagingTables"] == {
        "Sid": "StagingTables", "Effect": "Allow",
        "Action": ["dynamodb:DescribeContinuousBackups", "dynamodb:DescribeTable", "dynamodb:DescribeTimeToLive",
                   "dynamodb:ListTagsOfResource"],
        "Resource": "arn:aws:dynamodb:eu-west-1:111122223333:table/construction-expenses-staging-*"}
    assert len(found) == 2  # read-only commands on tables without a customer key: nothing else


def test_all_commands_get_exactly_the_union_of_their_operations() -> None:
    found = statements(generate("--dir", str(EXAMPLE_DIR)))
    actions = {a for s in found for a in s["Action"]}
    own = {op if op.startswith("s3:") else f"dynamodb:{op}" for ops in OPERATIONS.values() for op in ops}
    # Beyond the operations sent: what DynamoDB checks besides (restores write items, exports write S3).
    implied = {"dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem",
               "dynamodb:Query", "dynamodb:UpdateItem", "s3:AbortMultipartUpload", "s3:PutObjectAcl"}
    assert actions == own | implied
    assert all(statement["Effect"] == "Allow" for statement in found)


def test_production_says_that_its_pattern_matches_other_environments_and_can_deny_them() -> None:
    found = by_sid(statements(generate("--dir", str(EXAMPLE_DIR), "--for", "apply")))
    tables = found["ProductionTablesPatternAlsoMatchesOtherEnvironments"]
    assert tables["Resource"] == "arn:aws:dynamodb:us-east-1:*:table/construction-expenses-*"
    assert "DenyOtherEnvironmentsTables" not in found
    denied = by_sid(statements(generate("--dir", str(EXAMPLE_DIR), "--for", "apply", "--deny-other-environments")))
    deny = denied["DenyOtherEnvironmentsTables"]
    assert deny["Effect"] == "Deny"
    assert deny["Resource"] == [
        "arn:aws:dynamodb:us-east-1:*:table/construction-expenses-staging-*",
        "arn:aws:dynamodb:us-east-1:*:table/construction-expenses-staging-*/*",
        "arn:aws:dynamodb:us-east-1:*:table/construction-expenses-dev-*",
        "arn:aws:dynamodb:us-east-1:*:table/construction-expenses-dev-*/*",
    ]
    document = {"Statement": list(denied.values())}
    assert iam.allows(document, "dynamodb:UpdateTable", "arn:aws:dynamodb:us-east-1:1:table/construction-expenses-x")
    assert not iam.allows(document, "dynamodb:UpdateTable",
                          "arn:aws:dynamodb:us-east-1:1:table/construction-expenses-staging-x")


def test_customer_keys_of_the_spec_files_and_given_ones_for_commands_that_create_tables(tmp_path: Path) -> None:
    directory = write_specs(tmp_path / "s", LEDGER, AUDIT)
    found = by_sid(statements(generate("--dir", str(directory), "-e", "dev", "--account", "111122223333",
                                       "--kms-key", "alias/backups", "--kms-key", "abcd-1234")))
    assert found["TableEncryptionKeys"] == {
        "Sid": "TableEncryptionKeys", "Effect": "Allow", "Action": ["kms:CreateGrant", "kms:DescribeKey"],
        "Resource": ["arn:aws:kms:us-east-1:111122223333:key/abcd-1234", KMS_KEY_ARN],
        "Condition": {"StringEquals": {"kms:ViaService": "dynamodb.us-east-1.amazonaws.com"}}}
    assert found["TableEncryptionKeysByAlias"]["Condition"]["ForAnyValue:StringEquals"] == {
        "kms:ResourceAliases": ["alias/backups"]}
    read_only = by_sid(statements(generate("--dir", str(directory), "--for", "export,plan,wait")))
    assert "TableEncryptionKeys" not in read_only  # they never create or change a table


def test_output_is_deterministic_and_goes_to_out(tmp_path: Path) -> None:
    out = tmp_path / "policy.json"
    assert generate("--dir", str(EXAMPLE_DIR), "--out", str(out)).exit_code == 0
    assert out.read_text(encoding="utf-8") == generate("--dir", str(EXAMPLE_DIR)).output


def test_flag_variants_are_selected_by_their_quoted_name_and_scoped_to_their_resources() -> None:
    found = by_sid(statements(generate("--dir", str(EXAMPLE_DIR), "-e", "staging", "--account", "111122223333",
                                       "--bucket", "s3://dr-bucket/backups/", "--for",
                                       "snapshots, restore  --snapshot,backup --native")))
    stem = "arn:aws:dynamodb:us-east-1:111122223333:table/construction-expenses-staging-*"
    assert found["StagingTablesBackups"]["Action"] == ["dynamodb:RestoreTableFromBackup"]
    assert found["StagingTablesBackups"]["Resource"] == [stem, f"{stem}/backup/*"]  # the backup and the new table
    assert found["StagingExports"] == {"Sid": "StagingExports", "Effect": "Allow",
                                       "Action": ["dynamodb:DescribeExport"], "Resource": f"{stem}/export/*"}
    assert "dynamodb:ListBackups" in found["ActionsWithoutResourceLevelPermissions"]["Action"]
    assert "dynamodb:ExportTableToPointInTime" in found["StagingTables"]["Action"]
    assert "s3:PutObject" in found["BackupObjects"]["Action"]
    assert found["BackupObjects"]["Resource"] == "arn:aws:s3:::dr-bucket/backups/*"
    assert "dynamodb:CreateBackup" not in found["StagingTables"]["Action"]  # snapshot, not in the selection


def test_unknown_command_is_a_clean_error() -> None:
    result = generate("--dir", str(EXAMPLE_DIR), "--for", "export,destroy-everything")
    assert result.exit_code == 2
    assert "unknown command(s) for --for: destroy-everything" in result.output
    assert "Traceback" not in result.output


def test_check_of_the_seeds_policy_names_what_it_lacks(tmp_path: Path) -> None:
    policy = tmp_path / "seed-policy.json"
    policy.write_text(json.dumps(SEED_POLICY), encoding="utf-8")
    result = generate("--dir", str(EXAMPLE_DIR), "--check", str(policy))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "ok      validate" in lines
    assert ("MISSING export: cannot run without dynamodb:DescribeContinuousBackups, dynamodb:DescribeTimeToLive, "
            "dynamodb:ListTables, dynamodb:ListTagsOfResource") in lines
    assert any(re.match(r"MISSING apply: .*dynamodb:DeleteTable.*dynamodb:UntagResource", line) for line in lines)
    assert "    dynamodb:ListTables on *" in lines
    as_json = CliRunner().invoke(cli, ["-o", "json", "generate", "iam-policy", "--dir", str(EXAMPLE_DIR), "--check",
                                       str(policy), "--for", "wait,create"], env={"ENVIRONMENT": "", "AWS_REGION": ""})
    assert as_json.exit_code == 1
    report = json.loads(as_json.output)["commands"]
    assert report["wait"] == {"ok": False, "missing": [{"action": "dynamodb:ListTables", "resource": "*"}]}
    assert {m["action"] for m in report["create"]["missing"]} == {
        "dynamodb:DescribeContinuousBackups", "dynamodb:DescribeTimeToLive", "dynamodb:ListTables",
        "dynamodb:ListTagsOfResource"}


def test_check_passes_the_generated_policy_and_a_broad_one_and_honours_deny(tmp_path: Path) -> None:
    generated = tmp_path / "generated.json"
    assert generate("--dir", str(EXAMPLE_DIR), "-e", "qa", "--out", str(generated)).exit_code == 0
    assert generate("--dir", str(EXAMPLE_DIR), "-e", "qa", "--check", str(generated)).exit_code == 0
    # A policy for staging runs nothing in qa but validate.
    staging = tmp_path / "staging.json"
    assert generate("--dir", str(EXAMPLE_DIR), "-e", "staging", "--out", str(staging)).exit_code == 0
    result = generate("--dir", str(EXAMPLE_DIR), "-e", "qa", "--check", str(staging), "--for", "plan")
    assert result.exit_code == 1 and "MISSING plan" in result.output
    broad = tmp_path / "broad.json"
    broad.write_text(json.dumps({"Statement": [
        {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "dynamodb:Delete*", "Resource": "*"},
    ]}), encoding="utf-8")
    result = generate("--dir", str(EXAMPLE_DIR), "--check", str(broad))
    assert result.exit_code == 1
    assert "MISSING apply: cannot run without dynamodb:DeleteTable" in result.output
    assert "ok      create" in result.output


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "invalid JSON"),
    ('{"Version": "2012-10-17"}', "not an IAM policy document"),
    ('{"Statement": 3}', "Statement must be an object or a list of objects"),
])
def test_a_bad_policy_file_is_a_clean_error(tmp_path: Path, content: str, message: str) -> None:
    policy = tmp_path / "p.json"
    policy.write_text(content, encoding="utf-8")
    result = generate("--dir", str(EXAMPLE_DIR), "--check", str(policy))
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    missing = generate("--dir", str(EXAMPLE_DIR), "--check", str(tmp_path / "absent.json"))
    assert missing.exit_code == 2 and "cannot read policy" in missing.output


def test_s3_operations_are_scoped_to_the_bucket_and_prefix() -> None:
    source = load_source(load_settings({"environment": "dev"}, environ={}), EXAMPLE_DIR)
    scope = iam.scope_for(source, account="111122223333", bucket="s3://backups/ddb/dev")
    assert scope.resources("bucket") == ["arn:aws:s3:::backups"]
    assert scope.resources("object") == ["arn:aws:s3:::backups/ddb/dev*"]
    assert scope.resources("export") == [
        "arn:aws:dynamodb:us-east-1:111122223333:table/construction-expenses-dev-*/export/*"]


def test_the_iam_page_shows_the_policy_the_generator_writes() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "iam.md").read_text(encoding="utf-8")
    shown = page[page.index("```json\n") + len("```json\n"):page.index("\n```\n", page.index("```json\n"))]
    assert "generate iam-policy --for export,plan --account\n123456789012 --dir examples/construction-expenses" in page
    assert shown + "\n" == generate("-e", "staging", "--for", "export,plan", "--account", "123456789012",
                                     "--dir", str(EXAMPLE_DIR)).output


@pytest.mark.parametrize(("flag", "value", "message"), [
    ("--account", "12345", "invalid --account '12345': an AWS account id is 12 digits"),
    ("--kms-key", "", "invalid --kms-key ''"),
    ("--bucket", "s3://", "invalid --bucket 's3://'"),
])
def test_bad_scope_options_are_clean_errors(flag: str, value: str, message: str) -> None:
    result = generate("--dir", str(EXAMPLE_DIR), flag, value)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
