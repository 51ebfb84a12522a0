"""Tables and spec files for the add-gsi tests (library and CLI), made with plain boto3 as a user would."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ddbctl.local import MUTATING_OPERATIONS
from ddbctl.local.pytest_plugin import LocalDynamoDB
from ddbctl.naming import DEFAULT_ENVIRONMENTS, environment_of

PREFIX = "construction-expenses"
COMPANIES = f"{PREFIX}-companies"
EXPENSES = f"{PREFIX}-company-expenses"
SEED_VARIABLES = ("TABLE_NAME", "INDEX_NAME", "PARTITION_KEY", "PARTITION_KEY_TYPE", "SORT_KEY", "SORT_KEY_TYPE",
                  "PROJECTION_TYPE", "PROJECTION_ATTRIBUTES", "MAX_WAIT")

Index = tuple[str, str, str]  # (index name, key attribute, attribute type)

_CLIENTS: dict[tuple[str, int], Any] = {}


def client(db: LocalDynamoDB, max_attempts: int = 5) -> Any:
    """One boto3 client per server and retry setting (creating a client takes a while)."""
    key = (db.endpoint_url, max_attempts)
    if key not in _CLIENTS:
        _CLIENTS[key] = db.client(max_attempts=max_attempts)
    return _CLIENTS[key]


def create_table(db: LocalDynamoDB, name: str = COMPANIES, *, provisioned: bool = False,
                 gsis: Sequence[Index] = ()) -> None:
    """A table keyed by ``id`` (S) with hash-key indexes; waits until it and its indexes are ACTIVE.

    Tagged ``Environment`` as the seed's create script tags it (add-gsi changes only owned tables).
    """
    definitions = {"id": "S", **{attribute: kind for _, attribute, kind in gsis}}
    throughput = {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
    request: dict[str, Any] = {
        "TableName": name,
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in definitions.items()],
        "BillingMode": "PROVISIONED" if provisioned else "PAY_PER_REQUEST",
        "Tags": [{"Key": "Environment", "Value": environment_of(name, PREFIX, DEFAULT_ENVIRONMENTS) or "production"}],
    }
    if provisioned:
        request["ProvisionedThroughput"] = throughput
    if gsis:
        request["GlobalSecondaryIndexes"] = [
            {"IndexName": index, "KeySchema": [{"AttributeName": attribute, "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "ALL"}, **({"ProvisionedThroughput": throughput} if provisioned else {})}
            for index, attribute, _ in gsis
        ]
    client(db).create_table(**request)
    wait_active(db, name)


def describe(db: LocalDynamoDB, name: str = COMPANIES) -> dict[str, Any]:
    table: dict[str, Any] = client(db).describe_table(TableName=name)["Table"]
    return table


def statuses(db: LocalDynamoDB, name: str = COMPANIES) -> set[str]:
    table = describe(db, name)
    return {table["TableStatus"], *(i["IndexStatus"] for i in table.get("GlobalSecondaryIndexes") or [])}


def wait_until(condition: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} not met in {timeout:g}s"
        time.sleep(0.05)


def wait_active(db: LocalDynamoDB, name: str = COMPANIES, timeout: float = 10.0) -> None:
    wait_until(lambda: statuses(db, name) == {"ACTIVE"}, timeout, f"{name} ACTIVE")


def start_index_build(db: LocalDynamoDB, index: str, attribute: str, name: str = COMPANIES) -> None:
    """Start an index build with plain boto3, as another person or tool would."""
    current = describe(db, name)["AttributeDefinitions"]
    client(db, max_attempts=1).update_table(
        TableName=name,
        AttributeDefinitions=[*current, {"AttributeName": attribute, "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[{"Create": {"IndexName": index, "Projection": {"ProjectionType": "ALL"},
                                                 "KeySchema": [{"AttributeName": attribute, "KeyType": "HASH"}]}}],
    )


def mutating_calls(db: LocalDynamoDB) -> list[str]:
    return [o["operation"] for o in db.server.operations() if o["operation"] in MUTATING_OPERATIONS]


def spec_file(directory: Path, logical: str, gsis: Sequence[Index]) -> Path:
    """``directory/<logical>.json``: a table keyed by ``id`` with the given indexes."""
    document = {
        "TableName": logical,
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"},
                                 *({"AttributeName": a, "AttributeType": t} for _, a, t in gsis)],
        "GlobalSecondaryIndexes": [{"IndexName": i, "KeySchema": [{"AttributeName": a, "KeyType": "HASH"}],
                                    "Projection": {"ProjectionType": "ALL"}} for i, a, _ in gsis],
    }
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{logical}.json"
    path.write_text(json.dumps(document))
    return path
