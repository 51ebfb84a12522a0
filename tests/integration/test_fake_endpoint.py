"""The benchmark's fake DynamoDB (bench/fake_dynamodb.mjs) checks what it is sent, and ddbctl's writers pass.

Not a speed test: the bench measures CPU; here only that its per-item check catches a lost, a changed and
a duplicated item (so a bench run reporting "0 lost, 0 changed" means something), that it refuses a badly
signed request, and that the loader's hand-built, botocore-signed requests write every item exactly, with
UnprocessedItems matched back, against a server that checks every signature.
"""

from __future__ import annotations

import json
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from ddbctl.aws import Dynamo
from ddbctl.config import Settings
from ddbctl.data.load import Loader, LoadOptions, Tracker, Write, item_key

from ..tools import require_tool

FAKE = Path(__file__).resolve().parents[2] / "bench" / "fake_dynamodb.mjs"
SECRET = "fake-secret"
SOURCE = "construction-expenses-orders"
KEYS = ("pk", "sk")


class FakeEndpoint:
    def __init__(self, url: str) -> None:
        self.url = url

    def control(self, name: str, **body: Any) -> dict[str, Any]:
        request = urllib.request.Request(f"{self.url}/_fake/{name}", data=json.dumps(body).encode(), method="POST")
        with urllib.request.urlopen(request, timeout=30) as answer:
            result: dict[str, Any] = json.loads(answer.read())
            return result

    def client(self, secret: str = SECRET) -> Any:
        return boto3.client("dynamodb", endpoint_url=self.url, region_name="us-east-1", aws_access_key_id="test",
                            aws_secret_access_key=secret,
                            config=Config(retries={"mode": "standard", "total_max_attempts": 1}))


@pytest.fixture
def fake() -> Iterator[FakeEndpoint]:
    node = require_tool("node")
    process = subprocess.Popen([node, str(FAKE), "--secret", SECRET], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               text=True)
    try:
        assert process.stdout is not None
        word, port = process.stdout.readline().split()
        assert word == "listening"
        yield FakeEndpoint(f"http://127.0.0.1:{port}")
    finally:
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def source_items(fake: FakeEndpoint, count: int) -> list[dict[str, Any]]:
    fake.control("source", table=SOURCE, items=count, seed=3)
    items: list[dict[str, Any]] = []
    for page in fake.client().get_paginator("scan").paginate(TableName=SOURCE, TotalSegments=2, Segment=0):
        items.extend(page["Items"])
    for page in fake.client().get_paginator("scan").paginate(TableName=SOURCE, TotalSegments=2, Segment=1):
        items.extend(page["Items"])
    return items


def put_all(client: Any, table: str, items: list[dict[str, Any]]) -> None:
    for start in range(0, len(items), 25):
        puts = [{"PutRequest": {"Item": item}} for item in items[start:start + 25]]
        assert not client.batch_write_item(RequestItems={table: puts}).get("UnprocessedItems")


def test_the_check_catches_a_lost_a_changed_and_a_duplicated_item(fake: FakeEndpoint) -> None:
    items = source_items(fake, 120)
    assert len(items) == 120 and len({item["sk"]["S"] for item in items}) == 120
    client = fake.client()
    fake.control("table", table="exact")
    put_all(client, "exact", items)
    assert fake.control("report", table="exact", source=SOURCE)["exact"] is True

    fake.control("table", table="damaged")
    changed = {**items[7], "meta": {"M": {**items[7]["meta"]["M"], "note": {"S": "edited"}}}}
    kept = [item for index, item in enumerate(items) if index not in (3, 7)] + [changed]
    put_all(client, "damaged", kept)
    put_all(client, "damaged", [items[11]])  # acknowledged twice: a duplicated write
    report = fake.control("report", table="damaged", source=SOURCE)
    assert (report["lost"], report["changed"], report["duplicated"], report["extra"]) == (1, 1, 1, 0)
    assert report["exact"] is False
    assert {example["kind"] for example in report["examples"]} == {"lost", "changed", "duplicated"}


def test_a_request_not_signed_with_the_secret_is_refused(fake: FakeEndpoint) -> None:
    with pytest.raises(Exception, match="InvalidSignatureException"):
        fake.client(secret="another").list_tables()
    assert fake.control("stats")["badSignatures"] == 1


def test_the_loader_writes_every_item_exactly_through_unprocessed_items(fake: FakeEndpoint,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Hand-built BatchWriteItem bodies, botocore-signed: the fake checks each signature, leaves a third of
    the puts unprocessed, and then finds every item written once, unchanged."""
    items = source_items(fake, 300)
    fake.control("table", table="restored")
    fake.control("faults", unprocessed=0.3, seed=5)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    dynamo = Dynamo(Settings(endpoint_url=fake.url), max_attempts=1, validate_params=False)
    writes = [Write("restored", item, KEYS, item_key(item, KEYS), 4096, 1, "file", line)
              for line, item in enumerate(items, start=1)]
    tracker = Tracker()
    result = Loader(dynamo, tracker, LoadOptions(concurrency=3, base_delay=0.001, max_delay=0.01),
                    save_unwritten=lambda saved: pytest.fail(f"{len(saved)} left unwritten")).run(writes)
    stats = fake.control("stats")
    assert result.written == 300 and result.retried_items == stats["unprocessedReturned"] > 0
    assert stats["badSignatures"] == 0
    assert tracker.snapshot() == {"file": (300, False)}
    report = fake.control("report", table="restored", source=SOURCE)
    assert report["exact"] is True, report
    assert report["puts"] == 300
