"""The planner: desired specs vs live specs -> an ordered plan of changes. Pure: no I/O.

Order within one table follows DynamoDB's rules (and Terraform's provider): delete indexes -> table
class -> billing/throughput -> stream -> deletion protection -> create indexes one at a time -> SSE ->
TTL -> PITR -> tags. Key schema and LSIs cannot change in place: such a table is refused, not replaced.
Each step is computed on the state the previous kept steps leave, so a plan is exactly reachable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from .changes import (
    Change,
    CreateIndex,
    CreateTable,
    DeleteIndex,
    DeleteTable,
    TagTable,
    UntagTable,
    UpdateCapacity,
    UpdateDeletionProtection,
    UpdatePITR,
    UpdateSSE,
    UpdateStream,
    UpdateTableClass,
    UpdateTTL,
    is_destructive,
)
from .naming import Namespace
from .spec.convert import with_managed_tags
from .spec.model import AttributeDefinition, GlobalSecondaryIndex, StreamSpecification, TableSpec, Tag


class Scope(StrEnum):
    ALL = "all"  # plan/apply: converge everything
    CREATE = "create"  # create: only missing tables
    INDEXES = "indexes"  # add-gsi: only new global secondary indexes


class Status(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    EXISTS = "exists"  # create scope: present already (maybe differing: see ``drift``)
    UNMANAGED = "unmanaged"  # live in the environment, no spec file
    REFUSED = "refused"  # cannot converge in place (key schema, LSIs)


@dataclass(frozen=True)
class PlanOptions:
    scope: Scope = Scope.ALL
    allow_destroy: bool = False
    prune: bool = False  # plan DeleteTable for live tables without a file (still needs allow_destroy)


@dataclass(frozen=True)
class TablePlan:
    logical: str
    physical: str
    status: Status
    before: TableSpec | None  # the live state this plan was made against; None = table missing
    changes: tuple[Change, ...] = ()
    held: tuple[Change, ...] = ()  # destructive steps held back for want of --allow-destroy
    drift: tuple[str, ...] = ()  # differences out of this plan's scope, for the report
    reason: str | None = None  # why refused


@dataclass(frozen=True)
class Plan:
    tables: tuple[TablePlan, ...]
    environment: str = ""
    options: PlanOptions = field(default_factory=PlanOptions)

    @property
    def changes(self) -> tuple[Change, ...]:
        return tuple(change for table in self.tables for change in table.changes)

    @property
    def is_empty(self) -> bool:
        return not self.changes

    def table(self, logical: str) -> TablePlan:
        return next(t for t in self.tables if t.logical == logical)


def make_plan(
    desired: Mapping[str, TableSpec],
    actual: Mapping[str, TableSpec],
    namespace: Namespace,
    *,
    arns: Mapping[str, str] | None = None,
    options: PlanOptions | None = None,
) -> Plan:
    """Plan how to take the live tables ``actual`` to the spec files ``desired`` (both by logical name)."""
    options = options or PlanOptions()
    arns = arns or {}
    tables = []
    for logical in sorted(set(desired) | set(actual)):
        physical = namespace.physical(logical)
        arn = arns.get(logical) or placeholder_arn(physical)
        if logical not in actual:
            target = target_spec(desired[logical], namespace.environment)
            tables.append(_plan_missing(logical, physical, target, options))
        elif logical not in desired:
            tables.append(_plan_unmanaged(logical, physical, actual[logical], options))
        else:
            target = target_spec(desired[logical], namespace.environment)
            tables.append(_plan_existing(logical, physical, target, actual[logical], arn, options))
    return Plan(tuple(tables), namespace.environment, options)


def target_spec(spec: TableSpec, environment: str) -> TableSpec:
    """The effective desired state of a file's spec in an environment (defaults and managed tags)."""
    return with_managed_tags(spec.with_defaults(), environment).canonical()


def placeholder_arn(physical: str) -> str:
    """Stands in for a table ARN in plans made without one (pure tests, tables still to be created)."""
    return f"arn:aws:dynamodb:<region>:<account>:table/{physical}"


def simulate(spec: TableSpec | None, changes: tuple[Change, ...] | list[Change]) -> TableSpec | None:
    """The spec after ``changes``, in memory."""
    for change in changes:
        spec = change.apply(spec)
    return spec


def equivalent(a: TableSpec | None, b: TableSpec | None) -> bool:
    """Whether two specs describe the same table (defaults filled in, order ignored)."""
    if a is None or b is None:
        return a is b
    return a.with_defaults().canonical() == b.with_defaults().canonical()


# -- per table -----------------------------------------------------------------------------------------


def _plan_missing(logical: str, physical: str, target: TableSpec, options: PlanOptions) -> TablePlan:
    if options.scope is Scope.INDEXES:
        return TablePlan(logical, physical, Status.REFUSED, None, reason="table does not exist")
    changes: list[Change] = [CreateTable(physical, spec=target)]
    ttl = target.time_to_live_specification
    if ttl is not None and ttl.enabled and ttl.attribute_name:
        changes.append(UpdateTTL(physical, enabled=True, attribute_name=ttl.attribute_name))
    pitr = target.point_in_time_recovery_specification
    if pitr is not None and pitr.point_in_time_recovery_enabled:
        changes.append(UpdatePITR(physical, pitr=pitr))
    return TablePlan(logical, physical, Status.CREATE, None, tuple(changes))


def _plan_unmanaged(logical: str, physical: str, current: TableSpec, options: PlanOptions) -> TablePlan:
    if not options.prune or options.scope is not Scope.ALL:
        return TablePlan(logical, physical, Status.UNMANAGED, current)
    if current.deletion_protection_enabled:
        return TablePlan(
            logical, physical, Status.REFUSED, current,
            reason="no spec file, but deletion protection is on: never deleted by ddbctl",
        )
    delete = DeleteTable(physical)
    if options.allow_destroy:
        return TablePlan(logical, physical, Status.UPDATE, current, (delete,))
    return TablePlan(logical, physical, Status.UNMANAGED, current, held=(delete,))


def _plan_existing(
    logical: str, physical: str, target: TableSpec, current: TableSpec, arn: str, options: PlanOptions
) -> TablePlan:
    current = current.with_defaults().canonical()
    target = resolve(target, current)
    reason = replacement_reason(target, current)
    if reason is not None:
        return TablePlan(logical, physical, Status.REFUSED, current, reason=reason)
    every = list(_steps(physical, arn, target, current, keep=lambda _: True))
    if options.scope is Scope.CREATE:
        return TablePlan(logical, physical, Status.EXISTS, current, drift=tuple(c.summary() for c in every))

    def keep(change: Change) -> bool:
        if options.scope is Scope.INDEXES and not isinstance(change, CreateIndex):
            return False
        return options.allow_destroy or not is_destructive(change)

    kept = list(_steps(physical, arn, target, current, keep))
    held = [c for c in every if is_destructive(c) and not options.allow_destroy]
    if options.scope is Scope.ALL and not held:
        reached = simulate(current, kept)
        if not equivalent(reached, target):  # the planner's own invariant: a full plan reaches the target
            raise AssertionError(f"planner bug: plan for {physical} does not reach its target")
    drift = tuple(c.summary() for c in every if c not in kept and c not in held)
    status = Status.UPDATE if kept else Status.UNCHANGED
    return TablePlan(logical, physical, status, current, tuple(kept), tuple(held), drift)


def resolve(target: TableSpec, current: TableSpec) -> TableSpec:
    """``target`` with the details its file leaves open taken from the live table, so they never show as changes.

    Open details: the KMS key of enabled SSE (AWS managed by default), the PITR recovery period, and
    on-demand throughput limits of the table and of indexes the file does not limit.
    """
    update: dict[str, object] = {}
    sse, live_sse = target.sse_specification, current.sse_specification
    if sse is not None and sse.enabled and sse.kms_master_key_id is None and live_sse is not None and live_sse.enabled:
        update["sse_specification"] = live_sse
    pitr, live_pitr = target.point_in_time_recovery_specification, current.point_in_time_recovery_specification
    if (
        pitr is not None and live_pitr is not None and pitr.point_in_time_recovery_enabled
        and live_pitr.point_in_time_recovery_enabled and pitr.recovery_period_in_days is None
    ):
        update["point_in_time_recovery_specification"] = live_pitr
    if target.on_demand_throughput is None and target.billing_mode == current.billing_mode:
        update["on_demand_throughput"] = current.on_demand_throughput
    update["global_secondary_indexes"] = tuple(_resolve_index(index, current) for index in target.gsis)
    return target.model_copy(update=update)


def _resolve_index(index: GlobalSecondaryIndex, current: TableSpec) -> GlobalSecondaryIndex:
    live = current.gsi(index.index_name)
    if live is None or index.on_demand_throughput is not None:
        return index
    return index.model_copy(update={"on_demand_throughput": live.on_demand_throughput})


def replacement_reason(target: TableSpec, current: TableSpec) -> str | None:
    """Why ``current`` cannot become ``target`` in place, or None."""
    if target.key_schema != current.key_schema:
        return (
            f"key schema differs (live {_keys(current)}, file {_keys(target)}): DynamoDB cannot change a "
            "table's keys; create a new table and migrate the data"
        )
    if target.lsis != current.lsis:
        return (
            "local secondary indexes differ: DynamoDB creates LSIs only with the table; create a new table "
            "and migrate the data"
        )
    live_types = current.attribute_types
    for name, kind in target.attribute_types.items():
        in_use = name in {k.attribute_name for k in current.key_schema} or any(
            name in i.key_attributes for i in current.lsis
        )
        if in_use and live_types.get(name, kind) != kind:
            return f"attribute {name!r} is {live_types[name]} in the live table and {kind} in the file"
    return None


def _keys(spec: TableSpec) -> str:
    return "+".join(f"{k.attribute_name}:{spec.attribute_types.get(k.attribute_name, '?')}" for k in spec.key_schema)


# -- the steps, in DynamoDB's order --------------------------------------------------------------------


def _steps(
    physical: str, arn: str, target: TableSpec, current: TableSpec, keep: Callable[[Change], bool]
) -> Iterator[Change]:
    state = current
    for step in (
        _index_deletions, _table_class, _capacity, _stream, _deletion_protection,
        _index_creations, _sse, _ttl, _pitr, _tags,
    ):
        for change in step(physical, arn, target, state):
            if keep(change):
                applied = change.apply(state)
                assert applied is not None
                state = applied
            yield change


Step = Callable[[str, str, TableSpec, TableSpec], Iterator[Change]]


def _index_deletions(physical: str, arn: str, target: TableSpec, state: TableSpec) -> Iterator[Change]:
    for index in state.gsis:
        wanted = target.gsi(index.index_name)
        if wanted is None or not _same_index_shape(wanted, index, target, state):
            yield DeleteIndex(physical, index_name=index.index_name)


def _same_index_shape(a: GlobalSecondaryIndex, b: GlobalSecondaryIndex, ta: TableSpec, tb: TableSpec) -> bool:
    same_types = all(ta.attribute_types.get(n) == tb.attribute_types.get(n) for n in a.key_attributes)
    return a.key_schema == b.key_schema and a.projection.canonical() == b.projection.canonical() and same_types


def _table_class(physical: str, arn: str, target: TableSpec, state: TableSpec) -> Iterator[Change]:
    if target.table_class != state.table_class and target.table_class is not None:
        yield UpdateTableClass(physical, table_class=target.table_class)


def _capacity(physical: str, arn: str, target: TableSpec, state: TableSpec) -> Iterator[Change]:
    provisioned = target.billing_mode == "PROVISIONED"
    switching = target.billing_mode != state.billing_mode
    index_throughput = tuple(
        (index.index_name, wanted.provisioned_throughput)
        for index in state.gsis
        if (wanted := target.gsi(index.index_name)) is not None and wanted.provisioned_throughput is not None
        and provisioned and (switching or wanted.provisioned_throughput != index.provisioned_throughput)
    )
    table_throughput = target.provisioned_throughput if provisioned and (
        switching or target.provisioned_throughput != state.provisioned_throughput
    ) else None
    on_demand = target.on_demand_throughput if (
        not provisioned and target.on_demand_throughput != state.on_demand_throughput
    ) else None
    if switching or table_throughput or on_demand or index_throughput:
        yield UpdateCapacity(
            physical,
            billing_mode=target.billing_mode if switching else None,
            provisioned_throughput=table_throughput,
            on_demand_throughput=on_demand,
            index_throughput=index_throughput,
        )


def _stream(physical: str, arn: str, target: TableSpec, state: TableSpec) -> Iterator[Change]:
    wanted, live = target.stream_specification, state.stream_specification
    if wanted is None or wanted == live:
        return
    if wanted.stream_enabled and live is not None and live.stream_enabled:
        # DynamoDB cannot change the view type of an enabled stream: disable, then enable anew.
        yield UpdateStream(physical, stream=StreamSpecification(StreamEnabled=False))
    yield UpdateStream(physical, stream=wanted)


def _deletion_protection(physical: str, arn: str, target: TableSpec, state: TableSpec) -> Iterator[Change]:
    if bool(target.deletion_protection_enabled) != bool(state.deletion_protection_enabled):
        yield UpdateDeletionProtection(physical, enabled=bool(target.deletion_protection_enabled))


def _index_creations(physical: str, arn: str, target: TableSpec, state: TableSpec) -> Iterator[Change]:
    # Each creation is its own UpdateTable, computed on the state after the previous one: DynamoDB
    # builds one online index per table at a time, and its AttributeDefinitions must cover all keys.
    for index in target.gsis:
        if state.gsi(index.index_name) is not None:
            continue
        types = {**state.attribute_types, **target.attribute_types}
        with_index = state.model_copy(update={"global_secondary_indexes": (*state.gsis, index)})
        definitions = tuple(
            AttributeDefinition(AttributeName=name, AttributeType=types[name])  # type: ignore[arg-type]
            for name in sorted(with_index.key_attributes())
        )
        change = CreateIndex(physical, index=index, attribute_definitions=definitions)
        state = change.apply(state)
        yield change


def _sse(physical: str, arn: str, target: TableSpec, state: TableSpec) -> Iterator[Change]:
    if target.sse_specification is not None and target.sse_specification != state.sse_specification:
        yield UpdateSSE(physical, sse=target.sse_specification)


def _ttl(physical: str, arn: str, target: TableSpec, state: TableSpec) -> Iterator[Change]:
    wanted, live = target.time_to_live_specification, state.time_to_live_specification
    if wanted is None or wanted == live:
        return
    if live is not None and live.enabled and live.attribute_name:
        # Renaming the TTL attribute is disable, then enable (DynamoDB refuses a direct switch).
        yield UpdateTTL(physical, enabled=False, attribute_name=live.attribute_name)
    if wanted.enabled and wanted.attribute_name:
        yield UpdateTTL(physical, enabled=True, attribute_name=wanted.attribute_name)


def _pitr(physical: str, arn: str, target: TableSpec, state: TableSpec) -> Iterator[Change]:
    wanted = target.point_in_time_recovery_specification
    if wanted is not None and wanted != state.point_in_time_recovery_specification:
        yield UpdatePITR(physical, pitr=wanted)


def _tags(physical: str, arn: str, target: TableSpec, state: TableSpec) -> Iterator[Change]:
    wanted, live = target.tag_map, state.tag_map
    changed = {k: v for k, v in wanted.items() if live.get(k) != v}
    removed = tuple(sorted(k for k in live if k not in wanted))
    if changed:
        yield TagTable(physical, arn=arn, tags=tuple(Tag(Key=k, Value=v) for k, v in sorted(changed.items())))
    if removed:
        yield UntagTable(physical, arn=arn, keys=removed)
