"""Global tables: replicas in their own regions of the same server, over HTTP, in both modes."""

from __future__ import annotations

from typing import Any

import pytest

from ddbctl.local import AwsLikeOptions
from ddbctl.local.pytest_plugin import LocalDynamoDB, ServerPool

from .local_helpers import error_of, status_of, wait_until
from .surface_helpers import BOTH_MODES, create, definitions, described, key_schema, provisioned, server, table_request

INVALID = "One or more parameter values were invalid:"
EU, APAC = "eu-west-1", "ap-northeast-1"


def add_replica(client: Any, region: str, **settings: Any) -> dict[str, Any]:
    answer: dict[str, Any] = client.update_table(TableName="orders", ReplicaUpdates=[
        {"Create": {"RegionName": region, **settings}}])
    return answer["TableDescription"]


def replica_regions(client: Any) -> list[str]:
    return [replica["RegionName"] for replica in described(client).get("Replicas", [])]


def settled(client: Any) -> bool:
    table = described(client)
    return table["TableStatus"] == "ACTIVE" and all(r["ReplicaStatus"] == "ACTIVE" for r in table.get("Replicas", []))


@BOTH_MODES
def test_a_replica_is_a_table_in_its_region_and_writes_reach_every_member(
    server_fixture: str, request: pytest.FixtureRequest
) -> None:
    local = server(request, server_fixture)
    home = create(local, table_request(sort_key=True))
    home.put_item(TableName="orders", Item={"pk": {"S": "before"}, "sk": {"S": "1"}})
    answer = add_replica(home, EU)
    assert [r["RegionName"] for r in answer["Replicas"]] == [EU]
    wait_until(lambda: settled(home))
    europe = local.client(region_name=EU)
    replica = described(europe)
    assert replica["TableStatus"] == "ACTIVE" and replica["KeySchema"] == key_schema("pk", ranges=("sk",))
    assert replica["GlobalTableVersion"] == "2019.11.21"
    assert [(r["RegionName"], r["ReplicaStatus"], r["GlobalTableSettingsReplicationMode"])
            for r in replica["Replicas"]] == [("us-east-1", "ACTIVE", "ENABLED_WITH_OVERRIDES")]
    source = described(home)
    assert source["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert "MultiRegionConsistency" not in source  # EVENTUAL is not shown
    assert europe.get_item(TableName="orders", Key={"pk": {"S": "before"}, "sk": {"S": "1"}})["Item"]
    europe.put_item(TableName="orders", Item={"pk": {"S": "from-eu"}, "sk": {"S": "1"}, "n": {"N": "1"}})
    writes = [{"PutRequest": {"Item": {"pk": {"S": "batch"}, "sk": {"S": "2"}}}},
              {"DeleteRequest": {"Key": {"pk": {"S": "before"}, "sk": {"S": "1"}}}}]
    home.batch_write_item(RequestItems={"orders": writes})
    home.update_item(TableName="orders", Key={"pk": {"S": "from-eu"}, "sk": {"S": "1"}},
                     UpdateExpression="SET n = n + :one", ExpressionAttributeValues={":one": {"N": "1"}})
    for client in (home, europe):
        items = {(item["pk"]["S"], item.get("n", {}).get("N")) for item in client.scan(TableName="orders")["Items"]}
        assert items == {("from-eu", "2"), ("batch", None)}
    home.update_time_to_live(TableName="orders", TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    assert europe.describe_time_to_live(TableName="orders")["TimeToLiveDescription"]["AttributeName"] == "expires"
    home.update_table(TableName="orders", ReplicaUpdates=[{"Delete": {"RegionName": EU}}])
    wait_until(lambda: EU not in europe.list_tables()["TableNames"] and "Replicas" not in described(home))
    source = described(home)
    assert "GlobalTableVersion" not in source and "GlobalTableSettingsReplicationMode" not in source
    assert source["StreamSpecification"]["StreamEnabled"]  # the stream DynamoDB turned on stays
    assert error_of(europe.describe_table, TableName="orders")[0] == "ResourceNotFoundException"


@BOTH_MODES
def test_replica_updates_dynamodb_refuses(server_fixture: str, request: pytest.FixtureRequest) -> None:
    local = server(request, server_fixture)
    home = create(local, table_request())
    local.client(region_name=APAC).create_table(**table_request())  # an unrelated table of the same name
    supported = "Region us-fake-1 is not supported. The latest version of global tables are only supported in the " \
                "following regions: ["
    for updates, extra, message in [
        ([{"Create": {"RegionName": EU}}], {"DeletionProtectionEnabled": True},
         f"{INVALID} Replica modification must be the only operation in the request"),
        ([{"Create": {"RegionName": EU}}, {"Create": {"RegionName": "us-west-2"}}], {},
         "Update table operation with more than one create or delete replica actions not allowed"),
        ([{"Create": {"RegionName": EU}, "Delete": {"RegionName": "us-west-2"}}], {},
         "Update table operation with more than one type of replica actions not allowed."),
        ([{"Create": {"RegionName": "us-east-1"}}], {},
         "Cannot add or delete the local region through ReplicaUpdates. Use CreateTable, DeleteTable, or UpdateTable "
         "as required."),
        ([{"Delete": {"RegionName": EU}}], {}, "Update global table operation failed because one or more replicas were "
         "not part of the global table. Please retry the request without these replicas: [eu-west-1]."),
        ([{"Update": {"RegionName": EU}}], {}, "There are no actions specified in the Replica Update Action of the "
                                               "request."),
        ([{"Create": {"RegionName": APAC}}], {}, "Failed to create a the new replica of table with name: "
         "\u2018orders\u2019 because one or more replicas already existed as tables."),
    ]:
        assert error_of(home.update_table, TableName="orders", ReplicaUpdates=updates, **extra)[:2] == (
            "ValidationException", message)
    code, message, _ = error_of(home.update_table, TableName="orders",
                                ReplicaUpdates=[{"Create": {"RegionName": "us-fake-1"}}])
    assert code == "ValidationException" and message.startswith(supported) and "eu-west-1" in message
    assert error_of(home.update_table, TableName="orders", MultiRegionConsistency="STRONG")[:2] == (
        "ValidationException", "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, "
                               "GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required")
    assert "Replicas" not in described(home)


@BOTH_MODES
def test_a_provisioned_table_needs_write_auto_scaling_before_a_replica(
    server_fixture: str, request: pytest.FixtureRequest
) -> None:
    local = server(request, server_fixture)
    gsi = {"IndexName": "by-g", "KeySchema": key_schema("gk"), "Projection": {"ProjectionType": "ALL"},
           "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}}
    home = create(local, provisioned(table_request(GlobalSecondaryIndexes=[gsi],
                                                   AttributeDefinitions=definitions(pk="S", gk="S"))))
    scaling = local.service_client("application-autoscaling")
    for resource, dimension, message in [
        ("table/orders", "dynamodb:table:WriteCapacityUnits", "Table write capacity should either be Pay-Per-Request "
                                                              "or AutoScaled"),
        ("table/orders/index/by-g", "dynamodb:index:WriteCapacityUnits", "GSI write capacity should either be "
                                                                         "Pay-Per-Request or AutoScaled"),
    ]:
        assert error_of(home.update_table, TableName="orders", ReplicaUpdates=[{"Create": {"RegionName": EU}}])[:2] \
            == ("ValidationException", message)
        scaling.register_scalable_target(ServiceNamespace="dynamodb", ResourceId=resource, ScalableDimension=dimension,
                                         MinCapacity=5, MaxCapacity=20)
        scaling.put_scaling_policy(PolicyName="writes", ServiceNamespace="dynamodb", ResourceId=resource,
                                   ScalableDimension=dimension, PolicyType="TargetTrackingScaling",
                                   TargetTrackingScalingPolicyConfiguration={"TargetValue": 70.0})
    add_replica(home, EU, ProvisionedThroughputOverride={"ReadCapacityUnits": 9})
    wait_until(lambda: settled(home))
    entry = described(home)["Replicas"][0]
    assert entry["ProvisionedThroughputOverride"] == {"ReadCapacityUnits": 9}
    europe = described(local.client(region_name=EU))
    assert europe["ProvisionedThroughput"]["ReadCapacityUnits"] == 9
    assert europe["ProvisionedThroughput"]["WriteCapacityUnits"] == 5


@BOTH_MODES
def test_a_strong_group_is_made_whole_in_one_call_and_frozen_until_dissolved(
    server_fixture: str, request: pytest.FixtureRequest
) -> None:
    local = server(request, server_fixture)
    home = create(local, table_request())
    strong = {"MultiRegionConsistency": "STRONG"}
    for updates, witnesses, message in [
        ([{"Create": {"RegionName": "us-east-2"}}], None,
         "Unsupported replica count for global tables with MultiRegionConsistency set to STRONG."),
        ([{"Create": {"RegionName": "us-west-1"}}], [{"Create": {"RegionName": "us-east-2"}}],
         "Unsupported Region(s) specified for global tables with MultiRegionConsistency set to STRONG: [us-west-1]."),
        ([{"Create": {"RegionName": "us-east-2"}}], [{"Create": {"RegionName": "us-east-2"}}],
         "Cannot target multiple regions with the same action"),
    ]:
        extra = {"GlobalTableWitnessUpdates": witnesses} if witnesses else {}
        assert error_of(home.update_table, TableName="orders", ReplicaUpdates=updates, **strong, **extra)[:2] == (
            "ValidationException", message)
    assert error_of(home.update_table, TableName="orders", ReplicaUpdates=[{"Create": {"RegionName": "us-east-2"}}],
                    GlobalTableWitnessUpdates=[{"Create": {"RegionName": "us-west-2"}}])[1] == (
        "MultiRegionConsistency must be set as STRONG when GlobalTableWitnessUpdates parameter is present.")
    home.update_table(TableName="orders", ReplicaUpdates=[{"Create": {"RegionName": "us-east-2"}}],
                      GlobalTableWitnessUpdates=[{"Create": {"RegionName": "us-west-2"}}], **strong)
    wait_until(lambda: settled(home))
    for client in (home, local.client(region_name="us-east-2")):
        table = described(client)
        assert table["MultiRegionConsistency"] == "STRONG"
        assert table["GlobalTableWitnesses"] == [{"RegionName": "us-west-2", "WitnessStatus": "ACTIVE"}]
    assert error_of(local.client(region_name="us-west-2").describe_table, TableName="orders")[0] == \
        "ResourceNotFoundException"  # a witness is no table
    for updates, witnesses, message in [
        ([{"Create": {"RegionName": EU}}], None, "Cannot add replicas to a global table with strong "
                                                 "MultiRegionConsistency"),
        ([{"Delete": {"RegionName": "us-east-2"}}], None, "Update table delete operation does not include all "
                                                          "witnesses."),
    ]:
        extra = {"GlobalTableWitnessUpdates": witnesses} if witnesses else {}
        assert error_of(home.update_table, TableName="orders", ReplicaUpdates=updates, **extra)[:2] == (
            "ValidationException", message)
    assert error_of(home.delete_table, TableName="orders")[:2] == (
        "ValidationException", "Deletion of only one table replica is not supported for global tables with "
                               "MultiRegionConsistency set to STRONG.")
    home.update_table(TableName="orders", ReplicaUpdates=[{"Delete": {"RegionName": "us-east-2"}}],
                      GlobalTableWitnessUpdates=[{"Delete": {"RegionName": "us-west-2"}}])
    wait_until(lambda: settled(home) and "Replicas" not in described(home))
    table = described(home)
    assert not {"MultiRegionConsistency", "GlobalTableWitnesses", "GlobalTableVersion"} & set(table)
    wait_until(lambda: error_of(local.client(region_name="us-east-2").describe_table, TableName="orders")[0]
               == "ResourceNotFoundException")


def test_a_replica_is_creating_then_deleting_for_a_while_in_the_aws_like_mode(local_servers: ServerPool) -> None:
    local = local_servers.fresh(AwsLikeOptions(table_create_seconds=0, table_update_seconds=0, table_delete_seconds=0,
                                               replica_create_seconds=0, replica_delete_seconds=0))
    home = create(local, table_request())
    local.server.hold("orders", region=EU)  # the replica's table, in its region
    answer = add_replica(home, EU)
    assert answer["TableStatus"] == "UPDATING" and answer["Replicas"][0]["ReplicaStatus"] == "CREATING"
    assert status_of(home, "orders") == "UPDATING"  # the source waits for its replica
    refused = error_of(home.update_table, TableName="orders", DeletionProtectionEnabled=True)
    assert refused[0] == "ResourceInUseException"
    europe = local.client(region_name=EU)
    assert status_of(europe, "orders") == "CREATING"
    assert error_of(europe.get_item, TableName="orders", Key={"pk": {"S": "a"}})[0] == "ResourceNotFoundException"
    local.server.release("orders", region=EU)
    assert settled(home) and status_of(europe, "orders") == "ACTIVE"
    local.server.hold("orders")  # the source's next transition: the replica's removal
    home.update_table(TableName="orders", ReplicaUpdates=[{"Delete": {"RegionName": EU}}])
    assert [(r["RegionName"], r["ReplicaStatus"]) for r in described(home)["Replicas"]] == [(EU, "DELETING")]
    assert status_of(home, "orders") == "UPDATING"
    local.server.release()
    assert "Replicas" not in described(home) and status_of(home, "orders") == "ACTIVE"


def test_a_member_deleted_in_its_own_region_leaves_the_group(dynamodb: LocalDynamoDB) -> None:
    home = create(dynamodb, table_request())
    add_replica(home, EU)
    add_replica(home, APAC)
    assert replica_regions(home) == [EU, APAC]
    assert replica_regions(dynamodb.client(region_name=APAC)) == ["us-east-1", EU]  # never itself
    dynamodb.client(region_name=EU).delete_table(TableName="orders")
    assert replica_regions(home) == [APAC]
    assert replica_regions(dynamodb.client(region_name=APAC)) == ["us-east-1"]


def test_a_table_with_the_whole_surface_gets_a_replica_that_carries_what_is_group_wide(
    awslike_dynamodb: LocalDynamoDB,
) -> None:
    # The acceptance table, as boto3 makes it on the AWS-like server: every setting reads back, and a
    # replica carries the group-wide ones while policies and insights stay in their region.
    local = awslike_dynamodb
    gsi = {"IndexName": "by-tenant", "KeySchema": key_schema("tenant", "region"),
           "Projection": {"ProjectionType": "ALL"}}
    vector = {"IndexName": "by-embedding", "VectorAttribute": {"AttributeName": "embedding"}, "Dimensions": 4,
              "DistanceFunction": "COSINE", "Projection": {"ProjectionType": "KEYS_ONLY"}}
    document = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012'
                ':root"},"Action":"dynamodb:GetItem","Resource":"*"}]}')
    home = create(local, table_request(GlobalSecondaryIndexes=[gsi], VectorIndexes=[vector], ResourcePolicy=document,
                                       AttributeDefinitions=definitions(pk="S", tenant="S", region="S"),
                                       WarmThroughput={"ReadUnitsPerSecond": 15000, "WriteUnitsPerSecond": 5000}))
    home.update_contributor_insights(TableName="orders", ContributorInsightsAction="ENABLE")
    add_replica(home, EU)
    wait_until(lambda: settled(home))
    europe = local.client(region_name=EU)
    for client in (home, europe):
        table = described(client)
        assert table["GlobalSecondaryIndexes"][0]["KeySchema"] == key_schema("tenant", "region")
        assert [index["IndexName"] for index in table["VectorIndexes"]] == ["by-embedding"]
        assert table["GlobalTableVersion"] == "2019.11.21"
    assert described(home)["WarmThroughput"]["ReadUnitsPerSecond"] == 15000
    assert home.get_resource_policy(ResourceArn=described(home)["TableArn"])["Policy"] == document
    assert error_of(europe.get_resource_policy, ResourceArn=described(europe)["TableArn"])[0] == \
        "PolicyNotFoundException"  # policies are regional
    wait_until(lambda: home.describe_contributor_insights(TableName="orders")["ContributorInsightsStatus"] == "ENABLED")
    assert europe.describe_contributor_insights(TableName="orders")["ContributorInsightsStatus"] == "DISABLED"
