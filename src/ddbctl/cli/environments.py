"""Commands about ownership and whole environments: adopt, envs, diff, destroy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..errors import ConfigError
from ..ops.adopt import adopt_tables, plan_adoption
from ..ops.environments import NO_ENVIRONMENT, EnvironmentRow, compare, destroy, list_environments, plan_destroy
from ..ops.session import connect
from ..plan import Status
from .converge import EXIT_CHANGES, stdin_is_terminal
from .progress import Progress
from .render import plan_data, plan_summary, print_plan, print_report, show_target
from .state import (
    DEFAULT_MAX_WAIT,
    EXIT_FAILED,
    CliState,
    concurrency_option,
    dir_option,
    max_wait_option,
    pass_state,
    reported_errors,
)


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

    Only owned tables are ever changed by ddbctl (docs/environments.md). A table made
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


@click.command()
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
    if state.json:
        state.emit_json({"environments": [_row_data(row) for row in rows if row.environment != NO_ENVIRONMENT],
                         "no_environment": [name for row in rows if row.environment == NO_ENVIRONMENT
                                            for name in row.tables]})
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


def _row_data(row: EnvironmentRow) -> dict[str, Any]:
    return {"environment": row.environment, "tables": list(row.tables), "table_count": len(row.tables),
            "owned": row.owned, "not_owned": row.not_owned, "other_tag": row.other_tag,
            "files_match": row.files_match, "differences": row.differences}


@click.command()
@click.argument("left", metavar="ENV_A")
@click.argument("right", metavar="[ENV_B]", required=False)
@dir_option("Compare ENV_A with the spec files in DIR instead of another environment.")
@concurrency_option
@pass_state
def diff(state: CliState, left: str, right: str | None, directory: Path | None, concurrency: int) -> None:
    """Compare the live tables of two environments (or one with spec files), table by table. Read-only.

    Shown as the plan that would make ENV_A like ENV_B (or like the files in --dir): + a table only
    in ENV_B, - a table only in ENV_A, ~ a table that differs, with each step; ! a difference DynamoDB
    cannot change in place. Only owned tables are compared; the tags derived from the environment are
    left out. Exit codes as `plan --detailed-exitcode`: 0 same, 2 different, 1 error.
    """
    try:
        with reported_errors(state):
            comparison = compare(state.settings(), left, right, directory, concurrency=concurrency)
    except SystemExit as exc:
        raise SystemExit(EXIT_FAILED if exc.code else 0) from exc  # 2 means "different" here
    plan = comparison.plan
    if state.json:
        state.emit_json({"left": comparison.left, "right": comparison.right, "same": comparison.same,
                         "plan": plan_data(plan)})
    else:
        state.note(f"what would change in {comparison.left} to match {comparison.right}:")
        print_plan(state, plan)
        summary = plan_summary(plan)
        state.out.print(f"No differences: {comparison.left} matches {comparison.right}." if comparison.same
                        else summary, highlight=False)
    if not comparison.same:
        raise SystemExit(EXIT_CHANGES)


@click.command("destroy")
@click.option("-y", "--yes", is_flag=True, help="Delete without asking (needed without a terminal).")
@click.option("--allow-production", is_flag=True, help="Allow destroying production (refused otherwise).")
@click.option("--dry-run", is_flag=True, help="List the tables that would be deleted; delete none.")
@concurrency_option
@max_wait_option
@pass_state
def destroy_command(state: CliState, yes: bool, allow_production: bool, dry_run: bool, concurrency: int,
                    max_wait: float | None) -> None:
    """Delete every table the environment owns (-e ENV), e.g. a CI/CD test environment.

    Only owned tables (name and Environment tag: docs/environments.md) are deleted;
    other environments and untagged lookalikes are never touched. A table with deletion protection is
    never deleted (it is reported, exit 1). Production is refused unless --allow-production. On a
    terminal the environment's name must be typed to confirm; without a terminal --yes is required.
    Waits until each table is gone and reports each one.
    """
    with reported_errors(state):
        settings = state.settings()
        environment = settings.environment
        if not (yes or dry_run) and not stdin_is_terminal():
            raise ConfigError("destroy needs confirmation, but stdin is not a terminal: nothing was deleted",
                              hint=f"review with `ddbctl -e {environment} destroy --dry-run`, then add --yes")
        context = connect(settings, concurrency=concurrency)
        target = show_target(state, context)
        teardown = plan_destroy(settings, allow_production=allow_production, context=context,
                                concurrency=concurrency)
        plan = teardown.plan
        doomed = [t for t in plan.tables if t.status is Status.DELETE]
        if not state.json and (doomed or plan.refused or not teardown.deleting):
            print_plan(state, plan)
            state.out.print(plan_summary(plan), highlight=False)
        if dry_run:
            if state.json:
                state.emit_json({"target": target, "dry_run": True, "plan": plan_data(plan),
                                 "deleting": list(teardown.deleting)})
            return
        for physical in teardown.deleting:
            state.note(f"{physical} is being deleted already: waiting until it is gone")
        if not doomed and not plan.refused and not teardown.deleting:
            state.note(f"nothing to destroy: environment {environment} owns no tables")
            if state.json:
                state.emit_json({"target": target, "environment": environment, "deleted": [],
                                 "plan": plan_data(plan)})
            return
        if doomed and not yes:
            typed = click.prompt(f"Deleting {len(doomed)} table(s) and all their data. Type the environment's "
                                 f"name ({environment}) to confirm", default="", show_default=False, err=True)
            if typed.strip() != environment:
                click.echo("destroy cancelled: nothing was deleted", err=True)
                raise SystemExit(EXIT_FAILED)
        with Progress(state) as progress:
            report = destroy(settings, teardown, context=context, concurrency=concurrency,
                             max_wait=DEFAULT_MAX_WAIT if max_wait is None else max_wait, events=progress)
        print_report(state, report, plan, extra={"target": target})
        if not report.ok:
            raise SystemExit(EXIT_FAILED)

