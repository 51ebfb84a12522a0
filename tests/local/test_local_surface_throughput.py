"""Warm throughput and Application Auto Scaling of capacity, over HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from ddbctl.local.pytest_plugin import LocalDynamoDB

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
)

INVALID = "One or more parameter values were invalid:"
TABLE_READ = "dynamodb:table:ReadCapacityUnits"


def warm(read: int, write: int) -> dict[str, int]:
    return {"ReadUnitsPerSecond": read, "WriteUnitsPerSecond": write}


def with_gsi(**extra: Any) -> dict[str, Any]:
    gsi = {"IndexName": "by-g", "KeySchema": key_schema("gk"), "Projection": {"ProjectionType": "ALL"}, **extra}
    return table_request(GlobalSecondaryIndexes=[gsi], AttributeDefinitions=definitions(pk="S", gk="S"))


def warm_of(description: dict[str, Any], index: str | None = None) -> dict[str, Any]:
    holder = index_named(description, index) if index else description
    return dict((holder or {})["WarmThroughput"])


# -- warm throughput ----------------------------------------------------------------------------------


@BOTH_MODES
def test_warm_throughput_is_raised_unit_by_unit_and_never_lowered(
    server_fixture: str, request: pytest.FixtureRequest
) -> None:
    client = create(server(request, server_fixture), {**with_gsi(WarmThroughput=warm(13000, 5000)),
                                                      "WarmThroughput": warm(15000, 5000)})
    table = described(client)
    assert warm_of(table) == {**warm(15000, 5000), "Status": "ACTIVE"}
    assert warm_of(table, "by-g") == {**warm(13000, 5000), "Status": "ACTIVE"}
    client.update_table(TableName="orders", WarmThroughput={"ReadUnitsPerSecond": 20000})
    wait_until(lambda: warm_of(described(client))["Status"] == "ACTIVE")
    assert warm_of(described(client)) == {**warm(20000, 5000), "Status": "ACTIVE"}  # the write units were kept
    code, message, _ = error_of(client.update_table, TableName="orders", WarmThroughput={"WriteUnitsPerSecond": 4500})
    assert (code, message) == ("ValidationException", f"{INVALID} Requested WriteUnitsPerSecond for WarmThroughput for "
                                                      "table is lower than current WarmThroughput, decreasing "
                                                      "WarmThroughput is not supported")
    lower_index = [{"Update": {"IndexName": "by-g", "WarmThroughput": {"ReadUnitsPerSecond": 12500}}}]
    assert error_of(client.update_table, TableName="orders", GlobalSecondaryIndexUpdates=lower_index)[1] == (
        f"{INVALID} Requested ReadUnitsPerSecond for WarmThroughput for index by-g is lower than current "
        "WarmThroughput, decreasing WarmThroughput is not supported")
    empty = [{"Update": {"IndexName": "by-g", "WarmThroughput": {}}}]
    assert error_of(client.update_table, TableName="orders", GlobalSecondaryIndexUpdates=empty)[1] == (
        f"{INVALID} WarmThroughput must have at least one of ReadUnitsPerSecond or WriteUnitsPerSecond specified "
        "for index: by-g")
    raise_index = [{"Update": {"IndexName": "by-g", "WarmThroughput": {"WriteUnitsPerSecond": 6000}}}]
    client.update_table(TableName="orders", GlobalSecondaryIndexUpdates=raise_index)
    wait_until(lambda: warm_of(described(client), "by-g") == {**warm(13000, 6000), "Status": "ACTIVE"})
    assert warm_of(described(client)) == {**warm(20000, 5000), "Status": "ACTIVE"}


@BOTH_MODES
def test_warm_throughput_follows_capacity_up(server_fixture: str, request: pytest.FixtureRequest) -> None:
    client = create(server(request, server_fixture), provisioned(table_request(), read=5, write=5))
    assert warm_of(described(client)) == {**warm(5, 5), "Status": "ACTIVE"}
    client.update_table(TableName="orders", ProvisionedThroughput={"ReadCapacityUnits": 30, "WriteCapacityUnits": 5})
    wait_until(lambda: status_of(client, "orders") == "ACTIVE")
    assert warm_of(described(client))["ReadUnitsPerSecond"] == 30
    client.update_table(TableName="orders", ProvisionedThroughput={"ReadCapacityUnits": 10, "WriteCapacityUnits": 5})
    wait_until(lambda: status_of(client, "orders") == "ACTIVE")
    assert warm_of(described(client))["ReadUnitsPerSecond"] == 30  # capacity went down, warm throughput did not
    client.update_table(TableName="orders", BillingMode="PAY_PER_REQUEST")
    wait_until(lambda: status_of(client, "orders") == "ACTIVE")
    assert warm_of(described(client)) == {**warm(12000, 4000), "Status": "ACTIVE"}


def test_a_warm_throughput_raise_shows_updating_while_the_table_stays_active(awslike_dynamodb: LocalDynamoDB) -> None:
    local = awslike_dynamodb
    client = create(local, with_gsi())
    local.server.hold("orders")
    local.server.hold("orders", index="by-g")
    answer = client.update_table(TableName="orders", WarmThroughput={"ReadUnitsPerSecond": 20000})
    assert answer["TableDescription"]["TableStatus"] == "ACTIVE"
    assert answer["TableDescription"]["WarmThroughput"]["Status"] == "UPDATING"
    raise_index = [{"Update": {"IndexName": "by-g", "WarmThroughput": {"WriteUnitsPerSecond": 6000}}}]
    client.update_table(TableName="orders", GlobalSecondaryIndexUpdates=raise_index)
    table = described(client)
    assert (table["TableStatus"], warm_of(table)["Status"]) == ("ACTIVE", "UPDATING")
    assert (index_named(table, "by-g")["IndexStatus"], warm_of(table, "by-g")["Status"]) == ("ACTIVE", "UPDATING")  # type: ignore[index]
    local.server.release()
    wait_until(lambda: (warm_of(described(client))["Status"], warm_of(described(client), "by-g")["Status"])
               == ("ACTIVE", "ACTIVE"))


# -- Application Auto Scaling -------------------------------------------------------------------------


def capacity(holder: dict[str, Any]) -> tuple[int, int]:
    throughput = holder["ProvisionedThroughput"]
    return throughput["ReadCapacityUnits"], throughput["WriteCapacityUnits"]


def register(local: LocalDynamoDB, resource: str, dimension: str, low: int = 5, high: int = 50) -> Any:
    scaling = local.service_client("application-autoscaling")
    scaling.register_scalable_target(ServiceNamespace="dynamodb", ResourceId=resource, ScalableDimension=dimension,
                                     MinCapacity=low, MaxCapacity=high)
    scaling.put_scaling_policy(
        PolicyName=f"{resource}-{dimension}", ServiceNamespace="dynamodb", ResourceId=resource,
        ScalableDimension=dimension, PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={"TargetValue": 70.0, "PredefinedMetricSpecification": {
            "PredefinedMetricType": "DynamoDBReadCapacityUtilization"}})
    return scaling


@BOTH_MODES
def test_scaling_targets_and_policies_are_served_and_the_scaler_changes_capacity_on_demand(
    server_fixture: str, request: pytest.FixtureRequest
) -> None:
    local = server(request, server_fixture)
    client = create(local, provisioned(with_gsi(ProvisionedThroughput={"ReadCapacityUnits": 5,
                                                                        "WriteCapacityUnits": 5})))
    scaling = register(local, "table/orders", TABLE_READ)
    register(local, "table/orders/index/by-g", "dynamodb:index:WriteCapacityUnits")
    targets = scaling.describe_scalable_targets(ServiceNamespace="dynamodb")["ScalableTargets"]
    assert {(t["ResourceId"], t["MinCapacity"], t["MaxCapacity"]) for t in targets} == {
        ("table/orders", 5, 50), ("table/orders/index/by-g", 5, 50)}
    policies = scaling.describe_scaling_policies(ServiceNamespace="dynamodb")["ScalingPolicies"]
    assert len(policies) == 2
    local.server.scale("table/orders", TABLE_READ, 40)
    wait_until(lambda: status_of(client, "orders") == "ACTIVE")  # the scaler's update makes the table UPDATING
    local.server.scale("table/orders/index/by-g", "dynamodb:index:WriteCapacityUnits", 12)
    wait_until(lambda: status_of(client, "orders") == "ACTIVE")
    table = described(client)
    assert capacity(table) == (40, 5)
    assert capacity(index_named(table, "by-g") or {}) == (5, 12)
    with pytest.raises(ValueError, match="outside"):
        local.server.scale("table/orders", TABLE_READ, 51)
    with pytest.raises(ValueError, match="no scalable target"):
        local.server.scale("table/orders", "dynamodb:table:WriteCapacityUnits", 7)
    scaling.deregister_scalable_target(ServiceNamespace="dynamodb", ResourceId="table/orders",
                                       ScalableDimension=TABLE_READ)
    with pytest.raises(ValueError, match="no scalable target"):
        local.server.scale("table/orders", TABLE_READ, 7)
    operations = [entry["operation"] for entry in local.server.operations()]
    assert {"application-autoscaling:RegisterScalableTarget", "application-autoscaling:PutScalingPolicy",
            "application-autoscaling:DeregisterScalableTarget"} <= set(operations)
    assert "UpdateTable" not in operations  # the scaler's own calls are not the caller's


def test_the_scaler_is_driven_over_http_and_leaves_the_table_updating(awslike_dynamodb: LocalDynamoDB) -> None:
    local = awslike_dynamodb
    client = create(local, provisioned(table_request()))
    register(local, "table/orders", TABLE_READ)
    url = f"{local.endpoint_url}/_ddbctl/autoscaling/scale"

    def scale(document: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        http_request = urllib.request.Request(url, data=json.dumps(document).encode(), method="POST")
        try:
            with urllib.request.urlopen(http_request) as response:
                return response.status, {}
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    local.server.hold("orders")
    assert scale({"resource_id": "table/orders", "dimension": TABLE_READ, "capacity": 9})[0] == 204
    assert status_of(client, "orders") == "UPDATING"
    assert described(client)["ProvisionedThroughput"]["ReadCapacityUnits"] == 9
    status, body = scale({"resource_id": "table/orders", "dimension": TABLE_READ, "capacity": 10})
    assert status == 400 and "UPDATING" in body["error"]  # the scaler waits for the table, as DynamoDB makes it
    local.server.release()
    assert scale({"resource_id": "table/orders", "dimension": TABLE_READ})[0] == 400
