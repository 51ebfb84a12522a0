"""Requests and readers shared by the tests of the 2026 table surface (multi-attribute keys, vector indexes,
warm throughput, policies, Contributor Insights, Kinesis destinations, replicas, auto scaling)."""

from __future__ import annotations

from typing import Any

import pytest

from ddbctl.local.pytest_plugin import LocalDynamoDB

from .local_helpers import create_active

BOTH_MODES = pytest.mark.parametrize("server_fixture", ["dynamodb", "awslike_dynamodb"])


def server(request: pytest.FixtureRequest, fixture: str) -> LocalDynamoDB:
    local: LocalDynamoDB = request.getfixturevalue(fixture)
    return local


def definitions(**types: str) -> list[dict[str, str]]:
    return [{"AttributeName": name, "AttributeType": kind} for name, kind in types.items()]


def key_schema(*hash_keys: str, ranges: tuple[str, ...] = ()) -> list[dict[str, str]]:
    return [*({"AttributeName": name, "KeyType": "HASH"} for name in hash_keys),
            *({"AttributeName": name, "KeyType": "RANGE"} for name in ranges)]


def vector_index(name: str = "by-embedding", attribute: str = "embedding", dimensions: int = 3,
                 **extra: Any) -> dict[str, Any]:
    index: dict[str, Any] = {
        "IndexName": name,
        "VectorAttribute": {"AttributeName": attribute},
        "Dimensions": dimensions,
        "DistanceFunction": "COSINE",
        "Projection": {"ProjectionType": "KEYS_ONLY"},
    }
    index.update(extra)
    return index


def table_request(name: str = "orders", *, sort_key: bool = False, **extra: Any) -> dict[str, Any]:
    """An on-demand table keyed by ``pk`` (and ``sk``), with ``extra`` CreateTable members."""
    request: dict[str, Any] = {
        "TableName": name,
        "KeySchema": key_schema("pk", ranges=("sk",) if sort_key else ()),
        "AttributeDefinitions": definitions(pk="S", **({"sk": "S"} if sort_key else {})),
        "BillingMode": "PAY_PER_REQUEST",
    }
    request.update(extra)
    return request


def provisioned(request: dict[str, Any], read: int = 5, write: int = 5) -> dict[str, Any]:
    return {**request, "BillingMode": "PROVISIONED",
            "ProvisionedThroughput": {"ReadCapacityUnits": read, "WriteCapacityUnits": write}}


def create(local: LocalDynamoDB, request: dict[str, Any], region: str | None = None) -> Any:
    """Create the table and wait until it is ACTIVE; the client of its region."""
    client = local.client(region_name=region) if region else local.client()
    create_active(client, request)
    return client


def described(client: Any, table: str = "orders") -> dict[str, Any]:
    result: dict[str, Any] = client.describe_table(TableName=table)["Table"]
    return result


def index_named(description: dict[str, Any], name: str, kind: str = "GlobalSecondaryIndexes") -> dict[str, Any] | None:
    return next((index for index in description.get(kind) or [] if index["IndexName"] == name), None)
