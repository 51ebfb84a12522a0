"""Commands over spec files and whole environments: validate, schema, export, create."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.markup import escape

from ..errors import SpecError
from ..execute import Outcome
from ..ops.create import plan_create, run_create
from ..ops.export import export_tables
from ..ownership import not_owned_hint, not_owned_reason
from ..spec.files import load_dir
from ..spec.model import TableSpec
from .progress import Progress
from .render import print_report, print_requests, print_summary, show_target, wide_option
from .state import (
    DEFAULT_MAX_WAIT,
    CliState,
    CommandFailed,
    concurrency_option,
    dir_option,
    max_wait_option,
    pass_state,
    reported_errors,
)


@click.command()
@click.argument("directory", required=False, type=click.Path(path_type=Path, file_okay=False))
@pass_state
def validate(state: CliState, directory: Path | None) -> None:
    """Check spec files offline against DynamoDB's rules; list every problem (file, JSON pointer, rule).

    DIRECTORY defaults to the schema directory (infrastructure/schemas). Sends nothing to AWS.
    """
    with reported_errors(state):
        settings = state.settings()
        directory = directory or settings.schema_dir
        try:
            files = load_dir(directory, settings.namespace)
        except SpecError as exc:
            if state.json:
                state.emit_json({"valid": False, "problems": [
                    {"file": p.path, "pointer": p.pointer, "rule": p.rule} for p in exc.problems]})
            raise
        if state.json:
            state.emit_json({"valid": True, "files": [str(f.path) for f in files]})
        else:
            state.out.print(f"{len(files)} spec file(s) in {directory} are valid", highlight=False)


@click.command()
def schema() -> None:
    """Print the JSON Schema of spec files (for editors: "$schema" or json.schemas settings)."""
    click.echo(json.dumps(TableSpec.model_json_schema(by_alias=True), indent=2, sort_keys=True))


@click.command()
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


@click.command()
@dir_option()
@click.option("--dry-run", is_flag=True, help="Print the exact requests a real run sends; send none.")
@concurrency_option
@max_wait_option
@pass_state
def create(state: CliState, directory: Path | None, dry_run: bool, concurrency: int, max_wait: float | None) -> None:
    """Create every missing table of the environment from its spec file; skip tables that exist.

    Each table gets its keys, indexes, billing, SSE, stream, class, deletion protection and tags
    (plus Environment=<environment> and ManagedBy=ddbctl), then TTL and PITR once it is ACTIVE.
    Where a file is silent: on-demand billing, SSE on, PITR on. Invalid files stop everything before
    any API call. Exit code 1 if any table failed.
    """
    with reported_errors(state):
        settings = state.settings()
        plan, context = plan_create(settings, directory, concurrency=concurrency)
        target = show_target(state, context)
        if dry_run:
            print_requests(state, plan, extra={"target": target})
            return
        with Progress(state) as progress:
            report = run_create(plan, context, concurrency=concurrency,
                                max_wait=DEFAULT_MAX_WAIT if max_wait is None else max_wait, events=progress)
        print_report(state, report, plan, extra={"target": target})
        if not report.ok:
            raise CommandFailed(f"{len(report.by(Outcome.FAILED))} table(s) failed", code="TablesFailed",
                                hint="see each failed table's error; run `ddbctl create` again once fixed")
