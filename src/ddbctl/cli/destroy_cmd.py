"""``ddbctl destroy``: every table the environment owns deleted (a CI/CD test environment's teardown)."""

from __future__ import annotations

import click

from ..ops.environments import destroy, plan_destroy
from ..ops.session import connect
from ..plan import Status
from .base import DdbctlCommand
from .documents import plan_data
from .guard import confirm_write, require_confirmation
from .options import concurrency_option, max_wait_option, yes_option
from .progress import Progress
from .render import plan_summary, print_plan, print_report, report_failure, show_target
from .state import CliState, pass_state, reported_errors


@click.command("destroy", cls=DdbctlCommand)
@yes_option("Delete")
@click.option("--allow-production", is_flag=True, help="Allow destroying production (refused otherwise).")
@click.option("--dry-run", is_flag=True, help="List the tables that would be deleted; delete none.")
@concurrency_option
@max_wait_option
@pass_state
def destroy_command(state: CliState, yes: bool, allow_production: bool, dry_run: bool, concurrency: int,
                    max_wait: float) -> None:
    """Delete every table the environment owns (-e ENV), e.g. a CI/CD test environment.

    Only owned tables (name and Environment tag: docs/environments.md) are deleted;
    other environments and untagged lookalikes are never touched. A table with deletion protection is
    never deleted (it is reported, exit 1). Production is refused unless --allow-production. On a
    terminal the environment's name must be typed to confirm; without a terminal --yes is required.
    Waits until each table is gone and reports each one (exit 3 if one is still DELETING past --max-wait).
    """
    with reported_errors(state):
        settings = state.settings()
        environment = settings.environment
        require_confirmation(state, settings, "destroy", yes=yes or dry_run, destructive=True,
                             allow_production=allow_production)
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
            state.emit_json({"target": target, "dry_run": True, "plan": plan_data(plan),
                             "deleting": list(teardown.deleting)})
            return
        for physical in teardown.deleting:
            state.note(f"{physical} is being deleted already: waiting until it is gone")
        if not doomed and not plan.refused and not teardown.deleting:
            state.note(f"nothing to destroy: environment {environment} owns no tables")
            state.emit_json({"target": target, "environment": environment, "deleted": [], "plan": plan_data(plan)})
            return
        if doomed:
            confirm_write(state, settings, "destroy", yes=yes, destructive=True, allow_production=allow_production,
                          what=f"Deleting {len(doomed)} table(s) and all their data")
        with Progress(state) as progress:
            report = destroy(settings, teardown, context=context, concurrency=concurrency, max_wait=max_wait,
                             events=progress)
        print_report(state, report, plan, extra={"target": target})
        failure = report_failure(report, settings, "destroy", "--yes",
                                 *(["--allow-production"] if allow_production else []))
        if failure is not None:
            raise failure
