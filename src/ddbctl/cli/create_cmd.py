"""``ddbctl create``: every missing table of the environment, from its spec file."""

from __future__ import annotations

from pathlib import Path

import click

from ..ops.create import plan_create, run_create
from .base import DdbctlCommand
from .options import concurrency_option, dir_option, dir_words, max_wait_option
from .progress import Progress
from .render import print_report, print_requests, report_failure, show_target
from .state import CliState, pass_state, reported_errors


@click.command(cls=DdbctlCommand)
@dir_option()
@click.option("--dry-run", is_flag=True, help="Print the exact requests a real run sends; send none.")
@concurrency_option
@max_wait_option
@pass_state
def create(state: CliState, directory: Path | None, dry_run: bool, concurrency: int, max_wait: float) -> None:
    """Create every missing table of the environment from its spec file; skip tables that exist.

    Each table gets its keys, indexes, billing, SSE, stream, class, deletion protection and tags
    (plus Environment=<environment> and ManagedBy=ddbctl), then TTL and PITR once it is ACTIVE.
    Where a file is silent: on-demand billing, SSE on, PITR on. Invalid files stop everything before
    any API call. Exit code 1 if any table failed, 3 if a table is still CREATING past --max-wait.
    """
    with reported_errors(state):
        settings = state.settings()
        plan, context = plan_create(settings, directory, concurrency=concurrency)
        target = show_target(state, context)
        if dry_run:
            print_requests(state, plan, extra={"target": target})
            return
        with Progress(state) as progress:
            report = run_create(plan, context, concurrency=concurrency, max_wait=max_wait, events=progress)
        print_report(state, report, plan, extra={"target": target})
        failure = report_failure(report, settings, "create", *dir_words(directory))
        if failure is not None:
            raise failure
