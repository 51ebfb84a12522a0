"""``backup``: the environment's tables, spec files and data, into a backup folder (local or S3).

Layout (see docs/backup.md)::

    ddbctl-backup.json                     written last, atomically: the backup is complete only then
    schemas/<logical>.json                 the spec files, as `ddbctl export` writes them
    tables/<logical>/AWSDynamoDB/<id>/     DynamoDB's export layout: manifests + data/*.json.gz
    .ddbctl/                               run state and a checkpoint per segment (removed when complete)

A re-run of the same command continues from the checkpoints; a complete backup is left as it is.
A scan backup is not a point-in-time snapshot: items written during the scan may or may not be in it.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..aws import Dynamo, LiveTable
from ..config import Settings
from ..data.exportfmt import (
    STARTED,
    DataFile,
    export_dir_key,
    new_export_id,
    start_export,
    summary_document,
    write_manifests,
)
from ..data.scan import FILE_BYTES, MAX_WORKERS, ScanOptions, ScanResult, TableScan, default_segments
from ..data.store import LocalStore, Store, join, open_store
from ..errors import ConfigError, DdbctlError
from ..ownership import Survey, live_spec, resolve_table_name, survey
from ..spec.convert import without_managed_tags
from ..spec.files import dump_spec
from .session import Context, connect

MANIFEST = "ddbctl-backup.json"
SCAN_READ_TIMEOUT = 300.0
FORMAT = "ddbctl-backup/1"
STATE_DIR = ".ddbctl"
STATE = f"{STATE_DIR}/state.json"
SCHEMAS = "schemas"
TABLES = "tables"


def spec_key(logical: str) -> str:
    return f"{SCHEMAS}/{logical}.json"


def table_dir_key(logical: str) -> str:
    return f"{TABLES}/{logical}"


@dataclass(frozen=True)
class BackupOptions:
    tables: tuple[str, ...] | None = None  # logical or physical names; None: every table of the environment
    segments: int | None = None  # TotalSegments per table; None: from the table's size (default_segments)
    consistent: bool = False
    read_rate: float | None = None  # read capacity units per second, per table
    concurrency: int = 4  # tables at once
    workers: int = MAX_WORKERS  # segments scanned at once per table
    file_bytes: int = FILE_BYTES
    page_limit: int | None = None


@dataclass
class TableProgress:
    """One table's progress, as events report it (updated in place; read it, do not keep it)."""

    logical: str
    physical: str
    expected_items: int  # DescribeTable's ItemCount when the backup started (updated every ~6 h by AWS)
    segments: int
    items: int = 0
    bytes: int = 0
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    error: DdbctlError | None = None

    @property
    def elapsed(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    @property
    def items_per_second(self) -> float:
        return self.items / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta_seconds(self) -> float | None:
        """Seconds left by ItemCount at the current rate; None when unknown."""
        rate = self.items_per_second
        if not rate or not self.expected_items:
            return None
        return max(0.0, (self.expected_items - self.items) / rate)


class BackupEvents:
    """Progress callbacks; the default does nothing. Called from worker threads."""

    def table_started(self, table: TableProgress) -> None: ...
    def table_progress(self, table: TableProgress) -> None: ...
    def table_finished(self, table: TableProgress) -> None: ...


@dataclass(frozen=True)
class TableBackup:
    logical: str
    physical: str
    export_dir: str
    items: int
    bytes: int
    files: tuple[DataFile, ...]
    segments: int
    consumed_units: float
    seconds: float


@dataclass(frozen=True)
class BackupResult:
    location: str
    complete: bool
    already_complete: bool = False
    manifest: dict[str, Any] = field(default_factory=dict)
    tables: tuple[TableBackup, ...] = ()
    failed: tuple[tuple[str, DdbctlError], ...] = ()


def backup_context(settings: Settings, options: BackupOptions) -> Context:
    """The connection a backup with ``options`` uses for its reads besides Scan (it connects on first use)."""
    return connect(settings, concurrency=max(options.concurrency * options.workers // 2, 8))


def backup(
    settings: Settings,
    location: str,
    options: BackupOptions | None = None,
    events: BackupEvents | None = None,
    *,
    context: Context | None = None,
) -> BackupResult:
    """Back up the environment's tables (or ``options.tables``) into ``location`` (a directory or s3://)."""
    options = options or BackupOptions()
    events = events or BackupEvents()
    store = open_store(location, settings)
    complete = _complete_manifest(store, settings)
    if complete is not None:
        clean_up(store)  # a run killed between the manifest and its clean-up left its state behind
        return BackupResult(store.describe(), True, True, complete)
    context = context or backup_context(settings, options)
    state = _read_state(store, settings, options) or _new_state(store, settings, options, context)
    run = _Run(store, settings, options, events, context, state)
    return run.all_tables()


# -- which tables --------------------------------------------------------------------------------------


def environment_tables(context: Context, names: Iterable[str] | None) -> Survey:
    """The tables a backup covers: the environment's own (or the named ones, which must exist).

    The one place that decides which tables belong to the environment for backups.
    """
    namespace = context.namespace
    wanted = None if names is None else [resolve_table_name(name, namespace) for name in names]
    live = survey(context.dynamo, namespace, wanted, concurrency=context.concurrency)
    for logical in wanted or ():
        live.require_owned(logical)  # NotOwned or TableNotFound, with what to do
    return live


# -- run state -----------------------------------------------------------------------------------------


def _complete_manifest(store: Store, settings: Settings) -> dict[str, Any] | None:
    try:
        manifest: dict[str, Any] = json.loads(store.read_bytes(MANIFEST))
    except FileNotFoundError:
        return None
    except ValueError as exc:
        raise ConfigError(f"{store.location(MANIFEST)} is not valid JSON: {exc}",
                          hint="choose another directory for a new backup") from None
    if (manifest.get("environment"), manifest.get("prefix")) != (settings.environment, settings.prefix):
        raise ConfigError(
            f"{store.describe()} holds a complete backup of environment {manifest.get('environment')!r} "
            f"(prefix {manifest.get('prefix')!r})", hint="choose another directory for a new backup")
    return manifest


def _read_state(store: Store, settings: Settings, options: BackupOptions) -> dict[str, Any] | None:
    try:
        state: dict[str, Any] = json.loads(store.read_bytes(STATE))
    except FileNotFoundError:
        return None
    except ValueError as exc:
        raise ConfigError(f"{store.location(STATE)} is damaged ({exc})",
                          hint="remove the directory's .ddbctl folder to start the backup over") from None
    namespace = settings.namespace
    requested = None if options.tables is None else sorted({resolve_table_name(t, namespace) for t in options.tables})
    mine = (settings.environment, settings.prefix, settings.region, requested)
    theirs = (state.get("environment"), state.get("prefix"), state.get("region"), state.get("requested"))
    if mine != theirs:
        raise ConfigError(
            f"{store.describe()} holds an unfinished backup of environment {theirs[0]!r} (prefix {theirs[1]!r}, "
            f"region {theirs[2]!r}, tables {'all' if theirs[3] is None else ', '.join(theirs[3])})",
            hint="run the same command as before to finish it, or choose another directory")
    return state


def _new_state(store: Store, settings: Settings, options: BackupOptions, context: Context) -> dict[str, Any]:
    live = environment_tables(context, options.tables)
    if not live.tables:
        raise ConfigError(
            f"no tables of environment {settings.environment} (prefix {settings.prefix}) to back up",
            hint="check -e/--environment, --prefix, --region and --endpoint-url; nothing was written")
    tables: dict[str, Any] = {}
    for logical, table in live.tables.items():
        description = table.table
        segments = options.segments or default_segments(int(description.get("TableSizeBytes") or 0))
        store.write_bytes(spec_key(logical), _spec_text(logical, table))
        tables[logical] = {
            "physical": table.physical_name,
            "exportId": new_export_id(),
            "segments": segments,
            "itemCount": int(description.get("ItemCount") or 0),
            "sizeBytes": int(description.get("TableSizeBytes") or 0),
            "tableArn": description.get("TableArn"),
            "tableId": description.get("TableId"),
        }
    state = {
        "format": FORMAT,
        "environment": settings.environment,
        "prefix": settings.prefix,
        "region": settings.region,
        "requested": None if options.tables is None else sorted(live.tables),
        "started": _now(),
        "consistent": options.consistent,
        "tables": tables,
    }
    store.write_bytes(STATE, json.dumps(state, indent=2, sort_keys=True).encode("utf-8"))
    return state


def _spec_text(logical: str, table: LiveTable) -> bytes:
    return dump_spec(without_managed_tags(live_spec(logical, table))).encode("utf-8")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# -- the run -------------------------------------------------------------------------------------------


class _Run:
    def __init__(self, store: Store, settings: Settings, options: BackupOptions, events: BackupEvents,
                 context: Context, state: dict[str, Any]) -> None:
        self.store = store
        self.settings = settings
        self.options = options
        self.events = events
        self.context = context
        self.state = state
        self.cancel = threading.Event()
        # Scans get their own client with a long read timeout: a slow or busy endpoint (a shared local
        # server) answering a page late must not turn into timeouts and re-sent pages piling up on it.
        self._scanner = Dynamo(settings, pool_size=max(10, options.concurrency * options.workers),
                               read_timeout=SCAN_READ_TIMEOUT)

    def all_tables(self) -> BackupResult:
        tables: dict[str, Any] = self.state["tables"]
        done: list[TableBackup] = []
        failed: list[tuple[str, DdbctlError]] = []
        with ThreadPoolExecutor(max_workers=max(1, self.options.concurrency), thread_name_prefix="backup") as pool:
            futures = {logical: pool.submit(self.one_table, logical, entry) for logical, entry in tables.items()}
            try:
                for logical, future in futures.items():
                    try:
                        done.append(future.result())
                    except DdbctlError as error:
                        failed.append((logical, error))
            except BaseException:  # Ctrl-C: stop every table promptly; the checkpoints keep what was done
                self.cancel.set()
                raise
        if failed:
            return BackupResult(self.store.describe(), False, tables=tuple(done), failed=tuple(failed))
        manifest = self._manifest(done)
        self.store.write_bytes(MANIFEST, json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8"))
        clean_up(self.store)
        return BackupResult(self.store.describe(), True, False, manifest, tuple(done))

    def one_table(self, logical: str, entry: dict[str, Any]) -> TableBackup:
        progress = TableProgress(logical, entry["physical"], int(entry.get("itemCount") or 0), int(entry["segments"]))
        self.events.table_started(progress)
        try:
            result = self._scan(logical, entry, progress)
        except DdbctlError as error:
            progress.error = error
            progress.finished = time.monotonic()
            self.events.table_finished(progress)
            raise
        progress.items, progress.bytes = result.items, result.bytes
        progress.finished = time.monotonic()
        self.events.table_finished(progress)
        export_dir = export_dir_key(table_dir_key(logical), entry["exportId"])
        return TableBackup(logical, entry["physical"], export_dir, result.items, result.bytes, result.files,
                           result.segments, result.consumed_units, progress.elapsed)

    def _scan(self, logical: str, entry: dict[str, Any], progress: TableProgress) -> ScanResult:
        export_dir = export_dir_key(table_dir_key(logical), entry["exportId"])
        if not self.store.exists(join(export_dir, STARTED)):
            start_export(self.store, export_dir)
        size, count = int(entry.get("sizeBytes") or 0), int(entry.get("itemCount") or 0)
        options = ScanOptions(
            segments=int(entry["segments"]),
            consistent=bool(self.state.get("consistent", self.options.consistent)),
            read_rate=self.options.read_rate,
            workers=self.options.workers,
            file_bytes=self.options.file_bytes,
            page_limit=self.options.page_limit,
            average_item_bytes=size // count if count and size else 0,
        )

        def report(items: int, raw_bytes: int) -> None:
            progress.items, progress.bytes = items, raw_bytes
            self.events.table_progress(progress)

        with self._staging(logical) as staging:
            scan = TableScan(self._scanner, entry["physical"], self.store, export_dir,
                             join(STATE_DIR, "checkpoints", logical), staging, options, report, self.cancel)
            result = scan.run()
        summary = summary_document(
            export_dir=export_dir, item_count=result.items, start_time=self.state["started"], end_time=_now(),
            table_arn=entry.get("tableArn"), table_id=entry.get("tableId"), billed_size_bytes=0,
            ddbctlKind="scan", ddbctlSegments=result.segments,
        )
        write_manifests(self.store, export_dir, result.files, summary)
        return result

    def _staging(self, logical: str) -> _Staging:
        if isinstance(self.store, LocalStore):
            return _Staging(self.store.root / STATE_DIR / "staging" / logical, owned=False)
        return _Staging(Path(tempfile.mkdtemp(prefix=f"ddbctl-backup-{logical}-")), owned=True)

    def _manifest(self, done: list[TableBackup]) -> dict[str, Any]:
        tables = {}
        for table in sorted(done, key=lambda t: t.logical):
            tables[table.logical] = {
                "physical": table.physical,
                "spec": spec_key(table.logical),
                "export": table.export_dir,
                "itemCount": table.items,
                "files": [{"key": f.key, "itemCount": f.item_count, "md5Checksum": f.md5} for f in table.files],
            }
        return {
            "format": FORMAT,
            "kind": "scan",
            "environment": self.state["environment"],
            "prefix": self.state["prefix"],
            "region": self.state["region"],
            "started": self.state["started"],
            "completed": _now(),
            "consistent": bool(self.state.get("consistent")),
            "tables": tables,
        }

def clean_up(store: Store) -> None:
    """Remove the run state (checkpoints, staging) once the manifest is written; best effort."""
    if isinstance(store, LocalStore):
        shutil.rmtree(store.root / STATE_DIR, ignore_errors=True)
        return
    for key in store.list(STATE_DIR + "/"):
        store.delete(key)


class _Staging:
    """A local folder for data files being written; a temporary one is removed afterwards."""

    def __init__(self, path: Path, owned: bool) -> None:
        self.path = path
        self.owned = owned

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, *_: object) -> None:
        if self.owned:
            shutil.rmtree(self.path, ignore_errors=True)
