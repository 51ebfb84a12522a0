"""``ddbctl demo``: create the bundled 13 tables on an embedded DynamoDB, export them, show the summary."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from ..execute import Outcome
from ..ops.create import create_tables
from ..ops.demo import EXAMPLE_SCHEMAS, embedded_dynamodb
from ..ops.export import export_tables
from .progress import Progress
from .render import print_report
from .state import EXIT_FAILED, CliState, dir_option, pass_state, reported_errors


@click.command()
@dir_option("Where to export the tables [default: a new temporary directory].")
@click.option("--schemas", type=click.Path(path_type=Path, file_okay=False, exists=True), default=None,
              help="Spec files to create from [default: the bundled construction-expenses example].")
@click.option("--aws-like", is_flag=True, help="Make tables stay CREATING for 2 s each, as DynamoDB does.")
@pass_state
def demo(state: CliState, directory: Path | None, schemas: Path | None, aws_like: bool) -> None:
    """Run the main job on an embedded local DynamoDB: no AWS account needed.

    Starts a local server, creates the 13 example tables in the selected environment (-e, default
    production), exports them back to spec files and table-summary.txt, then runs create again to show
    that it skips what exists. Needs the [local] extra (moto).
    """
    with reported_errors(state):
        settings = state.settings()
        directory = directory or Path(tempfile.mkdtemp(prefix="ddbctl-demo-"))
        with embedded_dynamodb(settings, aws_like=aws_like) as local:
            state.note(f"[bold]1.[/] embedded DynamoDB at {local.endpoint_url}; creating tables "
                       f"in environment [bold]{local.environment}[/]")
            with Progress(state) as progress:
                created = create_tables(local, schemas or EXAMPLE_SCHEMAS, events=progress)
            assert created.report is not None
            print_report(state, created.report, created.plan)
            if not created.report.ok:
                raise SystemExit(EXIT_FAILED)
            state.note(f"[bold]2.[/] exporting to {directory}")
            exported = export_tables(local, directory)
            state.out.print(exported.summary.read_text(encoding="utf-8"), highlight=False, markup=False)
            state.note("[bold]3.[/] running create again: every table exists, nothing is sent")
            again = create_tables(local, schemas or EXAMPLE_SCHEMAS)
            assert again.report is not None
            skipped = len(again.report.by(Outcome.SKIPPED))
            state.out.print(f"second create: {skipped} skipped, {len(again.report.by(Outcome.CREATED))} created",
                            highlight=False)
            state.out.print(f"spec files: {directory}", highlight=False)
