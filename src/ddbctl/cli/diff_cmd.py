"""``ddbctl diff``: the live tables of two environments (or one and the spec files) compared."""

from __future__ import annotations

from pathlib import Path

import click

from ..ops.environments import compare
from .base import DdbctlCommand
from .documents import plan_data
from .options import concurrency_option, dir_option
from .render import plan_summary, print_plan
from .state import EXIT_CHANGES, EXIT_FAILED, CliState, exit_with, pass_state, reported_errors


@click.command(cls=DdbctlCommand)
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
    with reported_errors(state, exit_code=EXIT_FAILED):  # 2 means "different" here, so every error is 1
        comparison = compare(state.settings(), left, right, directory, concurrency=concurrency)
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
        exit_with(EXIT_CHANGES)
