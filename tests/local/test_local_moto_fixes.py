"""Table settings moto 5 drops, ignores or mishandles, corrected by the local server in both modes:
TableClass, SSE updates, re-enabling a stream, OnDemandThroughput, merged AttributeDefinitions, re-tagging,
empty index lists, odd error codes."""

from __future__ import annotations

import re
from typing import Any

import pytest

from ddbctl.local.pytest_plugin import LocalDynamoDB

from .local_helpers import error_of, gsi, simple_table, wait_until

NEW_IMAGE = {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
KEYS_ONLY = {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
KMS_KEY_ARN = re.compile(r"^arn:aws:kms:us-east-1:\d{12}:key/[0-9a-f-]{36}$")
CUSTOM_KEY = "arn:aws:kms:us-east-1:111122223333:key/11111111-2222-3333-4444-555555555555"
WITH_GK = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "gk", "AttributeType": "S"}]


@pytest.fixture(params=["plain", "aws-like"])
def server(request: pytest.FixtureRequest) -> LocalDynamoDB:
    """Each test runs against both modes: these are fixes of moto, not AWS-like rules."""
    fixture = "dynamodb" if request.param == "plain" else "awslike_dynamodb"
    local: LocalDynamoDB = request.getfixturevalue(fixture)
    return local


def settled(client: Any, table: str = "orders") -> dict[str, Any]:
    """The table's description once it and its indexes are ACTIVE (at once in plain mode)."""

    def active() -> bool:
        described = client.describe_table(TableName=table)["Table"]
        statuses = {described["TableStatus"], *(i["IndexStatus"] for i in described.get("GlobalSecondaryIndexes", []))}
        return statuses == {"ACTIVE"}

    wait_until(active)
    result: dict[str, Any] = client.describe_table(TableName=table)["Table"]
    return result


def update(client: Any, **request: Any) -> dict[str, Any]:
    result: dict[str, Any] = client.update_table(TableName="orders", **request)["TableDescription"]
    settled(client)
    return result


def test_table_class_is_kept_and_updated(server: LocalDynamoDB) -> None:
    client = server.client()
    created = client.create_table(**simple_table(TableClass="STANDARD_INFREQUENT_ACCESS"))["TableDescription"]
    assert created["TableClassSummary"]["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    summary = settled(client)["TableClassSummary"]
    assert summary["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    assert "LastUpdateDateTime" in summary

    updated = update(client, TableClass="STANDARD")
    assert updated["TableClassSummary"]["TableClass"] == "STANDARD"
    now = settled(client)["TableClassSummary"]
    assert now["TableClass"] == "STANDARD"
    assert now["LastUpdateDateTime"] >= summary["LastUpdateDateTime"]

    client.create_table(**simple_table("plain-class"))
    assert "TableClassSummary" not in settled(client, "plain-class")
    code, message, _ = error_of(client.update_table, TableName="orders", TableClass="GLACIER")
    assert code == "ValidationException"
    assert "Member must satisfy enum value set: [STANDARD_INFREQUENT_ACCESS, STANDARD]" in message


def test_table_class_goes_with_the_table(server: LocalDynamoDB) -> None:
    client = server.client()
    client.create_table(**simple_table(TableClass="STANDARD_INFREQUENT_ACCESS"))
    settled(client)
    client.delete_table(TableName="orders")
    wait_until(lambda: client.list_tables()["TableNames"] == [])
    client.create_table(**simple_table())
    assert "TableClassSummary" not in settled(client)


def test_sse_is_updated(server: LocalDynamoDB) -> None:
    client = server.client()
    client.create_table(**simple_table())
    assert "SSEDescription" not in settled(client)

    answered = update(client, SSESpecification={"Enabled": True})["SSEDescription"]
    managed = settled(client)["SSEDescription"]
    assert answered == managed
    assert (managed["Status"], managed["SSEType"]) == ("ENABLED", "KMS")
    assert KMS_KEY_ARN.match(managed["KMSMasterKeyArn"]), managed

    update(client, SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": CUSTOM_KEY})
    assert settled(client)["SSEDescription"] == {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": CUSTOM_KEY}

    assert "SSEDescription" not in update(client, SSESpecification={"Enabled": False})
    assert "SSEDescription" not in settled(client)

    update(client, SSESpecification={"Enabled": True, "KMSMasterKeyId": "alias/aws/dynamodb"})
    assert settled(client)["SSEDescription"]["KMSMasterKeyArn"] == managed["KMSMasterKeyArn"]


def test_sse_key_ids_are_reported_as_arns(server: LocalDynamoDB) -> None:
    client = server.client()
    key_id = CUSTOM_KEY.rsplit("/", 1)[1]
    created = client.create_table(**simple_table(SSESpecification={"Enabled": True, "KMSMasterKeyId": key_id}))
    arn = created["TableDescription"]["SSEDescription"]["KMSMasterKeyArn"]
    assert re.match(rf"^arn:aws:kms:us-east-1:\d{{12}}:key/{key_id}$", arn)
    assert settled(client)["SSEDescription"]["KMSMasterKeyArn"] == arn


def test_stream_is_enabled_again_after_disable(server: LocalDynamoDB) -> None:
    client = server.client()
    first = client.create_table(**simple_table(StreamSpecification=NEW_IMAGE))["TableDescription"]["LatestStreamArn"]
    settled(client)

    disabled = update(client, StreamSpecification={"StreamEnabled": False})
    assert "StreamSpecification" not in disabled
    table = settled(client)
    assert "StreamSpecification" not in table
    assert table["LatestStreamArn"] == first  # DynamoDB keeps showing the last stream
    # moto crashed on every write to a table whose stream was disabled
    client.put_item(TableName="orders", Item={"pk": {"S": "a"}})
    client.delete_item(TableName="orders", Key={"pk": {"S": "a"}})

    enabled = update(client, StreamSpecification=KEYS_ONLY)
    assert enabled["StreamSpecification"] == KEYS_ONLY
    table = settled(client)
    assert table["StreamSpecification"] == KEYS_ONLY
    assert table["LatestStreamArn"] != first
    assert table["LatestStreamArn"] == f"{table['TableArn']}/stream/{table['LatestStreamLabel']}"
    client.put_item(TableName="orders", Item={"pk": {"S": "b"}})


def test_enabling_a_stream_while_one_is_enabled_is_refused(server: LocalDynamoDB) -> None:
    client = server.client()
    arn = client.create_table(**simple_table(StreamSpecification=NEW_IMAGE))["TableDescription"]["LatestStreamArn"]
    settled(client)
    # moto answered ResourceInUseException "Cannot enable stream"; DynamoDB refuses another view type so:
    code, message, _ = error_of(client.update_table, TableName="orders", StreamSpecification=KEYS_ONLY)
    assert (code, message) == ("ValidationException", f"Table already has an enabled stream: {arn}")
    table = settled(client)
    assert (table["StreamSpecification"], table["LatestStreamArn"]) == (NEW_IMAGE, arn)


def test_a_failed_update_keeps_the_disabled_stream(dynamodb: LocalDynamoDB) -> None:
    client = dynamodb.client()
    arn = client.create_table(**simple_table(StreamSpecification=NEW_IMAGE))["TableDescription"]["LatestStreamArn"]
    client.update_table(TableName="orders", StreamSpecification={"StreamEnabled": False})
    # moto fails on the missing index before it reaches the stream: nothing may change.
    error_of(
        client.update_table,
        TableName="orders",
        StreamSpecification=KEYS_ONLY,
        GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "missing"}}],
    )
    table = client.describe_table(TableName="orders")["Table"]
    assert "StreamSpecification" not in table
    assert table["LatestStreamArn"] == arn


def test_on_demand_throughput_is_reported(server: LocalDynamoDB) -> None:
    client = server.client()
    limits = {"MaxReadRequestUnits": 100, "MaxWriteRequestUnits": 50}
    index = {**gsi("by-g"), "OnDemandThroughput": {"MaxReadRequestUnits": 10}}
    created = client.create_table(
        **simple_table(AttributeDefinitions=WITH_GK, OnDemandThroughput=limits, GlobalSecondaryIndexes=[index])
    )["TableDescription"]
    assert created["OnDemandThroughput"] == limits
    table = settled(client)
    assert table["OnDemandThroughput"] == limits
    assert table["GlobalSecondaryIndexes"][0]["OnDemandThroughput"] == {"MaxReadRequestUnits": 10}

    # each limit is set on its own; the index's too
    update(client, OnDemandThroughput={"MaxWriteRequestUnits": 70})
    assert settled(client)["OnDemandThroughput"] == {"MaxReadRequestUnits": 100, "MaxWriteRequestUnits": 70}
    update(
        client,
        GlobalSecondaryIndexUpdates=[
            {"Update": {"IndexName": "by-g", "OnDemandThroughput": {"MaxWriteRequestUnits": 5}}}
        ],
    )
    assert settled(client)["GlobalSecondaryIndexes"][0]["OnDemandThroughput"] == {
        "MaxReadRequestUnits": 10,
        "MaxWriteRequestUnits": 5,
    }


def test_on_demand_throughput_of_new_and_deleted_indexes(server: LocalDynamoDB) -> None:
    client = server.client()
    client.create_table(**simple_table(AttributeDefinitions=WITH_GK, GlobalSecondaryIndexes=[gsi("by-g")]))
    table = settled(client)
    assert "OnDemandThroughput" not in table
    assert "OnDemandThroughput" not in table["GlobalSecondaryIndexes"][0]

    update(client, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-g"}}])
    assert not settled(client).get("GlobalSecondaryIndexes")  # plain mode keeps moto's empty list
    limits = {"MaxReadRequestUnits": 8, "MaxWriteRequestUnits": 4}
    update(
        client,
        AttributeDefinitions=WITH_GK,
        GlobalSecondaryIndexUpdates=[{"Create": {**gsi("by-h"), "OnDemandThroughput": limits}}],
    )
    (index,) = settled(client)["GlobalSecondaryIndexes"]
    assert (index["IndexName"], index["OnDemandThroughput"]) == ("by-h", limits)


def test_on_demand_throughput_is_shown_for_on_demand_tables_only(server: LocalDynamoDB) -> None:
    client = server.client()
    limits = {"MaxReadRequestUnits": 100, "MaxWriteRequestUnits": 50}
    client.create_table(**simple_table(OnDemandThroughput=limits))
    settled(client)
    units = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    assert "OnDemandThroughput" not in update(client, BillingMode="PROVISIONED", ProvisionedThroughput=units)
    assert "OnDemandThroughput" not in settled(client)


def test_reset_forgets_the_settings_moto_does_not_keep(dynamodb: LocalDynamoDB) -> None:
    client = dynamodb.client()
    client.create_table(
        **simple_table(TableClass="STANDARD_INFREQUENT_ACCESS", OnDemandThroughput={"MaxReadRequestUnits": 3})
    )
    dynamodb.server.reset()
    client.create_table(**simple_table())
    table = client.describe_table(TableName="orders")["Table"]
    assert "TableClassSummary" not in table
    assert "OnDemandThroughput" not in table


def test_reset_drops_the_managed_kms_key(dynamodb: LocalDynamoDB) -> None:
    client = dynamodb.client()
    sse = {"Enabled": True}
    before = client.create_table(**simple_table(SSESpecification=sse))["TableDescription"]["SSEDescription"]
    dynamodb.server.reset()  # moto's KMS of this account too: the next managed key is a new one
    after = client.create_table(**simple_table(SSESpecification=sse))["TableDescription"]["SSEDescription"]
    assert KMS_KEY_ARN.match(after["KMSMasterKeyArn"])
    assert after["KMSMasterKeyArn"] != before["KMSMasterKeyArn"]


# -- UpdateTable's AttributeDefinitions, tags, index lists, error codes (both modes) -------------------


def test_update_table_merges_attribute_definitions(server: LocalDynamoDB) -> None:
    """The stuck-index case of issue 8: an index added by hand with only its own attribute defined must not
    make the table forget its key's type (moto replaced the whole list)."""
    client = server.client()
    client.create_table(**simple_table())
    settled(client)
    client.update_table(TableName="orders", AttributeDefinitions=[{"AttributeName": "gk", "AttributeType": "N"}],
                        GlobalSecondaryIndexUpdates=[{"Create": gsi("by-gk", "gk")}])
    described = settled(client)
    assert sorted((d["AttributeName"], d["AttributeType"]) for d in described["AttributeDefinitions"]) == [
        ("gk", "N"), ("pk", "S")]


def test_tagging_a_key_again_overwrites_its_value(server: LocalDynamoDB) -> None:
    client = server.client()
    arn = client.create_table(**simple_table(), Tags=[{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}])[
        "TableDescription"]["TableArn"]
    assert client.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "a", "Value": "2"}]
    client.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "3"}, {"Key": "b", "Value": "x"},
                                               {"Key": "b", "Value": "y"}])
    tags = sorted((t["Key"], t["Value"]) for t in client.list_tags_of_resource(ResourceArn=arn)["Tags"])
    assert tags == [("a", "3"), ("b", "y")]


def test_descriptions_leave_out_empty_index_lists(server: LocalDynamoDB) -> None:
    client = server.client()
    created = client.create_table(**simple_table())["TableDescription"]
    described = settled(client)
    for description in (created, described):
        assert "GlobalSecondaryIndexes" not in description and "LocalSecondaryIndexes" not in description


def test_ttl_on_a_missing_table_is_resource_not_found(server: LocalDynamoDB) -> None:
    client = server.client()
    for call, params in ((client.describe_time_to_live, {}),
                         (client.update_time_to_live,
                          {"TimeToLiveSpecification": {"Enabled": True, "AttributeName": "ttl"}})):
        code, message, status = error_of(call, TableName="nowhere", **params)
        assert (code, status) == ("ResourceNotFoundException", 400)
        assert "nowhere" in message


def test_deleting_a_missing_index_is_resource_not_found(server: LocalDynamoDB) -> None:
    client = server.client()
    client.create_table(**simple_table())
    settled(client)
    code, message, status = error_of(client.update_table, TableName="orders",
                                     GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "nope"}}])
    assert (code, status) == ("ResourceNotFoundException", 400)
    assert message == "Requested resource not found: Index: nope not found"

def test_select_count_answers_the_count_without_items(server: LocalDynamoDB) -> None:
    client = server.client()
    client.create_table(**simple_table())
    settled(client)
    for start in range(0, 60, 20):
        puts = [{"PutRequest": {"Item": {"pk": {"S": f"k{n:02d}"}, "n": {"N": str(n)}}}}
                for n in range(start, start + 20)]
        client.batch_write_item(RequestItems={"orders": puts})
    whole = client.scan(TableName="orders", Select="COUNT", ConsistentRead=True)
    assert whole["Count"] == whole["ScannedCount"] == 60 and "Items" not in whole
    filtered = client.scan(TableName="orders", Select="COUNT", FilterExpression="#n >= :v",
                           ExpressionAttributeNames={"#n": "n"}, ExpressionAttributeValues={":v": {"N": "45"}})
    assert filtered["Count"] == 15 and filtered["ScannedCount"] == 60 and "Items" not in filtered
    paged = client.scan(TableName="orders", Select="COUNT", Limit=25)
    assert paged["Count"] == 25 and "LastEvaluatedKey" in paged and "Items" not in paged
    queried = client.query(TableName="orders", Select="COUNT", KeyConditionExpression="pk = :k",
                           ExpressionAttributeValues={":k": {"S": "k07"}})
    assert queried["Count"] == 1 and "Items" not in queried
