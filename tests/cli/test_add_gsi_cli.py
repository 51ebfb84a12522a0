"""`ddbctl add-gsi` and `ddbctl wait` as a user runs them: exit codes, output, and what reached the server."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ddbctl.cli.main import cli
from ddbctl.local.pytest_plugin import LocalDynamoDB

from ..gsi_tables import (
    COMPANIES,
    EXPENSES,
    PREFIX,
    SEED_VARIABLES,
    create_table,
    describe,
    mutating_calls,
    spec_file,
    start_index_build,
    statuses,
    wait_until,
)
from ..servers import BUILD_IN_PROGRESS_SECONDS

BASE_ENV: dict[str, str | None] = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
    "AWS_PROFILE": None, "AWS_SESSION_TOKEN": None, "AWS_ENDPOINT_URL": None, "AWS_ENDPOINT_URL_DYNAMODB": None,
    "ENVIRONMENT": None, "TABLE_PREFIX": None, "DDBCTL_CONFIG": None, **dict.fromkeys(SEED_VARIABLES),
}
NO_CHANGE = "  hint: no change was sent to DynamoDB\n"


@pytest.fixture(autouse=True)
def in_empty_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ddbctl.toml of the repository is picked up


def ddbctl(db: LocalDynamoDB, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["--endpoint-url", db.endpoint_url, *args], env={**BASE_ENV, **(env or {})},
                              catch_exceptions=False)


def add_gsi(db: LocalDynamoDB, *args: str, env: dict[str, str] | None = None) -> Result:
    return ddbctl(db, "add-gsi", *args, env=env)


EMAIL = ("--table", "companies", "--index", "by-email", "--partition-key", "email:S")


def indexes(db: LocalDynamoDB, name: str = COMPANIES) -> dict[str, dict[str, Any]]:
    return {i["IndexName"]: i for i in describe(db, name).get("GlobalSecondaryIndexes") or []}


CREATED = re.compile(r"created index (\S+) on (\S+) \(ACTIVE after \d+\.\ds\)")


PROGRESS = re.compile(r"  … (\S+): (.+) \d+\.\ds")


def phases(lines: Sequence[str], index: str) -> list[str]:
    """The phases of ``index`` the progress lines show, in order, each once: CREATING, backfilling, ACTIVE."""
    seen: list[str] = []
    for line in lines:
        match = PROGRESS.fullmatch(line)
        if match is None:
            continue
        text = match.group(2)
        phase = ("backfilling" if f"index {index} CREATING backfilling" in text
                 else "CREATING" if f"index {index} CREATING" in text
                 else "ACTIVE" if text == "ACTIVE" else "other")
        if not seen or seen[-1] != phase:
            seen.append(phase)
    return seen


def created(stdout: str) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for line in stdout.splitlines() if (m := CREATED.fullmatch(line))]


# -- a normal run ---------------------------------------------------------------------------------------------


def test_add_gsi_shows_each_phase_while_it_waits_then_the_result(slow_index: LocalDynamoDB) -> None:
    create_table(slow_index)
    result = add_gsi(slow_index, *EMAIL)
    assert result.exit_code == 0, result.stderr
    assert created(result.stdout) == [("by-email", COMPANIES)]
    assert result.stdout.count("\n") == 1
    progress = result.stderr.splitlines()
    sent = progress.index(f"→ {COMPANIES}: create index by-email (email, ALL) (UpdateTable)")
    assert phases(progress[sent + 1:], "by-email") == ["CREATING", "backfilling", "ACTIVE"]
    assert re.fullmatch(rf"  … {COMPANIES}: ACTIVE \d+\.\ds", progress[-1])
    assert indexes(slow_index)["by-email"]["IndexStatus"] == "ACTIVE"


def test_the_seed_scripts_environment_variables_configure_the_index(awslike_dynamodb: LocalDynamoDB) -> None:
    create_table(awslike_dynamodb, EXPENSES)
    env = {"TABLE_NAME": EXPENSES, "INDEX_NAME": "by-company-and-date", "PARTITION_KEY": "companyId",
           "PARTITION_KEY_TYPE": "S", "SORT_KEY": "createdAt", "SORT_KEY_TYPE": "N", "PROJECTION_TYPE": "INCLUDE",
           "PROJECTION_ATTRIBUTES": "amount,status"}
    result = add_gsi(awslike_dynamodb, env=env)
    assert result.exit_code == 0, result.stderr
    assert created(result.stdout) == [("by-company-and-date", EXPENSES)]
    index = indexes(awslike_dynamodb, EXPENSES)["by-company-and-date"]
    assert index["KeySchema"] == [{"AttributeName": "companyId", "KeyType": "HASH"},
                                  {"AttributeName": "createdAt", "KeyType": "RANGE"}]
    assert sorted(index["Projection"]["NonKeyAttributes"]) == ["amount", "status"]
    assert {"AttributeName": "createdAt", "AttributeType": "N"} in describe(awslike_dynamodb, EXPENSES)[
        "AttributeDefinitions"]


def test_flags_win_over_environment_variables(awslike_dynamodb: LocalDynamoDB) -> None:
    create_table(awslike_dynamodb)
    env = {"TABLE_NAME": COMPANIES, "INDEX_NAME": "by-env", "PARTITION_KEY": "fromEnv", "PARTITION_KEY_TYPE": "S"}
    result = add_gsi(awslike_dynamodb, "--index", "by-flag", "--partition-key", "fromFlag:N", env=env)
    assert result.exit_code == 0, result.stderr
    assert created(result.stdout) == [("by-flag", COMPANIES)]
    assert list(indexes(awslike_dynamodb)) == ["by-flag"]
    assert indexes(awslike_dynamodb)["by-flag"]["KeySchema"] == [{"AttributeName": "fromFlag", "KeyType": "HASH"}]


def test_json_output_is_quiet_and_parseable(awslike_dynamodb: LocalDynamoDB) -> None:
    create_table(awslike_dynamodb)
    result = ddbctl(awslike_dynamodb, "-o", "json", "add-gsi", *EMAIL)
    assert (result.exit_code, result.stderr) == (0, "")
    document = json.loads(result.stdout)
    assert document["ok"] is True
    [index] = document["indexes"]
    assert {k: index[k] for k in ("table", "physical_name", "index", "outcome", "error")} == {
        "table": "companies", "physical_name": COMPANIES, "index": "by-email", "outcome": "created", "error": None}
    assert index["elapsed"] > 0


# -- skip ------------------------------------------------------------------------------------------------------


def test_an_existing_identical_index_is_skipped(awslike_dynamodb: LocalDynamoDB) -> None:
    create_table(awslike_dynamodb, gsis=[("by-email", "email", "S")])
    result = add_gsi(awslike_dynamodb, *EMAIL)
    assert result.exit_code == 0
    assert result.stdout == f"skipped index by-email on {COMPANIES}: it already exists and matches the request\n"
    assert mutating_calls(awslike_dynamodb) == ["CreateTable"]


def test_an_existing_different_index_exits_1_shows_the_difference_and_how_to_replace_it(
    awslike_dynamodb: LocalDynamoDB,
) -> None:
    create_table(awslike_dynamodb, gsis=[("by-email", "email", "S")])
    result = add_gsi(awslike_dynamodb, *EMAIL, "--sort-key", "at:N", "--projection", "KEYS_ONLY")
    assert result.exit_code == 1
    assert result.stdout == (f"skipped index by-email on {COMPANIES}: it already exists but differs from the "
                             "request: keys email:S (asked email:S+at:N); projection ALL (asked KEYS_ONLY)\n")
    assert f"error: index by-email on {COMPANIES} already exists but differs from the request" in result.stderr
    assert "`ddbctl plan`, then run `ddbctl apply --allow-destroy`" in result.stderr
    as_json = json.loads(add_gsi(awslike_dynamodb, *EMAIL, "--sort-key", "at:N", "-o", "json").stdout)
    assert as_json["error"]["code"] == "IndexDiffers" and as_json["error"]["exit_code"] == 1
    assert as_json["indexes"][0]["differences"] == ["keys email:S (asked email:S+at:N)"]
    assert mutating_calls(awslike_dynamodb) == ["CreateTable"]


# -- one build at a time, throttling --------------------------------------------------------------------------------


def test_a_build_in_progress_is_waited_for_and_no_limit_error_surfaces(long_build: LocalDynamoDB) -> None:
    create_table(long_build)
    start_index_build(long_build, "by-other", "other")
    result = add_gsi(long_build, *EMAIL)
    assert result.exit_code == 0, result.stderr
    assert created(result.stdout) == [("by-email", COMPANIES)]
    progress = result.stderr.splitlines()
    sent = progress.index(f"→ {COMPANIES}: create index by-email (email, ALL) (UpdateTable)")
    assert any("index by-other CREATING" in line for line in progress[:sent])  # seen, and waited for
    assert "LimitExceeded" not in result.stdout + result.stderr
    theirs, ours = [o for o in long_build.server.operations() if o["operation"] == "UpdateTable"]
    assert ours["time"] >= theirs["time"] + BUILD_IN_PROGRESS_SECONDS  # sent once by-other was built
    assert [o for o in long_build.server.operations() if o["error"]] == []
    assert statuses(long_build) == {"ACTIVE"}


def test_throttling_while_waiting_is_ridden_out(slow_index: LocalDynamoDB) -> None:
    create_table(slow_index)
    server = slow_index.server

    def throttle_after_the_update() -> None:
        wait_until(lambda: any(o["operation"] == "UpdateTable" for o in server.operations()))
        server.inject_fault("DescribeTable", COMPANIES, "ThrottlingException",
                            "Rate of requests exceeds the allowed throughput.", times=2)
        wait_until(lambda: server.faults() == [])  # both throttles met while the build is held
        server.release(COMPANIES, "by-email")

    server.hold(COMPANIES, "by-email")

    injector = threading.Thread(target=throttle_after_the_update)
    injector.start()
    result = add_gsi(slow_index, *EMAIL)
    injector.join()
    assert result.exit_code == 0, result.stderr
    assert created(result.stdout) == [("by-email", COMPANIES)]
    calls = [(o["operation"], o["error"]) for o in server.operations()]
    after_update = calls[calls.index(("UpdateTable", None)) + 1:]
    assert after_update.count(("DescribeTable", "ThrottlingException")) == 2
    assert server.faults() == []


# -- max wait, --no-wait, wait --------------------------------------------------------------------------------------


def test_max_wait_exits_3_saying_how_to_resume_and_wait_then_completes(slow_index: LocalDynamoDB) -> None:
    create_table(slow_index)
    slow_index.server.hold(COMPANIES, "by-email")  # the build outlasts MAX_WAIT, however slow the machine
    result = add_gsi(slow_index, *EMAIL, env={"MAX_WAIT": "0.3"})
    assert result.exit_code == 3
    assert result.stdout == ""
    # Backfilling starts 0.5 s into the build: on a loaded machine the last look may already see it.
    assert re.search(
        rf"\nerror: index by-email on {COMPANIES} is still CREATING( \(backfilling\))? after 0.3s "
        r"\(--max-wait/MAX_WAIT\); the build goes on inside DynamoDB\n"
        rf"  hint: keep waiting with: ddbctl wait --table {COMPANIES} --index by-email\n$", result.stderr)
    look = indexes(slow_index)["by-email"]  # a DescribeTable: it shows a phase too (show_every_phase)
    assert look["IndexStatus"] == "CREATING"

    slow_index.server.release(COMPANIES, "by-email")
    waited = ddbctl(slow_index, "wait", "--table", COMPANIES, "--index", "by-email")
    assert waited.exit_code == 0, waited.stderr
    assert re.fullmatch(rf"index by-email on {COMPANIES} is ACTIVE \(waited \d+\.\ds\)\n", waited.stdout)
    # Every phase shows once, across the two commands (which one saw backfilling depends on timing).
    progress = result.stderr.splitlines()
    sent = progress.index(f"→ {COMPANIES}: create index by-email (email, ALL) (UpdateTable)")
    looked = "backfilling" if look.get("Backfilling") else "CREATING"
    seen = [*phases(progress[sent + 1:], "by-email"), looked, *phases(waited.stderr.splitlines(), "by-email")]
    assert [p for n, p in enumerate(seen) if n == 0 or seen[n - 1] != p] == ["CREATING", "backfilling", "ACTIVE"]
    assert indexes(slow_index)["by-email"]["IndexStatus"] == "ACTIVE"


def test_the_max_wait_flag_wins_over_the_variable(slow_index: LocalDynamoDB) -> None:
    create_table(slow_index)
    slow_index.server.hold(COMPANIES, "by-email")
    result = add_gsi(slow_index, *EMAIL, "--max-wait", "0.2", env={"MAX_WAIT": "30"})
    assert result.exit_code == 3
    assert "after 0.2s (--max-wait/MAX_WAIT)" in result.stderr


def test_wait_for_a_whole_table_times_out_with_exit_3(slow_index: LocalDynamoDB) -> None:
    create_table(slow_index)
    slow_index.server.hold(COMPANIES, "by-other")
    start_index_build(slow_index, "by-other", "other")
    result = ddbctl(slow_index, "wait", "--table", "companies", "--max-wait", "0.2")
    assert result.exit_code == 3
    assert re.search(rf"error: {COMPANIES} is still (ACTIVE|UPDATING), index by-other CREATING( \(backfilling\))? "
                     r"after \d+s \(--max-wait 0.2\); the operation goes on inside DynamoDB\n", result.stderr)
    assert result.stderr.endswith(f"  hint: keep waiting with: ddbctl wait --table {COMPANIES}\n")


def test_wait_for_a_missing_index_fails_at_once(awslike_dynamodb: LocalDynamoDB) -> None:
    create_table(awslike_dynamodb, gsis=[("by-email", "email", "S")])
    result = ddbctl(awslike_dynamodb, "wait", "--table", "companies", "--index", "by-nothing")
    assert result.exit_code == 1
    assert result.stderr.endswith(f"error: index by-nothing does not exist on {COMPANIES}\n"
                                  "  hint: its global secondary indexes: by-email\n")


def test_no_wait_returns_while_dynamodb_builds_the_index(slow_index: LocalDynamoDB) -> None:
    create_table(slow_index)
    result = add_gsi(slow_index, *EMAIL, "--no-wait")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (f"requested index by-email on {COMPANIES}: DynamoDB is building it; follow it with: "
                             f"ddbctl wait --table {COMPANIES} --index by-email\n")
    assert indexes(slow_index)["by-email"]["IndexStatus"] == "CREATING"


# -- dry run -------------------------------------------------------------------------------------------------


def test_dry_run_prints_the_exact_request_and_sends_no_change(awslike_dynamodb: LocalDynamoDB) -> None:
    create_table(awslike_dynamodb)
    result = add_gsi(awslike_dynamodb, *EMAIL, "--dry-run")
    assert result.exit_code == 0
    heading, body = result.stdout.split("\n", 1)
    assert heading == "1. UpdateTable"
    assert json.loads(body) == {
        "TableName": COMPANIES,
        "AttributeDefinitions": [{"AttributeName": "email", "AttributeType": "S"},
                                 {"AttributeName": "id", "AttributeType": "S"}],
        "GlobalSecondaryIndexUpdates": [{"Create": {
            "IndexName": "by-email", "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"}}}],
    }
    assert result.stderr.endswith("dry run: 1 request(s) shown, none sent\n")
    assert mutating_calls(awslike_dynamodb) == ["CreateTable"]


def test_dry_run_in_json_lists_requests_and_skipped_indexes(awslike_dynamodb: LocalDynamoDB) -> None:
    create_table(awslike_dynamodb, gsis=[("by-email", "email", "S")])
    result = ddbctl(awslike_dynamodb, "-o", "json", "add-gsi", *EMAIL, "--dry-run")
    assert (result.exit_code, result.stderr) == (0, "")
    document = json.loads(result.stdout)
    assert document["requests"] == []
    assert document["skipped"] == [{"table": "companies", "physical_name": COMPANIES, "index": "by-email",
                                    "matches": True, "differences": []}]
    assert mutating_calls(awslike_dynamodb) == ["CreateTable"]


# -- bad input: exit 2, one message, no call at all -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (("--table", "companies", "--index", "by-email", "--partition-key", "email"), {},
         "missing type for partition key 'email': write --partition-key email:S (the type is S (string), "
         "N (number) or B (binary))"),
        (("--table", "companies", "--index", "by-email", "--partition-key", "email:Q"), {},
         "--partition-key: unknown type 'Q' for partition key 'email': use S (string), N (number) or B (binary)"),
        ((), {"TABLE_NAME": COMPANIES, "INDEX_NAME": "by-email", "PARTITION_KEY": "email"},
         "missing type for partition key 'email': set PARTITION_KEY_TYPE (the type is S (string), N (number) or "
         "B (binary))"),
        (("--table", "companies", "--index", "by-date", "--sort-key", "at:N"), {},
         "a sort key needs a partition key: pass --partition-key NAME:TYPE"),
        ((*EMAIL, "--projection", "INCLUDE"), {},
         "projection INCLUDE needs the attributes to project: pass --attributes a,b or set PROJECTION_ATTRIBUTES"),
        ((*EMAIL, "--projection", "ALL", "--attributes", "name"), {},
         "attributes to project (--attributes, PROJECTION_ATTRIBUTES) are only for projection INCLUDE, not ALL"),
        (("--table", "bad/name", "--index", "by-email", "--partition-key", "email:S"), {},
         "invalid table 'bad/name': table name 'construction-expenses-bad/name' may contain only letters, digits, "
         "'_', '-' and '.'"),
        (("--table", "companies", "--index", "ix", "--partition-key", "email:S"), {},
         "index name 'ix' must be 3-255 characters long (has 2)"),
    ],
)
def test_bad_input_is_refused_before_any_call(
    dynamodb: LocalDynamoDB, args: tuple[str, ...], env: dict[str, str], message: str
) -> None:
    result = add_gsi(dynamodb, *args, env=env)
    assert result.exit_code == 2
    assert result.stderr == f"error: {message}\n{NO_CHANGE}"
    assert dynamodb.server.operations() == []


def test_from_spec_refuses_index_flags(dynamodb: LocalDynamoDB, tmp_path: Path) -> None:
    result = add_gsi(dynamodb, "--from-spec", str(tmp_path), "--table", "companies")
    assert result.exit_code == 2
    assert "Error: --table does not apply to add-gsi --from-spec (it takes the indexes from the files)" in result.stderr
    assert dynamodb.server.operations() == []


def test_a_key_attribute_defined_with_another_type_is_refused(awslike_dynamodb: LocalDynamoDB) -> None:
    create_table(awslike_dynamodb, gsis=[("by-email", "email", "S")])
    result = add_gsi(awslike_dynamodb, "--table", "companies", "--index", "by-email-n", "--partition-key", "email:N")
    assert result.exit_code == 2
    assert result.stderr == (f"error: attribute 'email' is already defined as S on {COMPANIES} (used by index "
                             f"by-email): index by-email-n cannot use it as N\n{NO_CHANGE}")
    assert mutating_calls(awslike_dynamodb) == ["CreateTable"]


def test_a_missing_table_is_reported_and_nothing_changed(awslike_dynamodb: LocalDynamoDB) -> None:
    result = add_gsi(awslike_dynamodb, "--table", "nope-table", "--index", "by-email", "--partition-key", "email:S")
    assert result.exit_code == 1
    assert result.stderr == (f"error: table {PREFIX}-nope-table does not exist\n"
                             "  hint: no such table in environment production: check --table and -e, or create the "
                             "table first\n")
    assert mutating_calls(awslike_dynamodb) == []


# -- provisioned tables ----------------------------------------------------------------------------------------


def test_a_provisioned_table_needs_index_capacity(awslike_dynamodb: LocalDynamoDB) -> None:
    create_table(awslike_dynamodb, provisioned=True)
    refused = add_gsi(awslike_dynamodb, *EMAIL)
    assert refused.exit_code == 2
    assert refused.stderr == (f"error: {COMPANIES} uses provisioned capacity: give index by-email its own with "
                              f"--read-capacity N --write-capacity N\n{NO_CHANGE}")
    assert mutating_calls(awslike_dynamodb) == ["CreateTable"]

    result = add_gsi(awslike_dynamodb, *EMAIL, "--read-capacity", "4", "--write-capacity", "2")
    assert result.exit_code == 0, result.stderr
    assert indexes(awslike_dynamodb)["by-email"]["ProvisionedThroughput"]["ReadCapacityUnits"] == 4


# -- several indexes, spec files --------------------------------------------------------------------------------------


def test_from_spec_builds_one_tables_indexes_one_after_another(awslike_dynamodb: LocalDynamoDB, tmp_path: Path) -> None:
    create_table(awslike_dynamodb)
    path = spec_file(tmp_path / "schemas", "companies", [("by-email", "email", "S"), ("by-vat", "vat", "S")])
    result = add_gsi(awslike_dynamodb, "--from-spec", str(path))
    assert result.exit_code == 0, result.stderr
    assert created(result.stdout) == [("by-email", COMPANIES), ("by-vat", COMPANIES)]
    first, second = [o for o in awslike_dynamodb.server.operations() if o["operation"] == "UpdateTable"]
    assert second["time"] - first["time"] >= 0.6  # once the first index (0.6 s) was built
    assert statuses(awslike_dynamodb) == {"ACTIVE"}


def test_from_spec_builds_indexes_of_different_tables_in_parallel(awslike_dynamodb: LocalDynamoDB,
                                                                   tmp_path: Path) -> None:
    create_table(awslike_dynamodb, COMPANIES)
    create_table(awslike_dynamodb, EXPENSES)
    spec_file(tmp_path / "schemas", "companies", [("by-email", "email", "S")])
    spec_file(tmp_path / "schemas", "company-expenses", [("by-company", "companyId", "S")])
    result = add_gsi(awslike_dynamodb, "--from-spec", str(tmp_path / "schemas"))
    assert result.exit_code == 0, result.stderr
    assert sorted(created(result.stdout)) == [("by-company", EXPENSES), ("by-email", COMPANIES)]
    first, second = [o for o in awslike_dynamodb.server.operations() if o["operation"] == "UpdateTable"]
    assert abs(second["time"] - first["time"]) < 0.6


def test_dir_writes_the_new_index_into_the_spec_file(awslike_dynamodb: LocalDynamoDB, tmp_path: Path) -> None:
    create_table(awslike_dynamodb)
    schemas = tmp_path / "schemas"
    assert ddbctl(awslike_dynamodb, "export", "--dir", str(schemas)).exit_code == 0
    path = schemas / "companies.json"
    result = add_gsi(awslike_dynamodb, *EMAIL, "--dir", str(schemas))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[-1] == f"updated spec file {path}"
    spec = json.loads(path.read_text())
    assert [i["IndexName"] for i in spec["GlobalSecondaryIndexes"]] == ["by-email"]
    assert {"AttributeName": "email", "AttributeType": "S"} in spec["AttributeDefinitions"]
    assert ddbctl(awslike_dynamodb, "validate", str(schemas)).exit_code == 0
    exported_again = ddbctl(awslike_dynamodb, "export", "--dir", str(tmp_path / "again"))
    assert exported_again.exit_code == 0
    assert (tmp_path / "again" / "companies.json").read_text() == path.read_text()


def test_dir_without_the_tables_file_says_so_and_creates_none(awslike_dynamodb: LocalDynamoDB, tmp_path: Path) -> None:
    create_table(awslike_dynamodb)
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    result = add_gsi(awslike_dynamodb, *EMAIL, "--dir", str(schemas))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[-1] == (
        f"spec file {schemas / 'companies.json'} not changed: no such file: not created (write the table's full "
        f"spec with `ddbctl export --table companies --dir {schemas}`)")
    assert list(schemas.iterdir()) == []
