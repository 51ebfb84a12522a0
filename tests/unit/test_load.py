"""The BatchWriteItem writer's pure parts: batching, the progress tracker, the write-rate bucket."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ddbctl.data.items import item_size, to_file_item
from ddbctl.data.load import (
    MAX_BATCH_BYTES,
    MAX_BATCH_ITEMS,
    TokenBucket,
    Tracker,
    Write,
    _next_batch,
    item_key,
    request_bytes,
    write_units,
)

from ..data.strategies import ITEMS


def write(key: str, line: int, size: int = 100, table: str = "t") -> Write:
    item = {"pk": {"S": key}, "n": {"N": str(line)}}
    return Write(table, item, ("pk",), item_key(item, ("pk",)), size, 1, "f", line)


def test_a_batch_holds_at_most_25_writes_in_input_order() -> None:
    pending = [write(f"k{i}", i) for i in range(1, 40)]
    batch = _next_batch(pending)
    assert [w.line for w in batch] == list(range(1, MAX_BATCH_ITEMS + 1))


def test_a_batch_holds_at_most_16_mb() -> None:
    pending = [write(f"k{i}", i, size=400 * 1024 * 4) for i in range(1, 26)]
    batch = _next_batch(pending)
    assert sum(w.size for w in batch) <= MAX_BATCH_BYTES
    assert len(batch) == MAX_BATCH_BYTES // (400 * 1024 * 4)


def test_a_second_write_of_a_key_waits_for_the_next_batch_and_never_overtakes() -> None:
    pending = [write("a", 1), write("b", 2), write("a", 3), write("c", 4), write("a", 5)]
    first = _next_batch(pending)
    assert [w.line for w in first] == [1, 2, 4]
    remaining = [w for w in pending if w not in first]
    assert [w.line for w in _next_batch(remaining)] == [3]


def test_the_same_key_in_two_tables_is_two_keys() -> None:
    pending = [write("a", 1, table="t1"), write("a", 2, table="t2")]
    assert len(_next_batch(pending)) == 2


@settings(max_examples=200)
@given(st.lists(st.sampled_from("abcdefghij"), min_size=1, max_size=120))
def test_batches_drain_everything_with_each_key_in_input_order(keys: list[str]) -> None:
    pending = [write(key, line) for line, key in enumerate(keys, start=1)]
    sent: list[Write] = []
    while pending:
        batch = _next_batch(pending)
        assert batch and len(batch) <= MAX_BATCH_ITEMS
        assert len({w.key for w in batch}) == len(batch)  # never two writes of one key in a batch
        sent.extend(batch)
        pending = [w for w in pending if w not in batch]
    assert sorted(w.line for w in sent) == list(range(1, len(keys) + 1))
    for key in set(keys):
        lines = [w.line for w in sent if w.item["pk"]["S"] == key]
        assert lines == sorted(lines)


def test_the_tracker_claims_only_lines_below_the_first_in_flight() -> None:
    tracker = Tracker({"f": 2})
    writes = [write(f"k{i}", i) for i in range(3, 8)]
    for w in writes:
        tracker.started("f", w.line)
    tracker.done([writes[0], writes[2], writes[3]])  # lines 3, 5, 6
    assert tracker.snapshot() == {"f": (3, False)}
    tracker.finished("f")
    assert tracker.snapshot() == {"f": (3, False)}
    tracker.done([writes[1], writes[4]])
    assert tracker.snapshot() == {"f": (7, True)}


def test_an_empty_finished_file_is_complete() -> None:
    tracker = Tracker()
    tracker.finished("empty")
    assert tracker.snapshot() == {"empty": (0, True)}


def test_the_bucket_waits_for_the_units_it_lacks() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    bucket = TokenBucket(10.0, lambda: now[0], sleep)
    bucket.take(10)  # the first second's worth
    assert slept == []
    bucket.take(5)
    assert slept == [0.5]
    bucket.adjust(10)  # DynamoDB reported 10 more units than estimated
    bucket.take(1)
    assert slept[-1] == 1.1


@settings(max_examples=300)
@given(ITEMS)
def test_the_request_size_bound_is_never_below_what_botocore_sends(item: dict[str, Any]) -> None:
    size = item_size(item)
    sent = len(json.dumps({"PutRequest": {"Item": to_file_item(item)}}))
    assert request_bytes(item, size) >= sent - len('{"PutRequest": {"Item": }}')
    assert write_units(size) == max(1, -(-size // 1024))


def test_the_bound_of_small_items_lets_25_share_a_call() -> None:
    assert 25 * request_bytes({"pk": {"S": "x"}}, 2000) <= MAX_BATCH_BYTES
