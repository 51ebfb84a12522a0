"""AWS-like mode: names, limits, tags, TTL rules, batch limits and random faults."""

from __future__ import annotations

import contextlib
import json
import time
import urllib.request
from typing import Any

import pytest

from ddbctl.local import AwsLikeOptions
from ddbctl.local.pytest_plugin import LocalDynamoDB

from .local_helpers import create_active, error_of, gsi, simple_table

KEYS = [
    {"AttributeName": "pk", "AttributeType": "S"},
    {"AttributeName": "sk", "AttributeType": "S"},
    {"AttributeName": "gk", "AttributeType": "S"},
]
COMPOSITE = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]


def lsi(name: str, **projection: Any) -> dict[str, Any]:
    return {
        "IndexName": name,
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "gk", "KeyType": "RANGE"}],
        "Projection": projection or {"ProjectionType": "KEYS_ONLY"},
    }


@pytest.mark.parametrize(
    ("name", "constraint"),
    [
        ("bad name!", "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"),
        ("x" * 256, "Member must have length less than or equal to 255"),
    ],
)
def test_bad_table_names_are_refused(awslike_dynamodb: LocalDynamoDB, name: str, constraint: str) -> None:
    client = awslike_dynamodb.client()
    code, message, _ = error_of(client.create_table, **simple_table(name))
    assert code == "ValidationException"
    assert (
        message
        == f"1 validation error detected: Value '{name}' at 'tableName' failed to satisfy constraint: {constraint}"
    )
    assert error_of(client.describe_table, TableName=name)[0] == "ValidationException"
    assert client.list_tables()["TableNames"] == []


def test_bad_index_names_are_refused(awslike_dynamodb: LocalDynamoDB) -> None:
    client = awslike_dynamodb.client()
    code, message, _ = error_of(
        client.create_table,
        **simple_table(AttributeDefinitions=KEYS[:1] + KEYS[2:], GlobalSecondaryIndexes=[gsi("by g")]),
    )
    assert code == "ValidationException"
    assert "'globalSecondaryIndexes.1.member.indexName'" in message
    create_active(client, simple_table())
    code, message, _ = error_of(
        client.update_table,
        TableName="orders",
        AttributeDefinitions=KEYS[2:],
        GlobalSecondaryIndexUpdates=[{"Create": gsi("by/g")}],
    )
    assert code == "ValidationException"
    assert "globalSecondaryIndexUpdates.1.member.create.indexName" in message


def test_index_count_limits(awslike_dynamodb: LocalDynamoDB) -> None:
    client = awslike_dynamodb.client()
    code, message, _ = error_of(
        client.create_table,
        **simple_table(
            AttributeDefinitions=KEYS[:1] + KEYS[2:], GlobalSecondaryIndexes=[gsi(f"index-{n}") for n in range(21)]
        ),
    )
    assert (code, message) == (
        "ValidationException",
        "One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the per-table limit of 20",
    )
    code, message, _ = error_of(
        client.create_table,
        **simple_table(
            KeySchema=COMPOSITE, AttributeDefinitions=KEYS, LocalSecondaryIndexes=[lsi(f"local-{n}") for n in range(6)]
        ),
    )
    assert code == "ValidationException"
    assert "LocalSecondaryIndexes exceeds per-table limit of 5" in message
    client.create_table(
        **simple_table(
            AttributeDefinitions=KEYS[:1] + KEYS[2:], GlobalSecondaryIndexes=[gsi(f"index-{n}") for n in range(20)]
        )
    )


def test_non_key_attributes_rules(awslike_dynamodb: LocalDynamoDB) -> None:
    client = awslike_dynamodb.client()
    request = simple_table(AttributeDefinitions=KEYS[:1] + KEYS[2:])
    code, message, _ = error_of(
        client.create_table,
        **request,
        GlobalSecondaryIndexes=[gsi("by-g", ProjectionType="ALL", NonKeyAttributes=["a"])],
    )
    assert code == "ValidationException"
    assert "ProjectionType is ALL, but NonKeyAttributes is specified" in message
    many = [f"attr{n}" for n in range(60)]
    code, message, _ = error_of(
        client.create_table,
        **request,
        GlobalSecondaryIndexes=[
            gsi("by-g", ProjectionType="INCLUDE", NonKeyAttributes=many),
            gsi("by-g2", ProjectionType="INCLUDE", NonKeyAttributes=many),
        ],
    )
    assert code == "ValidationException"
    assert "exceeds limit of 100, provided: 120" in message
    client.create_table(
        **request,
        GlobalSecondaryIndexes=[
            gsi("by-g", ProjectionType="INCLUDE", NonKeyAttributes=many[:50]),
            gsi("by-g2", ProjectionType="INCLUDE", NonKeyAttributes=many[:50]),
        ],
    )


def all_tags(client: Any, arn: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    kwargs: dict[str, Any] = {"ResourceArn": arn}
    while True:
        page = client.list_tags_of_resource(**kwargs)
        for tag in page["Tags"]:
            assert tag["Key"] not in tags, "duplicate tag key listed"
            tags[tag["Key"]] = tag["Value"]
        if "NextToken" not in page:
            return tags
        kwargs["NextToken"] = page["NextToken"]


def test_tags_overwrite_and_list_correctly(awslike_dynamodb: LocalDynamoDB) -> None:
    client = awslike_dynamodb.client()
    arn = client.create_table(**simple_table(Tags=[{"Key": "team", "Value": "a"}, {"Key": "team", "Value": "b"}]))[
        "TableDescription"
    ]["TableArn"]
    assert all_tags(client, arn) == {"team": "b"}
    client.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "c"}, {"Key": "env", "Value": ""}])
    client.tag_resource(ResourceArn=arn, Tags=[{"Key": f"k{n:02}", "Value": str(n)} for n in range(25)])
    tags = all_tags(client, arn)
    assert (tags["team"], tags["env"], len(tags)) == ("c", "", 27)
    client.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert "team" not in all_tags(client, arn)


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ([{"Key": "aws:owner", "Value": "x"}], "reserved"),
        ([{"Key": "k" * 129, "Value": "x"}], "tags.1.member.key"),
        ([{"Key": "ok", "Value": "v" * 257}], "tags.1.member.value"),
        ([{"Key": f"k{n}", "Value": ""} for n in range(51)], "limit of 50"),
    ],
)
def test_bad_tags_are_refused(awslike_dynamodb: LocalDynamoDB, tags: list[dict[str, str]], expected: str) -> None:
    client = awslike_dynamodb.client()
    arn = client.create_table(**simple_table())["TableDescription"]["TableArn"]
    code, message, _ = error_of(client.tag_resource, ResourceArn=arn, Tags=tags)
    assert code == "ValidationException"
    assert expected in message
    assert error_of(client.create_table, **simple_table("other", Tags=tags))[0] == "ValidationException"
    assert all_tags(client, arn) == {}


def test_tag_count_includes_existing_tags(awslike_dynamodb: LocalDynamoDB) -> None:
    client = awslike_dynamodb.client()
    arn = client.create_table(**simple_table(Tags=[{"Key": f"a{n}", "Value": ""} for n in range(30)]))[
        "TableDescription"
    ]["TableArn"]
    assert (
        error_of(client.tag_resource, ResourceArn=arn, Tags=[{"Key": f"b{n}", "Value": ""} for n in range(21)])[0]
        == "ValidationException"
    )
    client.tag_resource(ResourceArn=arn, Tags=[{"Key": f"a{n}", "Value": "new"} for n in range(30)])
    client.tag_resource(ResourceArn=arn, Tags=[{"Key": f"b{n}", "Value": ""} for n in range(20)])
    assert len(all_tags(client, arn)) == 50


def ttl(client: Any, enabled: bool, attribute: str = "expires", table: str = "orders") -> None:
    client.update_time_to_live(
        TableName=table, TimeToLiveSpecification={"Enabled": enabled, "AttributeName": attribute}
    )


def test_ttl_rules(local_server_factory: Any) -> None:
    client = local_server_factory(AwsLikeOptions(table_create_seconds=0, ttl_cooldown_seconds=0)).client()
    create_active(client, simple_table())
    assert error_of(ttl, client=client, enabled=False) == ("ValidationException", "TimeToLive is already disabled", 400)
    ttl(client, True)
    assert error_of(ttl, client=client, enabled=True) == ("ValidationException", "TimeToLive is already enabled", 400)
    code, message, _ = error_of(ttl, client=client, enabled=True, attribute="other")
    assert (code, message.split(":")[0]) == ("ValidationException", "TimeToLive is active on a different AttributeName")
    ttl(client, False)
    ttl(client, True, attribute="other")
    assert client.describe_time_to_live(TableName="orders")["TimeToLiveDescription"]["AttributeName"] == "other"


def test_ttl_second_change_within_cooldown_is_refused(awslike_dynamodb: LocalDynamoDB) -> None:
    client = awslike_dynamodb.client()
    create_active(client, simple_table())
    ttl(client, True)
    assert error_of(ttl, client=client, enabled=False) == (
        "ValidationException",
        "Time to live has been modified multiple times within a fixed interval",
        400,
    )


def test_ttl_on_missing_table_is_resource_not_found(awslike_dynamodb: LocalDynamoDB) -> None:
    client = awslike_dynamodb.client()
    code, message, status = error_of(ttl, client=client, enabled=True, table="missing")
    assert (code, status) == ("ResourceNotFoundException", 400)
    assert "missing" in message
    assert error_of(client.describe_time_to_live, TableName="missing")[0] == "ResourceNotFoundException"


def write_requests(count: int) -> dict[str, Any]:
    return {"orders": [{"PutRequest": {"Item": {"pk": {"S": f"item{n}"}}}} for n in range(count)]}


def test_batch_write_over_25_is_refused(awslike_dynamodb: LocalDynamoDB) -> None:
    client = awslike_dynamodb.client()
    create_active(client, simple_table())
    assert error_of(client.batch_write_item, RequestItems=write_requests(26)) == (
        "ValidationException",
        "Too many items requested for the BatchWriteItem call",
        400,
    )
    client.batch_write_item(RequestItems=write_requests(25))
    assert client.scan(TableName="orders", Select="COUNT")["Count"] == 25


def test_unprocessed_items_are_not_written(local_server_factory: Any) -> None:
    client = local_server_factory(AwsLikeOptions(table_create_seconds=0, unprocessed_rate=0.5, seed=7)).client()
    create_active(client, simple_table())
    response = client.batch_write_item(RequestItems=write_requests(25))
    unprocessed = {r["PutRequest"]["Item"]["pk"]["S"] for r in response["UnprocessedItems"].get("orders", [])}
    assert 0 < len(unprocessed) < 25
    stored = {item["pk"]["S"] for item in client.scan(TableName="orders")["Items"]}
    assert stored.isdisjoint(unprocessed)
    assert stored | unprocessed == {f"item{n}" for n in range(25)}


def test_all_unprocessed_writes_nothing(local_server_factory: Any) -> None:
    client = local_server_factory(AwsLikeOptions(table_create_seconds=0, unprocessed_rate=1.0)).client()
    create_active(client, simple_table())
    assert len(client.batch_write_item(RequestItems=write_requests(3))["UnprocessedItems"]["orders"]) == 3
    assert client.scan(TableName="orders")["Items"] == []


def raw_error(endpoint: str) -> tuple[int, str, dict[str, Any]]:
    request = urllib.request.Request(
        endpoint + "/",
        data=b"{}",
        method="POST",
        headers={"X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0"},
    )
    try:
        urllib.request.urlopen(request, timeout=5)
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], json.loads(error.read())
    raise AssertionError("no error")


def test_throttling_has_dynamodbs_wire_shape(local_server_factory: Any) -> None:
    local = local_server_factory(AwsLikeOptions(throttle_rate=1.0))
    assert raw_error(local.endpoint_url) == (
        400,
        "application/x-amz-json-1.0",
        {
            "__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException",
            "message": "Rate of requests exceeds the allowed throughput.",
        },
    )
    assert error_of(local.client().list_tables)[0] == "ThrottlingException"


def test_error_rate_gives_http_500(local_server_factory: Any) -> None:
    local = local_server_factory(AwsLikeOptions(error_rate=1.0))
    status, content_type, body = raw_error(local.endpoint_url)
    assert (status, content_type, body["__type"].rsplit("#")[1]) == (
        500,
        "application/x-amz-json-1.0",
        "InternalServerError",
    )
    assert error_of(local.client().list_tables)[::2] == ("InternalServerError", 500)


def test_retries_get_through_partial_throttling(local_server_factory: Any) -> None:
    client = local_server_factory(AwsLikeOptions(throttle_rate=0.3, seed=3)).client(max_attempts=10)
    for _ in range(5):
        assert client.list_tables()["TableNames"] == []


def fault_pattern(local: Any, calls: int = 30) -> list[str | None]:
    client = local.client()
    for _ in range(calls):
        with contextlib.suppress(client.exceptions.ClientError):
            client.list_tables()
    return [op["error"] for op in local.server.operations()]


def test_seed_makes_random_faults_reproducible(local_server_factory: Any) -> None:
    options = AwsLikeOptions(throttle_rate=0.3, error_rate=0.2, seed=42)
    first = local_server_factory(options)
    pattern = fault_pattern(first)
    assert {None, "ThrottlingException", "InternalServerError"} == set(pattern)
    assert fault_pattern(local_server_factory(options)) == pattern
    first.server.reset()  # reset re-seeds, so each test sees the same sequence
    assert fault_pattern(first) == pattern


def test_latency_is_added_to_each_call(local_server_factory: Any) -> None:
    client = local_server_factory(AwsLikeOptions(latency_ms=150)).client()
    started = time.monotonic()
    client.list_tables()
    client.list_tables()
    assert time.monotonic() - started >= 0.3
