"""``plan`` and ``apply``: converge the environment's live tables to the spec files.

``plan_tables`` reads the files (SpecError before any call) and every live table of the environment,
and returns the Plan; ``apply_plan`` executes exactly that plan, re-checking before each table that
its live state is still the one planned (StalePlan otherwise). Planning again after an interrupted
apply starts from the live state, so running apply again converges.
"""

from __future__ import annotations

from pathlib import Path

from ..aws import DEFAULT_CONCURRENCY
from ..config import Settings
from ..execute import Events, ExecOptions, Report, execute
from ..ownership import survey
from ..plan import Plan, PlanOptions, Scope, make_plan
from ..waiting import SYSTEM_CLOCK, Clock
from .kms_keys import resolve_aliases
from .session import Context, connect, load_desired


def plan_tables(
    settings: Settings,
    directory: Path | None = None,
    *,
    allow_destroy: bool = False,
    prune: bool = False,
    concurrency: int = DEFAULT_CONCURRENCY,
    context: Context | None = None,
) -> Plan:
    """The plan taking the environment's live tables to the spec files in ``directory``.

    Tables in the files but not live are created; owned live tables of the environment without a file
    are listed and left alone unless ``prune`` (their deletion, like every destructive step, is held
    unless ``allow_destroy``). Tables the environment does not own (``ddbctl.ownership``) are listed
    as NOT_OWNED and never changed. Sends only reads: ListTables, then per table DescribeTable,
    DescribeTimeToLive, DescribeContinuousBackups and ListTagsOfResource.
    """
    desired = load_desired(directory or settings.schema_dir, settings)
    context = context or connect(settings, concurrency=concurrency)
    live = survey(context.dynamo, context.namespace, concurrency=concurrency)
    desired = resolve_aliases(desired, context.dynamo)  # a key alias in a file is its key's ARN live
    options = PlanOptions(scope=Scope.ALL, allow_destroy=allow_destroy, prune=prune)
    return make_plan(desired, live.specs(), context.namespace, arns=live.arns(), options=options,
                     not_owned=live.not_owned())


def apply_plan(
    settings: Settings,
    plan: Plan,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    max_wait: float = ExecOptions.max_wait,
    events: Events | None = None,
    context: Context | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> Report:
    """Execute ``plan``: tables in parallel, each table's steps in order, each table re-checked first.

    Never raises for one table: a stale, refused or failed table is a FAILED result and the others
    go on. ``max_wait`` bounds every wait for ACTIVE and every retry of a refused request (such as
    the TTL cool-down).
    """
    context = context or connect(settings, concurrency=concurrency)
    options = ExecOptions(concurrency=concurrency, max_wait=max_wait, recheck=True, clock=clock)
    return execute(plan, context.dynamo, options, events)
