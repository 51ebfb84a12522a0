"""``ddbctl demo``: create the bundled 13 tables on an embedded DynamoDB, export them, show the summary."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from ..execute import Outcome
from ..ops.create import create_tables
from ..ops.demo import EXAMPLE_SCHEMAS, embedded_dynamodb
from ..ops.export import export_tables
from .base import DdbctlCommand
from .documents import report_data
from .options import dir_option, wide_option
from .progress import Progress
from .render import print_report, print_summary, report_failure
from .state import CliState, pass_state, reported_errors


@click.command(cls=DdbctlCommand)
@dir_option("Where to export the tables and keep them [default: a temporary directory, removed at the end].")
@click.option("--schemas", type=click.Path(path_type=Path, file_okay=False, exists=True), default=None,
              help="Spec files to create from [default: the bundled construction-expenses example].")
@click.option("--aws-like", is_flag=True, help="Make tables stay CREATING for 2 s each, as DynamoDB does.")
@wide_option
@pass_state
def demo(state: CliState, directory: Path | None, schemas: Path | None, aws_like: bool, wide: bool) -> None:
    """Run the main job on an embedded local DynamoDB: no AWS account needed.

    Starts a local server, creates the 13 example tables in the selected environment (-e, default
    production), exports them back to spec files and table-summary.txt, then runs create again to show
    that it skips what exists. Needs the [local] extra (moto).
    """
    with reported_errors(state), tempfile.TemporaryDirectory(prefix="ddbctl-demo-") as scratch:
        settings = state.settings()
        target = directory or Path(scratch)
        with embedded_dynamodb(settings, aws_like=aws_like) as local:
            state.note(f"[bold]1.[/] embedded DynamoDB at {local.endpoint_url}; creating tables "
                       f"in environment [bold]{local.environment}[/]")
            with Progress(state) as progress:
                created = create_tables(local, schemas or EXAMPLE_SCHEMAS, events=progress)
            assert created.report is not None
            if not state.json:
                print_report(state, created.report, created.plan)
            failure = report_failure(created.report, settings, "demo")
            if failure is not None:
                state.emit_json({"created": report_data(created.report)})
                raise failure
            state.note(f"[bold]2.[/] exporting to {target}")
            exported = export_tables(local, target)
            if not state.json:
                print_summary(state, exported, local.environment, wide=wide)
            state.note("[bold]3.[/] running create again: every table exists, nothing is sent")
            again = create_tables(local, schemas or EXAMPLE_SCHEMAS)
            assert again.report is not None
            skipped, made = len(again.report.by(Outcome.SKIPPED)), len(again.report.by(Outcome.CREATED))
        kept = directory is not None
        if state.json:
            state.emit_json({"created": report_data(created.report), "spec_files": str(target) if kept else None,
                             "exported": len(exported.files), "second_create": {"skipped": skipped, "created": made}})
            return
        state.out.print(f"second create: {skipped} skipped, {made} created", highlight=False)
        if kept:
            state.out.print(f"spec files: {target}", highlight=False)
        else:
            state.out.print("spec files: written to a temporary directory, now removed (--dir DIR keeps them)",
                            highlight=False)
