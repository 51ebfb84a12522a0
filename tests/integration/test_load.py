"""The BatchWriteItem loader against the local server: the write-rate cap, duplicate keys, the checkpoint."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ddbctl.aws import Dynamo
from ddbctl.config import Settings
from ddbctl.data.items import Item
from ddbctl.data.load import Loader, LoadOptions, Tracker, Write, item_key
from ddbctl.local.pytest_plugin import LocalDynamoDB

from ..restore_helpers import scan_all

SettingsFor = Callable[..., Settings]


def make_table(server: LocalDynamoDB, name: str = "load") -> None:
    client = server.client(max_attempts=5)
    client.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        BillingMode="PAY_PER_REQUEST")


def writes(items: list[Item], table: str = "load") -> list[Write]:
    return [Write(table, item, ("pk",), item_key(item, ("pk",)), 100, 1, "file", line)
            for line, item in enumerate(items, start=1)]


class FakeTime:
    """A clock that only sleeping moves: the cap is measured in the time the loader chose to wait."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept = 0.0
        self._lock = threading.Lock()

    def clock(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds
            self.slept += seconds


def loader(dynamo: Dynamo, tracker: Tracker, time: FakeTime, **options: Any) -> Loader:
    def refuse(saved: Any) -> None:
        raise AssertionError(f"nothing may be left unwritten: {len(saved)}")

    return Loader(dynamo, tracker, LoadOptions(**options), save_unwritten=refuse, clock=time.clock,
                  sleep=time.sleep)


def test_the_write_rate_caps_write_units_per_second(dynamodb: LocalDynamoDB, settings_for: SettingsFor) -> None:
    make_table(dynamodb)
    dynamo = Dynamo(settings_for(dynamodb))
    time = FakeTime()
    items = [{"pk": {"S": f"k{n}"}} for n in range(60)]
    result = loader(dynamo, Tracker(), time, concurrency=3, write_rate=10.0).run(writes(items))
    assert result.written == 60
    assert time.slept >= (60 - 10) / 10 - 1e-9  # 60 units at 10 per second, one second's burst up front
    assert len(scan_all(dynamodb.client(), "load")) == 60


def test_two_writes_of_a_key_land_in_input_order(dynamodb: LocalDynamoDB, settings_for: SettingsFor) -> None:
    make_table(dynamodb)
    items = [{"pk": {"S": f"k{n % 7}"}, "version": {"N": str(n)}} for n in range(100)]
    tracker = Tracker()
    result = loader(Dynamo(settings_for(dynamodb)), tracker, FakeTime(), concurrency=4).run(writes(items))
    assert result.written == 100 and tracker.snapshot() == {"file": (100, False)}
    final = {item["pk"]["S"]: item["version"]["N"] for item in scan_all(dynamodb.client(), "load")}
    assert final == {f"k{k}": str(max(n for n in range(100) if n % 7 == k)) for k in range(7)}


def test_a_worker_fills_its_batch_while_the_reader_is_still_reading(
    dynamodb: LocalDynamoDB, settings_for: SettingsFor
) -> None:
    """A call costs about as much with 1 write as with 25: a reader slower than one call must not turn
    into many small calls. Only the batch sent when the reader closes may be partial, one per worker."""
    make_table(dynamodb)
    items = [{"pk": {"S": f"k{n}"}} for n in range(200)]
    stop_reading = threading.Event()

    def slow_reader() -> Any:
        for write in writes(items):
            stop_reading.wait(0.001)  # slower than the server answers one call
            yield write

    result = loader(Dynamo(settings_for(dynamodb)), Tracker(), FakeTime(), concurrency=2, linger=30.0).run(
        slow_reader())
    assert result.written == 200
    assert result.calls <= 200 // 25 + 2, result.calls
    assert len(scan_all(dynamodb.client(), "load")) == 200


def test_a_partial_batch_is_sent_when_the_reader_stalls(dynamodb: LocalDynamoDB, settings_for: SettingsFor) -> None:
    """Waiting for a full batch is bounded by ``linger``: a reader that stalls (waiting on S3, say) does not
    hold back what it has already handed over."""
    make_table(dynamodb)
    items = [{"pk": {"S": f"k{n}"}} for n in range(5)]
    written = threading.Event()
    seen_before_the_rest: list[bool] = []

    def stalling_reader() -> Any:
        batch = writes(items)
        yield from batch[:3]
        seen_before_the_rest.append(written.wait(30))  # the rest comes only once the first 3 are written
        yield from batch[3:]

    def on_written(table: str, count: int) -> None:
        written.set()

    tracker = Tracker()
    result = Loader(Dynamo(settings_for(dynamodb)), tracker, LoadOptions(concurrency=1, linger=0.05),
                    save_unwritten=lambda saved: None, on_written=on_written).run(stalling_reader())
    assert seen_before_the_rest == [True]
    assert result.written == 5 and result.calls == 2
    assert len(scan_all(dynamodb.client(), "load")) == 5
