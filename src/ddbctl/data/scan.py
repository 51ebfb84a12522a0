"""Segmented parallel Scan -> bounded queue -> writer, with a checkpoint per segment.

One table at a time per call: ``workers`` threads scan the segments (Segment/TotalSegments), each
putting its pages, in order, on a bounded queue; the calling thread is the writer. It encodes each
page as export lines into the segment's current ``.json.gz`` file and rolls the file at
``file_bytes`` (uncompressed). When a file is complete it is moved into the store, and only then the
segment's checkpoint is rewritten (atomically) with the file and the LastEvaluatedKey of the last
page in it. A checkpoint therefore never claims work that was not done: after kill -9 a re-run
starts each segment from its checkpoint's key, re-reading at most one unfinished file per segment,
and overwrites (same name) any file that was stored but not yet recorded. Nothing is duplicated.

Scanners only fetch: the queue carries each page's response body as the server sent it (bytes). The
writer parses it with simdjson, answers the scanner with the page's LastEvaluatedKey (its next request
goes out while the writer works), and writes each item's own JSON text as an export line: items never
become Python values (binary stays the base64 text it was on the wire). What simdjson refuses (a lone
surrogate, invalid UTF-8, a number beyond 64 bits) is read by the standard library and encoded as before.

Memory is flat in table size and in segments: at most ``queue_pages`` bodies (~1.5 MB each) wait in the
queue, each scanner holds one, and only the writer's current page is ever parsed objects (~9 MB). Parsing
in the one writer thread also keeps those objects in one malloc arena: parsed in 8 scanner threads, each
thread's arena kept its pages' memory (208 MB at 8 segments where 133 MB do).
"""

from __future__ import annotations

import contextlib
import json
import math
import queue
import random
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import simdjson

from ..aws import Dynamo
from ..errors import AwsError, DdbctlError, EndpointError
from .exportfmt import DataFile, DataFileWriter, data_file_key
from .items import Item, dumps_line, from_file_item, to_file_item
from .store import Store, join

SEGMENT_BYTES = 128 * 1024 * 1024  # default: one segment per 128 MiB of TableSizeBytes ...
MIN_SEGMENTS = 2  # ... but at least 2, so one page is read while another is written ...
MAX_SEGMENTS = 256  # ... and at most 256 (more only with --segments)
MAX_WORKERS = 8  # segments scanned at once per table
FILE_BYTES = 64 * 1024 * 1024  # a data file is rolled after this many uncompressed bytes
QUEUE_PAGES = 2  # response bodies waiting for the writer
# Errors a page is retried on after botocore's own retries gave up: throttling, 5xx, the connection.
RETRYABLE_CODES = frozenset({
    "ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
    "InternalServerError", "InternalFailure", "ServiceUnavailable", "LimitExceededException",
})
PAGE_RETRIES = 10
RETRY_BASE = 0.5
RETRY_CAP = 20.0


def default_segments(table_size_bytes: int) -> int:
    """TotalSegments for a table: one per 128 MiB of TableSizeBytes, at least 2, at most 256."""
    return max(MIN_SEGMENTS, min(MAX_SEGMENTS, math.ceil(max(0, table_size_bytes) / SEGMENT_BYTES)))


@dataclass(frozen=True)
class ScanOptions:
    segments: int
    consistent: bool = False
    read_rate: float | None = None  # read capacity units per second for this table; None: no cap
    workers: int = MAX_WORKERS
    file_bytes: int = FILE_BYTES
    page_limit: int | None = None  # Scan's Limit (items per page); None: DynamoDB's 1 MB pages
    queue_pages: int = QUEUE_PAGES
    average_item_bytes: int = 0  # from DescribeTable, to size pages under a read rate


@dataclass
class Checkpoint:
    """What one segment has done: its finished files and the key after the last page in them."""

    segment: int
    total_segments: int
    files: list[DataFile] = field(default_factory=list)
    last_key: Item | None = None
    done: bool = False
    items: int = 0
    bytes: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "segment": self.segment,
            "totalSegments": self.total_segments,
            "files": [{"key": f.key, "itemCount": f.item_count, "md5Checksum": f.md5, "etag": f.etag}
                      for f in self.files],
            "lastEvaluatedKey": None if self.last_key is None else to_file_item(self.last_key),
            "done": self.done,
            "items": self.items,
            "bytes": self.bytes,
        }

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> Checkpoint:
        key = document.get("lastEvaluatedKey")
        return cls(
            segment=int(document["segment"]),
            total_segments=int(document["totalSegments"]),
            files=[DataFile(f["key"], int(f["itemCount"]), str(f["md5Checksum"]), f.get("etag"))
                   for f in document.get("files", [])],
            last_key=None if key is None else from_file_item(key),
            done=bool(document.get("done")),
            items=int(document.get("items", 0)),
            bytes=int(document.get("bytes", 0)),
        )


@dataclass(frozen=True)
class ScanResult:
    files: tuple[DataFile, ...]
    items: int
    bytes: int
    consumed_units: float
    segments: int


Progress = Callable[[int, int], None]  # (items written so far, uncompressed bytes so far)


class ReadRate:
    """A token bucket of read capacity units, shared by a table's segments.

    A page reserves what the segment's last page cost before it is sent, and the bill
    (ConsumedCapacity) settles the difference; while the bucket is in debt nobody sends.
    """

    def __init__(self, units_per_second: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if units_per_second <= 0:
            raise ValueError("the read rate must be positive")
        self.rate = units_per_second
        self.capacity = max(units_per_second, 1.0)
        self._tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._stamp = clock()
        self._lock = threading.Lock()

    def reserve(self, units: float) -> None:
        while True:
            with self._lock:
                self._refill()
                if self._tokens > 0:
                    self._tokens -= units
                    return
                delay = -self._tokens / self.rate + 0.001
            self._sleep(delay)

    def settle(self, reserved: float, consumed: float) -> None:
        with self._lock:
            self._refill()
            self._tokens -= consumed - reserved

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now


class ScanCancelled(DdbctlError):
    """The caller cancelled the scan (Ctrl-C); the checkpoints keep what was done."""

    exit_code = 130


class _Stop(Exception):
    """The writer stopped (an error elsewhere): scanners quit."""


class _Answer:
    """What the writer tells a scanner about its page: where to continue, and what the page cost."""

    def __init__(self) -> None:
        self.ready = threading.Event()
        self.last_key: Item | None = None
        self.consumed = 0.0
        self.count = 0

    def give(self, last_key: Item | None, consumed: float, count: int) -> None:
        self.last_key, self.consumed, self.count = last_key, consumed, count
        self.ready.set()


@dataclass
class _Page:
    segment: int
    body: bytes  # the Scan answer as the server sent it
    answer: _Answer = field(default_factory=_Answer)


def page_lines(body: bytes) -> tuple[bytes, int, Any, Any] | None:
    """(export lines, item count, LastEvaluatedKey, ConsumedCapacity) of a Scan answer, the lines made of
    each item's JSON text as simdjson found it; None when simdjson refuses the body (see ``_standard``)."""
    try:
        document = simdjson.Parser().parse(body)
        if not isinstance(document, simdjson.Object):
            return None
        items = document.get("Items")
        if not isinstance(items, simdjson.Array):
            return None
        objects: list[Any] = list(items)  # simdjson.Object each, checked next
        if not set(map(type, objects)) <= {simdjson.Object}:
            return None
        last_key: Any = document.get("LastEvaluatedKey")
        consumed: Any = document.get("ConsumedCapacity")
        last_key = last_key.as_dict() if isinstance(last_key, simdjson.Object) else last_key
        consumed = consumed.as_dict() if isinstance(consumed, simdjson.Object) else consumed
        texts: list[bytes] = [item.mini for item in objects]  # each item's JSON text, minified
        lines = b'{"Item":' + b'}\n{"Item":'.join(texts) + b"}\n" if objects else b""
        return lines, len(objects), last_key, consumed
    except (ValueError, RuntimeError):  # simdjson's errors (UnicodeDecodeError is a ValueError)
        return None


def _standard(body: bytes, physical: str) -> tuple[bytes, int, Any, Any]:
    """``page_lines`` by the standard library, for what simdjson refuses."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise EndpointError(f"Scan {physical}: the endpoint's answer is not JSON ({exc})") from None
    items = document.get("Items") if isinstance(document, dict) else None
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise EndpointError(f"Scan {physical}: the endpoint's answer holds no list of items")
    lines = b"".join([dumps_line(item) for item in items])
    return lines, len(items), document.get("LastEvaluatedKey"), document.get("ConsumedCapacity")


class TableScan:
    """The scan of one table into one export folder of a store (see the module docstring)."""

    def __init__(self, dynamo: Dynamo, physical: str, store: Store, export_dir: str, checkpoint_dir: str,
                 staging: Path, options: ScanOptions, progress: Progress | None = None,
                 cancel: threading.Event | None = None) -> None:
        self.dynamo = dynamo
        self.physical = physical
        self.store = store
        self.export_dir = export_dir
        self.checkpoint_dir = checkpoint_dir
        self.staging = staging
        self.options = options
        self.progress = progress
        self.rate = ReadRate(options.read_rate) if options.read_rate else None
        self._stop = threading.Event()
        self._cancel = cancel or threading.Event()  # set by the caller (Ctrl-C): every table stops
        self._queue: queue.Queue[_Page | BaseException] = queue.Queue(maxsize=max(1, options.queue_pages))
        self._consumed = 0.0
        self._consumed_lock = threading.Lock()

    # -- checkpoints -------------------------------------------------------------------------------------

    def checkpoint_key(self, segment: int) -> str:
        return join(self.checkpoint_dir, f"segment-{segment:05d}.json")

    def load_checkpoints(self) -> list[Checkpoint]:
        total = self.options.segments
        checkpoints = []
        for segment in range(total):
            try:
                document = json.loads(self.store.read_bytes(self.checkpoint_key(segment)))
            except FileNotFoundError:
                checkpoints.append(Checkpoint(segment, total))
                continue
            checkpoint = Checkpoint.from_json(document)
            if checkpoint.total_segments != total:
                raise DdbctlError(f"checkpoint {self.store.location(self.checkpoint_key(segment))} is for "
                                  f"{checkpoint.total_segments} segments, not {total}")
            checkpoints.append(checkpoint)
        return checkpoints

    def _save(self, checkpoint: Checkpoint) -> None:
        data = json.dumps(checkpoint.to_json(), sort_keys=True).encode("utf-8")
        self.store.write_bytes(self.checkpoint_key(checkpoint.segment), data)

    # -- the run -----------------------------------------------------------------------------------------

    def run(self) -> ScanResult:
        checkpoints = self.load_checkpoints()
        shutil.rmtree(self.staging, ignore_errors=True)  # unfinished files of an interrupted run
        self.staging.mkdir(parents=True, exist_ok=True)
        pending = [c for c in checkpoints if not c.done]
        if pending:
            self._write(checkpoints, pending)
        shutil.rmtree(self.staging, ignore_errors=True)
        files = tuple(sorted((f for c in checkpoints for f in c.files), key=lambda f: f.key))
        self._remove_orphans(files)
        return ScanResult(files, sum(c.items for c in checkpoints), sum(c.bytes for c in checkpoints),
                          self._consumed, self.options.segments)

    def _remove_orphans(self, files: tuple[DataFile, ...]) -> None:
        """Delete data files no checkpoint names: stored by a run killed before it could record them, and
        not rewritten since (their segment ended sooner this time). An importer reading data/ would
        otherwise see their items twice."""
        listed = {f.key for f in files}
        for key in self.store.list(data_file_key(self.export_dir, "x").rsplit("/", 1)[0] + "/"):
            if key not in listed:
                self.store.delete(key)

    def _write(self, checkpoints: list[Checkpoint], pending: list[Checkpoint]) -> None:
        writers: dict[int, DataFileWriter] = {}
        totals = [sum(c.items for c in checkpoints), sum(c.bytes for c in checkpoints)]
        workers = max(1, min(self.options.workers, len(pending)))
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"scan-{self.physical}")
        try:
            for checkpoint in pending:
                pool.submit(self._scan_segment, checkpoint.segment, checkpoint.last_key)
            remaining = len(pending)
            while remaining:
                message = self._next()
                if isinstance(message, BaseException):
                    raise message
                checkpoint = checkpoints[message.segment]
                writer = writers.get(message.segment)
                lines, count, last_key = self._parse(message)
                if count:
                    if writer is None:
                        writer = writers[message.segment] = self._new_file(checkpoint)
                    writer.write_lines(lines, count)
                    totals[0] += count
                    totals[1] += len(lines)
                    if self.progress is not None:
                        self.progress(totals[0], totals[1])
                del lines
                finished = last_key is None
                if writer is not None and (finished or writer.raw_bytes >= self.options.file_bytes):
                    self._finish_file(checkpoint, writers.pop(message.segment), last_key)
                if finished:
                    checkpoint.done = True
                    checkpoint.last_key = None
                    self._save(checkpoint)
                    remaining -= 1
        finally:
            self._stop.set()
            for writer in writers.values():
                writer.abort()
            _drain(self._queue)
            pool.shutdown(wait=True, cancel_futures=True)

    def _next(self) -> _Page | BaseException:
        while True:
            if self._cancel.is_set():
                raise ScanCancelled(f"scan of {self.physical} interrupted")
            try:
                return self._queue.get(timeout=0.2)
            except queue.Empty:
                continue

    def _stopped(self) -> bool:
        return self._stop.is_set() or self._cancel.is_set()

    def _new_file(self, checkpoint: Checkpoint) -> DataFileWriter:
        name = f"segment-{checkpoint.segment:05d}-{len(checkpoint.files) + 1:05d}.json.gz"
        return DataFileWriter(self.staging / name, fast=True)

    def _finish_file(self, checkpoint: Checkpoint, writer: DataFileWriter, last_key: Item | None) -> None:
        written = writer.close()
        key = data_file_key(self.export_dir, written.path.name)
        self.store.put_file(key, written.path)
        checkpoint.files.append(written.data_file(key))
        checkpoint.items += written.item_count
        checkpoint.bytes += written.raw_bytes
        checkpoint.last_key = last_key
        # A file that ends the segment marks it done in the same atomic save: a checkpoint naming files
        # with no key to continue from and not done would read, after kill -9, as "start again".
        checkpoint.done = last_key is None
        self._save(checkpoint)  # only now: the checkpoint names finished, stored files only

    # -- scanners ----------------------------------------------------------------------------------------

    def _scan_segment(self, segment: int, start_key: Item | None) -> None:
        try:
            self._pages(segment, start_key)
        except _Stop:
            return
        except BaseException as exc:  # handed to the writer, which raises it in the calling thread
            with contextlib.suppress(_Stop):
                self._put(exc)

    def _put(self, message: _Page | BaseException) -> None:
        while True:
            if self._stopped():
                raise _Stop
            try:
                self._queue.put(message, timeout=0.2)
                return
            except queue.Full:
                continue

    def _pages(self, segment: int, start_key: Item | None) -> None:
        """Fetch the segment's pages one after another, each from the key the writer found in the last."""
        params: dict[str, Any] = {"TableName": self.physical, "Segment": segment,
                                  "TotalSegments": self.options.segments}
        if self.options.consistent:
            params["ConsistentRead"] = True
        if self.rate is not None:
            params["ReturnConsumedCapacity"] = "TOTAL"
        # Under a read rate, before the first bill says how big the items are, assume 4 KB ones: a first
        # page of at most a second of the budget.
        limit = self._page_limit(self.options.average_item_bytes or 4096)
        key = start_key
        estimate = 1.0
        while True:
            if self._stopped():
                raise _Stop
            request = {**params, "Limit": limit} if limit else dict(params)
            if key is not None:
                request["ExclusiveStartKey"] = key
            if self.rate is not None:
                self.rate.reserve(estimate)
            page = _Page(segment, self._scan_page(request))
            self._put(page)
            answer = self._answer(page)
            if self.rate is not None:
                self.rate.settle(estimate, answer.consumed)
                estimate = max(answer.consumed, 0.5)
                if answer.count and answer.consumed:  # the table's item size as billed: size the next page by it
                    limit = self._page_limit(int(answer.consumed * self._unit_bytes / answer.count))
            with self._consumed_lock:
                self._consumed += answer.consumed
            key = answer.last_key
            if key is None:
                return

    def _answer(self, page: _Page) -> _Answer:
        """Wait for the writer to have parsed the page (or to stop)."""
        while not page.answer.ready.wait(0.2):
            if self._stopped():
                raise _Stop
        return page.answer

    def _parse(self, page: _Page) -> tuple[bytes, int, Item | None]:
        """The export lines of a Scan answer, how many, and its LastEvaluatedKey (wire form); the scanner
        is told where to continue as soon as that is known."""
        body, page.body = page.body, b""
        parsed = page_lines(body) or _standard(body, self.physical)
        del body
        lines, count, last_key, consumed = parsed
        if not isinstance(lines, bytes) or (count and lines.count(b"\n") != count):
            raise EndpointError(f"Scan {self.physical}: the endpoint's answer holds items that are not JSON objects")
        units = float(consumed.get("CapacityUnits") or 0.0) if isinstance(consumed, dict) else 0.0
        if last_key:
            try:
                last_key = from_file_item(last_key)  # botocore sends ExclusiveStartKey from the wire form
            except ValueError as exc:
                raise DdbctlError(f"Scan {self.physical}: the endpoint sent a LastEvaluatedKey that is not a "
                                  f"DynamoDB key: {exc}") from None
        page.answer.give(last_key or None, units, count)
        return lines, count, last_key or None

    @property
    def _unit_bytes(self) -> int:
        """Bytes one read unit covers: 4 KB strongly consistent, 8 KB eventually consistent."""
        return 4096 if self.options.consistent else 8192

    def _page_limit(self, item_bytes: int) -> int | None:
        limit = self.options.page_limit
        if self.options.read_rate and item_bytes > 0:
            # A page of about one second of the budget, so the cap is smooth rather than bursty.
            by_rate = max(1, int(self.options.read_rate * self._unit_bytes / item_bytes))
            limit = min(limit, by_rate) if limit else by_rate
        return limit

    def _scan_page(self, request: dict[str, Any]) -> bytes:
        """One Scan call's body; what botocore's retries gave up on is retried here with backoff, then raised."""
        attempt = 0
        while True:
            try:
                return self.dynamo.scan_body(request)
            except (AwsError, EndpointError) as exc:
                retryable = isinstance(exc, EndpointError) or exc.code in RETRYABLE_CODES
                if not retryable or attempt >= PAGE_RETRIES or self._stopped():
                    raise
            attempt += 1
            delay = random.uniform(0, min(RETRY_CAP, RETRY_BASE * 2**attempt))
            if self._stop.wait(delay) or self._cancel.is_set():
                raise _Stop


def _drain(pending: queue.Queue[Any]) -> None:
    with contextlib.suppress(queue.Empty):
        while True:
            pending.get_nowait()

