"""``ddbctl export``: the environment's tables as spec files plus table-summary.txt."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape

from ..ops.export import export_tables
from ..ownership import not_owned_hint, not_owned_reason
from .base import DdbctlCommand
from .options import concurrency_option, dir_option, wide_option
from .render import print_summary
from .state import CliState, pass_state, reported_errors


@click.command(cls=DdbctlCommand)
@dir_option("Directory to write the schema files to [default: infrastructure/schemas].")
@click.option("--table", "tables", multiple=True, metavar="NAME",
              help="Export only this table (logical or physical name); repeatable.")
@click.option("--portable", is_flag=True,
              help="Write no KMS key ARN: a customer managed key by its alias, any other key dropped (the "
              "file then asks for the AWS managed key).")
@wide_option
@concurrency_option
@pass_state
def export(state: CliState, directory: Path | None, tables: tuple[str, ...], portable: bool, wide: bool,
           concurrency: int) -> None:
    """Write the environment's tables as spec files plus table-summary.txt. Read-only.

    Only the tables the environment owns are written: their names are the environment's and their
    Environment tag says so (docs/environments.md). Production never picks up
    {prefix}-staging-* or {prefix}-dev-* tables, nor tables tagged for another environment; tables
    with the environment's names but no Environment tag are listed with how to adopt them.
    """
    with reported_errors(state):
        settings = state.settings()
        result = export_tables(settings, directory, tables or None, concurrency=concurrency, portable=portable)
        namespace = settings.namespace
        if state.json:
            state.emit_json({"directory": str(result.directory), "files": [str(p) for p in result.files],
                             "summary": str(result.summary), "skipped_foreign": list(result.live.foreign),
                             "not_owned": [{"physical_name": table.physical_name,
                                            "reason": not_owned_reason(namespace, table),
                                            "hint": not_owned_hint(namespace, table)}
                                           for table in result.live.unowned.values()],
                             "stale": [str(p) for p in result.stale], "notes": list(result.notes)})
            return
        print_summary(state, result, settings.environment, wide=wide)
        state.out.print(f"Exported {len(result.files)} table(s) to {result.directory}", highlight=False)
        for physical in result.live.foreign:
            state.note(f"[yellow]left out[/] {physical}: its Environment tag names another environment")
        for table in result.live.unowned.values():
            state.note(f"[yellow]not written[/] {table.physical_name}: {not_owned_reason(namespace, table)}\n"
                       f"  hint: {not_owned_hint(namespace, table)}")
        for note in result.notes:
            state.note(f"[yellow]note[/] {escape(note)}")
        for path in result.stale:
            state.note(f"[yellow]stale[/] {path}: no such table in {settings.environment} (file left in place)")
