"""Tables, items and comparisons for the backup and restore tests (shared by both)."""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

from ddbctl.data.exportfmt import iter_items, read_export
from ddbctl.data.items import Item, item_checksum
from ddbctl.data.store import LocalStore
from ddbctl.local.pytest_plugin import LocalDynamoDB
from ddbctl.naming import environment_of

PREFIX = "construction-expenses"


def physical(logical: str, environment: str = "production") -> str:
    return f"{PREFIX}-{logical}" if environment == "production" else f"{PREFIX}-{environment}-{logical}"


ENVIRONMENTS = ("production", "staging", "dev", "qa")


def owner_tags(name: str) -> dict[str, str]:
    """The tags ddbctl would give ``name``: its ``Environment`` when the name is one of an environment's."""
    environment = environment_of(name, PREFIX, ENVIRONMENTS)
    return {"Environment": environment} if environment else {"team": "tests"}


def create_table(server: LocalDynamoDB, name: str, hash_key: tuple[str, str] = ("id", "S"),
                 range_key: tuple[str, str] | None = None, tags: dict[str, str] | None = None) -> None:
    """An ACTIVE table made with plain boto3. By default it carries the ``Environment`` tag its name implies,
    so it is the environment's own (docs/environments.md); ``tags`` replaces them
    (``tags={}`` makes an untagged table, which no environment owns)."""
    client = server.client(max_attempts=8)
    tags = owner_tags(name) if tags is None else tags
    keys = [hash_key] + ([range_key] if range_key else [])
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": n, "KeyType": kind}
                   for (n, _), kind in zip(keys, ("HASH", "RANGE"), strict=False)],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in keys],
        BillingMode="PAY_PER_REQUEST",
        **({"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]} if tags else {}),
    )
    deadline = time.monotonic() + 30
    while client.describe_table(TableName=name)["Table"]["TableStatus"] != "ACTIVE":
        assert time.monotonic() < deadline
        time.sleep(0.05)


def put_items(server: LocalDynamoDB, name: str, items: list[Item]) -> None:
    client = server.client(max_attempts=10)
    for start in range(0, len(items), 25):
        pending: list[dict[str, Any]] = [{"PutRequest": {"Item": item}} for item in items[start:start + 25]]
        while pending:
            answer = client.batch_write_item(RequestItems={name: pending})
            pending = answer.get("UnprocessedItems", {}).get(name, [])


def scan_all(server: LocalDynamoDB, name: str) -> list[Item]:
    client = server.client(max_attempts=10)
    return [item for page in client.get_paginator("scan").paginate(TableName=name) for item in page["Items"]]


def backup_items(directory: Path, export_dir: str) -> list[Item]:
    store = LocalStore(directory)
    manifest = read_export(store, export_dir)
    return [item for data_file in manifest.files for _, item in iter_items(store, data_file)]


def by_key(items: list[Item], *keys: str) -> dict[tuple[str, ...], Item]:
    found: dict[tuple[str, ...], Item] = {}
    for item in items:
        key = tuple(item_checksum({k: item[k]}) for k in keys)
        assert key not in found, f"item {key} twice"
        found[key] = item
    return found


def assert_same_items(actual: list[Item], expected: list[Item], *keys: str) -> None:
    """Exact equality, item by item (wire form: N as the same string, B as the same bytes), none twice."""
    assert len(actual) == len(expected)
    assert by_key(actual, *keys) == by_key(expected, *keys)


def every_type_items(count: int, seed: int) -> list[Item]:
    """Items with every DynamoDB type, binary nested in maps and lists, empty strings, unicode, 38 digits."""
    rng = random.Random(seed)
    items = []
    for number in range(count):
        blob = rng.randbytes(rng.randint(0, 40))
        items.append({
            "id": {"S": f"item-{number:05d}-{'é' * (number % 3)}"},
            "amount": {"N": rng.choice(["12345678901234567890123456789012345678", "-0.000000000000000000000000000001",
                                        "1E+125", str(rng.randint(-10**20, 10**20)), "3.14"])},
            "blob": {"B": blob},
            "labels": {"SS": sorted({f"l{rng.randint(0, 9)}", "ünï", "x"})},
            "scores": {"NS": sorted({str(rng.randint(0, 50)), "1.5", "99999999999999999999999999999999999999"})},
            "chunks": {"BS": [b"\x00", rng.randbytes(3) + b"\x01"]},
            "nested": {"M": {"bin": {"B": rng.randbytes(5)}, "empty": {"S": ""}, "list": {"L": [
                {"B": b"\xff\xfe"}, {"N": "7"}, {"NULL": True}, {"M": {}}, {"L": []}, {"BOOL": True}]}}},
            "note": {"S": rng.choice(["", "日本語", "emoji \U0001f600", "plain"])},
            "nothing": {"NULL": True},
            "flag": {"BOOL": bool(number % 2)},
            "empty_list": {"L": []},
            "empty_map": {"M": {}},
        })
    return items
