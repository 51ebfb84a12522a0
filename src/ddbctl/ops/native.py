"""Native disaster recovery: DynamoDB's own export, import and restores, for a whole environment at once.

- ``native_backup``: ExportTableToPointInTime of every table of the environment, in parallel, into
  ``s3://bucket/prefix/tables/<logical>/`` (the backup layout of ``ops.backup``), then the spec files and
  ``ddbctl-backup.json`` (kind ``native``) beside them. Tables without PITR are refused before any call
  that writes.
- ``native_restore``: ImportTable per table of a backup (native or client: the layout is the same),
  each table created from its spec file; then ``converge_restored`` sets what an import cannot (TTL,
  PITR, streams, tags, deletion protection, table class) through the plan/execute engine.

Point-in-time and snapshot restores are in ``ops.snapshots``; they share the checks and the converge
step defined here. Every restore refuses an existing target table before any call that creates.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..aws import Dynamo, Json, LiveTable
from ..config import Settings
from ..data.exportfmt import EXPORTS_FOLDER, find_exports, read_export
from ..data.s3store import S3Store
from ..data.store import Store, join, open_store
from ..errors import AwsError, ConfigError, DdbctlError, WaitTimeout
from ..execute import Events, ExecOptions, Report, execute, wait_until_settled
from ..ownership import adopt_tags, live_spec, resolve_table_name, survey
from ..plan import Plan, PlanOptions, Scope, make_plan, target_spec
from ..spec.convert import ENVIRONMENT_TAG, create_table_request, without_managed_tags
from ..spec.files import dump_spec, load_dir, logical_from_any_environment
from ..spec.model import TableSpec
from ..waiting import SYSTEM_CLOCK, Clock, Expired, poll
from .backup import FORMAT, MANIFEST, TABLES, environment_tables, spec_key, table_dir_key
from .session import Context, connect, load_desired

KIND = "native"
STATE = ".ddbctl/native-state.json"
NATIVE_MAX_WAIT = 6 * 3600.0  # exports and imports of large tables take hours; the job goes on regardless
CLIENT_RESTORE_HINT = "restore into an existing table with the client restore: ddbctl restore --from {url} --overwrite"
_PITR_CHANGE = '"PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true}'
# What ImportTable's TableCreationParameters accept of a CreateTable request; the rest is converged after.
_IMPORT_CREATION_KEYS = ("TableName", "AttributeDefinitions", "KeySchema", "BillingMode", "ProvisionedThroughput",
                         "OnDemandThroughput", "SSESpecification", "GlobalSecondaryIndexes")


# -- results and progress ------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobResult:
    """One table of a native operation: its export, import, restore or snapshot."""

    logical: str
    physical: str
    ok: bool
    detail: str
    arn: str | None = None
    item_count: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    waiting: bool = False  # not ok only because its wait ran past the deadline: the job goes on in DynamoDB


class NativeEvents(Events):
    """Progress of native jobs (plus the converge step's Events); the default does nothing."""

    def job_started(self, logical: str, physical: str, what: str) -> None: ...
    def job_waiting(self, logical: str, status: str, elapsed: float) -> None: ...
    def job_finished(self, result: JobResult) -> None: ...


@dataclass(frozen=True)
class NativeResult:
    """What a native backup or restore did: one JobResult per table, then the converge step (restores)."""

    location: str
    jobs: tuple[JobResult, ...]
    plan: Plan | None = None
    report: Report | None = None
    manifest: Mapping[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return all(job.ok for job in self.jobs) and (self.report is None or self.report.ok)



@dataclass(frozen=True)
class NativeOptions:
    tables: tuple[str, ...] | None = None
    concurrency: int = 8
    max_wait: float = NATIVE_MAX_WAIT
    clock: Clock = SYSTEM_CLOCK


# -- native backup (export) ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportOptions(NativeOptions):
    incremental_since: datetime | None = None
    bucket_owner: str | None = None


def native_backup(
    settings: Settings, location: str, options: ExportOptions | None = None, events: NativeEvents | None = None,
    *, context: Context | None = None,
) -> NativeResult:
    """Export every table of the environment (or ``options.tables``) to ``location`` (s3://bucket/prefix).

    Resumable: the export ARNs are kept in the store as soon as the exports start, so running the same
    command again waits for those exports instead of starting new ones; a complete backup is left as it is.
    """
    options = options or ExportOptions()
    events = events or NativeEvents()
    store = s3_store(location, settings, "a native export")
    existing = _read_json(store, MANIFEST)
    if existing is not None:
        _check_same_environment(existing, settings, store, "holds a complete backup")
        return NativeResult(store.describe(), (), manifest=existing)
    context = context or connect(settings, concurrency=options.concurrency)
    live = environment_tables(context, options.tables)
    if not live.tables:
        raise ConfigError(f"environment {settings.environment} has no tables to export",
                          hint="check -e/--environment and --prefix")
    require_pitr(live.tables.values(), context, "exported")
    state = _read_json(store, STATE) or {}
    if state:
        _check_same_environment(state, settings, store, "holds an unfinished native backup")
    started = state.get("started") or iso_now()
    for logical, table in live.tables.items():
        store.write_bytes(spec_key(logical), dump_spec(without_managed_tags(live_spec(logical, table))).encode())
    run = _ExportRun(context.dynamo, store, options, events, state.get("exports") or {})
    with ThreadPoolExecutor(max_workers=options.concurrency) as pool:
        arns = dict(zip(live.tables, pool.map(run.start, live.tables, live.tables.values()), strict=True))
    started_arns = {logical: arn for logical, arn in arns.items() if isinstance(arn, str)}
    store.write_bytes(STATE, _dump({"environment": settings.environment, "prefix": settings.prefix,
                                    "region": settings.region, "started": started, "exports": started_arns}))
    with ThreadPoolExecutor(max_workers=options.concurrency) as pool:
        jobs = tuple(pool.map(run.finish, live.tables, live.tables.values(), arns.values()))
    if not all(job.ok for job in jobs):
        return NativeResult(store.describe(), jobs)
    manifest = {
        "format": FORMAT, "kind": KIND, "environment": settings.environment, "prefix": settings.prefix,
        "region": settings.region, "started": started, "completed": iso_now(),
        "exportType": "INCREMENTAL_EXPORT" if options.incremental_since else "FULL_EXPORT",
        "tables": {job.logical: dict(job.extra) for job in jobs},
    }
    store.write_bytes(MANIFEST, _dump(manifest))  # last: the backup is complete only now
    store.delete(STATE)
    return NativeResult(store.describe(), jobs, manifest=manifest)


class _ExportRun:
    def __init__(self, dynamo: Dynamo, store: S3Store, options: ExportOptions, events: NativeEvents,
                 started: Mapping[str, str]) -> None:
        self.dynamo, self.store, self.options, self.events = dynamo, store, options, events
        self.started = dict(started)

    def start(self, logical: str, table: LiveTable) -> str | AwsError:
        """The export ARN of this table (one an earlier run started, else a new export), or why none started."""
        arn = self.started.get(logical)
        try:
            if arn:
                described = self.dynamo.call("DescribeExport", {"ExportArn": arn})["ExportDescription"]
                if described["ExportStatus"] in ("IN_PROGRESS", "COMPLETED"):
                    return arn
            self.events.job_started(logical, table.physical_name, "export")
            return str(self.dynamo.call("ExportTableToPointInTime", self._params(logical, table))
                       ["ExportDescription"]["ExportArn"])
        except AwsError as exc:
            return exc

    def _params(self, logical: str, table: LiveTable) -> Json:
        prefix = join(self.store.prefix, table_dir_key(logical))
        since = self.options.incremental_since
        # Idempotent for 8 hours: a run killed before it recorded the ARN gets the same export back.
        token = hashlib.sha256(f"{self.store.bucket}/{prefix}|{table.table['TableArn']}|{since}".encode()).hexdigest()
        params: Json = {
            "TableArn": table.table["TableArn"],
            "S3Bucket": self.store.bucket,
            "S3Prefix": prefix,
            "ExportFormat": "DYNAMODB_JSON",
            "ClientToken": token[:32],
        }
        if self.options.bucket_owner:
            params["S3BucketOwner"] = self.options.bucket_owner
        if self.options.incremental_since is not None:
            params["ExportType"] = "INCREMENTAL_EXPORT"
            params["IncrementalExportSpecification"] = {
                "ExportFromTime": self.options.incremental_since, "ExportToTime": datetime.now(UTC),
                "ExportViewType": "NEW_AND_OLD_IMAGES"}
        else:
            params["ExportType"] = "FULL_EXPORT"
        return params

    def finish(self, logical: str, table: LiveTable, arn: str | AwsError) -> JobResult:
        physical = table.physical_name
        if isinstance(arn, AwsError):
            return self._done(JobResult(logical, physical, False, f"export not started: {arn.message}"))
        try:
            described = wait_for_job(self.dynamo, "DescribeExport", {"ExportArn": arn}, "ExportDescription",
                                     "ExportStatus", logical, self.events, self.options)
        except DdbctlError as exc:
            return self._done(JobResult(logical, physical, False, exc.message, arn,
                                        waiting=isinstance(exc, WaitTimeout)))
        status = described["ExportStatus"]
        if status != "COMPLETED":
            detail = f"export {status}: {described.get('FailureCode')}: {described.get('FailureMessage')}"
            return self._done(JobResult(logical, physical, False, detail, arn))
        export_dir = join(table_dir_key(logical), EXPORTS_FOLDER, arn.rsplit("/", 1)[-1])
        manifest = read_export(self.store, export_dir)
        entry = {
            "physical": physical, "spec": spec_key(logical), "export": export_dir, "itemCount": manifest.item_count,
            "files": [{"key": f.key, "itemCount": f.item_count, "md5Checksum": f.md5} for f in manifest.files],
            "exportArn": arn, "exportTime": _iso(described.get("ExportTime")),
            "exportType": described.get("ExportType", "FULL_EXPORT"),
        }
        detail = f"exported {manifest.item_count} items in {len(manifest.files)} files"
        return self._done(JobResult(logical, physical, True, detail, arn, manifest.item_count, entry))

    def _done(self, result: JobResult) -> JobResult:
        self.events.job_finished(result)
        return result


# -- native restore (import) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportOptions(NativeOptions):
    directory: Path | None = None  # spec files that win over the backup's own


@dataclass(frozen=True)
class BackupTable:
    """One table of a backup, as a restore needs it."""

    logical: str
    export_dir: str
    item_count: int | None
    spec: TableSpec


def native_restore(
    settings: Settings, location: str, options: ImportOptions | None = None, events: NativeEvents | None = None,
    *, context: Context | None = None,
) -> NativeResult:
    """ImportTable each table of the backup at ``location`` into the environment of ``settings``, then
    converge what an import cannot set. Refuses (exit 2, before any call that creates) existing target
    tables, tables with local secondary indexes, and incremental exports."""
    options = options or ImportOptions()
    events = events or NativeEvents()
    store = s3_store(location, settings, "ImportTable")
    tables = read_backup(store, settings, options)
    lsis = [t.logical for t in tables.values() if t.spec.lsis]
    if lsis:
        raise ConfigError(
            f"{', '.join(lsis)}: a table with local secondary indexes cannot be created by ImportTable "
            "(its TableCreationParameters have no LocalSecondaryIndexes)",
            hint=f"create the tables and restore the data with the client restore: ddbctl restore --from {location}")
    context = context or connect(settings, concurrency=options.concurrency)
    run = _ImportRun(context, store, options, events, tables)
    resumed = refuse_existing_targets(context, tables, location, adopt=run.earlier_import)
    with ThreadPoolExecutor(max_workers=options.concurrency) as pool:
        jobs = tuple(pool.map(lambda table: run.one(table, resumed.get(table.logical)), tables.values()))
    imported = {job.logical: tables[job.logical].spec for job in jobs if job.extra.get("created")}
    plan, report = converge_restored(context, imported, events, options)
    return NativeResult(store.describe(), jobs, plan, report)


class _ImportRun:
    def __init__(self, context: Context, store: S3Store, options: ImportOptions, events: NativeEvents,
                 tables: Mapping[str, BackupTable]) -> None:
        self.context, self.store, self.options, self.events = context, store, options, events
        self.exports = {logical: table.export_dir for logical, table in tables.items()}

    def source(self, export_dir: str) -> Json:
        return {"S3Bucket": self.store.bucket, "S3KeyPrefix": join(self.store.prefix, export_dir, "data") + "/"}

    def earlier_import(self, logical: str, table: Json) -> str | None:
        """The import of this backup still creating ``table``, started by an earlier (interrupted) run."""
        export_dir = self.exports.get(logical)
        if export_dir is None:
            return None
        wanted = self.source(export_dir)
        try:
            page = self.context.dynamo.call("ListImports", {"TableArn": table["TableArn"]})
        except AwsError:  # a server without ListImports (or no permission): the table is simply refused
            return None
        for summary in page.get("ImportSummaryList", []):
            source = summary.get("S3BucketSource") or {}
            same = all(source.get(key) == value for key, value in wanted.items())
            if same and summary.get("ImportStatus") == "IN_PROGRESS":
                return str(summary["ImportArn"])
        return None

    def one(self, table: BackupTable, resumed: str | None = None) -> JobResult:
        namespace = self.context.namespace
        physical = namespace.physical(table.logical)
        request = create_table_request(target_spec(table.spec, namespace.environment), physical)
        params: Json = {
            "S3BucketSource": self.source(table.export_dir),
            "InputFormat": "DYNAMODB_JSON",
            "InputCompressionType": "GZIP",
            "TableCreationParameters": {k: request[k] for k in _IMPORT_CREATION_KEYS if k in request},
        }
        self.events.job_started(table.logical, physical, "import" if resumed is None else "import (continued)")
        try:
            arn = resumed or str(self.context.dynamo.call("ImportTable", params)["ImportTableDescription"]
                                 ["ImportArn"])
        except AwsError as exc:
            return self._done(JobResult(table.logical, physical, False, exc.message))
        try:
            described = wait_for_job(self.context.dynamo, "DescribeImport", {"ImportArn": arn},
                                     "ImportTableDescription", "ImportStatus", table.logical, self.events, self.options)
        except DdbctlError as exc:
            return self._done(JobResult(table.logical, physical, False, exc.message, arn,
                                        waiting=isinstance(exc, WaitTimeout)))
        return self._done(import_result(table, physical, arn, described))

    def _done(self, result: JobResult) -> JobResult:
        self.events.job_finished(result)
        return result


def import_result(table: BackupTable, physical: str, arn: str, described: Mapping[str, Any]) -> JobResult:
    """The outcome of one finished import: every item in, or what went wrong and where it is logged."""
    status = described.get("ImportStatus")
    imported = int(described.get("ImportedItemCount") or 0)
    errors = int(described.get("ErrorCount") or 0)
    created = status == "COMPLETED"
    extra = {"created": created, "importedItemCount": imported, "errorCount": errors,
             "cloudWatchLogGroupArn": described.get("CloudWatchLogGroupArn")}
    if status != "COMPLETED":
        detail = f"import {status}: {described.get('FailureCode')}: {described.get('FailureMessage')}"
        return JobResult(table.logical, physical, False, detail, arn, imported, extra)
    if errors:
        detail = (f"imported {imported} items, {errors} item(s) could not be imported: see the CloudWatch log "
                  f"group {described.get('CloudWatchLogGroupArn')}")
        return JobResult(table.logical, physical, False, detail, arn, imported, extra)
    if table.item_count is not None and imported < table.item_count:
        detail = f"imported {imported} of the backup's {table.item_count} items"
        return JobResult(table.logical, physical, False, detail, arn, imported, extra)
    return JobResult(table.logical, physical, True, f"imported {imported} items", arn, imported, extra)


def read_backup(store: Store, settings: Settings, options: ImportOptions) -> dict[str, BackupTable]:
    """The tables of a backup (ddbctl-backup.json, else bare native exports found under the location),
    with the spec each is created from: ``options.directory``'s file when it has one, else the backup's."""
    manifest = _read_json(store, MANIFEST)
    namespace = settings.namespace
    wanted = None if options.tables is None else {resolve_table_name(name, namespace) for name in options.tables}
    exports: dict[str, tuple[str, int | None]] = {}
    if manifest is not None:
        if manifest.get("exportType") == "INCREMENTAL_EXPORT":
            raise ConfigError(f"{store.describe()} is an incremental export: it holds changes, not whole tables, "
                              "and ImportTable cannot create a table from it",
                              hint="restore a full backup, then apply the changes")
        for logical, entry in sorted((manifest.get("tables") or {}).items()):
            exports[logical] = (str(entry["export"]), entry.get("itemCount"))
    else:
        for export_dir in find_exports(store, ""):
            summary = read_export(store, export_dir).summary
            arn = str(summary.get("tableArn") or "")
            parts = export_dir.split("/")
            logical = (parts[-3] if len(parts) >= 4 and parts[-4] == TABLES else
                       logical_from_any_environment(arn.rsplit("/", 1)[-1], settings.namespace))
            exports[logical] = (export_dir, summary.get("itemCount"))
        if not exports:
            raise ConfigError(f"{store.describe()} holds no backup ({MANIFEST}) and no export (AWSDynamoDB/<id>/)",
                              hint="point --from at a backup made by `ddbctl backup` or at a DynamoDB export")
    if wanted is not None:
        missing = sorted(wanted - set(exports))
        if missing:
            raise ConfigError(f"{store.describe()} has no table {', '.join(missing)}",
                              hint=f"it holds: {', '.join(sorted(exports))}")
        exports = {logical: value for logical, value in exports.items() if logical in wanted}
    specs = backup_specs(store, settings, list(exports), options.directory)
    return {logical: BackupTable(logical, export_dir, count, specs[logical])
            for logical, (export_dir, count) in exports.items()}


def backup_specs(store: Store, settings: Settings, logicals: Iterable[str], directory: Path | None
                 ) -> dict[str, TableSpec]:
    """The spec of each table: from ``directory`` when it has the table, else from the backup's schemas/."""
    chosen = load_desired(directory, settings) if directory is not None else {}
    needed = [logical for logical in logicals if logical not in chosen]
    if needed:
        with tempfile.TemporaryDirectory(prefix="ddbctl-specs-") as temporary:
            for logical in needed:
                try:
                    data = store.read_bytes(spec_key(logical))
                except FileNotFoundError:
                    raise ConfigError(f"{store.location(spec_key(logical))} is missing: no spec for {logical}",
                                      hint="pass --dir with the table's spec file") from None
                Path(temporary, f"{logical}.json").write_bytes(data)
            for loaded in load_dir(Path(temporary), settings.namespace):
                chosen.setdefault(loaded.spec.table_name, loaded.spec)
    return {logical: chosen[logical] for logical in logicals}


# -- shared by every native restore --------------------------------------------------------------------


def refuse_existing_targets(context: Context, logicals: Iterable[str], location: str, *,
                            adopt: Callable[[str, Json], str | None] | None = None) -> dict[str, str]:
    """ConfigError (exit 2) naming every target table that exists already: native restores only create.

    ``adopt`` recognises a target still being created by an earlier, interrupted run of the same restore (an
    import of the same S3 source, a restore of the same source table or backup, in progress): such tables
    are returned ({logical: what adopt said}) to be waited for and converged instead of being refused.
    """
    namespace = context.namespace
    wanted = {logical: namespace.physical(logical) for logical in logicals}
    with ThreadPoolExecutor(max_workers=max(1, context.concurrency)) as pool:
        described = dict(zip(wanted, pool.map(context.dynamo.describe_table, wanted.values()), strict=True))
    adopted: dict[str, str] = {}
    found: list[str] = []
    for logical, table in described.items():
        if table is None:
            continue
        earlier = adopt(logical, table) if adopt is not None else None
        if earlier is None:
            found.append(wanted[logical])
        else:
            adopted[logical] = earlier
    if found:
        raise ConfigError(
            f"target table(s) exist already in environment {namespace.environment}: {', '.join(found)}; "
            "DynamoDB's import and restores only create new tables",
            hint=CLIENT_RESTORE_HINT.format(url=location) + f"; a table an earlier, interrupted run restored "
            f"only needs its settings: ddbctl -e {namespace.environment} apply --dir DIR")
    return adopted


def require_pitr(tables: Iterable[LiveTable], context: Context, what: str) -> None:
    """ConfigError (exit 2) naming every table without point-in-time recovery, and the spec change to make."""
    missing = [table for table in tables
               if ((table.backups or {}).get("PointInTimeRecoveryDescription") or {}).get("PointInTimeRecoveryStatus")
               != "ENABLED"]
    if missing:
        names = ", ".join(table.physical_name for table in missing)
        raise ConfigError(
            f"point-in-time recovery is off for {names}: a table can be {what} only with PITR on; nothing was sent",
            hint=f"add {_PITR_CHANGE} to the spec file of each, then run `ddbctl apply`")


def converge_restored(context: Context, desired: Mapping[str, TableSpec], events: Events,
                      options: NativeOptions) -> tuple[Plan | None, Report | None]:
    """Wait until each restored table is ACTIVE, then converge it to its spec (ALL scope): TTL, PITR, streams,
    tags (Environment, ManagedBy too), deletion protection, table class... whatever a restore does not set."""
    if not desired:
        return None, None
    namespace = context.namespace
    physicals = [namespace.physical(logical) for logical in desired]

    def settle(physical: str) -> None:
        wait_until_settled(context.dynamo, physical, max_wait=options.max_wait, events=events, clock=options.clock)

    with ThreadPoolExecutor(max_workers=max(1, options.concurrency)) as pool:
        list(pool.map(settle, physicals))
        list(pool.map(lambda physical: claim_restored(context.dynamo, physical, namespace.environment), physicals))
    live = survey(context.dynamo, namespace, desired, concurrency=options.concurrency)
    plan = make_plan(dict(desired), live.specs(), namespace, arns=live.arns(), options=PlanOptions(scope=Scope.ALL))
    exec_options = ExecOptions(concurrency=options.concurrency, max_wait=options.max_wait, recheck=True,
                               clock=options.clock)
    return plan, execute(plan, context.dynamo, exec_options, events)


def claim_restored(dynamo: Dynamo, physical: str, environment: str) -> None:
    """Tag a table this run's import or restore created (they carry no tags) as the environment's own.

    The proof of ownership is the run itself: every restore path refuses an existing target, so the table
    is one DynamoDB made for this command. A table already tagged (for any environment) is left as it is.
    """
    table = dynamo.describe_table(physical)
    if table is None:
        return
    arn = str(table["TableArn"])
    if any(tag.get("Key") == ENVIRONMENT_TAG for tag in dynamo.list_tags(arn)):
        return
    dynamo.call("TagResource", {"ResourceArn": arn, "Tags": [
        {"Key": key, "Value": value} for key, value in sorted(adopt_tags(environment).items())]})


def wait_for_job(dynamo: Dynamo, operation: str, params: Json, key: str, status_key: str, logical: str,
                 events: NativeEvents, options: NativeOptions) -> dict[str, Any]:
    """Poll a Describe{Export,Import} until the job leaves IN_PROGRESS; WaitTimeout at ``options.max_wait``."""
    def fetch() -> dict[str, Any]:
        return dict(dynamo.call(operation, params)[key])

    def report(described: dict[str, Any], elapsed: float) -> None:
        events.job_waiting(logical, str(described.get(status_key)), elapsed)

    try:
        return poll(fetch, lambda d: d.get(status_key) != "IN_PROGRESS", max_wait=options.max_wait,
                    clock=options.clock, on_poll=report)
    except Expired as exc:
        raise WaitTimeout(f"{logical}: {operation.removeprefix('Describe').lower()} still IN_PROGRESS after "
                          f"{exc.elapsed:.0f}s; it goes on inside DynamoDB",
                          hint="run the same command again to keep waiting") from exc


def s3_store(location: str, settings: Settings, what: str) -> S3Store:
    if not location.startswith("s3://"):
        raise ConfigError(f"{what} reads and writes S3 only, not {location!r}",
                          hint="use s3://BUCKET/PREFIX (a local backup folder: the client backup and restore)")
    store = open_store(location, settings)
    assert isinstance(store, S3Store)
    return store


def parse_time(text: str) -> datetime:
    """An ISO 8601 time (``2026-12-01T08:30:00Z``, a date, or with an offset) as an aware UTC datetime."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ConfigError(f"invalid time {text!r}", hint="use ISO 8601 UTC, e.g. 2026-12-01T08:30:00Z") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def iso_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return None if value is None else str(value)


def _read_json(store: Store, key: str) -> dict[str, Any] | None:
    try:
        document = json.loads(store.read_bytes(key))
    except FileNotFoundError:
        return None
    except ValueError as exc:
        raise ConfigError(f"{store.location(key)} is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{store.location(key)} is not a JSON object")
    return document


def _check_same_environment(document: Mapping[str, Any], settings: Settings, store: Store, what: str) -> None:
    if (document.get("environment"), document.get("prefix")) != (settings.environment, settings.prefix):
        raise ConfigError(f"{store.describe()} {what} of environment {document.get('environment')!r} "
                          f"(prefix {document.get('prefix')!r})", hint="choose another s3:// prefix")


def _dump(document: Mapping[str, Any]) -> bytes:
    return (json.dumps(document, indent=2, sort_keys=True, default=str) + "\n").encode()

