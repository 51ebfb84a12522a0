"""Clients and tables for the native DR tests: S3 and DynamoDB of one local server."""

from __future__ import annotations

import json
from typing import Any

from ddbctl.local.pytest_plugin import LocalDynamoDB

BUCKET = "ddbctl-dr"


def s3_client(server: LocalDynamoDB) -> Any:
    """A boto3 S3 client for the local server (the same port serves S3)."""
    return server.s3_client()


def simple_table(client: Any, name: str, *, pitr: bool = True, items: int = 0) -> str:
    """A one-key on-demand table with ``items`` items of several types; its ARN."""
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 100})
    if pitr:
        client.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
    put_items(client, name, [sample_item(number) for number in range(items)])
    return str(client.describe_table(TableName=name)["Table"]["TableArn"])


def sample_item(number: int) -> dict[str, Any]:
    return {
        "pk": {"S": f"item-{number:05d}"},
        "amount": {"N": "12345678901234567890.123456789012345678"},
        "blob": {"B": bytes([number % 256, 0, 255])},
        "nested": {"M": {"bins": {"BS": [b"\x00", b"\x01"]}, "list": {"L": [{"NULL": True}, {"BOOL": False}]}}},
        "tags": {"SS": ["a", "b"]},
        "empty": {"S": ""},
    }


def scan_all(client: Any, name: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in client.get_paginator("scan").paginate(TableName=name):
        items.extend(page["Items"])
    return sorted(items, key=lambda item: json.dumps(item, sort_keys=True, default=repr))


def put_items(client: Any, name: str, items: list[dict[str, Any]]) -> None:
    for start in range(0, len(items), 25):
        requests = [{"PutRequest": {"Item": item}} for item in items[start:start + 25]]
        pending: dict[str, Any] = {name: requests}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
