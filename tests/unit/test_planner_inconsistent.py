"""The planner over *inconsistent* live states (hypothesis): what servers that are not quite DynamoDB
describe, or what a table looks like between two changes made by hand.

Live states are made from a valid table and then damaged: AttributeDefinitions dropped (a server that
replaces them on UpdateTable instead of merging), defined twice with two types, a GSI key attribute given
another type, an index listed twice. For every such state the planner terminates, and with
``allow_destroy`` either reaches the file or refuses the table with a reason; nothing is ever held then
(a held step would never be unblocked by the hint "rerun with --allow-destroy"). Every step is a request
DynamoDB accepts in the state it applies to, a CreateIndex is never held as destructive, and planning again
from where the plan leaves the table plans nothing. The checks here are written from DynamoDB's rules, not
from the planner's own helpers.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ddbctl.changes import Change, CreateIndex, DeleteIndex, UpdateCapacity, is_destructive
from ddbctl.naming import Namespace
from ddbctl.plan import PlanOptions, Scope, Status, TablePlan, make_plan, normal_form, resolve, target_spec
from ddbctl.spec.convert import spec_from_description
from ddbctl.spec.model import AttributeDefinition, TableSpec

from .test_planner_properties import pairs

NS = Namespace("staging", "app")
ALLOW = PlanOptions(allow_destroy=True)
MANY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
OTHER_TYPE = {"S": "N", "N": "B", "B": "S"}


@st.composite
def damaged(draw: st.DrawFn, spec: TableSpec) -> TableSpec:
    """``spec`` (a live table) as an inconsistent server might describe it."""
    definitions = list(spec.attribute_definitions)
    gsi_only = {n for i in spec.gsis for n in i.key_attributes} - {k.attribute_name for k in spec.key_schema} - {
        n for i in spec.lsis for n in i.key_attributes}
    kind = draw(st.sampled_from(("drop", "replaced", "twice", "retyped", "index-twice", "mixed")))
    if kind in ("drop", "mixed"):
        keep = draw(st.lists(st.booleans(), min_size=len(definitions), max_size=len(definitions)))
        definitions = [d for d, kept in zip(definitions, keep, strict=True) if kept]
    if kind == "replaced" and spec.gsis:
        # A server that replaced the definitions with those of the last index added by hand.
        index = draw(st.sampled_from(spec.gsis))
        definitions = [d for d in definitions if d.attribute_name in index.key_attributes]
    if kind in ("twice", "mixed") and definitions:
        first = draw(st.sampled_from(definitions))
        definitions.append(AttributeDefinition(attribute_name=first.attribute_name,
                                               attribute_type=OTHER_TYPE[first.attribute_type]))
    if kind == "retyped" and gsi_only:
        name = draw(st.sampled_from(sorted(gsi_only)))
        definitions = [AttributeDefinition(attribute_name=name, attribute_type=OTHER_TYPE[d.attribute_type])
                       if d.attribute_name == name else d for d in definitions]
    update: dict[str, Any] = {"attribute_definitions": tuple(definitions)}
    if kind in ("index-twice", "mixed") and spec.gsis:
        update["global_secondary_indexes"] = (*spec.gsis, draw(st.sampled_from(spec.gsis)))
    return spec.model_copy(update=update)


@st.composite
def inconsistent_cases(draw: st.DrawFn) -> tuple[TableSpec, TableSpec]:
    """(live, file): a damaged live table and a file with the same keys and LSIs."""
    a, b = draw(pairs())
    return draw(damaged(target_spec(a, NS.environment))), b


def plan(desired: TableSpec, actual: TableSpec, options: PlanOptions | None = None) -> TablePlan:
    return make_plan({"orders": desired}, {"orders": actual}, NS, options=options).table("orders")


def types_of(spec: TableSpec) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for definition in spec.attribute_definitions:
        found.setdefault(definition.attribute_name, set()).add(definition.attribute_type)
    return found


def refusal_by_dynamodb(change: Change, state: TableSpec) -> str | None:
    """Why DynamoDB refuses ``change`` on ``state`` (definitions a server lost are unknown, not different)."""
    known = {name: next(iter(kinds)) for name, kinds in types_of(state).items() if len(kinds) == 1}
    used = {k.attribute_name for k in state.key_schema} | {n for i in [*state.gsis, *state.lsis]
                                                            for n in i.key_attributes}
    if isinstance(change, CreateIndex):
        if any(i.index_name == change.index.index_name for i in state.gsis):
            return "index exists"
        given = {d.attribute_name: d.attribute_type for d in change.attribute_definitions}
        if not set(change.index.key_attributes) <= set(given):
            return "a key attribute of the new index is not defined"
        if any(name in used and known.get(name, kind) != kind for name, kind in given.items()):
            return "a definition clashes with a key in use"
        if (change.index.provisioned_throughput is not None) != (state.billing_mode == "PROVISIONED"):
            return "throughput does not fit the billing mode"
    if isinstance(change, DeleteIndex) and not any(i.index_name == change.index_name for i in state.gsis):
        return "no such index"
    if isinstance(change, UpdateCapacity) and change.billing_mode == "PROVISIONED":
        given_names = {i.index_name for i in change.indexes if i.provisioned is not None}
        if not {i.index_name for i in state.gsis} <= given_names:
            return "an index lacks throughput"
    return None


def reached_file(reached: TableSpec, goal: TableSpec) -> bool:
    """``reached`` is ``goal``; an attribute the live side does not describe may stay undescribed."""
    mine, wanted = normal_form(reached), normal_form(goal)
    described = types_of(mine)
    if any(d.attribute_type not in described.get(d.attribute_name, {d.attribute_type})
           for d in wanted.attribute_definitions):
        return False
    # The same index listed twice by a server is one index.
    mine = mine.model_copy(update={"global_secondary_indexes": tuple(dict.fromkeys(mine.gsis))})
    strip = {"attribute_definitions": ()}
    return mine.model_copy(update=strip) == wanted.model_copy(update=strip)


def key_type_really_differs(live: TableSpec, file: TableSpec) -> bool:
    """Whether a table or LSI key attribute is described, and never with the file's type."""
    described = types_of(live)
    keys = {k.attribute_name for k in live.key_schema} | {n for i in live.lsis for n in i.key_attributes}
    wanted = file.attribute_types
    return any(described.get(n) and wanted[n] not in described[n] for n in keys if n in wanted)


def walk(start: TableSpec, changes: tuple[Change, ...]) -> TableSpec:
    state = start
    for change in changes:
        refusal = refusal_by_dynamodb(change, state)
        assert refusal is None, f"{change.summary()}: {refusal}"
        applied = change.apply(state)
        assert applied is not None
        state = applied
    return state


# -- properties ----------------------------------------------------------------------------------------


@MANY
@given(inconsistent_cases())
def test_with_allow_destroy_the_plan_reaches_the_file_or_refuses(case: tuple[TableSpec, TableSpec]) -> None:
    live, file = case
    table = plan(file, live, ALLOW)
    assert table.held == ()
    if table.status is Status.REFUSED:
        assert table.reason and table.changes == ()
        assert key_type_really_differs(normal_form(live), target_spec(file, NS.environment)), table.reason
        return
    reached = walk(normal_form(live), table.changes)
    goal = resolve(normal_form(target_spec(file, NS.environment)), normal_form(live))
    assert reached_file(reached, goal)
    again = plan(file, reached, ALLOW)
    assert (again.status, again.changes, again.held) == (Status.UNCHANGED, (), ())


@MANY
@given(inconsistent_cases())
def test_without_allow_destroy_only_destructive_steps_are_held(case: tuple[TableSpec, TableSpec]) -> None:
    live, file = case
    table = plan(file, live)
    walk(normal_form(live), table.changes)
    assert not any(is_destructive(c) for c in table.changes)
    if table.held:
        # Held steps wait for a destructive one; the hint --allow-destroy then converges (or refuses).
        assert is_destructive(table.held[0])
        assert plan(file, live, ALLOW).held == ()


@MANY
@given(inconsistent_cases())
def test_add_gsi_and_create_scopes_terminate_and_send_valid_requests(case: tuple[TableSpec, TableSpec]) -> None:
    live, file = case
    for scope in (Scope.INDEXES, Scope.CREATE):
        table = plan(file, live, PlanOptions(scope=scope))
        walk(normal_form(live), table.changes)
        assert not any(isinstance(c, CreateIndex) and is_destructive(c) for c in table.held)


def test_definitions_replaced_by_a_server_are_not_a_change() -> None:
    """Issue 8's stuck index: the server kept only the hand-made index's definition; the untouched index
    by-email and the table's keys lost theirs. Nothing is to be done, and nothing is held."""
    file = TableSpec.model_validate({
        "TableName": "orders",
        "KeySchema": [{"AttributeName": "companyId", "KeyType": "HASH"},
                      {"AttributeName": "userId", "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": "S"} for n in ("companyId", "email", "name",
                                                                                       "userId")],
        "GlobalSecondaryIndexes": [
            {"IndexName": "by-email", "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "ALL"}},
            {"IndexName": "by-name", "KeySchema": [{"AttributeName": "name", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "ALL"}},
        ],
    })
    live = target_spec(file, NS.environment).model_copy(
        update={"attribute_definitions": (AttributeDefinition(attribute_name="name", attribute_type="S"),)})
    for options in (PlanOptions(), ALLOW):
        table = plan(file, live, options)
        assert (table.status, table.changes, table.held) == (Status.UNCHANGED, (), ())
    # And an index to add still gets a request that DynamoDB (which merges definitions) accepts.
    wider = file.model_copy(update={
        "global_secondary_indexes": (*file.gsis, file.gsis[0].model_copy(update={"index_name": "by-email-2"}))})
    table = plan(wider, live, ALLOW)
    assert [c.kind for c in table.changes] == ["create-index"] and table.held == ()
    walk(normal_form(live), table.changes)


def test_indexes_in_odd_states() -> None:
    """An index being deleted is gone (the file's index of that name is created again once it is); one being
    created or updated is there (apply waits for it before any next step)."""
    file = TableSpec.model_validate({
        "TableName": "orders", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                 {"AttributeName": "e", "AttributeType": "S"}],
        "GlobalSecondaryIndexes": [{"IndexName": "by-e", "KeySchema": [{"AttributeName": "e", "KeyType": "HASH"}],
                                    "Projection": {"ProjectionType": "ALL"}}],
    })
    request = target_spec(file, NS.environment).to_request()
    for status, kinds in (("DELETING", ["create-index"]), ("CREATING", []), ("UPDATING", []), ("ACTIVE", [])):
        described = {**request, "TableStatus": "ACTIVE", "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
                     "SSEDescription": {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": "arn:aws:kms:k"},
                     "GlobalSecondaryIndexes": [{**index, "IndexStatus": status}
                                                for index in request["GlobalSecondaryIndexes"]]}
        live = spec_from_description("orders", described, {"TimeToLiveStatus": "DISABLED"},
                                     {"PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "ENABLED"}},
                                     request["Tags"])
        for options in (PlanOptions(), ALLOW):
            table = plan(file, live, options)
            assert [c.kind for c in table.changes] == kinds, status
            assert table.held == ()
