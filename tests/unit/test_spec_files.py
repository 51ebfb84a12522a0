"""Reading, checking and writing spec files: every bad input gets a precise problem (file, pointer, rule)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from ddbctl.errors import ConfigError, SpecError
from ddbctl.naming import Namespace
from ddbctl.spec import dump_spec, load_dir, read_spec

NAMESPACE = Namespace("production", "construction-expenses")


def minimal(name: str = "orders", **extra: Any) -> dict[str, Any]:
    return {
        "TableName": name,
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        **extra,
    }


def problems_of(tmp_path: Path, content: str | dict[str, Any] | list[Any], name: str = "orders") -> list[str]:
    path = tmp_path / f"{name}.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    spec, problems = read_spec(path, NAMESPACE)
    assert (spec is None) == bool(problems)
    return [f"{p.pointer} {p.rule}" for p in problems]


def test_the_bundled_example_is_valid_and_stable(example_dir: Path) -> None:
    files = load_dir(example_dir, NAMESPACE)
    assert len(files) == 13
    for item in files:
        assert dump_spec(item.spec) == item.path.read_text(), "files are written deterministically"
    ttl_tables = {f.spec.table_name for f in files if f.spec.time_to_live_specification}
    assert ttl_tables == {"pending-payments", "paddle-webhook-dlq"}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", " file is empty"),
        ("{not json", " invalid JSON: Expecting property name enclosed in double quotes at line 1 column 2"),
        ("[1, 2]", " top level must be a JSON object describing one table, not array"),
        ('"text"', " top level must be a JSON object describing one table, not str"),
    ],
)
def test_unusable_files(tmp_path: Path, content: str, expected: str) -> None:
    found = problems_of(tmp_path, content)
    assert len(found) == 1 and found[0].startswith(expected)


def test_unknown_fields_wrong_types_and_missing_keys_are_all_reported(tmp_path: Path) -> None:
    document = minimal(BillingMode="FREE", Colour="blue")
    document["KeySchema"] = [{"AttributeName": "id"}]
    document["DeletionProtectionEnabled"] = "yes"
    found = problems_of(tmp_path, document)
    assert "/Colour unknown field (see `ddbctl schema` for the allowed fields)" in found
    assert "/KeySchema/0/KeyType required field is missing" in found
    assert any(p.startswith("/BillingMode must be 'PROVISIONED' or 'PAY_PER_REQUEST'") for p in found)
    assert any(p.startswith("/DeletionProtectionEnabled must be a valid boolean") for p in found)


def test_table_name_must_match_the_file_name(tmp_path: Path) -> None:
    found = problems_of(tmp_path, minimal("customers"), name="orders")
    assert found == ["/TableName TableName 'customers' does not match the file name: rename the file to "
                     "customers.json or fix TableName"]


def test_invalid_names_and_duplicate_indexes(tmp_path: Path) -> None:
    index = {"IndexName": "by x", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "ALL"}}
    found = problems_of(tmp_path, minimal("bad name!", GlobalSecondaryIndexes=[index, index]), name="bad name!")
    assert "/TableName table name 'bad name!' may contain only letters, digits, '_', '-' and '.'" in found
    assert any(p.startswith("/GlobalSecondaryIndexes/0/IndexName index name 'by x' may contain only") for p in found)
    assert "/GlobalSecondaryIndexes/1/IndexName index name 'by x' is used more than once in this table" in found


def test_attribute_definitions_must_match_the_keys_exactly(tmp_path: Path) -> None:
    document = minimal(GlobalSecondaryIndexes=[{
        "IndexName": "by-email", "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"}}])
    document["AttributeDefinitions"].append({"AttributeName": "unused", "AttributeType": "N"})
    found = problems_of(tmp_path, document)
    assert any(p.startswith("/AttributeDefinitions/1 attribute 'unused' is defined but used by no key") for p in found)
    missing = "/AttributeDefinitions attribute 'email' is used in a key schema but missing"
    assert any(p.startswith(missing) for p in found)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"BillingMode": "PROVISIONED"}, "/ProvisionedThroughput BillingMode PROVISIONED needs ProvisionedThroughput"),
        ({"ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}},
         "/ProvisionedThroughput ProvisionedThroughput is only allowed with BillingMode PROVISIONED"),
        ({"StreamSpecification": {"StreamEnabled": True}}, "/StreamSpecification/StreamViewType an enabled stream"),
        ({"TableClass": "GLACIER"}, "/TableClass must be 'STANDARD' or 'STANDARD_INFREQUENT_ACCESS'"),
        ({"Tags": [{"Key": "aws:owner", "Value": "x"}]}, "/Tags/0/Key tag keys starting with 'aws:' are reserved"),
        ({"Tags": [{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}]}, "/Tags/1/Key tag key 'a' appears more"),
        ({"TimeToLiveSpecification": {"Enabled": True}}, "/TimeToLiveSpecification/AttributeName enabled TTL needs"),
        ({"PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 40}},
         "/PointInTimeRecoverySpecification/RecoveryPeriodInDays RecoveryPeriodInDays is 1-35"),
        ({"SSESpecification": {"Enabled": False, "KMSMasterKeyId": "k"}}, "/SSESpecification SSEType and KMSMaster"),
    ],
)
def test_dynamodb_rules(tmp_path: Path, extra: dict[str, Any], expected: str) -> None:
    found = problems_of(tmp_path, minimal(**extra))
    assert any(p.startswith(expected) for p in found), found


def test_lsi_rules(tmp_path: Path) -> None:
    lsi = {"IndexName": "by-date", "KeySchema": [{"AttributeName": "other", "KeyType": "HASH"},
                                                 {"AttributeName": "date", "KeyType": "RANGE"}],
           "Projection": {"ProjectionType": "KEYS_ONLY", "NonKeyAttributes": ["x"]}}
    document = minimal(LocalSecondaryIndexes=[lsi])
    document["AttributeDefinitions"] += [{"AttributeName": "other", "AttributeType": "S"},
                                         {"AttributeName": "date", "AttributeType": "S"}]
    found = problems_of(tmp_path, document)
    assert "/LocalSecondaryIndexes local secondary indexes need a table with a sort (RANGE) key" in found
    assert any(p.startswith("/LocalSecondaryIndexes/0/Projection/NonKeyAttributes NonKeyAttributes is only allowed")
               for p in found)


def test_too_many_indexes(tmp_path: Path) -> None:
    indexes = [{"IndexName": f"index-{n}", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"}} for n in range(21)]
    found = problems_of(tmp_path, minimal(GlobalSecondaryIndexes=indexes))
    assert "/GlobalSecondaryIndexes at most 20 global secondary indexes per table (found 21)" in found


def test_a_logical_name_clashing_with_an_environment(tmp_path: Path) -> None:
    found = problems_of(tmp_path, minimal("dev-tools"), name="dev-tools")
    assert any("starts with the environment name 'dev'" in p for p in found)


DESCRIPTION = {
    "TableName": "construction-expenses-orders",
    "TableStatus": "ACTIVE",
    "TableArn": "arn:aws:dynamodb:us-east-1:123456789012:table/construction-expenses-orders",
    "ItemCount": 3,
    "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
    "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
    "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
    "ProvisionedThroughput": {"ReadCapacityUnits": 0, "WriteCapacityUnits": 0, "NumberOfDecreasesToday": 0},
    "SSEDescription": {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": "arn:aws:kms:k"},
}


@pytest.mark.parametrize("file_name", ["construction-expenses-orders", "orders"])
def test_describe_table_output_is_read_with_or_without_wrapper(tmp_path: Path, file_name: str) -> None:
    wrapped = tmp_path / "wrapped"
    bare = tmp_path / "bare"
    for folder, document in ((wrapped, {"Table": DESCRIPTION}), (bare, DESCRIPTION)):
        folder.mkdir()
        (folder / f"{file_name}.json").write_text(json.dumps(document))
    specs = [load_dir(folder, NAMESPACE)[0].spec for folder in (wrapped, bare)]
    assert specs[0] == specs[1]
    assert specs[0].table_name == "orders"
    assert specs[0].billing_mode == "PAY_PER_REQUEST" and specs[0].provisioned_throughput is None
    assert specs[0].sse_specification is not None and specs[0].sse_specification.kms_master_key_id == "arn:aws:kms:k"


def test_the_baseline_export_format_is_read(tmp_path: Path) -> None:
    document = {
        "Table": {**DESCRIPTION, "TableName": "construction-expenses-staging-orders"},
        "TimeToLiveDescription": {"TimeToLiveStatus": "ENABLED", "AttributeName": "ttl"},
        "ContinuousBackupsDescription": {"PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "ENABLED"}},
        "Tags": [{"Key": "Environment", "Value": "staging"}, {"Key": "Team", "Value": "x"}],
    }
    (tmp_path / "construction-expenses-staging-orders.json").write_text(json.dumps(document))
    spec = load_dir(tmp_path, NAMESPACE)[0].spec
    assert spec.table_name == "orders"
    assert spec.time_to_live_specification is not None and spec.time_to_live_specification.attribute_name == "ttl"
    assert spec.tag_map == {"Team": "x"}, "tags ddbctl derives from the environment are not kept"


def test_all_files_are_checked_before_failing(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text("{")
    (tmp_path / "b.json").write_text(json.dumps(minimal("c")))
    with pytest.raises(SpecError) as caught:
        load_dir(tmp_path, NAMESPACE)
    assert [Path(p.path).name for p in caught.value.problems] == ["a.json", "b.json"]
    assert "2 problems in spec files" in str(caught.value)


def test_duplicate_tables_across_files(tmp_path: Path) -> None:
    (tmp_path / "orders.json").write_text(json.dumps(minimal()))
    (tmp_path / "construction-expenses-orders.json").write_text(json.dumps({"Table": {
        **DESCRIPTION}}))
    with pytest.raises(SpecError, match="table 'orders' is also defined in"):
        load_dir(tmp_path, NAMESPACE)


def test_missing_empty_and_unreadable_directories(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist") as caught:
        load_dir(tmp_path / "nope", NAMESPACE)
    assert caught.value.hint is not None and "ddbctl export" in caught.value.hint
    with pytest.raises(ConfigError, match=r"no schema files \(\*\.json\)"):
        load_dir(tmp_path, NAMESPACE)
    (tmp_path / "orders.json").write_text(json.dumps(minimal()))
    if os.geteuid() != 0:  # root reads anything
        (tmp_path / "orders.json").chmod(0)
        spec, problems = read_spec(tmp_path / "orders.json", NAMESPACE)
        assert spec is None and "cannot read file" in problems[0].rule


def test_a_directory_is_read_in_table_name_order_whatever_the_order_files_were_written(tmp_path: Path) -> None:
    # validate, create, apply and add-gsi --from-spec DIR all report and work in this order.
    names = ["paddle-webhooks", "companies", "zebra", "company-users", "alpha"]
    for name in names:  # written in no particular order: directory listings follow creation on many filesystems
        (tmp_path / f"{name}.json").write_text(json.dumps(minimal(name)))
    loaded = load_dir(tmp_path, NAMESPACE)
    assert [f.spec.table_name for f in loaded] == sorted(names)
    assert [f.path.name for f in loaded] == [f"{name}.json" for name in sorted(names)]
