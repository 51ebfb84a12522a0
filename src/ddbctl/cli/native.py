"""The native disaster-recovery path on the command line: what ``backup --native`` and ``restore --native``,
``--point-in-time`` and ``--snapshot`` run (their options are declared in backup_cmd and restore_cmd).

Each job (an export, an import, a restore, a snapshot) is a row of the one progress display.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..config import Settings
from ..errors import ConfigError
from ..hints import command
from ..ops.native import ExportOptions, ImportOptions, NativeResult, native_backup, native_restore, parse_time
from ..ops.session import Context, connect
from ..ops.snapshots import LATEST, RestoreOptions, pitr_restore, snapshot_restore
from .documents import native_data
from .options import dir_words
from .progress import Progress
from .render import print_report, report_failure, show_target
from .state import EXIT_WAITING, CliState, CommandFailed, reported_errors


def run_native_backup(state: CliState, location: str, tables: tuple[str, ...], concurrency: int,
                      incremental_since: str | None, bucket_owner: str | None) -> None:
    """``backup --native``: DynamoDB's export of each table into ``location`` (s3://)."""
    with reported_errors(state):
        options = ExportOptions(tables=tables or None, concurrency=concurrency,
                                incremental_since=None if incremental_since is None else parse_time(incremental_since),
                                bucket_owner=bucket_owner)
        settings = state.settings()
        context, target = connected(state, settings, options.concurrency)
        with Progress(state) as progress:
            result = native_backup(settings, location, options, progress, context=context)
        rerun = ["backup", "--native", "--to", location, *_table_words(tables)]
        print_native(state, settings, result, target, rerun,
                     done=f"native backup complete: {result.location}/ddbctl-backup.json")


def run_native_restore(state: CliState, variant: str, *, source: str | None, tables: tuple[str, ...],
                       directory: Path | None, concurrency: int, max_wait: float | None, point_in_time: str | None,
                       snapshot: str | None, from_environment: str | None) -> None:
    """``restore --native`` (ImportTable), ``--point-in-time`` or ``--snapshot``, then converge the settings."""
    with reported_errors(state):
        settings = state.settings()
        chosen = tables or None
        restore_options = RestoreOptions(tables=chosen, concurrency=concurrency, directory=directory,
                                         source_environment=from_environment or "production")
        if max_wait is not None:  # else the native jobs' own bound (hours: imports of large tables take that long)
            restore_options = replace(restore_options, max_wait=max_wait)
        if variant == "--point-in-time":
            _check_not_same(settings, restore_options)
        context, target = connected(state, settings, concurrency)
        with Progress(state) as progress:
            if variant == "--native":
                import_options = ImportOptions(tables=chosen, concurrency=concurrency, directory=directory)
                if max_wait is not None:
                    import_options = replace(import_options, max_wait=max_wait)
                result = native_restore(settings, str(source), import_options, progress, context=context)
            elif variant == "--point-in-time":
                when = None if point_in_time == LATEST else parse_time(str(point_in_time))
                result = pitr_restore(settings, when, restore_options, progress, context=context)
            else:
                result = snapshot_restore(settings, str(snapshot), restore_options, progress, context=context)
        if variant == "--native":
            rerun = ["restore", "--native", "--from", str(source)]
        else:
            rerun = ["restore", variant, str(point_in_time or snapshot),
                     *(["--from-environment", from_environment] if from_environment else [])]
        rerun += [*_table_words(tables), *dir_words(directory)]
        print_native(state, settings, result, target, rerun,
                     done=f"restored; {command(settings, 'plan')} shows no changes for these tables")


def _check_not_same(settings: Settings, options: RestoreOptions) -> None:
    if options.source_environment == settings.environment:
        elsewhere = settings.with_changes(environment="dr")
        words = ["restore", "--point-in-time", "latest", "--from-environment", options.source_environment]
        raise ConfigError(
            f"restoring environment {settings.environment} into itself: every target name is a source table",
            hint=f"restore into another environment: {command(elsewhere, *words)}; a deleted table comes back from "
            f"a snapshot: {command(settings, 'restore', '--snapshot', 'latest', '--table', 'NAME')}")


def connected(state: CliState, settings: Settings, concurrency: int) -> tuple[Context, dict[str, Any]]:
    """The command's connection, and its target (the header printed first, in text mode)."""
    context = connect(settings, concurrency=concurrency)
    return context, show_target(state, context)


def print_jobs(state: CliState, result: NativeResult) -> None:
    """One line per job: ``ok NAME: detail`` or ``failed NAME: detail``."""
    for job in result.jobs:
        mark = "[green]ok[/]" if job.ok else "[bold red]failed[/]"
        state.out.print(f"{mark} {job.physical}: {job.detail}", highlight=False)


def jobs_failure(result: NativeResult, settings: Settings, *rerun: str) -> CommandFailed | None:
    """How a native command ends: exit 3 when the only failed jobs are waits past their bound, else 1."""
    failed = [job for job in result.jobs if not job.ok]
    if not failed:
        if result.report is not None:
            return report_failure(result.report, settings, *rerun)
        return None
    waiting = [job for job in failed if job.waiting]
    details = "; ".join(f"{job.physical}: {job.detail}" for job in failed)
    if len(waiting) == len(failed):
        return CommandFailed(f"{len(waiting)} job(s) still in progress: {details}", code="WaitTimeout",
                             exit_code=EXIT_WAITING, quiet=False,
                             hint=f"they go on inside DynamoDB; run {command(settings, *rerun)} again to keep waiting")
    return CommandFailed(f"{len(failed)} job(s) failed", code="JobsFailed", hint="see each failed table's line")


def print_native(state: CliState, settings: Settings, result: NativeResult, target: dict[str, Any],
                 rerun: Sequence[str], done: str) -> None:
    """The jobs, the converge step's report, and the end: exit 3 for jobs still in progress, 1 for failures."""
    if not state.json and not result.jobs and result.manifest is not None:
        state.out.print(f"{result.location} already holds a complete backup: nothing to do", highlight=False)
        return
    if state.json:
        state.emit_json({"target": target, **native_data(result)})
    else:
        print_jobs(state, result)
        if result.report is not None:
            print_report(state, result.report, result.plan)
        if result.ok and result.plan is not None and result.plan.held:
            state.out.print(f"restored; destructive steps were held (see above): "
                            f"{command(settings, 'apply', '--allow-destroy')} runs them", highlight=False)
        elif result.ok:
            state.out.print(done, highlight=False)
    failure = jobs_failure(result, settings, *rerun)
    if failure is not None:
        raise failure


def _table_words(tables: Sequence[str]) -> list[str]:
    return [word for name in tables for word in ("--table", name)]
