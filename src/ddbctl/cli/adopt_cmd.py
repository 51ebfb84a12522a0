"""``ddbctl adopt``: existing tables taken into the environment's ownership (tagged Environment, ManagedBy)."""

from __future__ import annotations

import click

from ..errors import ConfigError
from ..ops.adopt import adopt_tables, plan_adoption
from ..ops.session import connect
from .base import DdbctlCommand
from .documents import table_ref
from .guard import confirm_write, require_confirmation
from .options import concurrency_option, yes_option
from .state import CliState, CommandFailed, pass_state, reported_errors


@click.command(cls=DdbctlCommand)
@click.option("--table", "tables", multiple=True, metavar="NAME",
              help="Adopt this table (logical or physical name); repeatable.")
@click.option("--all", "adopt_all", is_flag=True,
              help="Adopt every table under the environment's names that has no Environment tag.")
@click.option("--dry-run", is_flag=True, help="List the tables that would be adopted; tag none.")
@yes_option("Adopt")
@concurrency_option
@pass_state
def adopt(state: CliState, tables: tuple[str, ...], adopt_all: bool, dry_run: bool, yes: bool,
          concurrency: int) -> None:
    """Take existing tables into the environment's ownership: tag them Environment=<env>, ManagedBy=ddbctl.

    Only owned tables are ever changed by ddbctl (docs/environments.md). A table made by the console,
    the AWS CLI or another tool has no Environment tag: plan lists it as "not owned" and never
    changes it, until it is adopted. Tables tagged for another environment are refused. Nothing but
    the two tags is changed; the tags are read back before success is reported. On a terminal the
    environment's name must be typed to confirm; without a terminal --yes is required.
    """
    with reported_errors(state):
        if bool(tables) == adopt_all:
            raise ConfigError("name the tables to adopt with --table NAME, or pass --all (not both)")
        settings = state.settings()
        chosen = ["--all"] if adopt_all else [word for name in tables for word in ("--table", name)]
        if not dry_run:
            require_confirmation(state, settings, "adopt", yes=yes, destructive=False, allow_production=False,
                                 repeat=chosen)
        context = connect(settings, concurrency=concurrency)
        adoption = plan_adoption(settings, tables or None, context=context, concurrency=concurrency)
        tags = ", ".join(f"{key}={value}" for key, value in sorted(adoption.tags.items()))
        if state.json and dry_run:
            state.emit_json({"environment": adoption.environment, "tags": adoption.tags, "dry_run": True,
                             "adopt": [table_ref(c.logical, c.physical) for c in adoption.to_adopt],
                             "already_owned": list(adoption.already_owned)})
            return
        for physical in adoption.already_owned:
            state.note(f"already owned: {physical}")
        for candidate in adoption.to_adopt:
            state.note(f"{'would adopt' if dry_run else 'to adopt'}: {candidate.physical} (tags {tags})")
        if dry_run or not adoption.to_adopt:
            if not adoption.to_adopt:
                state.note(f"nothing to adopt in environment {adoption.environment}")
            return
        confirm_write(state, settings, "adopt", yes=yes, destructive=False, allow_production=False, repeat=chosen,
                      what=f"Tagging {len(adoption.to_adopt)} table(s) as {adoption.environment}'s")
        results = adopt_tables(settings, adoption, context=context, concurrency=concurrency)
        if state.json:
            state.emit_json({"environment": adoption.environment, "tags": adoption.tags,
                             "adopted": [r.physical for r in results if r.ok],
                             "failed": [{"physical_name": r.physical, "error": str(r.error)} for r in results
                                        if not r.ok],
                             "already_owned": list(adoption.already_owned)})
        else:
            for result in results:
                line = f"adopted {result.physical}" if result.ok else f"failed  {result.physical}: {result.error}"
                state.out.print(line, highlight=False, markup=False)
        failed = [result for result in results if not result.ok]
        if failed:
            raise CommandFailed(f"{len(failed)} table(s) could not be adopted", code="TablesFailed",
                                hint="see each failed table's error")
