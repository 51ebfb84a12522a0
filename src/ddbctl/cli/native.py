"""The native disaster-recovery path on the command line.

- ``snapshot`` and ``snapshots``: on-demand backups of the environment's tables, and their list.
- ``with_native_backup(backup)``: adds ``--native``, ``--incremental-since`` and ``--bucket-owner`` to
  ``ddbctl backup``; with ``--native`` the backup is DynamoDB's ExportTableToPointInTime.
- ``with_native_restore(restore)``: adds ``--native``, ``--point-in-time``, ``--snapshot`` and
  ``--from-environment`` to ``ddbctl restore``; each runs the native path instead of the client restore.
- ``snapshot_first(settings, plan)``: what ``apply --snapshot-first`` runs before executing a plan.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..config import Settings
from ..errors import ConfigError
from ..execute import Report
from ..ops.native import (
    ExportOptions,
    ImportOptions,
    JobResult,
    NativeEvents,
    NativeOptions,
    NativeResult,
    native_backup,
    native_restore,
    parse_time,
)
from ..ops.session import Context, connect
from ..ops.snapshots import (
    LATEST,
    RestoreOptions,
    list_snapshots,
    pitr_restore,
    snapshot_before_destroy,
    snapshot_restore,
    take_snapshots,
)
from ..plan import Plan
from .progress import ConsoleEvents
from .render import print_report, show_target
from .state import EXIT_FAILED, CliState, concurrency_option, pass_state, reported_errors


class NativeConsoleEvents(ConsoleEvents, NativeEvents):
    """Progress of exports, imports, restores and snapshots (stderr, text mode), and of the converge step."""

    def __init__(self, state: CliState) -> None:
        super().__init__(state)
        self._status: dict[str, str] = {}
        self._status_lock = threading.Lock()

    def job_started(self, logical: str, physical: str, what: str) -> None:
        self.state.note(f"[cyan]→[/] {physical}: {what}")

    def job_waiting(self, logical: str, status: str, elapsed: float) -> None:
        with self._status_lock:
            if self._status.get(logical) == status:
                return
            self._status[logical] = status
        self.state.note(f"  [dim]…[/] {logical}: {status} [dim]{elapsed:.0f}s[/]")

    def job_finished(self, result: JobResult) -> None:
        style = "green" if result.ok else "bold red"
        self.state.note(f"[{style}]{'done' if result.ok else 'failed'}[/] {result.physical}: {result.detail}")


def _events(state: CliState) -> NativeEvents:
    return NativeEvents() if state.json else NativeConsoleEvents(state)


def _time_option(value: str | None) -> Any:
    return None if value is None else parse_time(value)


# -- snapshot, snapshots -------------------------------------------------------------------------------


@click.command("snapshot")
@click.option("--table", "tables", multiple=True, metavar="NAME", help="Only this table (logical or physical); "
              "repeatable.")
@concurrency_option
@pass_state
def snapshot_command(state: CliState, tables: tuple[str, ...], concurrency: int) -> None:
    """Take an on-demand backup (CreateBackup) of each table of the environment, named <table>-<UTC time>.

    Waits until each backup is AVAILABLE. Restore them with `ddbctl restore --snapshot NAME|latest`.
    """
    with reported_errors(state):
        settings = state.settings()
        context, target = _connected(state, settings, concurrency)
        result = take_snapshots(settings, tables or None, NativeOptions(concurrency=concurrency), _events(state),
                                context=context)
    _print_jobs(state, result, target)


@click.command("snapshots")
@click.option("--table", "tables", multiple=True, metavar="NAME", help="Only this table; repeatable.")
@pass_state
def snapshots_command(state: CliState, tables: tuple[str, ...]) -> None:
    """List the on-demand backups (ListBackups) of the environment's tables, oldest first. Read-only."""
    with reported_errors(state):
        found = list_snapshots(state.settings(), tables or None)
    if state.json:
        state.emit_json({"snapshots": [snapshot.to_json() for snapshot in found]})
        return
    for snapshot in found:
        created = snapshot.created.strftime("%Y-%m-%d %H:%M:%S UTC") if snapshot.created else "?"
        state.out.print(f"{snapshot.name}  {snapshot.status}  {created}  {snapshot.physical}", highlight=False)
    state.out.print(f"{len(found)} snapshot(s)", highlight=False)


# -- backup --native -----------------------------------------------------------------------------------

_BACKUP_OPTIONS = [
    click.Option(["--native"], is_flag=True, default=False,
                 help="DynamoDB's own export (ExportTableToPointInTime, needs PITR, uses no read capacity) to "
                 "--to s3://BUCKET/PREFIX, instead of a scan."),
    click.Option(["--incremental-since"], metavar="TIME", default=None,
                 help="With --native: an INCREMENTAL export of the changes since TIME (ISO 8601 UTC) until now."),
    click.Option(["--bucket-owner"], metavar="ACCOUNT", default=None,
                 help="With --native: the account that owns the bucket (S3BucketOwner), for another account's "
                 "bucket."),
]


def with_native_backup(command: click.Command) -> click.Command:
    """``ddbctl backup`` with --native (see the module docstring)."""

    def run(state: CliState, mine: dict[str, Any], theirs: dict[str, Any]) -> None:
        location = theirs.get("location")
        if not location:
            raise click.UsageError("--to s3://BUCKET/PREFIX is required")
        with reported_errors(state):
            options = ExportOptions(tables=tuple(theirs.get("tables") or ()) or None,
                                    concurrency=int(theirs.get("concurrency") or 8),
                                    incremental_since=_time_option(mine["incremental_since"]),
                                    bucket_owner=mine["bucket_owner"])
            settings = state.settings()
            context, target = _connected(state, settings, options.concurrency)
            result = native_backup(settings, location, options, _events(state), context=context)
        _print_native(state, result, target, done=f"native backup complete: {result.location}/ddbctl-backup.json")

    def active(mine: dict[str, Any]) -> bool:
        if not mine["native"] and (mine["incremental_since"] or mine["bucket_owner"]):
            raise click.UsageError("--incremental-since and --bucket-owner apply only with --native")
        return bool(mine["native"])

    return _extended(command, _BACKUP_OPTIONS, active, run)


# -- restore --native / --point-in-time / --snapshot ---------------------------------------------------

_RESTORE_OPTIONS = [
    click.Option(["--native"], is_flag=True, default=False,
                 help="Create each table with DynamoDB's ImportTable from --from s3://BUCKET/PREFIX (a native or "
                 "client backup), then converge its settings. Only new tables; no local secondary indexes."),
    click.Option(["--point-in-time", "point_in_time"], metavar="TIME|latest", default=None,
                 help="RestoreTableToPointInTime of every table of --from-environment into this environment's "
                 "names (TIME in ISO 8601 UTC), then converge their settings from --dir's spec files."),
    click.Option(["--snapshot"], metavar="NAME|latest", default=None,
                 help="RestoreTableFromBackup of --from-environment's snapshots: latest, a time stamp "
                 "(20261201T083000Z: that `ddbctl snapshot` run) or one backup's name; then converge."),
    click.Option(["--from-environment", "from_environment"], metavar="ENV", default=None,
                 help="With --point-in-time/--snapshot: the environment restored from [default: production]."),
]


def with_native_restore(command: click.Command) -> click.Command:
    """``ddbctl restore`` with --native, --point-in-time and --snapshot (see the module docstring)."""
    for param in command.params:
        if param.name == "source":
            param.required = False  # --point-in-time and --snapshot restore from DynamoDB, not from a folder

    def active(mine: dict[str, Any]) -> bool:
        chosen = [flag for flag, name in (("--native", "native"), ("--point-in-time", "point_in_time"),
                                          ("--snapshot", "snapshot")) if mine[name] not in (None, False)]
        if len(chosen) > 1:
            raise click.UsageError(f"{' and '.join(chosen)} exclude each other")
        if mine["from_environment"] and mine["point_in_time"] is None and mine["snapshot"] is None:
            raise click.UsageError("--from-environment applies only with --point-in-time or --snapshot")
        return bool(chosen)

    def run(state: CliState, mine: dict[str, Any], theirs: dict[str, Any]) -> None:
        client_only = [flag for flag, name in (("--overwrite", "overwrite"), ("--verify", "verify"),
                                               ("--write-rate", "write_rate"), ("--state-dir", "state_dir"))
                       if theirs.get(name)]
        if client_only:
            verb = "applies" if len(client_only) == 1 else "apply"
            raise click.UsageError(f"{', '.join(client_only)} {verb} to the client restore (--from DIR) only")
        tables = tuple(theirs.get("tables") or ()) or None
        directory: Path | None = theirs.get("directory")
        concurrency = int(theirs.get("concurrency") or 8)
        source = theirs.get("source")
        if mine["native"] and not source:
            raise click.UsageError("--native needs --from s3://BUCKET/PREFIX")
        if not mine["native"] and source:
            raise click.UsageError("--from applies to the client and --native restores, not with "
                                   "--point-in-time or --snapshot")
        with reported_errors(state):
            settings = state.settings()
            options = RestoreOptions(tables=tables, concurrency=concurrency, directory=directory,
                                     source_environment=mine["from_environment"] or "production")
            if mine["point_in_time"] is not None:
                _check_not_same(settings, options)
            context, target = _connected(state, settings, concurrency)
            if mine["native"]:
                result = native_restore(settings, str(source), ImportOptions(tables=tables, concurrency=concurrency,
                                                                             directory=directory), _events(state),
                                        context=context)
            elif mine["point_in_time"] is not None:
                when = None if mine["point_in_time"] == LATEST else parse_time(mine["point_in_time"])
                result = pitr_restore(settings, when, options, _events(state), context=context)
            else:
                result = snapshot_restore(settings, mine["snapshot"], options, _events(state), context=context)
        _print_native(state, result, target, done="restored; `ddbctl plan` shows no changes for these tables")

    return _extended(command, _RESTORE_OPTIONS, active, run)


def _check_not_same(settings: Settings, options: RestoreOptions) -> None:
    if options.source_environment == settings.environment:
        raise ConfigError(
            f"restoring environment {settings.environment} into itself: every target name is a source table",
            hint="restore into another environment (-e dr); a deleted table comes back from a snapshot: "
            "ddbctl restore --snapshot latest --table NAME")


# -- apply --snapshot-first ----------------------------------------------------------------------------


def snapshot_first(state: CliState, settings: Settings, plan: Plan, context: Any) -> tuple[JobResult, ...]:
    """Snapshots of the tables a destructive step of ``plan`` touches; a failed one stops apply (exit 1)."""
    taken = snapshot_before_destroy(settings, plan, context=context, events=_events(state))
    if not taken:
        state.note("--snapshot-first: no destructive step to run, no snapshot taken")
    failed = [job for job in taken if not job.ok]
    if failed:
        for job in failed:
            click.echo(f"error: snapshot of {job.physical} failed: {job.detail}", err=True)
        click.echo("  hint: nothing was changed; fix the cause or run apply without --snapshot-first", err=True)
        raise SystemExit(EXIT_FAILED)
    return taken


def print_apply_report(state: CliState, report: Report, plan: Plan, snapshots: tuple[JobResult, ...], *,
                       extra: dict[str, Any]) -> None:
    """apply's report, with the snapshots taken before its destructive steps."""
    if state.json:
        print_report(state, report, plan, extra={**extra, "snapshots": [
            {"table": job.physical, "backup_name": job.extra.get("backupName"), "backup_arn": job.arn}
            for job in snapshots]})
        return
    print_report(state, report, plan, extra=extra)
    for job in snapshots:
        state.out.print(f"snapshot {job.extra.get('backupName')} of {job.physical} taken before its destructive "
                        f"steps ({job.arn})", highlight=False)


# -- shared --------------------------------------------------------------------------------------------


def _extended(command: click.Command, options: list[click.Option], active: Callable[[dict[str, Any]], bool],
              run: Callable[[CliState, dict[str, Any], dict[str, Any]], None]) -> click.Command:
    """``command`` with ``options`` added; when ``active`` holds for their values, ``run`` replaces it."""
    command.params.extend(options)
    callback = command.callback
    assert callback is not None
    names = [str(option.name) for option in options]

    @functools.wraps(callback)
    def dispatch(*args: Any, **kwargs: Any) -> Any:
        mine = {name: kwargs.pop(name) for name in names}
        if active(mine):
            ctx = click.get_current_context()
            return run(ctx.ensure_object(CliState), mine, kwargs)
        if "source" in kwargs and kwargs["source"] is None:
            raise click.UsageError("Missing option '--from'.")
        return callback(*args, **kwargs)

    command.callback = dispatch
    return command


def _connected(state: CliState, settings: Settings, concurrency: int) -> tuple[Context, dict[str, Any]]:
    """The command's connection, and its target (the header printed first, in text mode)."""
    context = connect(settings, concurrency=concurrency)
    return context, show_target(state, context)


def _print_jobs(state: CliState, result: NativeResult, target: dict[str, Any]) -> None:
    if state.json:
        state.emit_json({"target": target, **result.to_json()})
    else:
        _job_lines(state, result)
    if not result.ok:
        raise SystemExit(EXIT_FAILED)


def _job_lines(state: CliState, result: NativeResult) -> None:
    for job in result.jobs:
        mark = "[green]ok[/]" if job.ok else "[bold red]failed[/]"
        state.out.print(f"{mark} {job.physical}: {job.detail}", highlight=False)


def _print_native(state: CliState, result: NativeResult, target: dict[str, Any], done: str) -> None:
    if not state.json and not result.jobs and result.manifest is not None:
        state.out.print(f"{result.location} already holds a complete backup: nothing to do", highlight=False)
        return
    if state.json:
        state.emit_json({"target": target, **result.to_json()})
    else:
        _job_lines(state, result)
        if result.report is not None:
            print_report(state, result.report, result.plan)
        if result.ok and result.plan is not None and result.plan.held:
            state.out.print("restored; destructive steps were held (see above): `ddbctl apply --allow-destroy` "
                            "runs them", highlight=False)
        elif result.ok:
            state.out.print(done, highlight=False)
    if not result.ok:
        raise SystemExit(EXIT_FAILED)
