"""``ddbctl envs``: the environments that have tables under the prefix."""

from __future__ import annotations

from pathlib import Path

import click

from ..ops.environments import NO_ENVIRONMENT, list_environments
from .base import DdbctlCommand
from .documents import environment_row_data
from .options import concurrency_option, dir_option
from .state import CliState, pass_state, reported_errors


@click.command(cls=DdbctlCommand)
@dir_option("Also check whether the spec files in DIR match each environment's owned tables.")
@concurrency_option
@pass_state
def envs(state: CliState, directory: Path | None, concurrency: int) -> None:
    """List the environments that have tables under the prefix. Read-only.

    Per environment: its tables by name, how many it owns (Environment tag = the environment), how
    many have no Environment tag (not owned: `ddbctl adopt`), how many carry another environment's
    tag, and with --dir whether the spec files match (plan would have nothing to do). Environments
    are the known ones plus any an Environment tag names; names under the prefix that the naming rule
    gives to no environment are listed last.
    """
    with reported_errors(state):
        rows = list_environments(state.settings(), directory, concurrency=concurrency)
        state.emit_json({"environments": [environment_row_data(row) for row in rows
                                          if row.environment != NO_ENVIRONMENT],
                         "no_environment": [name for row in rows if row.environment == NO_ENVIRONMENT
                                            for name in row.tables]})
    if state.json:
        return
    if not rows:
        state.out.print("no tables under this prefix", highlight=False)
        return
    header = f"{'environment':<20} {'tables':>6} {'owned':>6} {'not owned':>9} {'other tag':>9}"
    state.out.print(header + ("  files" if directory is not None else ""), highlight=False, markup=False)
    for row in rows:
        if row.environment == NO_ENVIRONMENT:
            continue
        line = f"{row.environment:<20} {len(row.tables):>6} {row.owned:>6} {row.not_owned:>9} {row.other_tag:>9}"
        if row.files_match is not None:
            line += "  match" if row.files_match else f"  {row.differences} table(s) differ"
        state.out.print(line, highlight=False, markup=False)
    for row in rows:
        if row.environment == NO_ENVIRONMENT:
            state.out.print(f"no environment by the naming rule: {', '.join(row.tables)}", highlight=False,
                            markup=False)
