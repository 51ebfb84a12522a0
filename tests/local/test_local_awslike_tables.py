"""AWS-like mode: table and index statuses over time, and the control-plane rules around them."""

from __future__ import annotations

import time
from typing import Any

from ddbctl.local import AwsLikeOptions
from ddbctl.local.pytest_plugin import LocalDynamoDB

from .local_helpers import create_active, error_of, gsi, simple_table, status_of, wait_until

INDEX_LIMIT = "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table"


def add_gsi(client: Any, table: str, name: str, attribute: str = "gk") -> dict[str, Any]:
    response: dict[str, Any] = client.update_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": attribute, "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[{"Create": gsi(name, attribute)}],
    )
    return response


def index_state(client: Any, table: str, name: str) -> tuple[str, bool | None] | None:
    for index in client.describe_table(TableName=table)["Table"].get("GlobalSecondaryIndexes", []):
        if index["IndexName"] == name:
            return index["IndexStatus"], index.get("Backfilling")
    return None


def test_table_is_creating_then_active_and_unusable_meanwhile(awslike_dynamodb: LocalDynamoDB) -> None:
    client = awslike_dynamodb.client()
    awslike_dynamodb.server.hold("orders")  # CREATING until released, however slowly the test runs
    created = client.create_table(
        **simple_table(
            GlobalSecondaryIndexes=[gsi("by-g")],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "gk", "AttributeType": "S"},
            ],
        )
    )
    assert created["TableDescription"]["TableStatus"] == "CREATING"
    described = client.describe_table(TableName="orders")["Table"]
    assert described["TableStatus"] == "CREATING"
    assert described["GlobalSecondaryIndexes"][0]["IndexStatus"] == "CREATING"
    assert client.list_tables()["TableNames"] == ["orders"]
    for call, kwargs in [
        (client.put_item, {"TableName": "orders", "Item": {"pk": {"S": "a"}}}),
        (client.get_item, {"TableName": "orders", "Key": {"pk": {"S": "a"}}}),
        (client.scan, {"TableName": "orders"}),
        (
            client.query,
            {
                "TableName": "orders",
                "KeyConditionExpression": "pk = :p",
                "ExpressionAttributeValues": {":p": {"S": "a"}},
            },
        ),
        (client.batch_write_item, {"RequestItems": {"orders": [{"PutRequest": {"Item": {"pk": {"S": "a"}}}}]}}),
    ]:
        assert error_of(call, **kwargs)[:2] == ("ResourceNotFoundException", "Requested resource not found")
    code, message, _ = error_of(
        client.update_table,
        TableName="orders",
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
    )
    assert code == "ResourceInUseException"
    assert message.endswith("Table is being created: orders")
    for call in (client.delete_table, client.update_continuous_backups):
        kwargs: dict[str, Any] = {"TableName": "orders"}
        if call == client.update_continuous_backups:
            kwargs["PointInTimeRecoverySpecification"] = {"PointInTimeRecoveryEnabled": True}
        assert error_of(call, **kwargs)[0] == "ResourceInUseException"
    awslike_dynamodb.server.release("orders")
    wait_until(lambda: status_of(client, "orders") == "ACTIVE")
    assert client.describe_table(TableName="orders")["Table"]["GlobalSecondaryIndexes"][0]["IndexStatus"] == "ACTIVE"
    client.put_item(TableName="orders", Item={"pk": {"S": "a"}})


def test_create_takes_about_the_configured_time(local_server_factory: Any) -> None:
    client = local_server_factory(AwsLikeOptions(table_create_seconds=0.5)).client()
    started = time.monotonic()
    client.create_table(**simple_table())
    wait_until(lambda: status_of(client, "orders") == "ACTIVE")
    assert time.monotonic() - started >= 0.45  # never sooner (later, on a loaded machine, proves nothing)


def test_describe_table_has_no_empty_index_lists(awslike_dynamodb: LocalDynamoDB) -> None:
    client = awslike_dynamodb.client()
    client.create_table(**simple_table())
    for response in (client.describe_table(TableName="orders")["Table"],):
        assert "GlobalSecondaryIndexes" not in response
        assert "LocalSecondaryIndexes" not in response


def test_update_table_is_updating_then_active(awslike_dynamodb: LocalDynamoDB) -> None:
    client = awslike_dynamodb.client()
    create_active(client, simple_table())
    awslike_dynamodb.server.hold("orders")
    response = client.update_table(
        TableName="orders",
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 2, "WriteCapacityUnits": 2},
    )
    assert response["TableDescription"]["TableStatus"] == "UPDATING"
    assert status_of(client, "orders") == "UPDATING"
    client.put_item(TableName="orders", Item={"pk": {"S": "a"}})  # data stays available while UPDATING
    code, message, _ = error_of(
        client.update_table, TableName="orders", ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 3}
    )
    assert (code, message) == (
        "ResourceInUseException",
        "Attempt to change a resource which is still in use: Table is being updated: orders",
    )
    code, _, _ = error_of(
        client.update_time_to_live,
        TableName="orders",
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"},
    )
    assert code == "ResourceInUseException"
    awslike_dynamodb.server.release("orders")
    wait_until(lambda: status_of(client, "orders") == "ACTIVE")
    client.update_table(TableName="orders", ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 3})


def test_deleted_table_is_deleting_then_gone(awslike_dynamodb: LocalDynamoDB) -> None:
    client = awslike_dynamodb.client()
    create_active(client, simple_table())
    create_active(client, simple_table("another"))
    awslike_dynamodb.server.hold("orders")
    assert client.delete_table(TableName="orders")["TableDescription"]["TableStatus"] == "DELETING"
    assert status_of(client, "orders") == "DELETING"
    assert client.list_tables()["TableNames"] == ["another", "orders"]
    code, message, _ = error_of(client.create_table, **simple_table())
    assert code == "ResourceInUseException"
    assert "Table is being deleted: orders" in message
    assert error_of(client.delete_table, TableName="orders")[0] == "ResourceInUseException"
    assert error_of(client.get_item, TableName="orders", Key={"pk": {"S": "a"}})[0] == "ResourceNotFoundException"
    awslike_dynamodb.server.release("orders")
    wait_until(lambda: client.list_tables()["TableNames"] == ["another"])
    assert error_of(client.describe_table, TableName="orders")[0] == "ResourceNotFoundException"
    client.create_table(**simple_table())


def test_list_tables_is_sorted_and_paginates(awslike_dynamodb: LocalDynamoDB) -> None:
    client = awslike_dynamodb.client()
    for name in ("ccc", "aaa", "bbb", "ddd"):
        client.create_table(**simple_table(name))
    first = client.list_tables(Limit=3)
    assert first["TableNames"] == ["aaa", "bbb", "ccc"]
    assert first["LastEvaluatedTableName"] == "ccc"
    second = client.list_tables(Limit=3, ExclusiveStartTableName="ccc")
    assert second["TableNames"] == ["ddd"]
    assert "LastEvaluatedTableName" not in second


def test_new_gsi_goes_creating_backfilling_active(local_server_factory: Any) -> None:
    # Each phase lasts until a DescribeTable has shown it: the loop sees all three however late it looks.
    options = AwsLikeOptions(table_create_seconds=0, table_update_seconds=0.1, index_create_seconds=0.9,
                             show_every_phase=True)
    client = local_server_factory(options).client()
    create_active(client, simple_table())
    response = add_gsi(client, "orders", "by-g")
    assert response["TableDescription"]["TableStatus"] == "UPDATING"
    created = response["TableDescription"]["GlobalSecondaryIndexes"][0]
    assert (created["IndexStatus"], created["Backfilling"]) == ("CREATING", False)
    seen: list[tuple[str, bool | None] | None] = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and (not seen or seen[-1] != ("ACTIVE", None)):
        state = index_state(client, "orders", "by-g")
        if not seen or seen[-1] != state:
            seen.append(state)
        time.sleep(0.03)
    assert seen == [("CREATING", False), ("CREATING", True), ("ACTIVE", None)]


def test_query_on_backfilling_index_is_refused(awslike_dynamodb: LocalDynamoDB) -> None:
    client = awslike_dynamodb.client()
    create_active(client, simple_table())
    awslike_dynamodb.server.hold("orders", "by-g")
    add_gsi(client, "orders", "by-g")
    query = {
        "TableName": "orders",
        "IndexName": "by-g",
        "KeyConditionExpression": "gk = :g",
        "ExpressionAttributeValues": {":g": {"S": "x"}},
    }
    code, message, _ = error_of(client.query, **query)
    assert (code, message) == ("ValidationException", "Cannot read from backfilling global secondary index")
    awslike_dynamodb.server.release("orders", "by-g")
    wait_until(lambda: index_state(client, "orders", "by-g") == ("ACTIVE", None))
    assert client.query(**query)["Items"] == []


def test_second_index_change_while_one_is_in_progress_is_limit_exceeded(awslike_dynamodb: LocalDynamoDB) -> None:
    client = awslike_dynamodb.client()
    create_active(client, simple_table())
    awslike_dynamodb.server.hold("orders", "first")
    add_gsi(client, "orders", "first")
    wait_until(lambda: status_of(client, "orders") == "ACTIVE")  # table ACTIVE, index still CREATING
    assert index_state(client, "orders", "first") is not None
    assert index_state(client, "orders", "first")[0] == "CREATING"  # type: ignore[index]
    assert error_of(add_gsi, client=client, table="orders", name="second", attribute="g2") == (
        "LimitExceededException",
        INDEX_LIMIT,
        400,
    )
    code, _, _ = error_of(
        client.update_table, TableName="orders", GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "first"}}]
    )
    assert code == "LimitExceededException"
    awslike_dynamodb.server.release("orders", "first")
    wait_until(lambda: index_state(client, "orders", "first") == ("ACTIVE", None))
    add_gsi(client, "orders", "second", attribute="g2")


def test_two_index_changes_in_one_call_is_limit_exceeded(awslike_dynamodb: LocalDynamoDB) -> None:
    client = awslike_dynamodb.client()
    create_active(client, simple_table())
    assert error_of(
        client.update_table,
        TableName="orders",
        AttributeDefinitions=[
            {"AttributeName": "a", "AttributeType": "S"},
            {"AttributeName": "b", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexUpdates=[{"Create": gsi("by-a", "a")}, {"Create": gsi("by-b", "b")}],
    ) == ("LimitExceededException", INDEX_LIMIT, 400)
    assert "GlobalSecondaryIndexes" not in client.describe_table(TableName="orders")["Table"]


def test_deleted_gsi_is_deleting_then_gone(awslike_dynamodb: LocalDynamoDB) -> None:
    client = awslike_dynamodb.client()
    create_active(
        client,
        simple_table(
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "gk", "AttributeType": "S"},
            ],
            GlobalSecondaryIndexes=[gsi("by-g")],
        ),
    )
    awslike_dynamodb.server.hold("orders", "by-g")
    client.update_table(TableName="orders", GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-g"}}])
    assert index_state(client, "orders", "by-g") == ("DELETING", None)
    awslike_dynamodb.server.release("orders", "by-g")
    wait_until(lambda: index_state(client, "orders", "by-g") is None)
    assert "GlobalSecondaryIndexes" not in client.describe_table(TableName="orders")["Table"]


def test_missing_gsi_delete_or_update_is_resource_not_found(awslike_dynamodb: LocalDynamoDB) -> None:
    client = awslike_dynamodb.client()
    create_active(client, simple_table())
    for update in (
        {"Delete": {"IndexName": "nope"}},
        {"Update": {"IndexName": "nope", "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}},
    ):
        code, message, status = error_of(client.update_table, TableName="orders", GlobalSecondaryIndexUpdates=[update])
        assert (code, status) == ("ResourceNotFoundException", 400)
        assert "nope" in message
    add_gsi(client, "orders", "by-g")
    wait_until(lambda: index_state(client, "orders", "by-g") == ("ACTIVE", None))
    code, message, _ = error_of(add_gsi, client=client, table="orders", name="by-g")
    assert code == "ValidationException"
    assert "already exists" in message


def test_new_gsi_keys_must_be_defined(awslike_dynamodb: LocalDynamoDB) -> None:
    client = awslike_dynamodb.client()
    create_active(client, simple_table())
    code, message, _ = error_of(
        client.update_table, TableName="orders", GlobalSecondaryIndexUpdates=[{"Create": gsi("by-g")}]
    )
    assert code == "ValidationException"
    assert "Some index key attributes are not defined" in message


def test_update_table_attribute_definitions_are_merged(awslike_dynamodb: LocalDynamoDB) -> None:
    client = awslike_dynamodb.client()
    create_active(client, simple_table())
    add_gsi(client, "orders", "by-g")  # sends only the new attribute, as DynamoDB allows
    definitions = client.describe_table(TableName="orders")["Table"]["AttributeDefinitions"]
    assert sorted(d["AttributeName"] for d in definitions) == ["gk", "pk"]


def test_update_that_changes_nothing_is_refused(awslike_dynamodb: LocalDynamoDB) -> None:
    client = awslike_dynamodb.client()
    create_active(
        client,
        simple_table(
            "prov", BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
        ),
    )
    code, message, _ = error_of(client.update_table, TableName="prov")
    assert code == "ValidationException"
    assert message.startswith("At least one of ProvisionedThroughput, BillingMode")
    code, message, _ = error_of(
        client.update_table, TableName="prov", ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    )
    assert code == "ValidationException"
    assert message.startswith("The provisioned throughput for the table will not change.")
    code, _, _ = error_of(
        client.update_table, TableName="prov", BillingMode="PROVISIONED", DeletionProtectionEnabled=False
    )
    assert code == "ValidationException"
    client.update_table(TableName="prov", DeletionProtectionEnabled=True)


def test_enabling_an_enabled_stream_is_refused(awslike_dynamodb: LocalDynamoDB) -> None:
    client = awslike_dynamodb.client()
    stream = {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    create_active(client, simple_table(StreamSpecification=stream))
    code, message, _ = error_of(client.update_table, TableName="orders", StreamSpecification=stream)
    assert (code, message.split(":")[0]) == ("ValidationException", "Table already has an enabled stream")


def test_pitr_can_be_unavailable_right_after_active(local_server_factory: Any) -> None:
    options = AwsLikeOptions(table_create_seconds=0.1, pitr_unavailable_seconds=0.6)
    client = local_server_factory(options).client()
    create_active(client, simple_table())
    spec = {"PointInTimeRecoveryEnabled": True}
    code, message, _ = error_of(
        client.update_continuous_backups, TableName="orders", PointInTimeRecoverySpecification=spec
    )
    assert code == "ContinuousBackupsUnavailableException"
    assert "orders" in message
    wait_until(lambda: _pitr_enabled(client, spec), timeout=3, interval=0.1)


def test_tables_are_kept_per_region(awslike_dynamodb: LocalDynamoDB) -> None:
    east = awslike_dynamodb.client()
    west = awslike_dynamodb.client(region_name="us-west-2")
    create_active(west, simple_table())
    assert east.list_tables()["TableNames"] == []
    assert error_of(east.describe_table, TableName="orders")[0] == "ResourceNotFoundException"
    create_active(east, simple_table())
    awslike_dynamodb.server.hold("orders", region="us-west-2")
    west.delete_table(TableName="orders")
    assert status_of(east, "orders") == "ACTIVE"
    assert status_of(west, "orders") == "DELETING"


def _pitr_enabled(client: Any, spec: dict[str, Any]) -> bool:
    try:
        client.update_continuous_backups(TableName="orders", PointInTimeRecoverySpecification=spec)
    except client.exceptions.ContinuousBackupsUnavailableException:
        return False
    return True
