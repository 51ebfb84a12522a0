"""Commands that converge live tables to the spec files: plan, apply."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from ..errors import ConfigError
from ..execute import Outcome, Report
from ..ops.converge import apply_plan, plan_tables
from ..ops.session import connect
from ..plan import Plan
from . import native
from .progress import Progress
from .render import (
    plan_data,
    plan_summary,
    print_plan,
    print_report,
    print_requests,
    show_target,
    undoes_live_state,
)
from .state import (
    DEFAULT_MAX_WAIT,
    EXIT_FAILED,
    CliState,
    CommandFailed,
    concurrency_option,
    dir_option,
    max_wait_option,
    pass_state,
    reported_errors,
)

F = TypeVar("F", bound=Callable[..., object])

EXIT_CHANGES = 2  # plan --detailed-exitcode: the plan is not empty

_DRIFT_NOTE = (
    "Changes to existing tables undo whatever differs from the files, including changes made outside them. "
    "To keep such a live change instead, write it into the files: ddbctl export --dir DIR."
)


def destroy_options(f: F) -> F:
    f = click.option("--prune", is_flag=True,
                     help="Also delete live tables of the environment that have no spec file (needs "
                     "--allow-destroy; never a table with deletion protection).")(f)
    return click.option("--allow-destroy", is_flag=True,
                        help="Allow destructive steps: deleting an index or a table, disabling PITR or "
                        "deletion protection. Without it they are held and everything else converges.")(f)


@click.command()
@dir_option()
@destroy_options
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 0 when there is nothing to change, 2 when there are changes (held ones too), 1 on error.")
@concurrency_option
@pass_state
def plan(state: CliState, directory: Path | None, allow_destroy: bool, prune: bool, detailed_exitcode: bool,
         concurrency: int) -> None:
    """Show what `apply` would change to make the live tables match the spec files. Read-only.

    Per table, each step in the order apply runs it. Tables in the files but not live are created;
    live tables of the environment without a file are listed and left alone. Live changes made
    outside the files (an index added by hand) show as steps that apply would undo; to keep them,
    run `ddbctl export` instead. Destructive steps are marked, and held without --allow-destroy.
    Tables whose key schema or local secondary indexes differ are refused: DynamoDB cannot change
    them in place, a new table is needed.

    Exit code: 1 on error or when a table is refused; with --detailed-exitcode, 2 when the plan has
    changes, 0 when there are none.
    """
    with reported_errors(state, exit_code=EXIT_FAILED if detailed_exitcode else None):
        settings = state.settings()
        context = connect(settings, concurrency=concurrency)
        result = plan_tables(settings, directory, allow_destroy=allow_destroy, prune=prune,
                             concurrency=concurrency, context=context)
        target = show_target(state, context)
        if state.json:
            state.emit_json({"target": target, **plan_data(result)})
        else:
            _show_plan(state, result)
        if result.refused:
            raise CommandFailed(f"{len(result.refused)} table(s) refused: a new table is needed",
                                code="Refused", hint="see each refused table's reason")
    if detailed_exitcode and not result.converged:
        raise SystemExit(EXIT_CHANGES)


@click.command()
@dir_option()
@click.option("-y", "--yes", is_flag=True, help="Apply without asking for confirmation (needed without a terminal).")
@destroy_options
@click.option("--dry-run", is_flag=True, help="Show the plan and the exact requests apply would send; send none.")
@click.option("--snapshot-first", is_flag=True,
              help="Before anything is sent, take an on-demand backup (CreateBackup) of each table a destructive "
              "step will touch, and name the backups in the report.")
@concurrency_option
@max_wait_option
@pass_state
def apply(state: CliState, directory: Path | None, yes: bool, allow_destroy: bool, prune: bool, dry_run: bool,
          snapshot_first: bool, concurrency: int, max_wait: float | None) -> None:
    """Make the live tables match the spec files: execute the plan `ddbctl plan` shows.

    Asks for confirmation on a terminal unless --yes; without a terminal and without --yes it
    refuses (exit 2) before sending anything. Before each table it checks that the table is still as
    planned (otherwise that table fails and the others go on). Tables proceed in parallel; within a
    table, steps follow DynamoDB's rules: one index build at a time, a TTL attribute rename as
    disable then enable (retried through DynamoDB's TTL cool-down until --max-wait).

    Destructive steps run only with --allow-destroy; a table needing replacement is refused.
    Interrupted (Ctrl-C, kill), it can simply be run again: the plan starts from the live state.
    Exit code 1 if any table failed or was refused.
    """
    with reported_errors(state):
        if not (yes or dry_run):
            _require_terminal()
        settings = state.settings()
        context = connect(settings, concurrency=concurrency)
        result = plan_tables(settings, directory, allow_destroy=allow_destroy, prune=prune,
                             concurrency=concurrency, context=context)
        target = show_target(state, context)
        if not state.json:
            _show_plan(state, result)
        if dry_run:
            print_requests(state, result, extra={"target": target})
            return
        if result.converged:
            if state.json:
                print_report(state, Report(()), result, extra={"target": target})
            return
        if result.changes and not yes:
            _confirm(settings.environment)
        snapshots = native.snapshot_first(state, settings, result, context) if snapshot_first else ()
        with Progress(state) as progress:
            report = apply_plan(settings, result, concurrency=concurrency,
                                max_wait=DEFAULT_MAX_WAIT if max_wait is None else max_wait,
                                events=progress, context=context)
        native.print_apply_report(state, report, result, snapshots, extra={"target": target})
        if not report.ok:
            raise CommandFailed(f"{len(report.by(Outcome.FAILED))} table(s) failed", code="TablesFailed",
                                hint="see each failed table's error; run `ddbctl apply` again once fixed")


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def _require_terminal() -> None:
    if not stdin_is_terminal():
        raise ConfigError(
            "apply needs confirmation, but stdin is not a terminal: nothing was sent",
            hint="review the changes with `ddbctl plan`, then run `ddbctl apply --yes`",
        )


def _confirm(environment: str) -> None:
    if not click.confirm(f"Apply these changes to environment {environment}?", default=False, err=True):
        click.echo("apply cancelled: nothing was sent", err=True)
        raise SystemExit(EXIT_FAILED)


def _show_plan(state: CliState, result: Plan) -> None:
    print_plan(state, result)
    state.out.print(plan_summary(result), highlight=False)
    if any(undoes_live_state(t) for t in result.tables):
        state.note(_DRIFT_NOTE)
