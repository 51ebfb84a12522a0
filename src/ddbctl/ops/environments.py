"""Environments as a whole: list them (``envs``), compare two (``diff``), tear one down (``destroy``).

All three read through ``ddbctl.ownership``: an environment's tables are the ones the name rule and
the ``Environment`` tag give it; ``destroy`` deletes only owned tables, through the planner (a prune
of every owned table) and the executor (which re-checks each table and waits until it is gone).
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..aws import LiveTable
from ..config import ENVIRONMENT_PATTERN, Settings, check_environment
from ..errors import ConfigError, DdbctlError
from ..execute import Events, ExecOptions, Outcome, Report, TableResult, execute, wait_until_settled
from ..naming import PRODUCTION, Namespace, environment_of
from ..ownership import environment_tag, live_spec, survey
from ..plan import Plan, PlanOptions, Scope, Status, make_plan
from ..spec.convert import without_managed_tags
from ..spec.model import TableSpec
from .session import Context, connect, load_desired

NO_ENVIRONMENT = ""  # the row of names under the prefix that the name rule gives to no environment


@dataclass(frozen=True)
class EnvironmentRow:
    """One environment found under the prefix."""

    environment: str  # NO_ENVIRONMENT for names no environment may have
    tables: tuple[str, ...]  # physical names that are the environment's by name
    owned: int = 0  # Environment tag = this environment
    not_owned: int = 0  # no Environment tag
    other_tag: int = 0  # Environment tag names another environment
    files_match: bool | None = None  # None: no spec directory given
    differences: int = 0  # tables whose plan against the files is not empty


def list_environments(
    settings: Settings, directory: Path | None = None, *, context: Context | None = None, concurrency: int = 8
) -> tuple[EnvironmentRow, ...]:
    """Every environment with tables under the prefix, by name and tag; with ``directory``, whether the
    files match each one's owned tables (``plan`` would have nothing to do). Read-only.

    Environments are the known ones plus any an ``Environment`` tag names (a CI environment such as
    ``pr-123`` is found by its tags). Sends ListTables, then per table under the prefix DescribeTable,
    DescribeTimeToLive, DescribeContinuousBackups and ListTagsOfResource.
    """
    desired = load_desired(directory, settings) if directory is not None else None
    context = context or connect(settings, concurrency=concurrency)
    dynamo = context.dynamo
    names = [n for n in dynamo.list_table_names() if n.startswith(f"{settings.prefix}-")]
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        described = {t.physical_name: t for t in pool.map(dynamo.describe_live, names) if t is not None}
    tagged = {tag for t in described.values() if (tag := environment_tag(t)) and ENVIRONMENT_PATTERN.fullmatch(tag)}
    known = tuple(dict.fromkeys((*settings.known_environments, *sorted(tagged))))
    by_environment: dict[str, dict[str, LiveTable]] = {}
    for physical, table in sorted(described.items()):
        owner = environment_of(physical, settings.prefix, known)
        logical = Namespace(owner, settings.prefix, known).logical(physical) if owner is not None else None
        key = owner if owner is not None and logical is not None else NO_ENVIRONMENT
        by_environment.setdefault(key, {})[logical or physical] = table
    rows = [_row(environment, tables, settings.prefix, known, desired)
            for environment, tables in sorted(by_environment.items(), key=lambda item: (item[0] == "", item[0]))]
    return tuple(rows)


def _row(environment: str, tables: Mapping[str, LiveTable], prefix: str, known: tuple[str, ...],
         desired: Mapping[str, TableSpec] | None) -> EnvironmentRow:
    physical = tuple(sorted(t.physical_name for t in tables.values()))
    if environment == NO_ENVIRONMENT:
        return EnvironmentRow(environment, physical)
    tags = {logical: environment_tag(table) for logical, table in tables.items()}
    owned = {logical: table for logical, table in tables.items() if tags[logical] == environment}
    row = EnvironmentRow(environment, physical, owned=len(owned),
                         not_owned=sum(1 for tag in tags.values() if tag is None),
                         other_tag=sum(1 for tag in tags.values() if tag not in (None, environment)))
    if desired is None:
        return row
    namespace = Namespace(environment, prefix, known)
    not_owned = {logical: "not owned" for logical in tables if logical not in owned}
    plan = make_plan(desired, {logical: live_spec(logical, t) for logical, t in owned.items()}, namespace,
                     arns={logical: str(t.table["TableArn"]) for logical, t in owned.items()},
                     options=PlanOptions(scope=Scope.ALL), not_owned=not_owned)
    # An owned table without a spec file differs too: the files do not describe it.
    differing = sum(1 for t in plan.tables if t.changes or t.held or t.status is Status.UNMANAGED
                    or (t.reason and t.logical not in not_owned))
    return EnvironmentRow(row.environment, row.tables, row.owned, row.not_owned, row.other_tag,
                          files_match=differing == 0, differences=differing)


# -- diff -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """What would change in environment ``left`` to make its owned tables like ``right``'s (or the files)."""

    left: str
    right: str  # an environment, or the spec directory
    plan: Plan

    @property
    def same(self) -> bool:
        return self.plan.converged


def compare(
    settings: Settings, left: str, right: str | None = None, directory: Path | None = None, *,
    context: Context | None = None, concurrency: int = 8,
) -> Comparison:
    """Compare the owned live tables of environment ``left`` with those of ``right``, or with the spec
    files in ``directory``, table by table, in the planner's words (create, update, delete, refused).

    Read-only. The tags ddbctl derives from the environment are left out of the comparison.
    """
    if (right is None) == (directory is None):
        raise ConfigError("compare two environments (ddbctl diff ENV_A ENV_B) or one with files (--dir DIR)")
    left_settings = _settings_for(settings, left)
    desired = load_desired(directory, left_settings) if directory is not None else None
    context = context or connect(settings, concurrency=concurrency)
    left_ns = left_settings.namespace
    left_live = survey(context.dynamo, left_ns, concurrency=concurrency)
    if desired is None:
        assert right is not None
        right_live = survey(context.dynamo, _settings_for(settings, right).namespace, concurrency=concurrency)
        desired = {logical: without_managed_tags(spec) for logical, spec in right_live.specs().items()}
    plan = make_plan(desired, left_live.specs(), left_ns, arns=left_live.arns(),
                     options=PlanOptions(scope=Scope.ALL, allow_destroy=True, prune=True),
                     not_owned=left_live.not_owned())
    return Comparison(left, right if right is not None else str(directory), plan)


def _settings_for(settings: Settings, environment: str) -> Settings:
    """``settings`` for another environment, checked like ``-e`` (format, ddbctl.toml's list)."""
    check_environment(environment, settings.environments, f"argument {environment!r}")
    return settings.with_changes(environment=environment)


# -- destroy --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Teardown:
    """What ``destroy`` does: the plan of deletions, and owned tables already DELETING (only waited for)."""

    plan: Plan
    deleting: tuple[str, ...] = ()  # physical names


def plan_destroy(
    settings: Settings, *, allow_production: bool = False, context: Context | None = None, concurrency: int = 8
) -> Teardown:
    """The plan deleting every owned table of the environment; protected tables are refused, not deleted.

    ConfigError for production unless ``allow_production``, before any call. Read-only. Owned tables
    already DELETING (an interrupted destroy, run again) are not deleted again, only waited for.
    """
    namespace = settings.namespace
    if namespace.environment == PRODUCTION and not allow_production:
        raise ConfigError("destroy refuses production: it would delete every production table",
                          hint="if you really mean it, add --allow-production")
    context = context or connect(settings, concurrency=concurrency)
    live = survey(context.dynamo, namespace, concurrency=concurrency)
    plan = make_plan({}, live.specs(), namespace, arns=live.arns(),
                     options=PlanOptions(scope=Scope.ALL, allow_destroy=True, prune=True),
                     not_owned=live.not_owned())
    return Teardown(plan, tuple(sorted(table.physical_name for table in live.deleting.values())))


def destroy(
    settings: Settings, teardown: Teardown, *, context: Context | None = None, concurrency: int = 8,
    max_wait: float = ExecOptions.max_wait, events: Events | None = None,
) -> Report:
    """Delete the tables of ``teardown`` (each re-checked first: still owned and as planned), waiting until
    each is gone, and wait for those already DELETING. Never raises per table."""
    context = context or connect(settings, concurrency=concurrency)
    options = ExecOptions(concurrency=concurrency, max_wait=max_wait, recheck=True)
    report = execute(teardown.plan, context.dynamo, options, events)
    waited = tuple(_wait_gone(context, physical, max_wait, events) for physical in teardown.deleting)
    return Report((*report.results, *waited))


def _wait_gone(context: Context, physical: str, max_wait: float, events: Events | None) -> TableResult:
    logical = context.namespace.logical(physical) or physical
    try:
        wait_until_settled(context.dynamo, physical, max_wait=max_wait, events=events,
                           done=lambda state: state.status == "MISSING")
    except DdbctlError as exc:
        return TableResult(logical, physical, Outcome.FAILED, error=exc)
    return TableResult(logical, physical, Outcome.DELETED, note="was already being deleted; now gone")
