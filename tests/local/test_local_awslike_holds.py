"""Holds and show_every_phase: a test sees a passing status because the server keeps it, not by racing it.

Every server here has zero durations: without a hold, each transition is over before the next call.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

from ddbctl.local import AwsLikeOptions
from ddbctl.local.pytest_plugin import LocalDynamoDB, ServerPool

from .local_helpers import error_of, gsi, simple_table, status_of
from .test_local_awslike_tables import add_gsi, index_state

INSTANT = AwsLikeOptions(table_create_seconds=0, table_update_seconds=0, table_delete_seconds=0,
                         index_create_seconds=0, index_delete_seconds=0)
INDEX_LIMIT = "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table"


@pytest.fixture
def instant(local_servers: ServerPool) -> LocalDynamoDB:
    return local_servers.fresh(INSTANT)


def test_a_held_table_stays_creating_until_released(instant: LocalDynamoDB) -> None:
    client = instant.client()
    instant.server.hold("orders")  # before the table exists
    client.create_table(**simple_table(GlobalSecondaryIndexes=[gsi("by-g")], AttributeDefinitions=[
        {"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "gk", "AttributeType": "S"}]))
    for _ in range(3):
        assert status_of(client, "orders") == "CREATING"
        assert index_state(client, "orders", "by-g") == ("CREATING", None)
    assert error_of(client.get_item, TableName="orders", Key={"pk": {"S": "a"}})[0] == "ResourceNotFoundException"
    instant.server.release("orders")
    assert status_of(client, "orders") == "ACTIVE"
    assert index_state(client, "orders", "by-g") == ("ACTIVE", None)


def test_a_hold_on_an_active_table_keeps_its_next_update_and_delete(instant: LocalDynamoDB) -> None:
    client = instant.client()
    client.create_table(**simple_table())
    instant.server.hold("orders")
    assert status_of(client, "orders") == "ACTIVE"  # nothing was going on: nothing is held yet
    client.update_table(TableName="orders", TableClass="STANDARD_INFREQUENT_ACCESS")
    assert status_of(client, "orders") == "UPDATING"
    assert error_of(client.update_table, TableName="orders", TableClass="STANDARD")[0] == "ResourceInUseException"
    instant.server.release("orders")
    assert status_of(client, "orders") == "ACTIVE"
    instant.server.hold("orders")
    client.delete_table(TableName="orders")
    assert status_of(client, "orders") == "DELETING" and client.list_tables()["TableNames"] == ["orders"]
    instant.server.release()  # every hold
    assert client.list_tables()["TableNames"] == []


def test_a_held_index_build_blocks_the_next_one_until_released(instant: LocalDynamoDB) -> None:
    client = instant.client()
    client.create_table(**simple_table())
    instant.server.hold("orders", "first")
    add_gsi(client, "orders", "first")
    assert status_of(client, "orders") == "ACTIVE"
    assert index_state(client, "orders", "first") == ("CREATING", True)  # its time is up: backfilling
    assert error_of(add_gsi, client=client, table="orders", name="second", attribute="g2") == (
        "LimitExceededException", INDEX_LIMIT, 400)
    instant.server.release("orders", "first")
    assert index_state(client, "orders", "first") == ("ACTIVE", None)
    add_gsi(client, "orders", "second", "g2")


def test_a_held_index_deletion_stays_deleting(instant: LocalDynamoDB) -> None:
    client = instant.client()
    client.create_table(**simple_table())
    add_gsi(client, "orders", "by-g")
    instant.server.hold("orders", "by-g")
    client.update_table(TableName="orders", GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-g"}}])
    assert index_state(client, "orders", "by-g") == ("DELETING", None)
    instant.server.release("orders", "by-g")
    assert index_state(client, "orders", "by-g") is None


def test_with_show_every_phase_each_describe_shows_the_next_phase(local_servers: ServerPool) -> None:
    db = local_servers.fresh(AwsLikeOptions(table_create_seconds=0, table_update_seconds=0, index_create_seconds=0,
                                            show_every_phase=True))
    client = db.client()
    client.create_table(**simple_table())
    created = add_gsi(client, "orders", "by-g")["TableDescription"]["GlobalSecondaryIndexes"][0]
    assert (created["IndexStatus"], created["Backfilling"]) == ("CREATING", False)  # not a DescribeTable
    seen = [index_state(client, "orders", "by-g") for _ in range(4)]
    assert seen == [("CREATING", False), ("CREATING", True), ("ACTIVE", None), ("ACTIVE", None)]


def _control(db: LocalDynamoDB, path: str, body: dict[str, Any]) -> int:
    request = urllib.request.Request(f"{db.endpoint_url}/_ddbctl/{path}", data=json.dumps(body).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(response.status)


def test_holds_over_http_for_clients_in_other_processes(instant: LocalDynamoDB) -> None:
    client = instant.client()
    assert _control(instant, "holds", {"table": "orders"}) == 204
    client.create_table(**simple_table())
    assert status_of(client, "orders") == "CREATING"
    assert _control(instant, "holds/release", {"table": "orders"}) == 204
    assert status_of(client, "orders") == "ACTIVE"
    with pytest.raises(urllib.error.HTTPError) as refused:
        _control(instant, "holds", {"index": "by-g"})
    assert refused.value.code == 400


def test_the_plain_server_has_nothing_to_hold(dynamodb: LocalDynamoDB) -> None:
    with pytest.raises(ValueError, match="holds need the AWS-like mode"):
        dynamodb.server.hold("orders")
