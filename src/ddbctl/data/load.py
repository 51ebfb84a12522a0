"""BatchWriteItem writer: parallel workers, 25 requests / 16 MB per call, nothing ever dropped.

Items arrive as ``Write`` values from one iterator (the reader), which cuts them, in input order, into
batches of 25 (fewer only when 16 MB would be passed, at the end, or when the reader stalls: once it
has handed over nothing for ``linger`` seconds, a worker takes the open batch as it is; a reader that is
merely slow fills its batches). Any free worker takes the next batch. A key is
never in two unacknowledged writes: the reader holds a write whose key is still in flight until that
write is acknowledged, so a later write of a key never overtakes an earlier one and never shares its
batch (DynamoDB rejects such a batch); the later one wins, as in the backup.

Requests are built from each item's JSON text (``Write.body``: the item as DynamoDB JSON, binary as
base64 text, as an export file holds it) and sent by ``Dynamo.post_json``: signed by botocore's signer,
never walked by botocore's serializer; the answer is parsed with orjson and UnprocessedItems are matched
back to their writes by table and key.

UnprocessedItems, throttling, 5xx and connection errors are retried with exponential backoff and full
jitter, without an attempt cap. What bounds the retries is a deadline: once an item has waited
``deadline`` seconds without being written, the load stops, and every write not acknowledged is handed
to ``save_unwritten`` (written durably by the caller) instead of being dropped.

Progress is tracked per source (a data file) and line: ``Tracker`` knows which lines are in flight and
reports, per source, the highest line below which every line was acknowledged. The caller persists that
as its checkpoint; it never claims a line whose batch did not come back without it in UnprocessedItems.
Memory stays flat: the reader blocks while ``concurrency`` batches wait for a worker.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from ..aws import Dynamo
from ..errors import AwsError, EndpointError
from .items import Item, to_file_item

MAX_BATCH_ITEMS = 25
MAX_BATCH_BYTES = 16 * 1024 * 1024 - 64 * 1024  # DynamoDB's 16 MB per call, minus room for the envelope
WRITE_UNIT_BYTES = 1024
SMALL_ITEM_BYTES = 2000
IDLE_POLL = 0.05  # seconds a worker with nothing to send waits on its inbox before checking for a stop
RETRYABLE_CODES = frozenset({
    "ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
    "InternalServerError", "InternalFailure", "ServiceUnavailable", "LimitExceededException",
    "TransactionInProgressException",
})


@dataclass(eq=False)
class Write:
    """One PutRequest: the physical table, the wire item, its key, its wire size, and where it came from."""

    table: str
    item: Item
    key_names: tuple[str, ...]
    key: Hashable  # item_key(item, key_names)
    size: int  # an upper bound of its bytes in the request (request_bytes)
    wcu: int  # write units of one put: write_units(item_size(item))
    source: str
    line: int
    first_try: float | None = None
    attempts: int = 0
    body: bytes | None = None  # the item as DynamoDB JSON (binary as base64 text); None: encoded from ``item``

    def put_request(self) -> bytes:
        """``{"PutRequest":{"Item":...}}`` of this write, from its JSON text (encoded once, if not given)."""
        if self.body is None:
            self.body = item_json(self.item)
        return b'{"PutRequest":{"Item":' + self.body + b"}}"


def item_json(item: Item) -> bytes:
    """A wire item as DynamoDB JSON text: what botocore would send, binary values base64-encoded."""
    try:
        return orjson.dumps(item, default=_wire_value)
    except (orjson.JSONEncodeError, TypeError):
        # orjson refuses what is not valid Unicode (a lone surrogate): ASCII escapes carry it to the
        # server, which decides, as with botocore.
        return json.dumps(to_file_item(item), separators=(",", ":")).encode("ascii")


def _wire_value(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not a DynamoDB value")


def write_units(item_size: int) -> int:
    """Write units of one put: one per KB of the item (DynamoDB's item size), at least one."""
    return max(1, math.ceil(item_size / WRITE_UNIT_BYTES))


def request_bytes(item: Item, item_size: int) -> int:
    """An upper bound of the item's bytes in a BatchWriteItem request body.

    botocore writes JSON with spaces after separators and non-ASCII as \\uXXXX escapes (at most 3x the
    UTF-8 bytes), and a number's text may be ~90x its size in DynamoDB's accounting (leading zeros of
    0.000...1). A small item is bounded by that without encoding it (270 x 2000 B: 25 stay under 16 MB);
    a larger one is measured."""
    if item_size <= SMALL_ITEM_BYTES:
        return item_size * 270 + 1024
    return len(json.dumps(to_file_item(item))) + 64


@dataclass(frozen=True)
class LoadOptions:
    concurrency: int = 8
    write_rate: float | None = None  # write units per second, all workers together; None: no cap
    deadline: float = 900.0  # seconds an item may stay unwritten before the load stops and saves it
    queue_size: int = 25  # writes waiting per worker (beyond the two batches it holds)
    linger: float = 0.2  # seconds the reader may hand over nothing before a worker sends the open batch as it is
    base_delay: float = 0.05
    max_delay: float = 5.0


@dataclass
class LoadResult:
    written: int = 0
    written_by_table: dict[str, int] = field(default_factory=dict)
    unwritten: int = 0  # handed to save_unwritten after the deadline or a fatal error
    calls: int = 0
    retried_items: int = 0
    consumed_wcu: float = 0.0


class Tracker:
    """Lines in flight per source; the watermark is the highest line below which all are done."""

    def __init__(self, watermarks: dict[str, int] | None = None) -> None:
        self._lock = threading.Lock()
        self._in_flight: dict[str, set[int]] = {}
        self._highest: dict[str, int] = dict(watermarks or {})
        self._finished: set[str] = set()

    def started(self, source: str, line: int) -> None:
        with self._lock:
            self._in_flight.setdefault(source, set()).add(line)
            self._highest[source] = max(self._highest.get(source, 0), line)

    def done(self, writes: Iterable[Write]) -> None:
        with self._lock:
            for write in writes:
                self._in_flight[write.source].discard(write.line)

    def finished(self, source: str) -> None:
        """Every line of ``source`` has been handed over (complete once none is in flight)."""
        with self._lock:
            self._finished.add(source)
            self._highest.setdefault(source, 0)

    def snapshot(self) -> dict[str, tuple[int, bool]]:
        """{source: (done through line, complete)}: only lines whose writes were acknowledged."""
        with self._lock:
            result: dict[str, tuple[int, bool]] = {}
            for source, highest in self._highest.items():
                flying = self._in_flight.get(source)
                if flying:
                    result[source] = (min(flying) - 1, False)
                else:
                    result[source] = (highest, source in self._finished)
            return result


class TokenBucket:
    """Write units per second, shared by all workers; a burst of at most one second's worth."""

    def __init__(self, rate: float, clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
        self.rate = rate
        self._clock, self._sleep = clock, sleep
        self._tokens = rate
        self._last = clock()
        self._lock = threading.Lock()

    def take(self, units: float) -> None:
        """Block until ``units`` are available (a request larger than the burst waits into debt)."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.rate, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens -= units
            debt = -self._tokens
        if debt > 0:
            self._sleep(debt / self.rate)

    def adjust(self, units: float) -> None:
        """Correct an estimate by what DynamoDB reported (positive: more was used)."""
        with self._lock:
            self._tokens -= units


SaveUnwritten = Callable[[Sequence[Write]], None]
_Key = tuple[str, Hashable]  # (table, item key)


class _Batches:
    """The writes between the reader and the workers: batches in input order, the open one being filled,
    and the keys of every write not yet acknowledged (one condition guards them all)."""

    def __init__(self, capacity: int, linger: float) -> None:
        self.capacity = capacity  # ready batches the reader may run ahead by
        self.linger = linger
        self.lock = threading.Lock()
        self.work = threading.Condition(self.lock)  # workers wait here for a batch
        self.room = threading.Condition(self.lock)  # the reader waits here for room or an acknowledgement
        self.ready: deque[list[Write]] = deque()
        self.open: list[Write] = []
        self.open_keys: set[_Key] = set()
        self.open_bytes = 0
        self.last_added = 0.0  # when the reader last added a write to the open batch
        self.flying: set[_Key] = set()  # keys of writes handed over and not acknowledged (nor given up)
        self.closed = False

    def take(self, wait: float) -> list[Write] | None:
        """A batch for a worker: the next ready one, else the open one once it has lingered (or the
        reader is done); waits up to ``wait`` seconds (0: not at all) for one. None when there is none."""
        deadline = time.monotonic() + wait
        with self.lock:
            while True:
                if self.ready:
                    batch = self.ready.popleft()
                    self.room.notify()
                    return batch
                now = time.monotonic()
                if self.open and (self.closed or now - self.last_added >= self.linger):
                    return self._seal_open()
                if now >= deadline:
                    return None
                until = deadline if not self.open else min(deadline, self.last_added + self.linger)
                self.work.wait(max(0.0, until - now))

    def acknowledged(self, writes: Iterable[Write]) -> None:
        with self.lock:
            for write in writes:
                self.flying.discard((write.table, write.key))
            self.room.notify()

    def drain(self) -> list[Write]:
        """Everything not yet taken by a worker, in input order."""
        with self.lock:
            left = [write for batch in self.ready for write in batch] + self.open
            self.ready.clear()
            self.open, self.open_keys, self.open_bytes = [], set(), 0
            return left

    def _seal_open(self) -> list[Write]:
        batch = self.open
        self.open, self.open_keys, self.open_bytes = [], set(), 0
        return batch


class Loader:
    """Writes the iterator's items; ``run`` returns when all are written or the load was stopped."""

    def __init__(
        self,
        dynamo: Dynamo,
        tracker: Tracker,
        options: LoadOptions | None = None,
        *,
        save_unwritten: SaveUnwritten,
        checkpoint: Callable[[], None] = lambda: None,
        on_written: Callable[[str, int], None] = lambda table, count: None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        checkpoint_every: float = 0.5,
    ) -> None:
        self.dynamo = dynamo
        self.tracker = tracker
        self.options = options or LoadOptions()
        self._save_unwritten = save_unwritten
        self._checkpoint = checkpoint
        self._on_written = on_written
        self._clock, self._sleep = clock, sleep
        self._rng = rng or random.Random()
        self._checkpoint_every = checkpoint_every
        self._bucket = TokenBucket(self.options.write_rate, clock, sleep) if self.options.write_rate else None
        self._stop = threading.Event()  # deadline passed, a fatal error, or an interrupt
        self._lock = threading.Lock()
        self._result = LoadResult()
        self._error: BaseException | None = None
        self._leftovers: list[list[Write]] = []
        self._batches = _Batches(max(1, self.options.concurrency), self.options.linger)
        self._last_wait_checkpoint = clock()

    # -- the reader side (caller's thread) -------------------------------------------------------

    def run(self, writes: Iterable[Write]) -> LoadResult:
        """Write everything; raise the first fatal error (after saving what was not written)."""
        count = self.options.concurrency
        workers = [threading.Thread(target=self._work, args=(i,), name=f"ddbctl-load-{i}", daemon=True)
                   for i in range(count)]
        self._leftovers = [[] for _ in range(count + 1)]  # the last: the reader's
        for worker in workers:
            worker.start()
        last_checkpoint = self._clock()
        try:
            for write in writes:
                self.tracker.started(write.source, write.line)
                if self._stop.is_set() or not self._add(write):
                    self._leftovers[-1].append(write)  # not handed over: saved with the rest
                    break
                now = self._clock()
                if now - last_checkpoint >= self._checkpoint_every:
                    last_checkpoint = self._checkpoint_now(now)
            with self._batches.lock:
                self._batches.closed = True
                self._batches.work.notify_all()
            for worker in workers:
                while worker.is_alive():
                    worker.join(self._checkpoint_every)
                    last_checkpoint = self._maybe_checkpoint(last_checkpoint)
        except BaseException:
            # Interrupted: stop after the calls in flight; what is not acknowledged stays unclaimed in
            # the checkpoint, so a re-run reads it again.
            self._stop.set()
            for worker in workers:
                worker.join()
            self._checkpoint()
            raise
        self._finish()
        if self._error is not None:
            raise self._error
        return self._result

    def _add(self, write: Write) -> bool:
        """Put ``write`` in the open batch (sealing it when full); False if the load stopped first.

        A write whose key is in flight waits for that write's acknowledgement (sealing the open batch if
        it holds the key, so that it gets sent); one that would overflow the open batch seals it first."""
        batches = self._batches
        key = (write.table, write.key)
        with batches.lock:
            while key in batches.flying:
                if key in batches.open_keys:
                    self._seal(batches)
                if not self._wait(batches):
                    return False
            if batches.open and batches.open_bytes + write.size > MAX_BATCH_BYTES:
                self._seal(batches)
            batches.last_added = time.monotonic()  # a worker short of work takes the open batch ``linger`` later
            batches.open.append(write)
            batches.open_keys.add(key)
            batches.open_bytes += write.size
            batches.flying.add(key)
            if len(batches.open) >= MAX_BATCH_ITEMS:
                self._seal(batches)
            return True

    def _seal(self, batches: _Batches) -> None:
        """The open batch becomes ready, once there is room (the caller holds the lock)."""
        while len(batches.ready) >= batches.capacity:
            if not self._wait(batches):
                return  # stopping: the open batch stays open, and is saved with the rest
        batches.ready.append(batches._seal_open())
        batches.work.notify()

    def _wait(self, batches: _Batches) -> bool:
        """Wait (lock held) for a worker to take a batch or acknowledge writes; checkpoint meanwhile."""
        if self._stop.is_set():
            return False
        batches.room.wait(self._checkpoint_every)
        now = self._clock()
        if now - self._last_wait_checkpoint >= self._checkpoint_every:
            batches.lock.release()  # a checkpoint takes the tracker's lock, never this one with it
            try:
                self._last_wait_checkpoint = self._checkpoint_now(now)
            finally:
                batches.lock.acquire()
        return not self._stop.is_set()

    def _checkpoint_now(self, now: float) -> float:
        self._checkpoint()
        return now

    def _maybe_checkpoint(self, last: float) -> float:
        now = self._clock()
        if now - last < self._checkpoint_every:
            return last
        self._checkpoint()
        return now

    def _finish(self) -> None:
        """Save every write not acknowledged (workers' pending ones, what no worker took), then checkpoint."""
        unwritten = [write for leftovers in self._leftovers for write in leftovers]
        unwritten.extend(self._batches.drain())
        if unwritten:
            self._save_unwritten(unwritten)
            self.tracker.done(unwritten)  # durably saved: a re-run writes them first
            self._result.unwritten += len(unwritten)
        self._checkpoint()

    # -- the workers -----------------------------------------------------------------------------

    def _work(self, index: int) -> None:
        pending: list[Write] = []
        try:
            while not self._stop.is_set():
                if len(pending) < MAX_BATCH_ITEMS:
                    # With retries pending, new writes only top the next call up: never wait for them.
                    taken = self._batches.take(0.0 if pending else IDLE_POLL)
                    if taken:
                        pending.extend(taken)
                if not pending:
                    with self._batches.lock:
                        if self._batches.closed and not self._batches.ready and not self._batches.open:
                            return
                    continue
                batch = _next_batch(pending)
                self._send(batch, pending)
        except BaseException as exc:  # handed to the reader thread, which re-raises it
            with self._lock:
                if self._error is None:
                    self._error = exc
            self._stop.set()
        finally:
            self._leftovers[index].extend(pending)

    def _send(self, batch: list[Write], pending: list[Write]) -> None:
        now = self._clock()
        tries = max(write.attempts for write in batch)
        if tries:
            delay = min(self.options.max_delay, self.options.base_delay * 2 ** (tries - 1))
            self._sleep(self._rng.uniform(0, delay))
        for write in batch:
            if write.first_try is None:
                write.first_try = now
            elif now - write.first_try > self.options.deadline:
                self._stop.set()  # this item waited too long: stop, and save what is not written
                return
        estimate = sum(write.wcu for write in batch)
        if self._bucket is not None:
            self._bucket.take(estimate)
        unprocessed, consumed = self._call(batch)
        for write in batch:
            write.attempts += 1
        done = [write for write in batch if id(write) not in unprocessed]
        done_ids = {id(write) for write in done}
        pending[:] = [write for write in pending if id(write) not in done_ids]
        self.tracker.done(done)
        self._batches.acknowledged(done)
        if self._bucket is not None:
            # Unprocessed writes are paid again when retried; units beyond the estimate (index writes)
            # are paid now. A report below the estimate is not trusted: the cap stays a cap.
            done_estimate = sum(write.wcu for write in done)
            extra = max(0.0, consumed - done_estimate) if consumed is not None else 0.0
            self._bucket.adjust(extra - (estimate - done_estimate))
        with self._lock:
            result = self._result
            result.calls += 1
            result.written += len(done)
            result.retried_items += len(batch) - len(done)
            result.consumed_wcu += consumed or 0.0
            for write in done:
                result.written_by_table[write.table] = result.written_by_table.get(write.table, 0) + 1
        for table, count in _count_tables(done).items():
            self._on_written(table, count)

    def _call(self, batch: list[Write]) -> tuple[set[int], float | None]:
        """Send one BatchWriteItem; the ids of the writes that came back unprocessed, and the units used.

        A retryable refusal (throttling, 5xx, connection) leaves the whole batch unprocessed."""
        try:
            response = self.dynamo.post_json("BatchWriteItem", batch_write_body(batch))
        except EndpointError:
            return {id(write) for write in batch}, None
        except AwsError as exc:
            if exc.code in RETRYABLE_CODES:
                return {id(write) for write in batch}, None
            raise
        consumed_list = response.get("ConsumedCapacity") or []
        consumed = (sum(float(c.get("CapacityUnits", 0)) for c in consumed_list if isinstance(c, dict))
                    if isinstance(consumed_list, list) and consumed_list else None)
        left = response.get("UnprocessedItems") or {}
        if not left:
            return set(), consumed
        return _unprocessed_ids(batch, left), consumed


def batch_write_body(batch: Sequence[Write]) -> bytes:
    """The BatchWriteItem request body of ``batch``: each item's JSON text spliced in as it is."""
    tables: dict[str, list[bytes]] = {}
    for write in batch:
        tables.setdefault(write.table, []).append(write.put_request())
    groups = b",".join(orjson.dumps(table) + b":[" + b",".join(requests) + b"]" for table, requests in tables.items())
    return b'{"RequestItems":{' + groups + b'},"ReturnConsumedCapacity":"TOTAL"}'


def _next_batch(pending: list[Write]) -> list[Write]:
    """The first writes of ``pending`` (in order) that fit one call: ≤25, ≤16 MB, one write per key.

    A write whose key is already in the batch, or whose key was passed over, waits: a later write of a
    key never overtakes an earlier one."""
    batch: list[Write] = []
    taken: set[tuple[str, Hashable]] = set()
    held: set[tuple[str, Hashable]] = set()
    size = 0
    for write in pending:
        key = (write.table, write.key)
        if key in taken or key in held:
            held.add(key)
            continue
        if len(batch) == MAX_BATCH_ITEMS or (batch and size + write.size > MAX_BATCH_BYTES):
            held.add(key)
            if len(batch) == MAX_BATCH_ITEMS:
                break
            continue
        batch.append(write)
        taken.add(key)
        size += write.size
    return batch


def item_key(item: Item, key_names: Sequence[str]) -> Hashable:
    """The hashable value of an item's key attributes (``key_names``: partition key, then sort key)."""
    return tuple((name, *next(iter(item[name].items()))) if name in item else (name,) for name in key_names)


def _unprocessed_ids(batch: list[Write], left: Any) -> set[int]:
    """Match UnprocessedItems (as parsed from the answer: binary as base64 text) back to the writes by
    table and key (one write per key per batch).

    Anything not recognisable counts the whole batch as unprocessed: re-sending a put is harmless,
    claiming an unwritten one is not."""
    everything = {id(write) for write in batch}
    if not isinstance(left, dict):
        return everything
    names = {write.table: write.key_names for write in batch}
    by_key = {(write.table, write.key): id(write) for write in batch}
    ids: set[int] = set()
    for table, requests in left.items():
        if table not in names or not isinstance(requests, list):
            return everything
        for request in requests:
            item = (request.get("PutRequest") or {}).get("Item") if isinstance(request, dict) else None
            key = _answer_key(item, names[table]) if isinstance(item, dict) else None
            try:
                match = by_key.get((table, key)) if key is not None else None
            except TypeError:  # a key value that cannot be one (a list): not ours
                match = None
            if match is None:
                return everything
            ids.add(match)
    return ids


def _answer_key(item: dict[str, Any], key_names: Sequence[str]) -> Hashable | None:
    """``item_key`` of an item in DynamoDB JSON (binary key values decoded); None if it is not one."""
    wire: Item = {}
    for name in key_names:
        value = item.get(name)
        if not isinstance(value, dict) or len(value) != 1:
            continue
        ((kind, inner),) = value.items()
        if kind == "B":
            try:
                inner = base64.b64decode(inner, validate=True)
            except (binascii.Error, ValueError, TypeError):
                return None
        wire[name] = {kind: inner}
    return item_key(wire, key_names)


def _count_tables(writes: Iterable[Write]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for write in writes:
        counts[write.table] = counts.get(write.table, 0) + 1
    return counts
