"""Multi-attribute GSI keys and vector indexes, over HTTP, in both modes (and their timing in the AWS-like one)."""

from __future__ import annotations

from typing import Any

import pytest

from ddbctl.local import AwsLikeOptions
from ddbctl.local.pytest_plugin import LocalDynamoDB, ServerPool

from .local_helpers import error_of, status_of, wait_until
from .surface_helpers import (
    BOTH_MODES,
    create,
    definitions,
    described,
    index_named,
    key_schema,
    provisioned,
    server,
    table_request,
    vector_index,
)

INVALID = "One or more parameter values were invalid:"
INDEX_LIMIT = "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table"
MULTI_KEY = key_schema("tenant", "region", ranges=("day", "seq"))


def multi_key_table(**extra: Any) -> dict[str, Any]:
    gsi = {"IndexName": "by-tenant", "KeySchema": MULTI_KEY, "Projection": {"ProjectionType": "ALL"}}
    return table_request(GlobalSecondaryIndexes=[gsi],
                         AttributeDefinitions=definitions(pk="S", tenant="S", region="S", day="S", seq="N"), **extra)


def keys_of(items: list[dict[str, Any]]) -> list[str]:
    return sorted(item["pk"]["S"] for item in items)


# -- multi-attribute GSI keys -------------------------------------------------------------------------


@BOTH_MODES
def test_a_gsi_with_two_hash_and_two_range_attributes_is_stored_described_and_queried(
    server_fixture: str, request: pytest.FixtureRequest
) -> None:
    client = create(server(request, server_fixture), multi_key_table())
    assert index_named(described(client), "by-tenant")["KeySchema"] == MULTI_KEY  # type: ignore[index]
    rows = [("a", "t1", "eu", "d1", 1), ("b", "t1", "eu", "d1", 2), ("c", "t1", "eu", "d2", 1),
            ("d", "t1", "us", "d1", 1), ("e", "t1", "eu", None, 3)]  # e lacks a key attribute: not in the index
    for pk, tenant, region, day, seq in rows:
        item = {"pk": {"S": pk}, "tenant": {"S": tenant}, "region": {"S": region}, "seq": {"N": str(seq)}}
        if day:
            item["day"] = {"S": day}
        client.put_item(TableName="orders", Item=item)

    def query(condition: str, **values: Any) -> list[str]:
        answer = client.query(TableName="orders", IndexName="by-tenant", KeyConditionExpression=condition,
                              ExpressionAttributeNames={"#r": "region"},
                              ExpressionAttributeValues={f":{name}": value for name, value in values.items()})
        return keys_of(answer["Items"])

    tenant, region = {"S": "t1"}, {"S": "eu"}
    assert query("tenant = :t AND #r = :r", t=tenant, r=region) == ["a", "b", "c"]
    assert query("tenant = :t AND #r = :r AND day = :d", t=tenant, r=region, d={"S": "d1"}) == ["a", "b"]
    assert query("tenant = :t AND #r = :r AND day = :d AND seq > :s", t=tenant, r=region, d={"S": "d1"},
                 s={"N": "1"}) == ["b"]
    code, message, _ = error_of(client.query, TableName="orders", IndexName="by-tenant",
                                KeyConditionExpression="tenant = :t", ExpressionAttributeValues={":t": tenant})
    assert code == "ValidationException" and "region" in message


@BOTH_MODES
@pytest.mark.parametrize(("schema", "message"), [
    (key_schema("a", "b", "c", "d", "e"), "The KeySchema exceeds the maximum allowed number of HASH key attributes"),
    (key_schema("a", ranges=("b", "c", "d", "e", "f")),
     "The KeySchema exceeds the maximum allowed number of RANGE key attributes"),
    ([*key_schema("a", ranges=("b",)), *key_schema("c")],
     "All HASH key attributes must precede RANGE key attributes in the KeySchema"),
    (key_schema("a", ranges=("a",)), "The KeySchema contains multiple key attributes with the same name"),
])
def test_a_gsi_key_schema_beyond_dynamodb_s_rules_is_refused_at_creation_and_by_update(
    server_fixture: str, request: pytest.FixtureRequest, schema: list[dict[str, str]], message: str
) -> None:
    local = server(request, server_fixture)
    attributes = definitions(pk="S", **{element["AttributeName"]: "S" for element in schema})
    gsi = {"IndexName": "by-many", "KeySchema": schema, "Projection": {"ProjectionType": "ALL"}}
    client = local.client()
    refused = error_of(client.create_table,
                       **table_request(GlobalSecondaryIndexes=[gsi], AttributeDefinitions=attributes))
    assert refused[:2] == ("ValidationException", message)
    assert client.list_tables()["TableNames"] == []
    create(local, table_request())
    refused = error_of(client.update_table, TableName="orders", AttributeDefinitions=attributes,
                       GlobalSecondaryIndexUpdates=[{"Create": gsi}])
    assert refused[:2] == ("ValidationException", message)
    assert "GlobalSecondaryIndexes" not in described(client)


@BOTH_MODES
def test_table_and_lsi_keys_stay_at_two_attributes(server_fixture: str, request: pytest.FixtureRequest) -> None:
    client = server(request, server_fixture).client()
    lsi = {"IndexName": "by-x", "KeySchema": key_schema("pk", ranges=("x", "y")),
           "Projection": {"ProjectionType": "ALL"}}
    code, message, _ = error_of(client.create_table, **table_request(
        sort_key=True, LocalSecondaryIndexes=[lsi], AttributeDefinitions=definitions(pk="S", sk="S", x="S", y="S")))
    assert code == "ValidationException"
    assert "at 'localSecondaryIndexes.1.member.keySchema' failed to satisfy constraint: Member must have length less " \
           "than or equal to 2" in message
    code, message, _ = error_of(client.create_table, **table_request(
        KeySchema=key_schema("pk", ranges=("x", "y")), AttributeDefinitions=definitions(pk="S", x="S", y="S")))
    assert code == "ValidationException" and "less than or equal to 2" in message


def test_a_multi_attribute_gsi_added_by_update_table_is_built_like_any_other(awslike_dynamodb: LocalDynamoDB) -> None:
    local = awslike_dynamodb
    client = create(local, table_request())
    local.server.hold("orders", index="by-tenant")
    answer = client.update_table(TableName="orders", AttributeDefinitions=definitions(
        tenant="S", region="S", day="S", seq="N"), GlobalSecondaryIndexUpdates=[{"Create": {
            "IndexName": "by-tenant", "KeySchema": MULTI_KEY, "Projection": {"ProjectionType": "ALL"}}}])
    assert index_named(answer["TableDescription"], "by-tenant")["IndexStatus"] == "CREATING"  # type: ignore[index]
    assert index_named(described(client), "by-tenant")["KeySchema"] == MULTI_KEY  # type: ignore[index]
    local.server.release("orders", index="by-tenant")
    wait_until(lambda: index_named(described(client), "by-tenant")["IndexStatus"] == "ACTIVE")  # type: ignore[index]


# -- vector indexes -----------------------------------------------------------------------------------


@BOTH_MODES
def test_vector_indexes_at_creation_are_described_as_dynamodb_describes_them(
    server_fixture: str, request: pytest.FixtureRequest
) -> None:
    local = server(request, server_fixture)
    searched = vector_index(SearchSchema=[{"AttributeName": "category", "SearchSchemaElementType": "HASH"}])
    client = create(local, table_request(VectorIndexes=[searched, vector_index("by-other", "other", 8)],
                                         AttributeDefinitions=definitions(pk="S", category="S")))
    table = described(client)
    arn = table["TableArn"]
    assert table["VectorIndexes"] == [
        {"IndexName": "by-embedding",
         "SearchSchema": [{"AttributeName": "category", "SearchSchemaElementType": "HASH"}],
         "Projection": {"ProjectionType": "KEYS_ONLY"}, "VectorAttribute": {"AttributeName": "embedding"},
         "Dimensions": 3, "DistanceFunction": "COSINE", "IndexStatus": "ACTIVE", "IndexSizeBytes": 0, "ItemCount": 0,
         "IndexArn": f"{arn}/index/by-embedding"},
        {"IndexName": "by-other", "Projection": {"ProjectionType": "KEYS_ONLY"},
         "VectorAttribute": {"AttributeName": "other"}, "Dimensions": 8, "DistanceFunction": "COSINE",
         "IndexStatus": "ACTIVE", "IndexSizeBytes": 0, "ItemCount": 0, "IndexArn": f"{arn}/index/by-other"},
    ]
    # The SearchSchema attribute is declared (moto alone would refuse it as unused); no GSI list appears.
    assert {d["AttributeName"] for d in table["AttributeDefinitions"]} == {"pk", "category"}
    assert "GlobalSecondaryIndexes" not in table
    client.put_item(TableName="orders", Item={"pk": {"S": "a"}, "embedding": {"L": [{"N": "1"}] * 3}})
    client.delete_table(TableName="orders")
    wait_until(lambda: client.list_tables()["TableNames"] == [])
    create(local, table_request())
    assert "VectorIndexes" not in described(client)  # a table of the same name starts without them


@BOTH_MODES
@pytest.mark.parametrize(("change", "message"), [
    ({"BillingMode": "PROVISIONED", "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}},
     f"{INVALID} Vector indexes are only supported for PAY_PER_REQUEST tables"),
    ({"VectorIndexes": []}, f"{INVALID} List of VectorIndexes is empty"),
    ({"VectorIndexes": [vector_index(dimensions=4097)]},
     f"{INVALID} Number of dimensions must be between 1 and 4096 inclusive."),
    ({"VectorIndexes": [vector_index(f"vector-{n}", f"v{n}") for n in range(6)]},
     f"{INVALID} VectorIndex count exceeds the per-table limit of 5"),
    ({"VectorIndexes": [vector_index(), vector_index("by-wider", dimensions=4)]},
     f"{INVALID} Conflicting attribute definition for 'embedding'. All VectorIndexes on the same vector attribute "
     "must use the same dimensions."),
    ({"VectorIndexes": [vector_index(attribute="pk")]},
     f"{INVALID} Conflicting attribute definition for 'pk'. An attribute cannot be defined in AttributeDefinitions "
     "when used as a VectorAttribute."),
    ({"VectorIndexes": [vector_index(SearchSchema=[{"AttributeName": "nowhere", "SearchSchemaElementType": "HASH"}])]},
     f"{INVALID} One element in SearchSchema is not defined in attribute definitions"),
    ({"VectorIndexes": [vector_index("pk-twice"), vector_index("pk-twice", "other")]},
     f"{INVALID} Duplicate index name: pk-twice"),
    ({"VectorIndexes": [vector_index(Projection={})]}, f"{INVALID} Unknown ProjectionType: null"),
])
def test_a_vector_index_dynamodb_refuses_refuses_the_table(
    server_fixture: str, request: pytest.FixtureRequest, change: dict[str, Any], message: str
) -> None:
    client = server(request, server_fixture).client()
    wanted = {"VectorIndexes": [vector_index()], **change}
    assert error_of(client.create_table, **table_request(**wanted))[:2] == ("ValidationException", message)
    assert client.list_tables()["TableNames"] == []


@BOTH_MODES
def test_vector_indexes_are_added_and_removed_by_update_table(
    server_fixture: str, request: pytest.FixtureRequest
) -> None:
    local = server(request, server_fixture)
    client = create(local, table_request())
    client.update_table(TableName="orders", AttributeDefinitions=definitions(category="S"), VectorIndexUpdates=[
        {"Create": vector_index(SearchSchema=[{"AttributeName": "category", "SearchSchemaElementType": "HASH"}])}])
    wait_until(lambda: (index_named(described(client), "by-embedding", "VectorIndexes") or {}).get("IndexStatus")
               == "ACTIVE")
    refusals: list[tuple[dict[str, Any], str]] = [
        ({"VectorIndexUpdates": [{"Create": vector_index()}]}, "Attempting to create an index which already exists"),
        ({"VectorIndexUpdates": [{"Delete": {"IndexName": "by-nothing"}}]},
         "Requested resource not found: Index by-nothing for table orders"),
        ({"VectorIndexUpdates": [{}]},
         f"{INVALID} One of VectorIndexUpdate.Create, VectorIndexUpdate.Delete must not be null"),
        ({"VectorIndexUpdates": [{"Create": vector_index("by-b", "b"), "Delete": {"IndexName": "by-embedding"}}]},
         f"{INVALID} Only one vector index action is allowed per VectorIndexUpdate object"),
        ({"VectorIndexUpdates": [{"Create": vector_index("by-b", "b")}, {"Create": vector_index("by-c", "c")}]},
         INDEX_LIMIT),
        ({"BillingMode": "PROVISIONED", "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}},
         f"{INVALID} Tables with vector indexes must be in PAY_PER_REQUEST mode"),
    ]
    for change, message in refusals:
        assert error_of(client.update_table, TableName="orders", **change)[1] == message
    client.update_table(TableName="orders", VectorIndexUpdates=[{"Delete": {"IndexName": "by-embedding"}}])
    wait_until(lambda: "VectorIndexes" not in described(client))
    assert status_of(client, "orders") in ("ACTIVE", "UPDATING")


@BOTH_MODES
def test_a_provisioned_table_gets_no_vector_index(server_fixture: str, request: pytest.FixtureRequest) -> None:
    client = create(server(request, server_fixture), provisioned(table_request()))
    code, message, _ = error_of(client.update_table, TableName="orders",
                                VectorIndexUpdates=[{"Create": vector_index()}])
    assert (code, message) == ("ValidationException",
                               f"{INVALID} Vector indexes are only supported for PAY_PER_REQUEST tables")


def test_a_vector_index_build_backfills_and_shares_the_one_index_build_rule_with_gsis(
    local_servers: ServerPool,
) -> None:
    local = local_servers.fresh(AwsLikeOptions(table_create_seconds=0, table_update_seconds=0, index_create_seconds=0,
                                               vector_index_create_seconds=0, index_delete_seconds=0,
                                               show_every_phase=True))
    client = create(local, table_request())
    answer = client.update_table(TableName="orders", VectorIndexUpdates=[{"Create": vector_index()}])
    assert index_named(answer["TableDescription"], "by-embedding", "VectorIndexes")["IndexStatus"] == "CREATING"  # type: ignore[index]

    def phase() -> tuple[str, bool | None]:
        index = index_named(described(client), "by-embedding", "VectorIndexes") or {}
        return index["IndexStatus"], index.get("Backfilling")

    assert phase() == ("CREATING", False)  # each phase lasts until a DescribeTable has shown it
    gsi = {"IndexName": "by-g", "KeySchema": key_schema("gk"), "Projection": {"ProjectionType": "ALL"}}
    assert error_of(client.update_table, TableName="orders", AttributeDefinitions=definitions(gk="S"),
                    GlobalSecondaryIndexUpdates=[{"Create": gsi}])[:2] == ("LimitExceededException", INDEX_LIMIT)
    code, message, _ = error_of(client.delete_table, TableName="orders")
    assert (code, message) == ("ResourceInUseException",
                               "Cannot delete table while indexes are being created, updated, or deleted")
    assert phase() == ("CREATING", True)
    assert phase() == ("ACTIVE", None)
    local.server.hold("orders", index="by-g")
    client.update_table(TableName="orders", AttributeDefinitions=definitions(gk="S"),
                        GlobalSecondaryIndexUpdates=[{"Create": gsi}])
    assert error_of(client.update_table, TableName="orders", VectorIndexUpdates=[
        {"Create": vector_index("by-b", "b")}])[:2] == ("LimitExceededException", INDEX_LIMIT)
    local.server.release("orders", index="by-g")
    wait_until(lambda: index_named(described(client), "by-g")["IndexStatus"] == "ACTIVE")  # type: ignore[index]
    local.server.hold("orders", index="by-embedding")
    client.update_table(TableName="orders", VectorIndexUpdates=[{"Delete": {"IndexName": "by-embedding"}}])
    assert index_named(described(client), "by-embedding", "VectorIndexes")["IndexStatus"] == "DELETING"  # type: ignore[index]
    local.server.release("orders", index="by-embedding")
    assert "VectorIndexes" not in described(client)


def test_vector_indexes_made_with_their_table_are_creating_with_it_without_backfilling(
    awslike_dynamodb: LocalDynamoDB,
) -> None:
    client = awslike_dynamodb.client()
    awslike_dynamodb.server.hold("orders")
    answer = client.create_table(**table_request(VectorIndexes=[vector_index()]))
    index = answer["TableDescription"]["VectorIndexes"][0]
    assert (index["IndexStatus"], "Backfilling" in index) == ("CREATING", False)
    assert described(client)["VectorIndexes"][0]["IndexStatus"] == "CREATING"
    awslike_dynamodb.server.release("orders")
    wait_until(lambda: described(client)["VectorIndexes"][0]["IndexStatus"] == "ACTIVE")
