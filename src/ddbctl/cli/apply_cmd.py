"""``ddbctl apply``: make the live tables match the spec files, by executing the plan `ddbctl plan` shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..config import Settings
from ..execute import Report
from ..ops.converge import apply_plan, plan_tables
from ..ops.native import JobResult
from ..ops.session import Context, connect
from ..ops.snapshots import snapshot_before_destroy
from ..plan import Plan
from .base import DdbctlCommand
from .guard import confirm_write, require_confirmation
from .options import concurrency_option, destroy_options, dir_option, dir_words, max_wait_option, yes_option
from .progress import Progress
from .render import print_report, print_requests, report_failure, show_plan, show_target
from .state import CliState, CommandFailed, pass_state, reported_errors


@click.command(cls=DdbctlCommand)
@dir_option()
@yes_option("Apply")
@destroy_options
@click.option("--dry-run", is_flag=True, help="Show the plan and the exact requests apply would send; send none.")
@click.option("--snapshot-first", is_flag=True,
              help="Before anything is sent, take an on-demand backup (CreateBackup) of each table a destructive "
              "step will touch, and name the backups in the report.")
@concurrency_option
@max_wait_option
@pass_state
def apply(state: CliState, directory: Path | None, yes: bool, allow_destroy: bool, prune: bool, dry_run: bool,
          snapshot_first: bool, concurrency: int, max_wait: float) -> None:
    """Make the live tables match the spec files: execute the plan `ddbctl plan` shows.

    On a terminal it shows the plan and asks for the environment's name; without a terminal and
    without --yes it refuses (exit 2) before sending anything. Before each table it checks that the
    table is still as planned (otherwise that table fails and the others go on). Tables proceed in
    parallel; within a table, steps follow DynamoDB's rules: one index build at a time, a TTL
    attribute rename as disable then enable (retried through DynamoDB's TTL cool-down until --max-wait).

    Destructive steps run only with --allow-destroy; a table needing replacement is refused.
    Interrupted (Ctrl-C, kill), it can simply be run again: the plan starts from the live state.
    Exit code 1 if any table failed or was refused; 3 if a wait ran past --max-wait (an index still
    building: it goes on in DynamoDB).
    """
    with reported_errors(state):
        settings = state.settings()
        repeat = [*dir_words(directory), *(["--allow-destroy"] if allow_destroy else []),
                  *(["--prune"] if prune else [])]
        review = ["plan", *repeat]
        if not dry_run:
            require_confirmation(state, settings, "apply", yes=yes, destructive=False, allow_production=False,
                                 review=review, repeat=repeat)
        context = connect(settings, concurrency=concurrency)
        result = plan_tables(settings, directory, allow_destroy=allow_destroy, prune=prune,
                             concurrency=concurrency, context=context)
        target = show_target(state, context)
        if not state.json:
            show_plan(state, result)
        if dry_run:
            print_requests(state, result, extra={"target": target})
            return
        if result.converged:
            if state.json:
                print_report(state, Report(()), result, extra={"target": target})
            return
        if result.changes:
            confirm_write(state, settings, "apply", yes=yes, destructive=False, allow_production=False,
                          review=review, repeat=repeat,
                          what=f"Applying these changes to environment {settings.environment}")
        snapshots = _snapshot_first(state, settings, result, context) if snapshot_first else ()
        with Progress(state) as progress:
            report = apply_plan(settings, result, concurrency=concurrency, max_wait=max_wait, events=progress,
                                context=context)
        _print_report(state, report, result, snapshots, extra={"target": target})
        failure = report_failure(report, settings, "apply", *repeat, "--yes")
        if failure is not None:
            raise failure


def _snapshot_first(state: CliState, settings: Settings, plan: Plan, context: Context) -> tuple[JobResult, ...]:
    """Snapshots of the tables a destructive step of ``plan`` touches; a failed one stops apply (exit 1)."""
    with Progress(state) as progress:
        taken = snapshot_before_destroy(settings, plan, context=context, events=progress)
    if not taken:
        state.note("--snapshot-first: no destructive step to run, no snapshot taken")
    failed = [job for job in taken if not job.ok]
    if failed:
        details = "; ".join(f"{job.physical}: {job.detail}" for job in failed)
        raise CommandFailed(f"--snapshot-first: {len(failed)} snapshot(s) failed ({details})", code="SnapshotFailed",
                            hint="nothing was changed; fix the cause or run apply without --snapshot-first",
                            quiet=False)
    return taken


def _print_report(state: CliState, report: Report, plan: Plan, snapshots: tuple[JobResult, ...], *,
                  extra: dict[str, Any]) -> None:
    """apply's report, with the snapshots taken before its destructive steps."""
    if state.json:
        print_report(state, report, plan, extra={**extra, "snapshots": [
            {"physical_name": job.physical, "table": job.logical, "backup_name": job.extra.get("backupName"),
             "backup_arn": job.arn} for job in snapshots]})
        return
    print_report(state, report, plan, extra=extra)
    for job in snapshots:
        state.out.print(f"snapshot {job.extra.get('backupName')} of {job.physical} taken before its destructive "
                        f"steps ({job.arn})", highlight=False)
