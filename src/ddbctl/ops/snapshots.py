"""Point-in-time restores and on-demand backups ("snapshots") of a whole environment.

- ``pitr_restore``: RestoreTableToPointInTime of every table of a source environment into the target
  environment's names, in parallel; then the settings a restore drops are converged from the spec files.
  The source tables are only read (DescribeTable & co.) and named as the restore's source.
- ``take_snapshots`` / ``list_snapshots`` / ``snapshot_restore``: CreateBackup named
  ``<table>-<UTC time>``, ListBackups, RestoreTableFromBackup (then converge, as above).
- ``snapshot_before_destroy``: what ``apply --snapshot-first`` runs: a backup of every table a destructive
  step of the plan will touch, each AVAILABLE before apply sends anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..aws import Json, LiveTable
from ..config import Settings
from ..errors import AwsError, ConfigError, DdbctlError, WaitTimeout
from ..ownership import live_spec, resolve_table_name, survey
from ..plan import Plan
from ..spec.convert import without_managed_tags
from ..spec.model import TableSpec
from ..waiting import Expired, poll
from .backup import environment_tables
from .native import (
    JobResult,
    NativeEvents,
    NativeOptions,
    NativeResult,
    converge_restored,
    refuse_existing_targets,
    require_pitr,
)
from .session import Context, connect, load_desired

LATEST = "latest"
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
_STAMP = re.compile(r"^\d{8}T\d{6}Z$")
MAX_BACKUP_NAME = 255


@dataclass(frozen=True)
class RestoreOptions(NativeOptions):
    source_environment: str = "production"
    directory: Path | None = None  # the spec files settings converge to (default: the schema dir)


# -- point in time -------------------------------------------------------------------------------------


def pitr_restore(settings: Settings, when: datetime | None, options: RestoreOptions | None = None,
                 events: NativeEvents | None = None, *, context: Context | None = None) -> NativeResult:
    """Restore the source environment's tables as they were at ``when`` (None: the latest restorable time)
    into the environment of ``settings``; then converge their settings."""
    options = options or RestoreOptions()
    events = events or NativeEvents()
    target, source = _contexts(settings, options, context)
    tables = _source_tables(source, options)
    require_pitr(tables.values(), source, "restored to a point in time")
    desired = _desired(settings, tables, tables, options)

    def earlier(logical: str, existing: Json) -> str | None:
        summary = existing.get("RestoreSummary") or {}
        same = summary.get("SourceTableArn") == tables[logical].table.get("TableArn") and not summary.get(
            "SourceBackupArn")
        return "restored by an earlier run" if same and _in_progress(existing) else None

    resumed = refuse_existing_targets(target, tables, "DIR", adopt=earlier)

    def one(logical: str) -> JobResult:
        table = tables[logical]
        physical = target.namespace.physical(logical)
        if logical in resumed:
            return _adopted(logical, physical, events)
        params: Json = {"SourceTableName": table.physical_name, "TargetTableName": physical}
        if when is None:
            params["UseLatestRestorableTime"] = True
        else:
            params["RestoreDateTime"] = when
        return _restore(target, "RestoreTableToPointInTime", params, logical, events, table.physical_name)

    with ThreadPoolExecutor(max_workers=options.concurrency) as pool:
        jobs = tuple(pool.map(one, tables))
    return _converged(target, desired, jobs, events, options, f"point in time {_stamp_text(when)}")


# -- snapshots -----------------------------------------------------------------------------------------


def snapshot_name(physical: str, moment: datetime) -> str:
    """``<table>-<UTC time>`` (e.g. ``...-20261201T083000Z``), shortened to DynamoDB's 255 characters."""
    stamp = moment.astimezone(UTC).strftime(STAMP_FORMAT)
    return f"{physical[:MAX_BACKUP_NAME - len(stamp) - 1]}-{stamp}"


def take_snapshots(settings: Settings, tables: Iterable[str] | None = None, options: NativeOptions | None = None,
                   events: NativeEvents | None = None, *, context: Context | None = None) -> NativeResult:
    """CreateBackup of each table of the environment (or those named), waiting until each is AVAILABLE."""
    options = options or NativeOptions()
    context = context or connect(settings, concurrency=options.concurrency)
    live = environment_tables(context, list(tables) if tables is not None else options.tables)
    if not live.tables:
        raise ConfigError(f"environment {settings.environment} has no tables to snapshot",
                          hint="check -e/--environment and --prefix")
    return NativeResult(settings.environment, snapshot_tables(context, live.tables.items(), options,
                                                               events or NativeEvents()))


def snapshot_tables(context: Context, tables: Iterable[tuple[str, LiveTable]], options: NativeOptions,
                    events: NativeEvents) -> tuple[JobResult, ...]:
    moment = datetime.now(UTC)

    def one(entry: tuple[str, LiveTable]) -> JobResult:
        logical, table = entry
        name = snapshot_name(table.physical_name, moment)
        events.job_started(logical, table.physical_name, "snapshot")
        try:
            details = context.dynamo.call("CreateBackup", {"TableName": table.physical_name, "BackupName": name})
            arn = str(details["BackupDetails"]["BackupArn"])
            _wait_available(context, arn, logical, events, options)
        except DdbctlError as exc:
            result = JobResult(logical, table.physical_name, False, exc.message, extra={"backupName": name},
                               waiting=isinstance(exc, WaitTimeout))
        else:
            result = JobResult(logical, table.physical_name, True, f"snapshot {name}", arn,
                               extra={"backupName": name})
        events.job_finished(result)
        return result

    with ThreadPoolExecutor(max_workers=max(1, options.concurrency)) as pool:
        return tuple(pool.map(one, list(tables)))


@dataclass(frozen=True)
class Snapshot:
    logical: str
    physical: str
    name: str
    arn: str
    status: str
    created: datetime | None
    size_bytes: int | None
    backup_type: str


def list_snapshots(settings: Settings, tables: Iterable[str] | None = None, *,
                   context: Context | None = None) -> list[Snapshot]:
    """The on-demand backups of the environment's tables (or those named), deleted tables' too, oldest first."""
    context = context or connect(settings)
    found = [snapshot for snapshots in _environment_backups(context, tables).values() for snapshot in snapshots]
    return sorted(found, key=lambda s: (s.created or datetime.min.replace(tzinfo=UTC), s.physical))


def snapshot_restore(settings: Settings, name: str, options: RestoreOptions | None = None,
                     events: NativeEvents | None = None, *, context: Context | None = None) -> NativeResult:
    """Restore the source environment's tables from their snapshots into the environment of ``settings``.

    ``name``: ``latest`` (each table's newest AVAILABLE backup), a time stamp ``20261201T083000Z`` (each
    table's backup of that run), or one backup's full name (that table only).
    """
    options = options or RestoreOptions()
    events = events or NativeEvents()
    target, source = _contexts(settings, options, context)
    chosen = _choose_snapshots(source, _environment_backups(source, options.tables), name)
    live = survey(source.dynamo, source.namespace, chosen, concurrency=options.concurrency).tables
    desired = _desired(settings, chosen, live, options)
    tables = chosen

    def earlier(logical: str, existing: Json) -> str | None:
        same = (existing.get("RestoreSummary") or {}).get("SourceBackupArn") == chosen[logical].arn
        return "restored by an earlier run" if same and _in_progress(existing) else None

    resumed = refuse_existing_targets(target, tables, "DIR", adopt=earlier)

    def one(logical: str) -> JobResult:
        if logical in resumed:
            return _adopted(logical, target.namespace.physical(logical), events)
        snapshot = chosen[logical]
        params = {"BackupArn": snapshot.arn, "TargetTableName": target.namespace.physical(logical)}
        return _restore(target, "RestoreTableFromBackup", params, logical, events, snapshot.name)

    with ThreadPoolExecutor(max_workers=options.concurrency) as pool:
        jobs = tuple(pool.map(one, chosen))
    return _converged(target, desired, jobs, events, options, f"snapshot {name}")


def snapshot_before_destroy(settings: Settings, plan: Plan, *, context: Context | None = None,
                            options: NativeOptions | None = None,
                            events: NativeEvents | None = None) -> tuple[JobResult, ...]:
    """A snapshot of every existing table that a destructive step of ``plan`` (not a held one) touches."""
    touched = [table for table in plan.tables
               if table.before is not None and any(change.is_destructive for change in table.changes)]
    if not touched:
        return ()
    context = context or connect(settings)
    live = environment_tables(context, [table.logical for table in touched])
    return snapshot_tables(context, live.tables.items(), options or NativeOptions(), events or NativeEvents())


# -- helpers -------------------------------------------------------------------------------------------


def _contexts(settings: Settings, options: RestoreOptions, context: Context | None) -> tuple[Context, Context]:
    target = context or connect(settings, concurrency=options.concurrency)
    # The target environment is a known one in the source's namespace, so that the target's tables (a
    # restored table has no Environment tag yet) are never read as the source's: dr-orders is dr's orders.
    known = tuple(dict.fromkeys((*(settings.environments or ()), settings.environment)))
    source = Context(settings.with_changes(environment=options.source_environment, environments=known),
                     options.concurrency, probe=False)
    # One client for both (same account and region): set what Context.dynamo would build on first use.
    source.__dict__["dynamo"] = target.dynamo
    return target, source


def _source_tables(source: Context, options: NativeOptions) -> dict[str, LiveTable]:
    live = environment_tables(source, options.tables)
    if not live.tables:
        raise ConfigError(f"environment {source.namespace.environment} has no tables to restore from",
                          hint="check --from-environment and --prefix")
    return dict(live.tables)


def _desired(settings: Settings, logicals: Iterable[str], live: Mapping[str, LiveTable],
             options: RestoreOptions) -> dict[str, TableSpec]:
    """The spec each restored table converges to: its spec file (--dir, or the schema dir when it exists),
    else the source table's own settings; ConfigError when there is neither (a deleted source table)."""
    directory = options.directory or (settings.schema_dir if settings.schema_dir.is_dir() else None)
    files = load_desired(directory, settings) if directory is not None else {}
    desired: dict[str, TableSpec] = {}
    for logical in logicals:
        if logical in files:
            desired[logical] = files[logical]
        elif logical in live:
            desired[logical] = without_managed_tags(live_spec(logical, live[logical]))
        else:
            raise ConfigError(f"no spec file for {logical}, and its source table no longer exists",
                              hint="pass --dir with the table's spec file: its settings are put back after the restore")
    return desired


def _restore(target: Context, operation: str, params: Json, logical: str, events: NativeEvents,
             source: str) -> JobResult:
    physical = str(params["TargetTableName"])
    events.job_started(logical, physical, f"restore from {source}")
    try:
        target.dynamo.call(operation, params)
    except AwsError as exc:
        result = JobResult(logical, physical, False, exc.message)
    else:
        result = JobResult(logical, physical, True, f"restored from {source}", extra={"created": True})
    events.job_finished(result)
    return result


def _in_progress(table: Json) -> bool:
    return bool((table.get("RestoreSummary") or {}).get("RestoreInProgress")) or table.get("TableStatus") == "CREATING"


def _adopted(logical: str, physical: str, events: NativeEvents) -> JobResult:
    """A target an earlier, interrupted run of the same restore created: converged, not restored again."""
    result = JobResult(logical, physical, True, "restored by an earlier run of this restore", extra={"created": True})
    events.job_finished(result)
    return result


def _converged(target: Context, desired: Mapping[str, TableSpec], jobs: tuple[JobResult, ...], events: NativeEvents,
               options: NativeOptions, what: str) -> NativeResult:
    restored = {job.logical: desired[job.logical] for job in jobs if job.ok}
    plan, report = converge_restored(target, restored, events, options)
    return NativeResult(what, jobs, plan, report)


def _environment_backups(context: Context, names: Iterable[str] | None) -> dict[str, list[Snapshot]]:
    """The USER backups of the environment's tables by logical name, from ListBackups of the whole account:
    a deleted table's backups too (chosen by the naming rule); a live table tagged for another environment
    is left out."""
    namespace = context.namespace
    wanted = None if names is None else {resolve_table_name(name, namespace) for name in names}
    foreign = set(survey(context.dynamo, namespace, concurrency=context.concurrency).foreign)
    found: dict[str, list[Snapshot]] = {}
    start: str | None = None
    while True:
        params: Json = {"BackupType": "USER", **({"ExclusiveStartBackupArn": start} if start else {})}
        page = context.dynamo.call("ListBackups", params)
        for summary in page.get("BackupSummaries", []):
            physical = str(summary.get("TableName"))
            logical = namespace.logical(physical)
            if logical is None or physical in foreign or (wanted is not None and logical not in wanted):
                continue
            created = summary.get("BackupCreationDateTime")
            found.setdefault(logical, []).append(Snapshot(
                logical, physical, str(summary.get("BackupName")), str(summary.get("BackupArn")),
                str(summary.get("BackupStatus")), created if isinstance(created, datetime) else None,
                summary.get("BackupSizeBytes"), str(summary.get("BackupType", "USER"))))
        start = page.get("LastEvaluatedBackupArn")
        if not start:
            return found


def _choose_snapshots(source: Context, backups: Mapping[str, list[Snapshot]], name: str) -> dict[str, Snapshot]:
    """The snapshot to restore per table: see ``snapshot_restore``; ConfigError when one is missing."""
    chosen: dict[str, Snapshot] = {}
    missing: list[str] = []
    for logical, snapshots in sorted(backups.items()):
        available = [s for s in snapshots if s.status == "AVAILABLE"]
        if name == LATEST:
            match = max(available, key=lambda s: s.created or datetime.min.replace(tzinfo=UTC), default=None)
        elif _STAMP.fullmatch(name):
            match = next((s for s in available if s.name.endswith("-" + name)), None)
        else:
            match = next((s for s in available if s.name == name), None)
            if match is None:
                continue  # a full name names one table's backup
        if match is None:
            missing.append(snapshots[0].physical)
        else:
            chosen[logical] = match
    if missing or not chosen:
        raise ConfigError(f"no AVAILABLE snapshot {name!r} of {', '.join(missing) or 'any table'} in environment "
                          f"{source.namespace.environment}", hint="list them with `ddbctl snapshots`")
    return chosen


def _wait_available(context: Context, arn: str, logical: str, events: NativeEvents, options: NativeOptions) -> None:
    def fetch() -> str:
        described = context.dynamo.call("DescribeBackup", {"BackupArn": arn})["BackupDescription"]
        return str(described["BackupDetails"]["BackupStatus"])

    try:
        status = poll(fetch, lambda s: s != "CREATING", max_wait=options.max_wait, clock=options.clock,
                      on_poll=lambda s, elapsed: events.job_waiting(logical, s, elapsed))
    except Expired as exc:
        raise WaitTimeout(f"{logical}: backup {arn} still CREATING after {exc.elapsed:.0f}s",
                          hint="list it later with `ddbctl snapshots`") from exc
    if status != "AVAILABLE":
        raise AwsError(f"{logical}: backup {arn} is {status}, not AVAILABLE")


def _stamp_text(when: datetime | None) -> str:
    return "latest" if when is None else when.strftime(STAMP_FORMAT)
