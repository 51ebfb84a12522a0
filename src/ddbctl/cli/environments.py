"""Commands about ownership and whole environments: adopt."""

from __future__ import annotations

import click

from ..errors import ConfigError
from ..ops.adopt import adopt_tables, plan_adoption
from ..ops.session import connect
from .converge import stdin_is_terminal
from .state import EXIT_FAILED, CliState, concurrency_option, pass_state, reported_errors


@click.command()
@click.option("--table", "tables", multiple=True, metavar="NAME",
              help="Adopt this table (logical or physical name); repeatable.")
@click.option("--all", "adopt_all", is_flag=True,
              help="Adopt every table under the environment's names that has no Environment tag.")
@click.option("--dry-run", is_flag=True, help="List the tables that would be adopted; tag none.")
@click.option("-y", "--yes", is_flag=True, help="Adopt without asking (needed without a terminal).")
@concurrency_option
@pass_state
def adopt(state: CliState, tables: tuple[str, ...], adopt_all: bool, dry_run: bool, yes: bool,
          concurrency: int) -> None:
    """Take existing tables into the environment's ownership: tag them Environment=<env>, ManagedBy=ddbctl.

    Only owned tables are ever changed by ddbctl (README: Table names and environments). A table made
    by the console, the AWS CLI or another tool has no Environment tag: plan lists it as "not owned"
    and never changes it, until it is adopted. Tables tagged for another environment are refused.
    Nothing but the two tags is changed; the tags are read back before success is reported.
    """
    with reported_errors(state):
        if bool(tables) == adopt_all:
            raise ConfigError("name the tables to adopt with --table NAME, or pass --all (not both)")
        if not (yes or dry_run) and not stdin_is_terminal():
            raise ConfigError("adopt needs confirmation, but stdin is not a terminal: nothing was changed",
                              hint="review with `ddbctl adopt --dry-run ...`, then run it with --yes")
        settings = state.settings()
        context = connect(settings, concurrency=concurrency)
        adoption = plan_adoption(settings, tables or None, context=context, concurrency=concurrency)
        tags = ", ".join(f"{key}={value}" for key, value in sorted(adoption.tags.items()))
        if state.json and dry_run:
            state.emit_json({"environment": adoption.environment, "tags": adoption.tags, "dry_run": True,
                             "adopt": [c.physical for c in adoption.to_adopt],
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
        if not yes and not click.confirm(f"Tag {len(adoption.to_adopt)} table(s) as {adoption.environment}'s?",
                                         default=False, err=True):
            click.echo("adopt cancelled: nothing was changed", err=True)
            raise SystemExit(EXIT_FAILED)
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
        if not all(result.ok for result in results):
            raise SystemExit(EXIT_FAILED)
