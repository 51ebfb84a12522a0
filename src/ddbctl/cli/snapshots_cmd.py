"""``ddbctl snapshots``: the on-demand backups of the environment's tables."""

from __future__ import annotations

import click

from ..ops.snapshots import list_snapshots
from .base import DdbctlCommand
from .documents import snapshot_data
from .state import CliState, pass_state, reported_errors


@click.command("snapshots", cls=DdbctlCommand)
@click.option("--table", "tables", multiple=True, metavar="NAME", help="Only this table; repeatable.")
@pass_state
def snapshots_command(state: CliState, tables: tuple[str, ...]) -> None:
    """List the on-demand backups (ListBackups) of the environment's tables, oldest first. Read-only."""
    with reported_errors(state):
        found = list_snapshots(state.settings(), tables or None)
        state.emit_json({"snapshots": [snapshot_data(snapshot) for snapshot in found]})
    if state.json:
        return
    for snapshot in found:
        created = snapshot.created.strftime("%Y-%m-%d %H:%M:%S UTC") if snapshot.created else "?"
        state.out.print(f"{snapshot.name}  {snapshot.status}  {created}  {snapshot.physical}", highlight=False)
    state.out.print(f"{len(found)} snapshot(s)", highlight=False)
