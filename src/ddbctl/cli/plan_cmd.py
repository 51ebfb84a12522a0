"""``ddbctl plan``: what apply would change to make the live tables match the spec files."""

from __future__ import annotations

from pathlib import Path

import click

from ..ops.converge import plan_tables
from ..ops.session import connect
from .base import DdbctlCommand
from .documents import plan_data
from .options import concurrency_option, destroy_options, dir_option
from .render import show_plan, show_target
from .state import EXIT_CHANGES, EXIT_FAILED, CliState, CommandFailed, exit_with, pass_state, reported_errors


@click.command(cls=DdbctlCommand)
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
            show_plan(state, result)
        if result.refused:
            raise CommandFailed(f"{len(result.refused)} table(s) refused: a new table is needed",
                                code="Refused", hint="see each refused table's reason")
    if detailed_exitcode and not result.converged:
        exit_with(EXIT_CHANGES)
