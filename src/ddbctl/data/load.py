"""BatchWriteItem writer: parallel workers, 25 requests / 16 MB per call, nothing ever dropped.

Items arrive as ``Write`` values from one iterator (the reader). Each goes to one worker chosen by its
key, so two writes of the same key are always sent by the same worker, in input order: the later one
wins, as in the backup. A worker's batch never holds two writes of one key (DynamoDB rejects such a
batch); the second waits for the next batch, after the first was acknowledged.

UnprocessedItems, throttling, 5xx and connection errors are retried with exponential backoff and full
jitter, without an attempt cap. What bounds the retries is a deadline: once an item has waited
``deadline`` seconds without being written, the load stops, and every write not acknowledged is handed
to ``save_unwritten`` (written durably by the caller) instead of being dropped.

Progress is tracked per source (a data file) and line: ``Tracker`` knows which lines are in flight and
reports, per source, the highest line below which every line was acknowledged. The caller persists that
as its checkpoint; it never claims a line whose batch did not come back without it in UnprocessedItems.
Memory stays flat: the reader blocks on bounded per-worker queues.
"""

from __future__ import annotations

import json
import math
import queue
import random
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

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
    linger: float = 0.2  # seconds a worker waits for a full batch while the reader is still sending
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

    # -- the reader side (caller's thread) -------------------------------------------------------

    def run(self, writes: Iterable[Write]) -> LoadResult:
        """Write everything; raise the first fatal error (after saving what was not written)."""
        count = self.options.concurrency
        queues: list[queue.Queue[Write | None]] = [queue.Queue(self.options.queue_size) for _ in range(count)]
        workers = [threading.Thread(target=self._work, args=(q, i), name=f"ddbctl-load-{i}", daemon=True)
                   for i, q in enumerate(queues)]
        self._leftovers = [[] for _ in range(count)]
        for worker in workers:
            worker.start()
        last_checkpoint = self._clock()
        try:
            for write in writes:
                if self._stop.is_set():
                    self._leftovers[0].append(write)  # not yet tracked: saved with the rest
                    self.tracker.started(write.source, write.line)
                    break
                self.tracker.started(write.source, write.line)
                target = queues[hash(write.key) % count]
                while not self._put(target, write):
                    if self._stop.is_set():
                        self._leftovers[0].append(write)
                        break
                    last_checkpoint = self._maybe_checkpoint(last_checkpoint)
                last_checkpoint = self._maybe_checkpoint(last_checkpoint)
            for q in queues:
                while not self._put(q, None):
                    last_checkpoint = self._maybe_checkpoint(last_checkpoint)
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
        self._finish(queues)
        if self._error is not None:
            raise self._error
        return self._result

    def _put(self, target: queue.Queue[Write | None], write: Write | None) -> bool:
        try:
            target.put(write, timeout=self._checkpoint_every)
        except queue.Full:
            return False
        return True

    def _maybe_checkpoint(self, last: float) -> float:
        now = self._clock()
        if now - last < self._checkpoint_every:
            return last
        self._checkpoint()
        return now

    def _finish(self, queues: Sequence[queue.Queue[Write | None]]) -> None:
        """Save every write not acknowledged (workers' pending ones, then their queues), then checkpoint."""
        unwritten: list[Write] = []
        for index, q in enumerate(queues):
            unwritten.extend(self._leftovers[index])
            while True:
                try:
                    write = q.get_nowait()
                except queue.Empty:
                    break
                if write is not None:
                    unwritten.append(write)
        if unwritten:
            self._save_unwritten(unwritten)
            self.tracker.done(unwritten)  # durably saved: a re-run writes them first
            self._result.unwritten += len(unwritten)
        self._checkpoint()

    # -- the workers -----------------------------------------------------------------------------

    def _work(self, inbox: queue.Queue[Write | None], index: int) -> None:
        pending: list[Write] = []
        closed = False
        try:
            while not self._stop.is_set():
                closed = self._fill(inbox, pending, closed)
                if not pending:
                    if closed:
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

    def _fill(self, inbox: queue.Queue[Write | None], pending: list[Write], closed: bool) -> bool:
        """Top ``pending`` up to two batches from the inbox; whether the reader has closed it.

        A call costs about the same whether it carries 1 write or 25, so while the reader is still
        sending, a worker short of a full batch waits up to ``linger`` seconds for one before it sends
        what it has. With nothing pending it waits ``IDLE_POLL`` seconds at a time, to notice a stop."""
        linger_until: float | None = None
        while not closed and len(pending) < MAX_BATCH_ITEMS * 2:
            try:
                if not pending:
                    write = inbox.get(timeout=IDLE_POLL)
                elif len(pending) >= MAX_BATCH_ITEMS:
                    write = inbox.get_nowait()
                else:
                    # Real time, like the queue's own timeout (an injected clock may stand still).
                    now = time.monotonic()
                    linger_until = linger_until if linger_until is not None else now + self.options.linger
                    if now >= linger_until:
                        break
                    write = inbox.get(timeout=linger_until - now)
            except queue.Empty:
                break
            if write is None:
                closed = True
            else:
                pending.append(write)
        return closed

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
        request: dict[str, list[dict[str, Any]]] = {}
        for write in batch:
            request.setdefault(write.table, []).append({"PutRequest": {"Item": write.item}})
        try:
            response = self.dynamo.call(
                "BatchWriteItem", {"RequestItems": request, "ReturnConsumedCapacity": "TOTAL"}
            )
        except EndpointError:
            return {id(write) for write in batch}, None
        except AwsError as exc:
            if exc.code in RETRYABLE_CODES:
                return {id(write) for write in batch}, None
            raise
        consumed_list = response.get("ConsumedCapacity") or []
        consumed = sum(float(c.get("CapacityUnits", 0)) for c in consumed_list) if consumed_list else None
        left = response.get("UnprocessedItems") or {}
        if not left:
            return set(), consumed
        return _unprocessed_ids(batch, left), consumed


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


def _unprocessed_ids(batch: list[Write], left: dict[str, list[dict[str, Any]]]) -> set[int]:
    """Match UnprocessedItems back to the writes by table and key (one write per key per batch).

    Anything not recognisable counts the whole batch as unprocessed: re-sending a put is harmless,
    claiming an unwritten one is not."""
    names = {write.table: write.key_names for write in batch}
    by_key = {(write.table, write.key): id(write) for write in batch}
    ids: set[int] = set()
    for table, requests in left.items():
        for request in requests:
            item = (request.get("PutRequest") or {}).get("Item")
            match = by_key.get((table, item_key(item, names[table]))) if item and table in names else None
            if match is None:
                return {id(write) for write in batch}
            ids.add(match)
    return ids


def _count_tables(writes: Iterable[Write]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for write in writes:
        counts[write.table] = counts.get(write.table, 0) + 1
    return counts
