"""The planner's details a user sees: whole TablePlans (names, statuses, reasons), messages, and the
details a file leaves open. Written against mutants of plan.py that the other planner tests let live
(tools/mutation): each test pins one behaviour, through the public make_plan where it can."""

from __future__ import annotations

from typing import Any

from ddbctl.changes import (
    CreateIndex,
    CreateTable,
    DeleteIndex,
    DeleteTable,
    IndexCapacity,
    UpdateCapacity,
)
from ddbctl.plan import (
    PlanOptions,
    Scope,
    Status,
    TablePlan,
    blocker,
    equivalent,
    keys_text,
    make_plan,
    normal_form,
)
from ddbctl.spec.model import OnDemandThroughput, TableSpec

from .test_planner import ALLOW, NS, TABLE, UNITS_5, definitions, gsi, live, plan, spec

ON_DEMAND_LIMITS = {"MaxReadRequestUnits": 10, "MaxWriteRequestUnits": 5}


def with_lsi(attribute_type: str) -> TableSpec:
    return TableSpec.model_validate({
        "TableName": "orders",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": "l", "AttributeType": attribute_type},
                                 {"AttributeName": "pk", "AttributeType": "S"},
                                 {"AttributeName": "sk", "AttributeType": "S"}],
        "LocalSecondaryIndexes": [{"IndexName": "by-l", "Projection": {"ProjectionType": "ALL"}, "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "l", "KeyType": "RANGE"}]}],
    })


# -- tables without a file --------------------------------------------------------------------------------


def test_a_table_without_a_file_is_listed_and_left_alone_unless_pruned() -> None:
    current = live(spec())
    assert plan(None, current) == TablePlan("orders", TABLE, Status.UNMANAGED, current)
    assert plan(None, current, PlanOptions(scope=Scope.CREATE, prune=True)) == TablePlan(
        "orders", TABLE, Status.UNMANAGED, current)


def test_pruning_holds_the_delete_without_allow_destroy_and_plans_it_with() -> None:
    current = live(spec())
    assert plan(None, current, PlanOptions(prune=True)) == TablePlan(
        "orders", TABLE, Status.UNMANAGED, current, held=(DeleteTable(TABLE),))
    assert plan(None, current, PlanOptions(prune=True, allow_destroy=True)) == TablePlan(
        "orders", TABLE, Status.DELETE, current, (DeleteTable(TABLE),))


def test_a_protected_table_without_a_file_is_never_pruned() -> None:
    current = live(spec(DeletionProtectionEnabled=True))
    assert plan(None, current, PlanOptions(prune=True, allow_destroy=True)) == TablePlan(
        "orders", TABLE, Status.REFUSED, current,
        reason="no spec file, but deletion protection is on: ddbctl never deletes a protected table")


# -- missing and existing tables ----------------------------------------------------------------------------


def test_add_gsi_on_a_missing_table_is_refused_by_name() -> None:
    assert plan(spec(), None, PlanOptions(scope=Scope.INDEXES)) == TablePlan(
        "orders", TABLE, Status.REFUSED, None, reason="table does not exist")


def test_a_new_table_with_ttl_and_pitr_off_is_only_created() -> None:
    file_spec = spec(TimeToLiveSpecification={"Enabled": False, "AttributeName": "ttl"},
                     PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False})
    table = plan(file_spec, None)
    assert table == TablePlan("orders", TABLE, Status.CREATE, None, (CreateTable(TABLE, spec=live(file_spec)),))


def test_plans_name_the_table_and_keep_the_state_they_were_made_against() -> None:
    current = live(spec())
    wanted = spec(TableClass="STANDARD_INFREQUENT_ACCESS")
    table = plan(wanted, current)
    assert (table.logical, table.physical, table.status, table.before) == ("orders", TABLE, Status.UPDATE,
                                                                           normal_form(current))
    exists = plan(wanted, current, PlanOptions(scope=Scope.CREATE))
    assert exists == TablePlan("orders", TABLE, Status.EXISTS, normal_form(current),
                               drift=("table class -> STANDARD_INFREQUENT_ACCESS",))


def test_a_table_with_only_held_steps_is_still_an_update() -> None:
    table = plan(spec(), live(spec(DeletionProtectionEnabled=True)))
    assert (table.status, table.changes, [c.summary() for c in table.held]) == (
        Status.UPDATE, (), ["DISABLE deletion protection"])


def test_the_whole_plan_carries_its_environment_and_options() -> None:
    options = PlanOptions(prune=True)
    result = make_plan({"orders": spec()}, {}, NS, options=options)
    assert (result.environment, result.options) == ("staging", options)


# -- refusals and their messages -------------------------------------------------------------------------


def test_a_key_change_is_refused_saying_both_key_schemas() -> None:
    current = live(spec())
    wanted = TableSpec.model_validate({
        "TableName": "orders",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                 {"AttributeName": "sk", "AttributeType": "N"}]})
    table = plan(wanted, current, ALLOW)
    assert table == TablePlan("orders", TABLE, Status.REFUSED, normal_form(current), reason=(
        "key schema differs (live pk:S, file pk:S+sk:N): DynamoDB cannot change a table's keys; a new table is "
        "needed: create one and migrate the data"))


def test_an_lsi_change_is_refused_naming_the_indexes() -> None:
    current = live(with_lsi("S"))
    without = TableSpec.model_validate({**with_lsi("S").model_dump(by_alias=True, exclude_none=True),
                                        "LocalSecondaryIndexes": None,
                                        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                                                 {"AttributeName": "sk", "AttributeType": "S"}]})
    assert plan(without, current, ALLOW).reason == (
        "local secondary indexes differ (live by-l, file none): DynamoDB creates LSIs only with the table; a new "
        "table is needed: create one and migrate the data")


def test_a_new_type_for_an_lsi_key_attribute_is_refused() -> None:
    table = plan(with_lsi("N"), live(with_lsi("S")), ALLOW)
    assert (table.status, table.reason) == (Status.REFUSED, (
        "key attribute 'l' is S in the live table and N in the file: a new table is needed: create one and "
        "migrate the data"))


def test_keys_are_written_name_colon_type_joined_by_plus() -> None:
    table = with_lsi("N")
    assert keys_text(table.key_schema, table.attribute_types) == "pk:S+sk:S"
    assert keys_text(table.key_schema, {"pk": "B"}) == "pk:B+sk:?"


def test_blockers_say_which_attribute_or_indexes() -> None:
    state = normal_form(live(spec(GlobalSecondaryIndexes=[gsi("by-a", "a")])))
    index = normal_form(live(spec(GlobalSecondaryIndexes=[gsi("by-b", "a")]))).gsis[0]
    clash = CreateIndex(TABLE, index=index, attribute_definitions=definitions(a="N", pk="S"))
    assert blocker(clash, state) == "attribute 'a' is still S in a key of the table or another index"
    two = normal_form(live(spec(GlobalSecondaryIndexes=[gsi("by-a", "a"), gsi("by-b", "b")])))
    switch = UpdateCapacity(TABLE, billing_mode="PROVISIONED")
    assert blocker(switch, two) == "provisioned billing needs throughput for index(es) by-a, by-b"


# -- equivalence and normal form -----------------------------------------------------------------------


def test_a_missing_table_is_equivalent_only_to_a_missing_table() -> None:
    assert equivalent(None, None)
    assert not equivalent(None, live(spec()))
    assert not equivalent(live(spec()), None)


def test_disabled_ttl_forgets_its_attribute_in_the_normal_form() -> None:
    disabled = normal_form(spec(TimeToLiveSpecification={"Enabled": False, "AttributeName": "ttl"}))
    assert disabled.time_to_live_specification is not None
    assert disabled.time_to_live_specification.attribute_name is None
    assert equivalent(spec(TimeToLiveSpecification={"Enabled": False, "AttributeName": "ttl"}), spec())


# -- indexes re-created when their shape changes ------------------------------------------------------------


def test_an_index_whose_projection_changes_is_recreated() -> None:
    before = spec(GlobalSecondaryIndexes=[gsi("by-a", "a")])
    after = spec(GlobalSecondaryIndexes=[gsi("by-a", "a", projection="KEYS_ONLY")])
    changes = plan(after, live(before), ALLOW).changes
    assert [type(c) for c in changes] == [DeleteIndex, CreateIndex]
    assert isinstance(changes[0], DeleteIndex) and changes[0].recreate


def test_an_index_whose_key_type_changes_is_recreated() -> None:
    before = spec(GlobalSecondaryIndexes=[gsi("by-a", "a")])
    after = spec(GlobalSecondaryIndexes=[gsi("by-a", "a")],
                 AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                       {"AttributeName": "a", "AttributeType": "N"}])
    assert [c.kind for c in plan(after, live(before), ALLOW).changes] == ["delete-index", "create-index"]


def test_every_missing_index_is_created_after_an_existing_one() -> None:
    before = spec(GlobalSecondaryIndexes=[gsi("by-a", "a")])
    after = spec(GlobalSecondaryIndexes=[gsi("by-a", "a"), gsi("by-b", "b"), gsi("by-c", "c")])
    assert [c.summary() for c in plan(after, live(before)).changes] == [
        "create index by-b (b, ALL)", "create index by-c (c, ALL)"]


# -- on-demand limits --------------------------------------------------------------------------------------


def on_demand(**fields: Any) -> TableSpec:
    return spec(BillingMode="PAY_PER_REQUEST", **fields)


def test_table_limits_left_open_keep_the_live_ones_and_given_ones_are_applied() -> None:
    limited = on_demand(OnDemandThroughput=ON_DEMAND_LIMITS)
    assert plan(on_demand(), live(limited)).changes == ()
    other = {"MaxReadRequestUnits": 20, "MaxWriteRequestUnits": 5}
    assert plan(on_demand(OnDemandThroughput=other), live(limited)).changes == (UpdateCapacity(
        TABLE, on_demand_throughput=OnDemandThroughput.model_validate(other)),)
    assert plan(limited, live(on_demand())).changes == (UpdateCapacity(
        TABLE, on_demand_throughput=OnDemandThroughput.model_validate(ON_DEMAND_LIMITS)),)


def test_index_limits_left_open_keep_the_live_ones_and_given_ones_are_applied() -> None:
    limited = on_demand(GlobalSecondaryIndexes=[{**gsi("by-a", "a"), "OnDemandThroughput": ON_DEMAND_LIMITS}])
    assert plan(on_demand(GlobalSecondaryIndexes=[gsi("by-a", "a")]), live(limited)).changes == ()
    assert plan(limited, live(on_demand(GlobalSecondaryIndexes=[gsi("by-a", "a")]))).changes == (UpdateCapacity(
        TABLE, indexes=(IndexCapacity("by-a", on_demand=OnDemandThroughput.model_validate(ON_DEMAND_LIMITS)),)),)


def test_switching_to_provisioned_ignores_live_on_demand_limits() -> None:
    limited = on_demand(OnDemandThroughput=ON_DEMAND_LIMITS,
                        GlobalSecondaryIndexes=[{**gsi("by-a", "a"), "OnDemandThroughput": ON_DEMAND_LIMITS}])
    provisioned = spec(BillingMode="PROVISIONED", ProvisionedThroughput=UNITS_5,
                       GlobalSecondaryIndexes=[gsi("by-a", "a", throughput=2)])
    (change,) = plan(provisioned, live(limited)).changes
    assert isinstance(change, UpdateCapacity) and change.billing_mode == "PROVISIONED"
    assert change.on_demand_throughput is None and [i.on_demand for i in change.indexes] == [None]
