"""Helpers shared by the local-server tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError


def wait_until(condition: Callable[[], bool], timeout: float = 5.0, interval: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


def error_of(call: Callable[..., Any], **kwargs: Any) -> tuple[str, str, int]:
    """Call and return the DynamoDB error (code, message, HTTP status) it raised; fail if none."""
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    error = excinfo.value.response
    return error["Error"]["Code"], error["Error"]["Message"], error["ResponseMetadata"]["HTTPStatusCode"]


def simple_table(name: str = "orders", **extra: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "TableName": name,
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    request.update(extra)
    return request


def gsi(name: str, attribute: str = "gk", **projection: Any) -> dict[str, Any]:
    return {
        "IndexName": name,
        "KeySchema": [{"AttributeName": attribute, "KeyType": "HASH"}],
        "Projection": projection or {"ProjectionType": "ALL"},
    }


def status_of(client: Any, table: str) -> str:
    return str(client.describe_table(TableName=table)["Table"]["TableStatus"])


def create_active(client: Any, request: dict[str, Any]) -> None:
    client.create_table(**request)
    wait_until(lambda: status_of(client, request["TableName"]) == "ACTIVE")
