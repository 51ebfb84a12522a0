"""``ddbctl wait``: a table and its indexes (or one index) waited for until ACTIVE."""

from __future__ import annotations

import click

from ..ops.gsi import wait_for
from .base import DdbctlCommand
from .documents import wait_data
from .options import max_wait_option
from .progress import Progress
from .state import CliState, pass_state, reported_errors


@click.command("wait", cls=DdbctlCommand)
@click.option("--table", required=True, metavar="NAME",
              help="Table: logical name or physical name in the environment.")
@click.option("--index", "index_name", metavar="NAME",
              help="Wait only for this index [default: the table and all its indexes].")
@max_wait_option
@pass_state
def wait(state: CliState, table: str, index_name: str | None, max_wait: float) -> None:
    """Wait until a table and all its indexes (or just --index) are ACTIVE, showing progress.

    Resumes a wait that add-gsi gave up on: the build goes on in DynamoDB meanwhile. Exit codes: 0
    ACTIVE; 1 no such table or index; 3 --max-wait ran out.
    """
    with reported_errors(state):
        settings = state.settings()
        with Progress(state) as progress:
            result = wait_for(settings, table, index_name, max_wait=max_wait, events=progress)
        if state.json:
            state.emit_json(wait_data(settings.namespace.logical(result.physical) or table, result))
        else:
            what = f"index {result.index_name} on {result.physical}" if result.index_name else result.physical
            state.out.print(f"{what} is ACTIVE (waited {result.elapsed:.1f}s)", highlight=False, markup=False)
