"""Spec details a user meets: the exact problems of describe-table files, spec files written and
rewritten, the API shapes read into a spec. Written against mutants of ``ddbctl.spec`` that the other
tests let live (tools/mutation); each test pins one behaviour through the public functions."""

from __future__ import annotations

import json
import locale
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ddbctl.errors import ConfigError, Problem, SpecError
from ddbctl.naming import Namespace
from ddbctl.spec import (
    TableSpec,
    create_table_request,
    dump_spec,
    load_dir,
    read_spec,
    spec_from_description,
    write_spec,
)
from ddbctl.spec.files import check_writable_dir, logical_from_any_environment, write_text_file

from .test_spec_files import DESCRIPTION, NAMESPACE, minimal


def read(tmp_path: Path, name: str, document: Any, namespace: Namespace = NAMESPACE) -> tuple[Any, list[Problem]]:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return read_spec(path, namespace)


@pytest.fixture
def c_locale() -> Iterator[None]:
    """A user whose locale is plain C (ASCII): files are still read and written as UTF-8."""
    previous = locale.setlocale(locale.LC_CTYPE)
    locale.setlocale(locale.LC_CTYPE, "C")
    try:
        assert locale.getpreferredencoding(False).lower() not in ("utf-8", "utf8")
        yield
    finally:
        locale.setlocale(locale.LC_CTYPE, previous)


# -- describe-table output as a spec file --------------------------------------------------------------


def test_describe_table_output_without_a_table_name(tmp_path: Path) -> None:
    path = tmp_path / "orders.json"
    no_name = {"Table": {**DESCRIPTION, "TableName": 7}}
    not_a_table = {"TableStatus": "ACTIVE", "Table": ["not", "a", "table"]}
    for document in (no_name, not_a_table):
        path.write_text(json.dumps(document))
        spec, problems = read_spec(path, NAMESPACE)
        assert spec is None
        assert problems == [Problem(str(path), "/Table/TableName", "describe-table output without a TableName")]


def test_describe_table_output_under_another_file_name(tmp_path: Path) -> None:
    spec, problems = read(tmp_path, "customers", {"Table": DESCRIPTION})
    assert spec is None
    assert problems == [Problem(str(tmp_path / "customers.json"), "/Table/TableName",
                                "TableName 'construction-expenses-orders' does not match the file name customers.json")]


def test_unusable_describe_table_output(tmp_path: Path) -> None:
    table = {key: value for key, value in DESCRIPTION.items() if key != "KeySchema"}
    spec, problems = read(tmp_path, "orders", {"Table": table})
    assert spec is None
    assert len(problems) == 1
    assert problems[0].path == str(tmp_path / "orders.json") and problems[0].pointer == "/Table"
    assert problems[0].rule.startswith("not a usable describe-table output: ") and "KeySchema" in problems[0].rule


def test_describe_table_output_breaking_a_rule_gives_no_spec(tmp_path: Path) -> None:
    table = {**DESCRIPTION, "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"},
                                                     {"AttributeName": "spare", "AttributeType": "N"}]}
    spec, problems = read(tmp_path, "orders", table)
    assert spec is None
    assert [(p.path, p.pointer) for p in problems] == [(str(tmp_path / "orders.json"), "/AttributeDefinitions/1")]
    assert "attribute 'spare' is defined but used by no key" in problems[0].rule


def test_the_baseline_format_keeps_point_in_time_recovery(tmp_path: Path) -> None:
    backups = {"PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "ENABLED", "RecoveryPeriodInDays": 7}}
    spec, problems = read(tmp_path, "orders", {"Table": DESCRIPTION, "ContinuousBackupsDescription": backups})
    assert problems == []
    pitr = spec.point_in_time_recovery_specification
    assert pitr is not None and pitr.point_in_time_recovery_enabled and pitr.recovery_period_in_days == 7


def test_a_table_of_an_environment_known_only_to_the_config_gets_its_logical_name(tmp_path: Path) -> None:
    namespace = Namespace("production", "construction-expenses", ("production", "staging", "dev", "qa"))
    spec, problems = read(tmp_path, "construction-expenses-qa-orders",
                          {"Table": {**DESCRIPTION, "TableName": "construction-expenses-qa-orders"}}, namespace)
    assert problems == [] and spec.table_name == "orders"
    assert logical_from_any_environment("construction-expenses-qa-orders", namespace) == "orders"


def test_a_name_of_no_environment_loses_only_the_prefix() -> None:
    # As the seed strips it; the name rule then reports the remainder (here: it clashes with staging).
    assert logical_from_any_environment("construction-expenses-Staging-orders", NAMESPACE) == "Staging-orders"
    assert logical_from_any_environment("other-orders", NAMESPACE) == "other-orders"


@pytest.mark.parametrize(("field", "pointer"), [("a/b", "/a~1b"), ("a~b", "/a~0b"), ("~/", "/~0~1")])
def test_pointers_to_unknown_fields_are_escaped_as_rfc_6901_says(tmp_path: Path, field: str, pointer: str) -> None:
    document = minimal()
    document[field] = 1
    spec, problems = read(tmp_path, "orders", document)
    assert spec is None
    assert [(p.pointer, p.rule) for p in problems] == [
        (pointer, "unknown field (see `ddbctl schema` for the allowed fields)")]


# -- writing spec files ----------------------------------------------------------------------------------


def spec_named(name: str = "orders", **extra: Any) -> TableSpec:
    return TableSpec.model_validate(minimal(name, **extra))


def test_an_unchanged_spec_is_not_rewritten_and_a_changed_one_is(tmp_path: Path) -> None:
    path = write_spec(tmp_path, spec_named())
    assert path == tmp_path / "orders.json" and path.read_text(encoding="utf-8") == dump_spec(spec_named())
    before = path.stat()
    assert write_spec(tmp_path, spec_named()) == path
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns), "same bytes: file untouched"
    changed = spec_named(BillingMode="PAY_PER_REQUEST")
    write_spec(tmp_path, changed)
    assert path.read_text(encoding="utf-8") == dump_spec(changed)
    assert [p.name for p in tmp_path.iterdir()] == ["orders.json"], "no temporary file is left behind"


def test_a_symlinked_spec_file_is_written_through(tmp_path: Path) -> None:
    target = tmp_path / "real" / "orders.json"
    target.parent.mkdir()
    target.write_text("{}", encoding="utf-8")
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    (schemas / "orders.json").symlink_to(target)
    write_spec(schemas, spec_named())
    assert (schemas / "orders.json").is_symlink()
    assert target.read_text(encoding="utf-8") == dump_spec(spec_named())


def test_a_directory_in_the_way_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "orders.json").mkdir()
    with pytest.raises(ConfigError) as caught:
        write_spec(tmp_path, spec_named())
    assert caught.value.message.startswith(f"cannot write {tmp_path / 'orders.json'}: a directory, not a spec file")


def test_a_file_that_cannot_be_written_is_named_with_the_reason_and_what_to_do(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    with pytest.raises(ConfigError) as caught:
        write_spec(missing, spec_named())
    assert caught.value.message == f"cannot write {missing / 'orders.json'}: No such file or directory"
    assert caught.value.hint == "choose another --dir, or make the directory writable"
    assert not os.path.lexists(missing)


@pytest.mark.usefixtures("c_locale")
def test_spec_files_are_utf_8_whatever_the_locale(tmp_path: Path) -> None:
    spec = spec_named(Tags=[{"Key": "Owner", "Value": "Zoë Ålund"}])
    path = write_spec(tmp_path, spec)
    assert path.read_bytes() == dump_spec(spec).encode("utf-8")
    write_spec(tmp_path, spec)  # compared as UTF-8 text: unchanged
    read_back, problems = read_spec(path, NAMESPACE)
    assert problems == [] and read_back is not None and read_back.tag_map == {"Owner": "Zoë Ålund"}


@pytest.mark.usefixtures("c_locale")
def test_text_files_are_utf_8_whatever_the_locale(tmp_path: Path) -> None:
    path = tmp_path / "table-summary.txt"
    write_text_file(path, "tables: café\n")
    assert path.read_bytes() == "tables: café\n".encode()
    before = path.stat()
    write_text_file(path, "tables: café\n")
    assert path.stat().st_ino == before.st_ino, "same text: file untouched"


# -- API shapes read into a spec -------------------------------------------------------------------------


def test_a_provisioned_table_described_without_throughput_gets_one_unit() -> None:
    described = {**DESCRIPTION, "BillingModeSummary": {"BillingMode": "PROVISIONED"}}
    del described["ProvisionedThroughput"]
    spec = spec_from_description("orders", described)
    assert spec.provisioned_throughput is not None
    assert spec.provisioned_throughput.to_request() == {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}


def test_ttl_and_backups_are_read_from_their_describe_responses_too() -> None:
    spec = spec_from_description(
        "orders", DESCRIPTION,
        ttl={"TimeToLiveDescription": {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}},
        backups={"ContinuousBackupsDescription": {
            "ContinuousBackupsStatus": "ENABLED",
            "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "ENABLED", "RecoveryPeriodInDays": 14}}},
    )
    assert spec.time_to_live_specification is not None
    assert spec.time_to_live_specification.to_request() == {"Enabled": True, "AttributeName": "expires"}
    assert spec.point_in_time_recovery_specification is not None
    assert spec.point_in_time_recovery_specification.to_request() == {
        "PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 14}


def gsi_description(**extra: Any) -> dict[str, Any]:
    return {"IndexName": "by-x", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"}, "IndexStatus": "ACTIVE", **extra}


def test_an_on_demand_index_keeps_its_maximum_and_drops_no_maximum() -> None:
    index = gsi_description(OnDemandThroughput={"MaxReadRequestUnits": 40, "MaxWriteRequestUnits": -1})
    spec = spec_from_description("orders", {**DESCRIPTION, "GlobalSecondaryIndexes": [index]})
    assert spec.gsis[0].to_request() == {
        "IndexName": "by-x", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"}, "OnDemandThroughput": {"MaxReadRequestUnits": 40}}


def test_a_provisioned_index_keeps_its_throughput_and_no_on_demand_maximum() -> None:
    index = gsi_description(ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4},
                            OnDemandThroughput={"MaxReadRequestUnits": 40, "MaxWriteRequestUnits": 50})
    described = {**DESCRIPTION, "BillingModeSummary": {"BillingMode": "PROVISIONED"},
                 "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 2},
                 "OnDemandThroughput": {"MaxReadRequestUnits": 40}, "GlobalSecondaryIndexes": [index]}
    spec = spec_from_description("orders", described)
    assert spec.on_demand_throughput is None
    assert spec.gsis[0].on_demand_throughput is None
    assert spec.gsis[0].provisioned_throughput is not None
    assert spec.gsis[0].provisioned_throughput.to_request() == {"ReadCapacityUnits": 3, "WriteCapacityUnits": 4}


def test_a_described_table_s_silent_fields_get_dynamodb_s_defaults() -> None:
    bare = {key: value for key, value in DESCRIPTION.items() if key != "SSEDescription"}
    spec = spec_from_description("orders", bare)
    assert spec.table_class == "STANDARD"
    assert spec.deletion_protection_enabled is False
    assert spec.sse_specification is not None and spec.sse_specification.to_request() == {"Enabled": False}
    protected = spec_from_description("orders", {**bare, "DeletionProtectionEnabled": True,
                                                 "TableClassSummary": {"TableClass": "STANDARD_INFREQUENT_ACCESS"}})
    assert protected.deletion_protection_enabled is True and protected.table_class == "STANDARD_INFREQUENT_ACCESS"


@pytest.mark.parametrize("status", ["ENABLED", "ENABLING", "UPDATING"])
def test_sse_being_enabled_or_updated_counts_as_enabled_with_kms_by_default(status: str) -> None:
    spec = spec_from_description("orders", {**DESCRIPTION, "SSEDescription": {"Status": status}})
    assert spec.sse_specification is not None
    assert spec.sse_specification.to_request() == {"Enabled": True, "SSEType": "KMS"}


def test_sse_being_disabled_counts_as_the_aws_owned_key() -> None:
    spec = spec_from_description("orders", {**DESCRIPTION, "SSEDescription": {"Status": "DISABLING"}})
    assert spec.sse_specification is not None and spec.sse_specification.to_request() == {"Enabled": False}


def test_index_projections_are_read_whole() -> None:
    indexes = [
        gsi_description(IndexName="a", Projection={"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x", "y"]}),
        gsi_description(IndexName="b", Projection={"ProjectionType": "KEYS_ONLY", "NonKeyAttributes": []}),
        gsi_description(IndexName="c", Projection={}),
    ]
    spec = spec_from_description("orders", {**DESCRIPTION, "GlobalSecondaryIndexes": indexes})
    assert [index.projection.to_request() for index in spec.gsis] == [
        {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x", "y"]},
        {"ProjectionType": "KEYS_ONLY"},
        {"ProjectionType": "ALL"},
    ]


@pytest.mark.parametrize(("reported", "kept"), [
    ({"MaxReadRequestUnits": 1, "MaxWriteRequestUnits": 2}, {"MaxReadRequestUnits": 1, "MaxWriteRequestUnits": 2}),
    ({"MaxReadRequestUnits": 0, "MaxWriteRequestUnits": -1}, None),  # no maximum: the spec stays silent
])
def test_on_demand_maxima_keep_every_real_limit(reported: dict[str, int], kept: dict[str, int] | None) -> None:
    spec = spec_from_description("orders", {**DESCRIPTION, "OnDemandThroughput": reported})
    assert (spec.on_demand_throughput.to_request() if spec.on_demand_throughput else None) == kept


def test_tags_reserved_for_aws_are_left_out_in_any_case() -> None:
    tags = [{"Key": "aws:cloudformation:stack-name", "Value": "s"}, {"Key": "AWS:Other", "Value": "o"},
            {"Key": "Team", "Value": "payments"}, {"Key": "awsome", "Value": "yes"}]
    spec = spec_from_description("orders", DESCRIPTION, tags=tags)
    assert spec.tag_map == {"Team": "payments", "awsome": "yes"}


def test_spec_files_keep_non_ascii_text_as_it_is() -> None:
    text = dump_spec(spec_named(Tags=[{"Key": "Owner", "Value": "Zoë"}]))
    assert '"Value": "Zoë"' in text and "\\u" not in text


def test_a_file_in_the_way_of_the_output_directory_is_refused_by_name(tmp_path: Path) -> None:
    blocker = tmp_path / "schemas"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigError) as caught:
        check_writable_dir(blocker)
    assert caught.value.message == f"cannot write to {blocker}: it is not a directory"
    with pytest.raises(ConfigError) as caught:
        check_writable_dir(blocker / "staging")
    assert caught.value.message == f"cannot write to {blocker} (in {blocker / 'staging'}): it is not a directory"
    assert caught.value.hint == "pass a directory with --dir"
    check_writable_dir(tmp_path / "new" / "schemas")  # made later: its nearest existing parent accepts files
    assert not (tmp_path / "new").exists() and list(tmp_path.iterdir()) == [blocker]


def test_a_directory_that_takes_no_files_is_refused_before_anything_is_read() -> None:
    # /proc takes no new files, not even from root: the check writes a file in the directory itself.
    with pytest.raises(ConfigError) as caught:
        check_writable_dir(Path("/proc"))
    message = caught.value.message
    assert message.startswith("cannot write to directory /proc: ") and "Errno" not in message
    assert caught.value.hint == "choose another --dir, or make the directory writable"


def test_a_create_request_leaves_out_what_create_table_does_not_take() -> None:
    spec = spec_named().with_defaults()
    assert create_table_request(spec, "construction-expenses-orders") == {
        "TableName": "construction-expenses-orders",
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
        "SSESpecification": {"Enabled": True},
        "TableClass": "STANDARD",
        "DeletionProtectionEnabled": False,
    }
    silent = create_table_request(spec_named(), "construction-expenses-orders")  # no TTL, no PITR: nothing to drop
    assert silent == {"TableName": "construction-expenses-orders",
                      "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                      "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]}


def test_a_create_request_carries_an_enabled_stream_and_provisioned_throughput() -> None:
    spec = spec_named(BillingMode="PROVISIONED",
                      ProvisionedThroughput={"ReadCapacityUnits": 2, "WriteCapacityUnits": 3},
                      StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    request = create_table_request(spec, "construction-expenses-orders")
    assert request["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    assert request["ProvisionedThroughput"] == {"ReadCapacityUnits": 2, "WriteCapacityUnits": 3}


def test_an_on_demand_create_request_never_carries_provisioned_throughput() -> None:
    spec = spec_named(BillingMode="PAY_PER_REQUEST", ProvisionedThroughput={"ReadCapacityUnits": 2,
                                                                            "WriteCapacityUnits": 3})
    request = create_table_request(spec, "construction-expenses-orders")
    assert request["BillingMode"] == "PAY_PER_REQUEST" and "ProvisionedThroughput" not in request


# -- the directory ---------------------------------------------------------------------------------------


def test_a_table_defined_twice_names_both_files(tmp_path: Path) -> None:
    (tmp_path / "orders.json").write_text(json.dumps(minimal()))
    (tmp_path / "construction-expenses-orders.json").write_text(json.dumps({"Table": DESCRIPTION}))
    with pytest.raises(SpecError) as caught:
        load_dir(tmp_path, NAMESPACE)
    assert caught.value.problems == (
        Problem(str(tmp_path / "orders.json"), "/TableName",
                "table 'orders' is also defined in construction-expenses-orders.json"),)


def test_a_file_given_as_the_schema_directory(tmp_path: Path) -> None:
    path = tmp_path / "orders.json"
    path.write_text(json.dumps(minimal()))
    with pytest.raises(ConfigError) as caught:
        load_dir(path, NAMESPACE)
    assert caught.value.message == f"{path} is not a directory"
    assert caught.value.hint == "pass the directory holding the *.json files"


def test_a_directory_without_spec_files_says_how_to_get_them(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("specs go here")
    with pytest.raises(ConfigError) as caught:
        load_dir(tmp_path, NAMESPACE)
    assert caught.value.message == f"no schema files (*.json) in {tmp_path}"
    assert caught.value.hint == "run `ddbctl export` first to write the schema files, or pass --dir"


# -- what a spec file holds ------------------------------------------------------------------------------


def test_duplicate_keys_are_refused_wherever_they_are(tmp_path: Path) -> None:
    path = tmp_path / "orders.json"
    path.write_text('{"TableName": "orders", "TableName": "orders", "KeySchema": [{"KeyType": "HASH", '
                    '"KeyType": "RANGE", "a/b~": 1, "a/b~": 2}]}')
    spec, problems = read_spec(path, NAMESPACE)
    assert spec is None
    why = "JSON keys must be unique (which value counts would be a guess)"
    assert problems == [
        Problem(str(path), "/KeySchema/0/KeyType", f"duplicate key 'KeyType': {why}"),
        Problem(str(path), "/KeySchema/0/a~1b~0", f"duplicate key 'a/b~': {why}"),
        Problem(str(path), "/TableName", f"duplicate key 'TableName': {why}"),
    ]


def test_a_key_given_three_times_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "orders.json"
    path.write_text('{"TableName": "a", "TableName": "b", "TableName": "orders"}')
    assert read_spec(path, NAMESPACE)[1] == [
        Problem(str(path), "/TableName",
                "duplicate key 'TableName': JSON keys must be unique (which value counts would be a guess)")]


def test_a_name_too_long_once_prefixed_is_refused_for_the_environment(tmp_path: Path) -> None:
    name = "t" * 240  # a valid logical name; construction-expenses-staging-ttt... is 270 characters
    staging = Namespace("staging", "construction-expenses")
    spec, problems = read(tmp_path, name, minimal(name), staging)
    assert spec is None
    physical = f"construction-expenses-staging-{name}"
    assert problems == [Problem(str(tmp_path / f"{name}.json"), "/TableName",
                                f"in environment staging: table name {physical!r} must be 3-255 characters long "
                                "(has 270)")]


def test_a_name_clashing_with_an_environment_is_one_problem_at_the_table_name(tmp_path: Path) -> None:
    spec, problems = read(tmp_path, "dev-tools", minimal("dev-tools"))
    assert spec is None
    assert [(p.path, p.pointer) for p in problems] == [(str(tmp_path / "dev-tools.json"), "/TableName")]
    assert problems[0].rule.startswith("logical name 'dev-tools' starts with the environment name 'dev'")


def test_entries_that_are_no_spec_file_are_problems_of_their_own(tmp_path: Path) -> None:
    (tmp_path / "folder.json").mkdir()
    (tmp_path / "dangling.json").symlink_to(tmp_path / "gone.json")
    (tmp_path / "loop.json").symlink_to(tmp_path / "loop.json")
    os.mkfifo(tmp_path / "pipe.json")
    found = {Path(path).name: problems for path, problems in (
        (str(p), read_spec(p, NAMESPACE)) for p in sorted(tmp_path.iterdir()))}
    names = ("dangling.json", "folder.json", "loop.json", "pipe.json")
    assert {name: (spec, [(p.path, p.pointer) for p in problems]) for name, (spec, problems) in found.items()} == {
        name: (None, [(str(tmp_path / name), "")]) for name in names}
    rules = {name: problems[0].rule for name, (_, problems) in found.items()}
    assert rules["folder.json"].startswith("a directory, not a spec file")
    assert rules["dangling.json"].startswith(f"dangling symbolic link (to {str(tmp_path / 'gone.json')!r}")
    assert rules["loop.json"].startswith("symbolic link that loops")
    assert rules["pipe.json"].startswith("not a regular file (a FIFO, socket or device)")


def test_a_file_that_is_not_utf_8_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "orders.json"
    path.write_bytes(b'{"TableName": "\xff"}')
    assert read_spec(path, NAMESPACE) == (None, [Problem(str(path), "", "file is not UTF-8 text")])


def test_a_file_the_system_cannot_read_is_one_problem_with_the_reason(tmp_path: Path) -> None:
    # A regular file whose reads fail (root reads any file with permission bits 000): /proc/self/mem at 0.
    path = tmp_path / "orders.json"
    path.symlink_to("/proc/self/mem")
    assert read_spec(path, NAMESPACE) == (None, [Problem(str(path), "", "cannot read file: Input/output error")])


@pytest.mark.parametrize(("content", "rule"), [
    (" \n", "file is empty: expected a JSON object describing one table"),
    ("[" * 100_000 + "]" * 100_000, "JSON nested too deeply: a table spec is only a few levels deep"),
])
def test_unreadable_json_is_one_problem_for_the_whole_file(tmp_path: Path, content: str, rule: str) -> None:
    path = tmp_path / "orders.json"
    path.write_text(content)
    assert read_spec(path, NAMESPACE) == (None, [Problem(str(path), "", rule)])


def test_a_number_too_long_to_convert_is_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "orders.json"
    path.write_text('{"TableName": ' + "9" * 5000 + "}")
    spec, problems = read_spec(path, NAMESPACE)
    assert spec is None and [(p.path, p.pointer) for p in problems] == [(str(path), "")]
    assert problems[0].rule.startswith("invalid JSON: ") and "digits" in problems[0].rule


def test_sse_type_is_read_as_described() -> None:
    spec = spec_from_description("orders", {**DESCRIPTION, "SSEDescription": {"Status": "ENABLED",
                                                                              "SSEType": "AES256"}})
    assert spec.sse_specification is not None and spec.sse_specification.sse_type == "AES256"


def test_a_file_gone_between_listing_and_reading_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "orders.json"
    gone = Problem(str(path), "", "the file disappeared while it was being read")
    assert read_spec(path, NAMESPACE) == (None, [gone])


def test_a_dangling_link_says_where_it_points_and_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "orders.json"
    path.symlink_to("gone.json")
    assert read_spec(path, NAMESPACE) == (None, [Problem(
        str(path), "", "dangling symbolic link (to 'gone.json', which does not exist): every *.json entry must be a "
                       "spec file; fix or remove the link")])


def test_a_path_that_cannot_be_looked_at_gives_the_system_s_reason(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text("{}")
    path = tmp_path / "a.json" / "orders.json"  # under a file, not a directory
    assert read_spec(path, NAMESPACE) == (None, [Problem(str(path), "", "cannot read file: Not a directory")])


def test_spec_files_list_projected_attributes_sorted_for_every_index() -> None:
    projection = {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["zeta", "alpha"]}
    spec = TableSpec.model_validate({
        "TableName": "orders",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                 {"AttributeName": "sk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "GlobalSecondaryIndexes": [{"IndexName": "g", "KeySchema": [{"AttributeName": "sk", "KeyType": "HASH"}],
                                    "Projection": projection}],
        "LocalSecondaryIndexes": [{"IndexName": "l", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                                   {"AttributeName": "sk", "KeyType": "RANGE"}],
                                   "Projection": projection}],
    })
    written = json.loads(dump_spec(spec))
    for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        assert written[kind][0]["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["alpha", "zeta"]}


def test_defaults_fill_every_field_a_file_leaves_silent() -> None:
    spec = spec_named().with_defaults()
    assert spec.stream_specification is not None and spec.stream_specification.to_request() == {"StreamEnabled": False}
    assert (spec.tags, spec.global_secondary_indexes, spec.local_secondary_indexes) == ((), (), ())
    assert (spec.billing_mode, spec.table_class, spec.deletion_protection_enabled) == ("PAY_PER_REQUEST", "STANDARD",
                                                                                         False)


def test_the_canonical_spec_sorts_definitions_and_tags() -> None:
    spec = TableSpec.model_validate({
        "TableName": "orders",
        "AttributeDefinitions": [{"AttributeName": "sk", "AttributeType": "S"},
                                 {"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "Tags": [{"Key": "b", "Value": "1"}, {"Key": "a", "Value": "2"}],
    }).canonical()
    assert [d.attribute_name for d in spec.attribute_definitions] == ["pk", "sk"]
    assert spec.tags is not None and [t.key for t in spec.tags] == ["a", "b"]
