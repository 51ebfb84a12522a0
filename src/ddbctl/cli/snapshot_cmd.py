"""``ddbctl snapshot``: an on-demand backup (CreateBackup) of each table of the environment."""

from __future__ import annotations

import click

from ..ops.native import NativeOptions
from ..ops.snapshots import take_snapshots
from .base import DdbctlCommand
from .documents import native_data
from .native import connected, jobs_failure, print_jobs
from .options import concurrency_option
from .progress import Progress
from .state import CliState, pass_state, reported_errors


@click.command("snapshot", cls=DdbctlCommand)
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
        context, target = connected(state, settings, concurrency)
        with Progress(state) as progress:
            result = take_snapshots(settings, tables or None, NativeOptions(concurrency=concurrency), progress,
                                    context=context)
        if state.json:
            state.emit_json({"target": target, **native_data(result)})
        else:
            print_jobs(state, result)
        failure = jobs_failure(result, settings, "snapshot", *[word for name in tables for word in ("--table", name)])
        if failure is not None:
            raise failure
