"""``create``: create every missing table of the environment from its spec file; skip what exists."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..aws import DEFAULT_CONCURRENCY
from ..config import Settings
from ..execute import Events, ExecOptions, Report, execute
from ..ownership import survey
from ..plan import Plan, PlanOptions, Scope, make_plan
from .session import Context, connect, load_desired


@dataclass(frozen=True)
class CreateResult:
    plan: Plan
    report: Report | None  # None for a dry run


def plan_create(settings: Settings, directory: Path | None = None, *, context: Context | None = None,
                concurrency: int = DEFAULT_CONCURRENCY) -> tuple[Plan, Context]:
    """The create plan: files are checked first (SpecError before any call), then the live tables read."""
    desired = load_desired(directory or settings.schema_dir, settings)
    context = context or connect(settings, concurrency=concurrency)
    # DescribeTable only (tables that exist are skipped): create needs no other read permission.
    live = survey(context.dynamo, context.namespace, desired, concurrency=concurrency, full=False)
    plan = make_plan(desired, live.specs(), context.namespace, arns=live.arns(),
                     options=PlanOptions(scope=Scope.CREATE), not_owned=live.not_owned())
    return plan, context


def create_tables(
    settings: Settings,
    directory: Path | None = None,
    *,
    dry_run: bool = False,
    concurrency: int = DEFAULT_CONCURRENCY,
    max_wait: float = ExecOptions.max_wait,
    events: Events | None = None,
    context: Context | None = None,
) -> CreateResult:
    """Create the missing tables (concurrently), then TTL and PITR once each is ACTIVE."""
    plan, context = plan_create(settings, directory, context=context, concurrency=concurrency)
    if dry_run:
        return CreateResult(plan, None)
    return CreateResult(plan, run_create(plan, context, concurrency=concurrency, max_wait=max_wait, events=events))


def run_create(plan: Plan, context: Context, *, concurrency: int = 8, max_wait: float = ExecOptions.max_wait,
               events: Events | None = None) -> Report:
    """Execute a create plan of :func:`plan_create` (the tables concurrently, each waited for)."""
    options = ExecOptions(concurrency=concurrency, max_wait=max_wait, recheck=False)
    return execute(plan, context.dynamo, options, events)
