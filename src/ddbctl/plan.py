"""The planner: desired specs vs live specs -> an ordered plan of changes. Pure: no I/O.

Order within one table follows DynamoDB's rules (and Terraform's provider): delete indexes -> table
class -> billing/throughput -> stream -> deletion protection -> create indexes one at a time -> SSE ->
TTL -> PITR -> tags. Key schema and LSIs cannot change in place: such a table is refused, not replaced.

Each step is computed on the state the steps kept before it leave, so a plan is exactly reachable.
A step is *held* when it is destructive and ``allow_destroy`` is off, or when DynamoDB would refuse it
in the state a held step leaves behind (an index whose key needs an attribute type the held index
still uses, a switch to provisioned billing while an index without throughput remains). Everything
else still converges.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from .changes import (
    Change,
    CreateIndex,
    CreateTable,
    DeleteIndex,
    DeleteTable,
    IndexCapacity,
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
    only_used_attributes,
)
from .naming import Namespace
from .spec.convert import MANAGED_BY_TAG, with_managed_tags
from .spec.model import (
    PROVISIONED,
    TTL_OFF,
    AttributeDefinition,
    GlobalSecondaryIndex,
    KeySchemaElement,
    LocalSecondaryIndex,
    StreamSpecification,
    TableSpec,
    Tag,
)


class Scope(StrEnum):
    ALL = "all"  # plan/apply: converge everything
    CREATE = "create"  # create: only missing tables
    INDEXES = "indexes"  # add-gsi: only new global secondary indexes


class Status(StrEnum):
    CREATE = "create"
    UPDATE = "update"  # differs from its file: changes planned, or held (see TablePlan.held)
    UNCHANGED = "unchanged"
    EXISTS = "exists"  # create scope: present already (maybe differing: see ``drift``)
    UNMANAGED = "unmanaged"  # live in the environment, no spec file
    DELETE = "delete"  # owned, no spec file, --prune --allow-destroy: the table is deleted
    REFUSED = "refused"  # cannot converge in place (key schema, LSIs, deletion protection)
    NOT_OWNED = "not-owned"  # fits the environment's names, but its Environment tag is missing or another's


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
    held: tuple[Change, ...] = ()  # steps held back: destructive without --allow-destroy, or blocked by one
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
    def held(self) -> tuple[Change, ...]:
        return tuple(change for table in self.tables for change in table.held)

    @property
    def refused(self) -> tuple[TablePlan, ...]:
        return tuple(table for table in self.tables if table.status is Status.REFUSED)

    @property
    def converged(self) -> bool:
        """Nothing to do, nothing held, nothing refused: the live tables match the files."""
        return not (self.changes or self.held or self.refused)

    def table(self, logical: str) -> TablePlan:
        return next(t for t in self.tables if t.logical == logical)


def make_plan(
    desired: Mapping[str, TableSpec],
    actual: Mapping[str, TableSpec],
    namespace: Namespace,
    *,
    arns: Mapping[str, str] | None = None,
    options: PlanOptions | None = None,
    not_owned: Mapping[str, str] | None = None,
) -> Plan:
    """Plan how to take the live tables ``actual`` to the spec files ``desired`` (both by logical name).

    ``actual`` holds the owned tables only; ``not_owned`` maps the tables under the environment's
    names that it does not own to the reason. Those are listed (status NOT_OWNED) and never changed,
    whether or not a spec file of that name exists.
    """
    options = options or PlanOptions()
    arns = arns or {}
    not_owned = not_owned or {}
    tables = []
    for logical in sorted(set(desired) | set(actual) | set(not_owned)):
        physical = namespace.physical(logical)
        if logical in not_owned and logical not in actual:
            tables.append(TablePlan(logical, physical, Status.NOT_OWNED, None, reason=not_owned[logical]))
            continue
        if logical not in desired:
            tables.append(_plan_unmanaged(logical, physical, actual[logical], options))
            continue
        target = target_spec(desired[logical], namespace.environment)
        if logical not in actual:
            tables.append(_plan_missing(logical, physical, target, options))
        else:
            arn = arns.get(logical) or placeholder_arn(physical)
            target = adopted(target, actual[logical])
            tables.append(_plan_existing(logical, physical, target, actual[logical], arn, options))
    return Plan(tuple(tables), namespace.environment, options)


def target_spec(spec: TableSpec, environment: str) -> TableSpec:
    """The effective desired state of a file's spec in an environment (defaults and managed tags)."""
    return with_managed_tags(spec.with_defaults(), environment).canonical()


def adopted(target: TableSpec, current: TableSpec) -> TableSpec:
    """``target`` with the live table's ManagedBy tag (or none): adoption is explicit, never a planned change.

    ManagedBy=ddbctl is set at create and by ``ddbctl adopt``; a table the seed's script or the
    console made lacks it and still matches its file.
    """
    tags = {key: value for key, value in target.tag_map.items() if key != MANAGED_BY_TAG}
    live = current.tag_map.get(MANAGED_BY_TAG)
    if live is not None:
        tags[MANAGED_BY_TAG] = live
    return target.model_copy(update={"tags": tuple(Tag(key=k, value=v) for k, v in sorted(tags.items()))})


def placeholder_arn(physical: str) -> str:
    """Stands in for a table ARN in plans made without one (pure tests, tables still to be created)."""
    return f"arn:aws:dynamodb:<region>:<account>:table/{physical}"


def simulate(spec: TableSpec | None, changes: tuple[Change, ...] | list[Change]) -> TableSpec | None:
    """The spec after ``changes``, in memory."""
    for change in changes:
        spec = change.apply(spec)
    return spec


def normal_form(spec: TableSpec) -> TableSpec:
    """``spec`` with defaults filled in, lists sorted, only the attribute definitions a key uses, and
    disabled TTL without an attribute name.

    DynamoDB (and moto) may keep describing the attribute of a deleted index for a while; it is no
    part of the table's definition, so it never counts as a difference.
    """
    spec = only_used_attributes(spec.with_defaults().canonical())
    ttl = spec.time_to_live_specification
    if ttl is not None and not ttl.enabled:
        # The attribute name of disabled TTL means nothing.
        spec = spec.model_copy(update={"time_to_live_specification": TTL_OFF})
    return spec


def equivalent(a: TableSpec | None, b: TableSpec | None) -> bool:
    """Whether two specs describe the same table (defaults filled in, order ignored)."""
    if a is None or b is None:
        return a is b
    return normal_form(a) == normal_form(b)


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
    _check_reaches(physical, simulate(None, changes), target)
    return TablePlan(logical, physical, Status.CREATE, None, tuple(changes))


def _plan_unmanaged(logical: str, physical: str, current: TableSpec, options: PlanOptions) -> TablePlan:
    if not options.prune or options.scope is not Scope.ALL:
        return TablePlan(logical, physical, Status.UNMANAGED, current)
    if current.deletion_protection_enabled:
        return TablePlan(
            logical, physical, Status.REFUSED, current,
            reason="no spec file, but deletion protection is on: ddbctl never deletes a protected table",
        )
    delete = DeleteTable(physical)
    if options.allow_destroy:
        return TablePlan(logical, physical, Status.DELETE, current, (delete,))
    return TablePlan(logical, physical, Status.UNMANAGED, current, held=(delete,))


def _plan_existing(
    logical: str, physical: str, target: TableSpec, described: TableSpec, arn: str, options: PlanOptions
) -> TablePlan:
    described = described.model_copy(update={  # what a command did not read is not compared
        name: getattr(target, name) for name in _READ_APART if getattr(described, name) is None})
    before = normal_form(described)  # what apply's recheck compares the live table with
    target = resolve(normal_form(target), before)
    current = consistent_view(before, target)
    reason = replacement_reason(target, current)
    if reason is not None:
        return TablePlan(logical, physical, Status.REFUSED, before, reason=reason)
    if options.scope is Scope.CREATE:
        every, _ = converge_steps(physical, arn, target, current, allowed=lambda _: True)
        return TablePlan(logical, physical, Status.EXISTS, before, drift=tuple(c.summary() for c in every))
    kept, not_kept = converge_steps(physical, arn, target, current, allowed=_allowed(options))
    if options.scope is Scope.ALL:
        held, drift = not_kept, []
        # With --allow-destroy nothing is held: the plan reaches the file, or the table is refused with
        # the reason, so the hint "rerun with --allow-destroy" always works.
        reason = _unreachable(current, kept, not_kept, target, options)
        if reason is not None:
            return TablePlan(logical, physical, Status.REFUSED, before, reason=reason)
    else:
        held = [c for c in not_kept if is_destructive(c) or isinstance(c, CreateIndex)]
        drift = [c.summary() for c in not_kept if c not in held]
    status = Status.UPDATE if kept or held else Status.UNCHANGED
    return TablePlan(logical, physical, status, before, tuple(kept), tuple(held), tuple(drift))


# What DescribeTable does not show: commands that read only DescribeTable leave these unknown (None).
_READ_APART = ("time_to_live_specification", "point_in_time_recovery_specification", "tags")


def _unreachable(
    current: TableSpec, kept: list[Change], not_kept: list[Change], target: TableSpec, options: PlanOptions
) -> str | None:
    """Why the steps cannot take the table to its file (None: they do, or only destructive ones are held)."""
    if options.allow_destroy and not_kept:
        state = simulate(current, kept)
        assert state is not None
        why = "; ".join(f"{c.summary()}: {blocker(c, state) or 'DynamoDB would refuse it'}" for c in not_kept)
        return f"no in-place steps reach the file ({why}); change the file or the live table by hand"
    if not not_kept and not reaches(simulate(current, kept), target):
        left = ", ".join(differences(simulate(current, kept), target)) or "details"
        return f"no in-place steps reach the file (left different: {left}); change the file or the live table by hand"
    return None


def _allowed(options: PlanOptions) -> Callable[[Change], bool]:
    def allowed(change: Change) -> bool:
        if options.scope is Scope.INDEXES and not isinstance(change, CreateIndex):
            return False
        return options.allow_destroy or not is_destructive(change)

    return allowed


def _check_reaches(physical: str, reached: TableSpec | None, target: TableSpec) -> None:
    # The planner's own invariant: a plan for a missing table takes it exactly to its target.
    if not equivalent(reached, target):
        raise AssertionError(f"planner bug: the plan for {physical} does not reach its target")


def reaches(reached: TableSpec | None, target: TableSpec) -> bool:
    """Whether ``reached`` is ``target``, an attribute type the live side does not describe counting as the file's."""
    if reached is None:
        return False
    return equivalent(consistent_view(normal_form(reached), target), target)


def differences(a: TableSpec | None, b: TableSpec) -> list[str]:
    """The top-level fields in which ``a`` and ``b`` differ (in normal form), by their file names."""
    if a is None:
        return ["the table"]
    left, right = normal_form(a), normal_form(b)
    return [field.alias or name for name, field in TableSpec.model_fields.items()
            if getattr(left, name) != getattr(right, name)]


def consistent_view(live: TableSpec, target: TableSpec) -> TableSpec:
    """The live table as the planner reasons about it, when a server described it inconsistently.

    - an index listed twice counts once (the first);
    - a key attribute without an AttributeDefinition (some DynamoDB-compatible servers replace the
      definitions on UpdateTable instead of merging them) has the file's type if the file defines it:
      DynamoDB cannot describe a key without its type, so the live definition is missing, not different.
      Left undefined otherwise;
    - a key attribute defined twice with different types has the file's type if it is one of them, else
      one of the described types (a true difference: the table is refused or the index re-created).
    """
    seen: set[str] = set()
    gsis = []
    for index in live.gsis:
        if index.index_name not in seen:
            seen.add(index.index_name)
            gsis.append(index)
    spec = live.model_copy(update={"global_secondary_indexes": tuple(gsis)})
    described: dict[str, set[str]] = {}
    for definition in live.attribute_definitions:
        described.setdefault(definition.attribute_name, set()).add(definition.attribute_type)
    wanted = target.attribute_types
    definitions = []
    for name in sorted(spec.key_attributes()):
        kinds = described.get(name, set())
        kind = wanted.get(name) if not kinds or wanted.get(name) in kinds else min(kinds)
        if kind is not None:
            definitions.append(AttributeDefinition(attribute_name=name, attribute_type=kind))
    return spec.model_copy(update={"attribute_definitions": tuple(definitions)})


def resolve(target: TableSpec, current: TableSpec) -> TableSpec:
    """``target`` with the details its file leaves open taken from the live table, so they never show as changes.

    Open details: the KMS key of enabled SSE (AWS managed by default), the PITR recovery period,
    and on-demand throughput limits of the table and of indexes the file does not limit.
    """
    update: dict[str, object] = {}
    sse, live_sse = target.sse_specification, current.sse_specification
    if sse is not None and sse.enabled and sse.kms_master_key_id is None and live_sse is not None and live_sse.enabled:
        update["sse_specification"] = live_sse
    pitr = target.point_in_time_recovery_specification
    live_pitr = current.point_in_time_recovery_specification
    if (
        pitr is not None and live_pitr is not None and pitr.point_in_time_recovery_enabled
        and live_pitr.point_in_time_recovery_enabled and pitr.recovery_period_in_days is None
    ):
        update["point_in_time_recovery_specification"] = live_pitr
    if target.on_demand_throughput is None and target.billing_mode == current.billing_mode:
        update["on_demand_throughput"] = current.on_demand_throughput
    update["global_secondary_indexes"] = tuple(_resolve_index(index, target, current) for index in target.gsis)
    return target.model_copy(update=update)


def _resolve_index(index: GlobalSecondaryIndex, target: TableSpec, current: TableSpec) -> GlobalSecondaryIndex:
    live = current.gsi(index.index_name)
    if live is None or index.on_demand_throughput is not None or target.billing_mode != current.billing_mode:
        return index
    return index.model_copy(update={"on_demand_throughput": live.on_demand_throughput})


def replacement_reason(target: TableSpec, current: TableSpec) -> str | None:
    """Why ``current`` cannot become ``target`` in place, or None."""
    if target.key_schema != current.key_schema:
        return (
            f"key schema differs (live {_keys(current)}, file {_keys(target)}): DynamoDB cannot change a "
            "table's keys; a new table is needed: create one and migrate the data"
        )
    if target.lsis != current.lsis:
        return (
            f"local secondary indexes differ (live {_names(current.lsis)}, file {_names(target.lsis)}): "
            "DynamoDB creates LSIs only with the table; a new table is needed: create one and migrate the data"
        )
    live_types = current.attribute_types
    table_keys = {k.attribute_name for k in current.key_schema}
    for name, kind in target.attribute_types.items():
        in_use = name in table_keys or any(name in i.key_attributes for i in current.lsis)
        if in_use and live_types.get(name, kind) != kind:
            return (
                f"key attribute {name!r} is {live_types[name]} in the live table and {kind} in the file: "
                "a new table is needed: create one and migrate the data"
            )
    return None


def _keys(spec: TableSpec) -> str:
    return keys_text(spec.key_schema, spec.attribute_types)


def keys_text(schema: Sequence[KeySchemaElement], types: Mapping[str, str]) -> str:
    """A key schema as messages show it: ``companyId:S+createdAt:N`` (``?`` for an unknown type)."""
    return "+".join(f"{k.attribute_name}:{types.get(k.attribute_name, '?')}" for k in schema)


def _names(indexes: tuple[LocalSecondaryIndex, ...]) -> str:
    return ", ".join(index.index_name for index in indexes) or "none"


# -- the steps, in DynamoDB's order --------------------------------------------------------------------


@dataclass
class _Draft:
    """One table while its plan is drawn up: ``state`` is where the steps kept so far leave it."""

    physical: str
    arn: str
    target: TableSpec
    state: TableSpec


Step = Callable[[_Draft], Iterator[Change]]


def converge_steps(
    physical: str, arn: str, target: TableSpec, current: TableSpec, allowed: Callable[[Change], bool]
) -> tuple[list[Change], list[Change]]:
    """(kept, not kept): the steps from ``current`` to ``target`` in DynamoDB's order.

    A step is kept when ``allowed`` and DynamoDB would accept it in the state the kept steps before it
    leave; each step is computed on that state, so every kept step changes something.
    """
    draft = _Draft(physical, arn, target, current)
    kept: list[Change] = []
    not_kept: list[Change] = []
    for step in STEPS:
        for change in step(draft):
            if allowed(change) and blocker(change, draft.state) is None:
                applied = change.apply(draft.state)
                assert applied is not None
                draft.state = applied
                kept.append(change)
            else:
                not_kept.append(change)
    return kept, not_kept


def blocker(change: Change, state: TableSpec) -> str | None:
    """Why DynamoDB would refuse ``change`` on a table in ``state``, or None."""
    if isinstance(change, CreateIndex):
        used = set(state.key_attributes())
        types = state.attribute_types
        for definition in change.attribute_definitions:
            name = definition.attribute_name
            if name in used and types.get(name, definition.attribute_type) != definition.attribute_type:
                return f"attribute {name!r} is still {types[name]} in a key of the table or another index"
        if (change.index.provisioned_throughput is not None) != (state.billing_mode == PROVISIONED):
            return f"the index's throughput does not fit the table's billing mode {state.billing_mode}"
    if isinstance(change, UpdateCapacity) and change.billing_mode == PROVISIONED:
        given = {index.index_name for index in change.indexes if index.provisioned is not None}
        missing = sorted(i.index_name for i in state.gsis if i.index_name not in given)
        if missing:
            return f"provisioned billing needs throughput for index(es) {', '.join(missing)}"
    return None


def _index_deletions(draft: _Draft) -> Iterator[Change]:
    for index in tuple(draft.state.gsis):
        wanted = draft.target.gsi(index.index_name)
        if wanted is None:
            yield DeleteIndex(draft.physical, index_name=index.index_name)
        elif not _same_index_shape(wanted, index, draft.target, draft.state):
            yield DeleteIndex(draft.physical, index_name=index.index_name, recreate=True)


def _same_index_shape(a: GlobalSecondaryIndex, b: GlobalSecondaryIndex, ta: TableSpec, tb: TableSpec) -> bool:
    same_types = all(ta.attribute_types.get(n) == tb.attribute_types.get(n) for n in a.key_attributes)
    same_projection = a.projection.canonical() == b.projection.canonical()
    return a.key_schema == b.key_schema and same_projection and same_types


def _table_class(draft: _Draft) -> Iterator[Change]:
    wanted = draft.target.table_class
    if wanted is not None and wanted != draft.state.table_class:
        yield UpdateTableClass(draft.physical, table_class=wanted)


def _capacity(draft: _Draft) -> Iterator[Change]:
    target, state = draft.target, draft.state
    provisioned = target.billing_mode == PROVISIONED
    switching = target.billing_mode != state.billing_mode
    indexes = tuple(
        capacity for index in state.gsis
        if (wanted := target.gsi(index.index_name)) is not None
        and (capacity := _index_capacity_change(wanted, index, provisioned, switching)) is not None
    )
    table_throughput = target.provisioned_throughput if provisioned and (
        switching or target.provisioned_throughput != state.provisioned_throughput
    ) else None
    on_demand = target.on_demand_throughput if (
        not provisioned and target.on_demand_throughput != state.on_demand_throughput
    ) else None
    if switching or table_throughput or on_demand or indexes:
        yield UpdateCapacity(
            draft.physical,
            billing_mode=target.billing_mode if switching else None,
            provisioned_throughput=table_throughput,
            on_demand_throughput=on_demand,
            indexes=indexes,
        )


def _index_capacity_change(
    wanted: GlobalSecondaryIndex, live: GlobalSecondaryIndex, provisioned: bool, switching: bool
) -> IndexCapacity | None:
    if provisioned:
        throughput = wanted.provisioned_throughput
        if throughput is not None and (switching or throughput != live.provisioned_throughput):
            return IndexCapacity(wanted.index_name, provisioned=throughput)
        return None
    limits = wanted.on_demand_throughput
    if limits is not None and limits != live.on_demand_throughput:
        return IndexCapacity(wanted.index_name, on_demand=limits)
    return None


def _stream(draft: _Draft) -> Iterator[Change]:
    wanted, live = draft.target.stream_specification, draft.state.stream_specification
    if wanted is None or wanted == live:
        return
    if wanted.stream_enabled and live is not None and live.stream_enabled:
        # DynamoDB cannot change the view type of an enabled stream: disable, then enable anew.
        yield UpdateStream(draft.physical, stream=StreamSpecification(stream_enabled=False))
    yield UpdateStream(draft.physical, stream=wanted)


def _deletion_protection(draft: _Draft) -> Iterator[Change]:
    wanted = bool(draft.target.deletion_protection_enabled)
    if wanted != bool(draft.state.deletion_protection_enabled):
        yield UpdateDeletionProtection(draft.physical, enabled=wanted)


def _index_creations(draft: _Draft) -> Iterator[Change]:
    # One UpdateTable per index, each computed on the state after the previous kept one: DynamoDB
    # builds one online index per table at a time, and AttributeDefinitions must cover every key.
    for index in draft.target.gsis:
        state = draft.state
        if state.gsi(index.index_name) is not None:
            continue
        types = {**state.attribute_types, **draft.target.attribute_types}
        definitions = with_added_indexes(state, (index,), types).attribute_definitions
        yield CreateIndex(draft.physical, index=index, attribute_definitions=definitions)


def with_added_indexes(
    spec: TableSpec, indexes: Sequence[GlobalSecondaryIndex], types: Mapping[str, str]
) -> TableSpec:
    """``spec`` plus ``indexes``, defining exactly the attributes its keys use (types from ``types``)."""
    added = spec.model_copy(update={"global_secondary_indexes": (*spec.gsis, *indexes)})
    # An attribute of unknown type is left out: DynamoDB merges UpdateTable's definitions with the table's.
    definitions = tuple(
        AttributeDefinition(attribute_name=name, attribute_type=types[name])
        for name in sorted(added.key_attributes()) if name in types
    )
    return added.model_copy(update={"attribute_definitions": definitions})


def _sse(draft: _Draft) -> Iterator[Change]:
    wanted = draft.target.sse_specification
    if wanted is not None and wanted != draft.state.sse_specification:
        yield UpdateSSE(draft.physical, sse=wanted)


def _ttl(draft: _Draft) -> Iterator[Change]:
    wanted, live = draft.target.time_to_live_specification, draft.state.time_to_live_specification
    if wanted is None or wanted == live:
        return
    if live is not None and live.enabled and live.attribute_name:
        # Renaming the TTL attribute is disable, then enable (DynamoDB refuses a direct switch).
        yield UpdateTTL(draft.physical, enabled=False, attribute_name=live.attribute_name)
    if wanted.enabled and wanted.attribute_name:
        yield UpdateTTL(draft.physical, enabled=True, attribute_name=wanted.attribute_name)


def _pitr(draft: _Draft) -> Iterator[Change]:
    wanted = draft.target.point_in_time_recovery_specification
    if wanted is not None and wanted != draft.state.point_in_time_recovery_specification:
        yield UpdatePITR(draft.physical, pitr=wanted)


def _tags(draft: _Draft) -> Iterator[Change]:
    wanted, live = draft.target.tag_map, draft.state.tag_map
    changed = {k: v for k, v in wanted.items() if live.get(k) != v}
    removed = tuple(sorted(k for k in live if k not in wanted))
    if changed:
        tags = tuple(Tag(key=k, value=v) for k, v in sorted(changed.items()))
        yield TagTable(draft.physical, arn=draft.arn, tags=tags)
    if removed:
        yield UntagTable(draft.physical, arn=draft.arn, keys=removed)


STEPS: tuple[Step, ...] = (
    _index_deletions, _table_class, _capacity, _stream, _deletion_protection,
    _index_creations, _sse, _ttl, _pitr, _tags,
)
