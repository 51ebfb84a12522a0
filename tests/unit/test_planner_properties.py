"""Properties of the planner over generated valid table specs (hypothesis).

``live(a)`` is table ``a`` as DynamoDB describes it once created from its file; ``plan(b, live(a))``
takes it to file ``b``. For any valid ``a`` and ``b`` with the same keys and LSIs, the plan reaches
``b`` exactly, sends no no-op, keeps DynamoDB's order rules and holds every destructive step without
``allow_destroy``; for other pairs it is refused.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ddbctl.changes import (
    Change,
    CreateIndex,
    CreateTable,
    DeleteIndex,
    UpdateCapacity,
    UpdatePITR,
    UpdateTTL,
    is_destructive,
)
from ddbctl.naming import Namespace
from ddbctl.plan import (
    STEPS,
    PlanOptions,
    Status,
    TablePlan,
    equivalent,
    make_plan,
    normal_form,
    resolve,
    simulate,
    target_spec,
)
from ddbctl.spec import rules
from ddbctl.spec.model import TableSpec

from ..examples import examples

NS = Namespace("staging", "app")
ALLOW = PlanOptions(allow_destroy=True)
ATTRIBUTES = ("a", "b", "c", "d")
INDEX_NAMES = ("by-one", "by-two", "by-three", "by-four")
TYPES = st.sampled_from(("S", "N", "B"))
UNITS = st.integers(1, 3).map(lambda n: {"ReadCapacityUnits": n, "WriteCapacityUnits": n + 1})
STEP_RANK = {
    "delete-index": 0, "update-class": 1, "update-capacity": 2, "update-stream": 3,
    "update-deletion-protection": 4, "create-index": 5, "update-sse": 6, "update-ttl": 7, "update-pitr": 8,
    "tag": 9, "untag": 9,
}
FAST = settings(max_examples=examples(120), deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- strategies ----------------------------------------------------------------------------------------


@st.composite
def shapes(draw: st.DrawFn) -> dict[str, Any]:
    """What two specs must share to converge in place: keys, LSIs and the types of their attributes."""
    sort_key = draw(st.booleans())
    keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
    types = {"pk": draw(TYPES)}
    lsis = []
    if sort_key:
        keys.append({"AttributeName": "sk", "KeyType": "RANGE"})
        types["sk"] = draw(TYPES)
        if draw(st.booleans()):
            types["l"] = draw(TYPES)
            lsi_keys = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "l", "KeyType": "RANGE"}]
            lsis.append({"IndexName": "by-local", "Projection": {"ProjectionType": "KEYS_ONLY"}, "KeySchema": lsi_keys})
    return {"keys": keys, "types": types, "lsis": lsis}


def index_strategy(name: str, provisioned: bool) -> st.SearchStrategy[dict[str, Any]]:
    keys = st.lists(st.sampled_from(ATTRIBUTES), min_size=1, max_size=2, unique=True).map(
        lambda names: [{"AttributeName": n, "KeyType": t} for n, t in zip(names, ("HASH", "RANGE"), strict=False)])
    projection = st.one_of(
        st.sampled_from(({"ProjectionType": "ALL"}, {"ProjectionType": "KEYS_ONLY"})),
        st.lists(st.sampled_from(("x", "y", "z")), min_size=1, max_size=2, unique=True).map(
            lambda names: {"ProjectionType": "INCLUDE", "NonKeyAttributes": names}),
    )
    extra = st.fixed_dictionaries({"ProvisionedThroughput": UNITS}) if provisioned else st.one_of(
        st.just({}), st.fixed_dictionaries({"OnDemandThroughput": st.fixed_dictionaries(
            {"MaxReadRequestUnits": st.integers(1, 9)})}))
    return st.builds(lambda k, p, e: {"IndexName": name, "KeySchema": k, "Projection": p, **e}, keys, projection, extra)


@st.composite
def file_specs(draw: st.DrawFn, shape: dict[str, Any]) -> TableSpec:
    """A valid spec file for table ``orders`` with the given keys and LSIs; every other field varies."""
    provisioned = draw(st.booleans())
    names = draw(st.lists(st.sampled_from(INDEX_NAMES), max_size=3, unique=True))
    gsis = [draw(index_strategy(name, provisioned)) for name in names]
    types = {**{n: draw(TYPES) for n in ATTRIBUTES}, **shape["types"]}
    used = {k["AttributeName"] for index in [{"KeySchema": shape["keys"]}, *gsis, *shape["lsis"]]
            for k in index["KeySchema"]}
    document: dict[str, Any] = {
        "TableName": "orders",
        "KeySchema": shape["keys"],
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": types[n]} for n in sorted(used)],
    }
    if gsis:
        document["GlobalSecondaryIndexes"] = gsis
    if shape["lsis"]:
        document["LocalSecondaryIndexes"] = shape["lsis"]
    if provisioned:
        document.update(BillingMode="PROVISIONED", ProvisionedThroughput=draw(UNITS))
    else:
        document.update(draw(st.sampled_from(({}, {"BillingMode": "PAY_PER_REQUEST"}, {
            "OnDemandThroughput": {"MaxWriteRequestUnits": 5}}))))
    document.update(draw(optional_fields()))
    spec = TableSpec.model_validate(document)
    assert rules.check(spec) == [], rules.check(spec)
    return spec


def optional_fields() -> st.SearchStrategy[dict[str, Any]]:
    def field(name: str, *values: Any) -> st.SearchStrategy[dict[str, Any]]:
        return st.sampled_from(({}, *({name: value} for value in values)))

    parts = [
        field("StreamSpecification", {"StreamEnabled": False}, {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
              {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}),
        field("SSESpecification", {"Enabled": False}, {"Enabled": True}, {"Enabled": True, "SSEType": "KMS",
                                                                          "KMSMasterKeyId": "alias/team"}),
        field("TableClass", "STANDARD", "STANDARD_INFREQUENT_ACCESS"),
        field("DeletionProtectionEnabled", False, True),
        field("TimeToLiveSpecification", {"Enabled": False}, {"Enabled": True, "AttributeName": "ttl"},
              {"Enabled": True, "AttributeName": "expires"}),
        field("PointInTimeRecoverySpecification", {"PointInTimeRecoveryEnabled": False},
              {"PointInTimeRecoveryEnabled": True}, {"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 7}),
        st.dictionaries(st.sampled_from(("team", "cost", "owner")), st.sampled_from(("1", "2")), max_size=3).map(
            lambda tags: {"Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]} if tags else {}),
    ]
    return st.tuples(*parts).map(lambda dicts: {k: v for d in dicts for k, v in d.items()})


@st.composite
def pairs(draw: st.DrawFn) -> tuple[TableSpec, TableSpec]:
    shape = draw(shapes())
    return draw(file_specs(shape)), draw(file_specs(shape))


@st.composite
def incompatible_pairs(draw: st.DrawFn) -> tuple[TableSpec, TableSpec]:
    first, second = draw(shapes()), draw(shapes())
    same = first["keys"] == second["keys"] and first["lsis"] == second["lsis"] and all(
        first["types"].get(n) == t for n, t in second["types"].items())
    if same:
        second = {**second, "types": {**second["types"], "pk": "B" if second["types"]["pk"] != "B" else "S"}}
    return draw(file_specs(first)), draw(file_specs(second))


# -- helpers -------------------------------------------------------------------------------------------


def live(file_spec: TableSpec) -> TableSpec:
    return target_spec(file_spec, NS.environment)


def plan(desired: TableSpec | None, actual: TableSpec | None, options: PlanOptions | None = None) -> TablePlan:
    tables = make_plan({"orders": desired} if desired else {}, {"orders": actual} if actual else {}, NS,
                       options=options)
    return tables.table("orders")


def goal(b: TableSpec, a: TableSpec) -> TableSpec:
    """The resolved target: file ``b`` as a table, with the details its file leaves open taken from ``a``."""
    current = normal_form(live(a))
    return resolve(normal_form(live(b)), current)


def states(start: TableSpec | None, changes: tuple[Change, ...]) -> list[tuple[TableSpec | None, Change]]:
    """Each change with the state it is applied to."""
    result = []
    for change in changes:
        result.append((start, change))
        start = change.apply(start)
    return result


def dynamodb_refuses(change: Change, state: TableSpec) -> bool:
    """DynamoDB's rules for a step on a table in ``state``, stated apart from the planner's own."""
    if isinstance(change, CreateIndex):
        after = change.apply(state)
        types = state.attribute_types
        clash = any(d.attribute_name in state.key_attributes() and types[d.attribute_name] != d.attribute_type
                    for d in change.attribute_definitions)
        covered = {d.attribute_name for d in change.attribute_definitions} == set(after.key_attributes())
        throughput_fits = (change.index.provisioned_throughput is not None) == (state.billing_mode == "PROVISIONED")
        return clash or not covered or not throughput_fits
    if isinstance(change, UpdateCapacity) and change.billing_mode == "PROVISIONED":
        return {i.index_name for i in change.indexes} != {i.index_name for i in state.gsis}
    return False


# -- properties ----------------------------------------------------------------------------------------


@FAST
@given(pairs())
def test_a_table_matching_its_file_plans_nothing(pair: tuple[TableSpec, TableSpec]) -> None:
    a, _ = pair
    table = plan(a, live(a), ALLOW)
    assert (table.status, table.changes, table.held) == (Status.UNCHANGED, (), ())


@FAST
@given(pairs())
def test_a_plan_reaches_the_resolved_target_and_then_plans_nothing(pair: tuple[TableSpec, TableSpec]) -> None:
    a, b = pair
    table = plan(b, live(a), ALLOW)
    assert table.held == ()
    reached = simulate(normal_form(live(a)), table.changes)
    assert equivalent(reached, goal(b, a))
    assert reached is not None and plan(b, reached, ALLOW).changes == ()


@FAST
@given(pairs())
def test_every_step_changes_something_and_is_acceptable_to_dynamodb(pair: tuple[TableSpec, TableSpec]) -> None:
    a, b = pair
    for state, change in states(normal_form(live(a)), plan(b, live(a), ALLOW).changes):
        assert state is not None
        assert not equivalent(change.apply(state), state), f"no-op step {change.summary()}"
        assert not dynamodb_refuses(change, state), change.summary()


@FAST
@given(pairs())
def test_steps_follow_dynamodbs_order_rules(pair: tuple[TableSpec, TableSpec]) -> None:
    a, b = pair
    changes = plan(b, live(a), ALLOW).changes
    ranks = [STEP_RANK[c.kind] for c in changes]
    assert ranks == sorted(ranks)
    kinds = [type(c) for c in changes]
    if DeleteIndex in kinds and CreateIndex in kinds:
        assert max(i for i, k in enumerate(kinds) if k is DeleteIndex) < kinds.index(CreateIndex)
    for change in changes:
        for request in change.requests():
            updates = request.params.get("GlobalSecondaryIndexUpdates", [])
            assert sum(1 for u in updates if "Create" in u or "Delete" in u) <= 1
    assert len(STEPS) == len(set(STEP_RANK.values()))  # every planner step has its rank here


@FAST
@given(st.data())
def test_a_new_table_is_created_first_and_gets_ttl_and_pitr_after(data: st.DataObject) -> None:
    b = data.draw(file_specs(data.draw(shapes())))
    changes = plan(b, None).changes
    assert isinstance(changes[0], CreateTable)
    assert all(isinstance(c, UpdateTTL | UpdatePITR) for c in changes[1:])
    assert equivalent(simulate(None, changes), live(b))


@FAST
@given(pairs())
def test_destructive_steps_are_held_without_allow_destroy(pair: tuple[TableSpec, TableSpec]) -> None:
    a, b = pair
    allowed, cautious = plan(b, live(a), ALLOW), plan(b, live(a))
    assert not any(is_destructive(c) for c in cautious.changes)
    assert not any(dynamodb_refuses(c, s) for s, c in states(normal_form(live(a)), cautious.changes) if s)
    destructive = [c for c in allowed.changes if is_destructive(c)]
    if not destructive:
        assert (cautious.changes, cautious.held) == (allowed.changes, ())
        return
    assert cautious.held and is_destructive(cautious.held[0])
    assert {c.kind for c in destructive} <= {c.kind for c in cautious.held}
    # What is held can still be done later: from where the cautious plan leaves the table, an
    # allowed plan reaches the target.
    halfway = simulate(normal_form(live(a)), cautious.changes)
    assert halfway is not None
    assert equivalent(simulate(halfway, plan(b, halfway, ALLOW).changes), goal(b, a))


@FAST
@given(incompatible_pairs())
def test_a_table_needing_replacement_is_refused(pair: tuple[TableSpec, TableSpec]) -> None:
    a, b = pair
    table = plan(b, live(a), ALLOW)
    assert (table.status, table.changes, table.held) == (Status.REFUSED, (), ())
    assert table.reason is not None and "new table" in table.reason
