"""DynamoDB's rules for a table definition, rule by rule: the exact findings (JSON pointer, message) a
user reads from ``ddbctl validate``, at the limits and one past them. Written against mutants of
spec/rules.py that the other spec tests let live (tools/mutation)."""

from __future__ import annotations

from typing import Any

import pytest

from ddbctl.spec.files import parse_spec

HASH = {"AttributeName": "pk", "KeyType": "HASH"}
RANGE = {"AttributeName": "sk", "KeyType": "RANGE"}
PK = {"AttributeName": "pk", "AttributeType": "S"}
SK = {"AttributeName": "sk", "AttributeType": "S"}
UNITS = {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
TAG_CHARACTERS = "may contain only letters, digits, spaces and _ . : / = + - @"


def table(**fields: Any) -> dict[str, Any]:
    return {"TableName": "orders", "AttributeDefinitions": [PK], "KeySchema": [HASH], **fields}


def gsi(name: str = "by-pk", *, projection: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    return {"IndexName": name, "KeySchema": [HASH], "Projection": projection or {"ProjectionType": "ALL"}, **fields}


def lsi(name: str = "by-sk", keys: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"IndexName": name, "KeySchema": [HASH, RANGE] if keys is None else keys,
            "Projection": {"ProjectionType": "KEYS_ONLY"}}


def findings(document: dict[str, Any]) -> list[tuple[str, str]]:
    spec, found = parse_spec(document)
    assert spec is not None, found
    return found


def tags(count: int) -> list[dict[str, str]]:
    return [{"Key": f"k{n}", "Value": "v"} for n in range(count)]


@pytest.mark.parametrize(("document", "expected"), [
    pytest.param(table(TableName="bad name!"),
                 [("/TableName", "table name 'bad name!' may contain only letters, digits, '_', '-' and '.'")],
                 id="logical-name"),
    pytest.param(table(TableName="ab"), [], id="short-logical-name-is-fine"),
    pytest.param(table(TableName="a" * 252), [], id="logical-name-at-the-limit"),
    pytest.param(table(TableName="a" * 253),
                 [("/TableName", f"table name {'a' * 20!r}... has 253 characters: with a prefix in front, a table "
                                 "name is at most 255, so the file's name at most 252")],
                 id="logical-name-one-past-the-limit"),
    pytest.param(table(TableName="orders\n"),
                 [("/TableName", "table name 'orders\\n' may contain only letters, digits, '_', '-' and '.'")],
                 id="logical-name-with-a-final-newline"),
    pytest.param(table(KeySchema=[]),
                 [("/KeySchema", "a key schema has one HASH key and at most one RANGE key (found 0 elements)"),
                  ("/AttributeDefinitions/0", "attribute 'pk' is defined but used by no key of the table or its "
                                              "indexes (DynamoDB refuses unused AttributeDefinitions): remove it")],
                 id="no-key"),
    pytest.param(table(KeySchema=[HASH, RANGE, {"AttributeName": "x", "KeyType": "RANGE"}],
                       AttributeDefinitions=[PK, SK, {"AttributeName": "x", "AttributeType": "S"}]),
                 [("/KeySchema", "a key schema has one HASH key and at most one RANGE key (found 3 elements)")],
                 id="three-keys"),
    pytest.param(table(KeySchema=[RANGE, HASH], AttributeDefinitions=[PK, SK]),
                 [("/KeySchema/0/KeyType", "the first key schema element must be the HASH (partition) key"),
                  ("/KeySchema/1/KeyType", "the second key schema element must be the RANGE (sort) key")],
                 id="key-order"),
    pytest.param(table(KeySchema=[HASH, {"AttributeName": "pk", "KeyType": "RANGE"}]),
                 [("/KeySchema/1/AttributeName", "the partition and sort keys must be different attributes")],
                 id="same-key-twice"),
    pytest.param(table(KeySchema=[{"AttributeName": "a" * 256, "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "a" * 256, "AttributeType": "S"}]),
                 [("/KeySchema/0/AttributeName", "key attribute names are at most 255 characters")],
                 id="key-name-too-long"),
    pytest.param(table(KeySchema=[{"AttributeName": "a" * 255, "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "a" * 255, "AttributeType": "S"}]),
                 [], id="key-name-of-255"),
    pytest.param(table(AttributeDefinitions=[PK, {"AttributeName": "pk", "AttributeType": "N"}]),
                 [("/AttributeDefinitions/0", "attribute 'pk' is defined more than once"),
                  ("/AttributeDefinitions/1", "attribute 'pk' is defined more than once")],
                 id="defined-twice"),
    pytest.param(table(AttributeDefinitions=[]),
                 [("/AttributeDefinitions", "attribute 'pk' is used in a key schema but missing from "
                                            'AttributeDefinitions: add {"AttributeName": "pk", "AttributeType": '
                                            '"S|N|B"}')],
                 id="missing-definition"),
])
def test_keys_and_attribute_definitions(document: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert findings(document) == expected


@pytest.mark.parametrize(("document", "expected"), [
    pytest.param(table(GlobalSecondaryIndexes=[gsi(f"index-{n}") for n in range(20)]), [], id="20-gsis"),
    pytest.param(table(KeySchema=[HASH, RANGE], AttributeDefinitions=[PK, SK],
                       LocalSecondaryIndexes=[lsi(f"index-{n}") for n in range(5)]), [], id="5-lsis"),
    pytest.param(table(KeySchema=[HASH, RANGE], AttributeDefinitions=[PK, SK],
                       LocalSecondaryIndexes=[lsi(f"index-{n}") for n in range(6)]),
                 [("/LocalSecondaryIndexes", "at most 5 local secondary indexes per table (found 6)")], id="6-lsis"),
    pytest.param(table(GlobalSecondaryIndexes=[gsi("ab")]),
                 [("/GlobalSecondaryIndexes/0/IndexName", "index name 'ab' must be 3-255 characters long (has 2)")],
                 id="index-name"),
    pytest.param(table(KeySchema=[HASH, RANGE], AttributeDefinitions=[PK, SK],
                       GlobalSecondaryIndexes=[gsi("same")], LocalSecondaryIndexes=[lsi("same")]),
                 [("/LocalSecondaryIndexes/0/IndexName", "index name 'same' is used more than once in this table")],
                 id="gsi-and-lsi-of-one-name"),
    pytest.param(table(GlobalSecondaryIndexes=[gsi(KeySchema=[RANGE], )], AttributeDefinitions=[PK, SK]),
                 [("/GlobalSecondaryIndexes/0/KeySchema/0/KeyType",
                   "the first key schema element must be the HASH (partition) key")],
                 id="index-key-schema"),
    pytest.param(table(GlobalSecondaryIndexes=[gsi(projection={"ProjectionType": "INCLUDE"})]),
                 [("/GlobalSecondaryIndexes/0/Projection/NonKeyAttributes",
                   "ProjectionType INCLUDE needs a non-empty NonKeyAttributes list")], id="include-nothing"),
    pytest.param(table(GlobalSecondaryIndexes=[gsi(projection={"ProjectionType": "INCLUDE", "NonKeyAttributes": []})]),
                 [("/GlobalSecondaryIndexes/0/Projection/NonKeyAttributes",
                   "ProjectionType INCLUDE needs a non-empty NonKeyAttributes list")], id="include-empty"),
    pytest.param(table(GlobalSecondaryIndexes=[gsi(projection={"ProjectionType": "INCLUDE",
                                                               "NonKeyAttributes": ["a", "b", "a"]})]),
                 [("/GlobalSecondaryIndexes/0/Projection/NonKeyAttributes",
                   "NonKeyAttributes lists an attribute more than once")], id="include-twice"),
    pytest.param(table(GlobalSecondaryIndexes=[gsi(projection={"ProjectionType": "ALL", "NonKeyAttributes": []})]),
                 [("/GlobalSecondaryIndexes/0/Projection/NonKeyAttributes",
                   "NonKeyAttributes is only allowed with ProjectionType INCLUDE (this index projects ALL)")],
                 id="attributes-without-include"),
    pytest.param(table(GlobalSecondaryIndexes=[
        gsi("first", projection={"ProjectionType": "INCLUDE", "NonKeyAttributes": [f"a{n}" for n in range(60)]}),
        gsi("second", projection={"ProjectionType": "INCLUDE", "NonKeyAttributes": [f"a{n}" for n in range(40)]})]),
                 [], id="100-projected"),
    pytest.param(table(GlobalSecondaryIndexes=[
        gsi("first", projection={"ProjectionType": "INCLUDE", "NonKeyAttributes": [f"a{n}" for n in range(60)]}),
        gsi("second", projection={"ProjectionType": "INCLUDE", "NonKeyAttributes": [f"a{n}" for n in range(41)]})]),
                 [("/GlobalSecondaryIndexes",
                   "at most 100 NonKeyAttributes across all indexes of a table (found 101)")], id="101-projected"),
])
def test_indexes(document: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert findings(document) == expected


@pytest.mark.parametrize(("document", "expected"), [
    pytest.param(table(LocalSecondaryIndexes=[lsi()], AttributeDefinitions=[PK, SK]),
                 [("/LocalSecondaryIndexes", "local secondary indexes need a table with a sort (RANGE) key")],
                 id="table-without-sort-key"),
    pytest.param(table(KeySchema=[HASH, RANGE], AttributeDefinitions=[PK, SK],
                       LocalSecondaryIndexes=[lsi(keys=[HASH])]),
                 [("/LocalSecondaryIndexes/0/KeySchema",
                   "a local secondary index has the table's partition key and its own sort key")], id="one-key"),
    pytest.param(table(KeySchema=[HASH, RANGE], AttributeDefinitions=[PK, SK, {"AttributeName": "x",
                                                                             "AttributeType": "S"}],
                       LocalSecondaryIndexes=[lsi(keys=[{"AttributeName": "x", "KeyType": "HASH"}, RANGE])]),
                 [("/LocalSecondaryIndexes/0/KeySchema/0/AttributeName",
                   "a local secondary index shares the table's partition key 'pk'")], id="other-partition-key"),
])
def test_local_secondary_indexes(document: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert findings(document) == expected


@pytest.mark.parametrize(("document", "expected"), [
    pytest.param(table(BillingMode="PROVISIONED", GlobalSecondaryIndexes=[gsi()]),
                 [("/ProvisionedThroughput", "BillingMode PROVISIONED needs ProvisionedThroughput for the table"),
                  ("/GlobalSecondaryIndexes/0/ProvisionedThroughput",
                   "on a PROVISIONED table every global secondary index needs ProvisionedThroughput")],
                 id="provisioned-without-units"),
    pytest.param(table(BillingMode="PROVISIONED", ProvisionedThroughput=UNITS,
                       GlobalSecondaryIndexes=[gsi(ProvisionedThroughput=UNITS)]), [], id="provisioned"),
    pytest.param(table(BillingMode="PROVISIONED", ProvisionedThroughput=UNITS,
                       OnDemandThroughput={"MaxReadRequestUnits": 5}),
                 [("/OnDemandThroughput", "OnDemandThroughput is only for BillingMode PAY_PER_REQUEST")],
                 id="provisioned-with-on-demand-maximum"),
    pytest.param(table(OnDemandThroughput={"MaxReadRequestUnits": 0, "MaxWriteRequestUnits": -1},
                       GlobalSecondaryIndexes=[gsi(OnDemandThroughput={"MaxReadRequestUnits": 1,
                                                                       "MaxWriteRequestUnits": 0})]),
                 [("/OnDemandThroughput/MaxReadRequestUnits", "MaxReadRequestUnits is -1 (no maximum) or at least 1"),
                  ("/GlobalSecondaryIndexes/0/OnDemandThroughput/MaxWriteRequestUnits",
                   "MaxWriteRequestUnits is -1 (no maximum) or at least 1")],
                 id="zero-maximum"),
    pytest.param(table(BillingMode="PAY_PER_REQUEST", ProvisionedThroughput=UNITS,
                       GlobalSecondaryIndexes=[gsi(ProvisionedThroughput=UNITS)]),
                 [("/ProvisionedThroughput", "ProvisionedThroughput is only allowed with BillingMode PROVISIONED "
                                             "(PAY_PER_REQUEST is the default when BillingMode is absent)"),
                  ("/GlobalSecondaryIndexes/0/ProvisionedThroughput",
                   "index ProvisionedThroughput is only allowed on a PROVISIONED table")],
                 id="on-demand-with-units"),
])
def test_billing(document: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert findings(document) == expected


@pytest.mark.parametrize(("document", "expected"), [
    pytest.param(table(StreamSpecification={"StreamEnabled": True}),
                 [("/StreamSpecification/StreamViewType", "an enabled stream needs a StreamViewType")], id="stream-on"),
    pytest.param(table(StreamSpecification={"StreamEnabled": False, "StreamViewType": "KEYS_ONLY"}),
                 [("/StreamSpecification/StreamViewType", "StreamViewType is only allowed when StreamEnabled is true")],
                 id="stream-off"),
    pytest.param(table(StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}), [], id="stream"),
    pytest.param(table(SSESpecification={"Enabled": True, "SSEType": "AES256"}),
                 [("/SSESpecification/SSEType", "SSEType must be KMS (AES256 is not accepted by CreateTable)")],
                 id="sse-aes256"),
    pytest.param(table(SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": "k"}), [], id="sse"),
    pytest.param(table(SSESpecification={"Enabled": False, "SSEType": "KMS"}),
                 [("/SSESpecification", "SSEType and KMSMasterKeyId are only allowed when Enabled is true")],
                 id="sse-off-with-type"),
    pytest.param(table(TimeToLiveSpecification={"Enabled": True, "AttributeName": ""}),
                 [("/TimeToLiveSpecification/AttributeName", "enabled TTL needs the AttributeName holding the expiry")],
                 id="ttl-without-name"),
    pytest.param(table(TimeToLiveSpecification={"Enabled": False, "AttributeName": "t" * 256}),
                 [("/TimeToLiveSpecification/AttributeName", "the TTL attribute name is at most 255 characters")],
                 id="ttl-name-too-long"),
    pytest.param(table(TimeToLiveSpecification={"Enabled": True, "AttributeName": "t" * 255}), [], id="ttl"),
    pytest.param(table(PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False,
                                                         "RecoveryPeriodInDays": 7}),
                 [("/PointInTimeRecoverySpecification/RecoveryPeriodInDays",
                   "RecoveryPeriodInDays is only allowed when PointInTimeRecoveryEnabled is true")], id="pitr-off"),
    pytest.param(table(PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True,
                                                         "RecoveryPeriodInDays": 0}),
                 [("/PointInTimeRecoverySpecification/RecoveryPeriodInDays", "RecoveryPeriodInDays is 1-35")],
                 id="pitr-0-days"),
    pytest.param(table(PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True,
                                                         "RecoveryPeriodInDays": 36}),
                 [("/PointInTimeRecoverySpecification/RecoveryPeriodInDays", "RecoveryPeriodInDays is 1-35")],
                 id="pitr-36-days"),
])
def test_stream_sse_ttl_and_pitr(document: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert findings(document) == expected


@pytest.mark.parametrize("days", [1, 35])
def test_recovery_periods_at_the_limits_are_fine(days: int) -> None:
    assert findings(table(PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True,
                                                            "RecoveryPeriodInDays": days})) == []


@pytest.mark.parametrize(("document", "expected"), [
    pytest.param(table(Tags=tags(50)), [], id="50-tags"),
    pytest.param(table(Tags=[{"Key": "k", "Value": ""}]), [], id="1-character-key-empty-value"),
    pytest.param(table(Tags=tags(51)), [("/Tags", "at most 50 tags per table (found 51)")], id="51-tags"),
    pytest.param(table(Tags=[{"Key": "", "Value": ""}, {"Key": "k" * 129, "Value": "v" * 257},
                             {"Key": "k" * 128, "Value": "v" * 256}]),
                 [("/Tags/0/Key", "tag keys are 1-128 characters"), ("/Tags/1/Key", "tag keys are 1-128 characters"),
                  ("/Tags/1/Value", "tag values are at most 256 characters")], id="lengths"),
    pytest.param(table(Tags=[{"Key": "a#!", "Value": "ok é 1_.:/=+-@"}, {"Key": "Team", "Value": "a\tb€"}]),
                 [("/Tags/0/Key", f"tag keys {TAG_CHARACTERS} (found '!', '#')"),
                  ("/Tags/1/Value", f"tag values {TAG_CHARACTERS} (found '\\t', '\\u20ac')")], id="characters"),
    pytest.param(table(Tags=[{"Key": "AWS:owner", "Value": "x"}, {"Key": "team", "Value": "1"},
                             {"Key": "team", "Value": "2"}, {"Key": "Team", "Value": "3"}]),
                 [("/Tags/0/Key", "tag keys starting with 'aws:' are reserved for AWS"),
                  ("/Tags/1/Key", "tag key 'team' appears more than once"),
                  ("/Tags/2/Key", "tag key 'team' appears more than once")], id="reserved-and-twice"),
])
def test_tags(document: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert findings(document) == expected


def test_every_rule_is_reported_not_only_the_first() -> None:
    document = table(TableName="bad name!", BillingMode="PROVISIONED", Tags=tags(51),
                     StreamSpecification={"StreamEnabled": True})
    assert [pointer for pointer, _ in findings(document)] == [
        "/TableName", "/ProvisionedThroughput", "/StreamSpecification/StreamViewType", "/Tags"]
