"""The planner on hand-made cases: each plan compared with the exact list of changes expected."""

from __future__ import annotations

from typing import Any

import pytest

from ddbctl.changes import (
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
)
from ddbctl.naming import Namespace
from ddbctl.plan import Plan, PlanOptions, Scope, Status, TablePlan, make_plan, target_spec
from ddbctl.spec.convert import spec_from_description
from ddbctl.spec.model import (
    AttributeDefinition,
    GlobalSecondaryIndex,
    PointInTimeRecoverySpecification,
    ProvisionedThroughput,
    SSESpecification,
    StreamSpecification,
    TableSpec,
    Tag,
)

NS = Namespace("staging", "app")
TABLE = "app-staging-orders"
ARN = f"arn:aws:dynamodb:us-east-1:123456789012:table/{TABLE}"
ALLOW = PlanOptions(allow_destroy=True)
NEW_IMAGE = {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
UNITS_5 = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
PROVISIONED_5 = {"BillingMode": "PROVISIONED", "ProvisionedThroughput": UNITS_5}


def spec(**fields: Any) -> TableSpec:
    """A spec file's content for table ``orders`` (key ``pk``), with ``fields`` in DynamoDB's names."""
    document: dict[str, Any] = {
        "TableName": "orders",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    }
    for name, value in fields.items():
        document[name] = value
    used = {k["AttributeName"] for k in document["KeySchema"]}
    for index in document.get("GlobalSecondaryIndexes", []) + document.get("LocalSecondaryIndexes", []):
        used |= {k["AttributeName"] for k in index["KeySchema"]}
    types = {d["AttributeName"]: d["AttributeType"] for d in document["AttributeDefinitions"]}
    document["AttributeDefinitions"] = [{"AttributeName": n, "AttributeType": types.get(n, "S")} for n in sorted(used)]
    return TableSpec.model_validate(document)


def gsi(name: str, *keys: str, projection: str = "ALL", throughput: int | None = None) -> dict[str, Any]:
    index: dict[str, Any] = {
        "IndexName": name,
        "KeySchema": [{"AttributeName": k, "KeyType": t} for k, t in zip(keys, ("HASH", "RANGE"), strict=False)],
        "Projection": {"ProjectionType": projection},
    }
    if throughput:
        index["ProvisionedThroughput"] = {"ReadCapacityUnits": throughput, "WriteCapacityUnits": throughput}
    return index


def live(file_spec: TableSpec) -> TableSpec:
    """The live table as DynamoDB describes it after ``file_spec`` was applied."""
    return target_spec(file_spec, NS.environment)


def plan(desired: TableSpec | None, actual: TableSpec | None, options: PlanOptions | None = None) -> TablePlan:
    result = make_plan({"orders": desired} if desired else {}, {"orders": actual} if actual else {}, NS,
                       arns={"orders": ARN}, options=options)
    return result.table("orders")


def throughput(units: int) -> ProvisionedThroughput:
    return ProvisionedThroughput(read_capacity_units=units, write_capacity_units=units)


def index_of(table: TableSpec, name: str) -> GlobalSecondaryIndex:
    found = table.gsi(name)
    assert found is not None
    return found


def definitions(**types: str) -> tuple[AttributeDefinition, ...]:
    return tuple(AttributeDefinition(attribute_name=n, attribute_type=t) for n, t in sorted(types.items()))


def update_table_params(changes: tuple[Change, ...]) -> list[dict[str, Any]]:
    return [r.params for c in changes for r in c.requests() if r.operation == "UpdateTable"]


# -- unchanged, missing --------------------------------------------------------------------------------


def test_a_table_that_matches_its_file_has_an_empty_plan() -> None:
    file_spec = spec(GlobalSecondaryIndexes=[gsi("by-date", "date")], TimeToLiveSpecification={
        "Enabled": True, "AttributeName": "ttl"})
    table = plan(file_spec, live(file_spec))
    assert (table.status, table.changes, table.held) == (Status.UNCHANGED, (), ())


def test_a_missing_table_is_created_then_gets_ttl_and_pitr() -> None:
    file_spec = spec(TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"})
    table = plan(file_spec, None)
    assert table.status is Status.CREATE
    assert table.changes == (
        CreateTable(TABLE, spec=live(file_spec)),
        UpdateTTL(TABLE, enabled=True, attribute_name="ttl"),
        UpdatePITR(TABLE, pitr=PointInTimeRecoverySpecification(point_in_time_recovery_enabled=True)),
    )
    request = table.changes[0].requests()[0].params
    assert "TimeToLiveSpecification" not in request and "PointInTimeRecoverySpecification" not in request
    assert {"Key": "Environment", "Value": "staging"} in request["Tags"]


def test_defaults_and_managed_details_never_show_as_changes() -> None:
    file_spec = spec(TimeToLiveSpecification={"Enabled": False, "AttributeName": "old"})
    described = live(file_spec).model_copy(update={
        "sse_specification": SSESpecification(enabled=True, sse_type="KMS", kms_master_key_id="arn:aws:kms:key/1"),
        "point_in_time_recovery_specification": PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True, recovery_period_in_days=35),
        # the attribute of a deleted index that DynamoDB (or moto) still lists
        "attribute_definitions": definitions(pk="S", gone="N"),
    })
    assert plan(file_spec, described).changes == ()


def test_a_deleting_index_is_no_part_of_the_live_table() -> None:
    description = {
        "TableName": TABLE, "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "g")],
        "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
        "GlobalSecondaryIndexes": [{**gsi("by-g", "g"), "IndexStatus": "DELETING"}],
    }
    described = spec_from_description("orders", description)
    assert described.gsis == ()


# -- indexes -------------------------------------------------------------------------------------------


def test_index_changes_run_deletes_first_then_one_create_per_update() -> None:
    before = spec(GlobalSecondaryIndexes=[gsi("old", "o")])
    after = spec(GlobalSecondaryIndexes=[gsi("by-a", "a", "n"), gsi("by-b", "b")],
                 AttributeDefinitions=[{"AttributeName": "n", "AttributeType": "N"}])
    table = plan(after, live(before), ALLOW)
    assert table.changes == (
        DeleteIndex(TABLE, index_name="old"),
        CreateIndex(TABLE, index=index_of(after, "by-a"), attribute_definitions=definitions(a="S", n="N", pk="S")),
        CreateIndex(TABLE, index=index_of(after, "by-b"),
                    attribute_definitions=definitions(a="S", b="S", n="N", pk="S")),
    )
    updates = [p["GlobalSecondaryIndexUpdates"] for p in update_table_params(table.changes)]
    assert updates == [[{"Delete": {"IndexName": "old"}}], [{"Create": gsi("by-a", "a", "n")}],
                       [{"Create": gsi("by-b", "b")}]]


def test_without_allow_destroy_an_index_deletion_is_held_and_the_rest_converges() -> None:
    before = spec(GlobalSecondaryIndexes=[gsi("old", "o")])
    after = spec(GlobalSecondaryIndexes=[gsi("new", "n")])
    table = plan(after, live(before))
    assert table.status is Status.UPDATE
    assert table.changes == (
        CreateIndex(TABLE, index=index_of(after, "new"), attribute_definitions=definitions(n="S", o="S", pk="S")),
    )
    assert table.held == (DeleteIndex(TABLE, index_name="old"),)


def test_an_index_with_new_keys_is_deleted_and_created_anew() -> None:
    before = spec(GlobalSecondaryIndexes=[gsi("by-x", "x")])
    after = spec(GlobalSecondaryIndexes=[gsi("by-x", "x", "y")])
    held = plan(after, live(before))
    assert held.changes == ()
    assert held.held == (DeleteIndex(TABLE, index_name="by-x", recreate=True),)
    assert "re-create" in held.held[0].summary()
    allowed = plan(after, live(before), ALLOW)
    assert [type(c) for c in allowed.changes] == [DeleteIndex, CreateIndex]


def test_an_index_needing_an_attribute_type_a_held_index_still_uses_is_held_too() -> None:
    before = spec(GlobalSecondaryIndexes=[gsi("by-x", "x")])
    after = spec(GlobalSecondaryIndexes=[gsi("by-x-number", "x")],
                 AttributeDefinitions=[{"AttributeName": "x", "AttributeType": "N"}])
    table = plan(after, live(before))
    assert table.changes == ()
    assert [type(c) for c in table.held] == [DeleteIndex, CreateIndex]
    assert [type(c) for c in plan(after, live(before), ALLOW).changes] == [DeleteIndex, CreateIndex]


def test_an_index_added_by_hand_is_drift_that_apply_would_delete() -> None:
    file_spec = spec()
    by_hand = live(spec(GlobalSecondaryIndexes=[gsi("by-hand", "h")]))
    assert plan(file_spec, by_hand).held == (DeleteIndex(TABLE, index_name="by-hand"),)
    assert plan(file_spec, by_hand, ALLOW).changes == (DeleteIndex(TABLE, index_name="by-hand"),)


# -- capacity ------------------------------------------------------------------------------------------


def test_switching_to_provisioned_carries_table_and_index_throughput() -> None:
    before = spec(GlobalSecondaryIndexes=[gsi("by-a", "a")])
    after = spec(**PROVISIONED_5, GlobalSecondaryIndexes=[gsi("by-a", "a", throughput=2)])
    table = plan(after, live(before))
    assert table.changes == (UpdateCapacity(
        TABLE, billing_mode="PROVISIONED", provisioned_throughput=throughput(5),
        indexes=(IndexCapacity("by-a", provisioned=throughput(2)),)),)
    assert update_table_params(table.changes) == [{
        "TableName": TABLE, "BillingMode": "PROVISIONED",
        "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
        "GlobalSecondaryIndexUpdates": [{"Update": {"IndexName": "by-a", "ProvisionedThroughput": {
            "ReadCapacityUnits": 2, "WriteCapacityUnits": 2}}}],
    }]


def test_switching_to_on_demand_sends_only_the_billing_mode() -> None:
    before = spec(**PROVISIONED_5, GlobalSecondaryIndexes=[gsi("by-a", "a", throughput=2)])
    after = spec(GlobalSecondaryIndexes=[gsi("by-a", "a")])
    table = plan(after, live(before))
    assert update_table_params(table.changes) == [{"TableName": TABLE, "BillingMode": "PAY_PER_REQUEST"}]


def test_a_throughput_change_sends_only_what_changed() -> None:
    before = spec(**PROVISIONED_5, GlobalSecondaryIndexes=[gsi("by-a", "a", throughput=2), gsi("b", "b", throughput=2)])
    after = spec(**PROVISIONED_5, GlobalSecondaryIndexes=[gsi("by-a", "a", throughput=2), gsi("b", "b", throughput=3)])
    assert update_table_params(plan(after, live(before)).changes) == [{
        "TableName": TABLE, "GlobalSecondaryIndexUpdates": [{"Update": {"IndexName": "b", "ProvisionedThroughput": {
            "ReadCapacityUnits": 3, "WriteCapacityUnits": 3}}}]}]


def test_switching_to_provisioned_waits_for_a_held_deletion_of_an_index_without_throughput() -> None:
    before = spec(GlobalSecondaryIndexes=[gsi("by-a", "a")])
    after = spec(**PROVISIONED_5)
    table = plan(after, live(before))
    assert table.changes == ()
    assert [type(c) for c in table.held] == [DeleteIndex, UpdateCapacity]
    assert [type(c) for c in plan(after, live(before), ALLOW).changes] == [DeleteIndex, UpdateCapacity]


# -- stream, class, protection, SSE --------------------------------------------------------------------


@pytest.mark.parametrize(("before", "after", "expected"), [
    (None, NEW_IMAGE, [NEW_IMAGE]),
    (NEW_IMAGE, {"StreamEnabled": False}, [{"StreamEnabled": False}]),
    (NEW_IMAGE, {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
     [{"StreamEnabled": False}, {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}]),
])
def test_stream_changes(before: dict[str, Any] | None, after: dict[str, Any], expected: list[dict[str, Any]]) -> None:
    old = spec(**({"StreamSpecification": before} if before else {}))
    table = plan(spec(StreamSpecification=after), live(old))
    assert table.changes == tuple(UpdateStream(TABLE, stream=StreamSpecification.model_validate(s)) for s in expected)


def test_table_class_protection_and_sse_each_get_their_update() -> None:
    before = spec(DeletionProtectionEnabled=False)
    after = spec(TableClass="STANDARD_INFREQUENT_ACCESS", DeletionProtectionEnabled=True,
                 SSESpecification={"Enabled": False})
    assert plan(after, live(before)).changes == (
        UpdateTableClass(TABLE, table_class="STANDARD_INFREQUENT_ACCESS"),
        UpdateDeletionProtection(TABLE, enabled=True),
        UpdateSSE(TABLE, sse=SSESpecification(enabled=False)),
    )


@pytest.mark.parametrize(("before", "after", "change"), [
    ({"DeletionProtectionEnabled": True}, {}, UpdateDeletionProtection(TABLE, enabled=False)),
    ({}, {"PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": False}},
     UpdatePITR(TABLE, pitr=PointInTimeRecoverySpecification(point_in_time_recovery_enabled=False))),
])
def test_disabling_a_safeguard_is_destructive(before: dict[str, Any], after: dict[str, Any], change: Change) -> None:
    held = plan(spec(**after), live(spec(**before)))
    assert (held.changes, held.held) == ((), (change,))
    assert plan(spec(**after), live(spec(**before)), ALLOW).changes == (change,)


# -- TTL, PITR, tags -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("before", "after", "expected"), [
    (None, "exp", [(True, "exp")]),
    ("ttl", "exp", [(False, "ttl"), (True, "exp")]),
    ("ttl", None, [(False, "ttl")]),
])
def test_ttl_changes(before: str | None, after: str | None, expected: list[tuple[bool, str]]) -> None:
    def ttl(name: str | None) -> dict[str, Any]:
        return {"TimeToLiveSpecification": {"Enabled": True, "AttributeName": name} if name else {"Enabled": False}}

    table = plan(spec(**ttl(after)), live(spec(**ttl(before))))
    assert table.changes == tuple(UpdateTTL(TABLE, enabled=e, attribute_name=n) for e, n in expected)


def test_tags_are_added_changed_and_removed_but_managed_tags_stay() -> None:
    before = spec(Tags=[{"Key": "team", "Value": "a"}, {"Key": "old", "Value": "x"}])
    after = spec(Tags=[{"Key": "team", "Value": "b"}, {"Key": "cost", "Value": "1"}])
    assert plan(after, live(before)).changes == (
        TagTable(TABLE, arn=ARN, tags=(Tag(key="cost", value="1"), Tag(key="team", value="b"))),
        UntagTable(TABLE, arn=ARN, keys=("old",)),
    )


def test_every_kind_of_change_runs_in_dynamodbs_order() -> None:
    before = spec(GlobalSecondaryIndexes=[gsi("old", "o")], StreamSpecification={"StreamEnabled": False},
                  TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"}, Tags=[{"Key": "a", "Value": "1"}])
    after = spec(GlobalSecondaryIndexes=[gsi("new", "n", throughput=1)], TableClass="STANDARD_INFREQUENT_ACCESS",
                 BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
                 StreamSpecification=NEW_IMAGE, DeletionProtectionEnabled=True, SSESpecification={"Enabled": False},
                 TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"},
                 PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False},
                 Tags=[{"Key": "b", "Value": "2"}])
    kinds = [c.kind for c in plan(after, live(before), ALLOW).changes]
    assert kinds == ["delete-index", "update-class", "update-capacity", "update-stream", "update-deletion-protection",
                     "create-index", "update-sse", "update-ttl", "update-ttl", "update-pitr", "tag", "untag"]


# -- refused, unmanaged, scopes ------------------------------------------------------------------------


def test_a_key_schema_change_is_refused_and_needs_a_new_table() -> None:
    after = spec(KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}])
    table = plan(after, live(spec()))
    assert (table.status, table.changes) == (Status.REFUSED, ())
    assert table.reason is not None and "key schema" in table.reason and "new table" in table.reason


def test_a_local_index_change_is_refused() -> None:
    keys = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    lsi = {"IndexName": "by-l", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                               {"AttributeName": "l", "KeyType": "RANGE"}],
           "Projection": {"ProjectionType": "ALL"}}
    table = plan(spec(KeySchema=keys, LocalSecondaryIndexes=[lsi]), live(spec(KeySchema=keys)))
    assert table.status is Status.REFUSED and table.reason is not None and "local secondary" in table.reason


def prune_plan(actual: TableSpec, options: PlanOptions) -> TablePlan:
    return plan(None, actual, options)


def test_a_live_table_without_file_is_left_alone_unless_pruned_with_allow_destroy() -> None:
    actual = live(spec())
    assert prune_plan(actual, PlanOptions()).status is Status.UNMANAGED
    assert prune_plan(actual, PlanOptions()).changes == ()
    assert prune_plan(actual, PlanOptions(prune=True)).held == (DeleteTable(TABLE),)
    assert prune_plan(actual, PlanOptions(prune=True, allow_destroy=True)).changes == (DeleteTable(TABLE),)
    protected = prune_plan(live(spec(DeletionProtectionEnabled=True)), PlanOptions(prune=True, allow_destroy=True))
    assert protected.status is Status.REFUSED and protected.changes == ()


def test_create_scope_only_creates_and_reports_drift() -> None:
    create = PlanOptions(scope=Scope.CREATE)
    existing = plan(spec(StreamSpecification=NEW_IMAGE), live(spec()), create)
    assert (existing.status, existing.changes, existing.drift) == (Status.EXISTS, (), ("enable stream (NEW_IMAGE)",))
    assert plan(spec(), None, create).status is Status.CREATE


def test_indexes_scope_only_creates_indexes() -> None:
    before = spec(GlobalSecondaryIndexes=[gsi("old", "o")])
    after = spec(GlobalSecondaryIndexes=[gsi("new", "n")], StreamSpecification=NEW_IMAGE)
    table = plan(after, live(before), PlanOptions(scope=Scope.INDEXES, allow_destroy=True))
    assert [type(c) for c in table.changes] == [CreateIndex]
    assert table.held == (DeleteIndex(TABLE, index_name="old"),)
    assert table.drift == ("enable stream (NEW_IMAGE)",)
    assert plan(after, None, PlanOptions(scope=Scope.INDEXES)).status is Status.REFUSED


def test_plan_lists_every_table_and_its_totals() -> None:
    result: Plan = make_plan({"orders": spec(), "new": spec().model_copy(update={"table_name": "new"})},
                             {"orders": live(spec()), "legacy": live(spec())}, NS)
    assert [(t.logical, t.status) for t in result.tables] == [
        ("legacy", Status.UNMANAGED), ("new", Status.CREATE), ("orders", Status.UNCHANGED)]
    assert not result.converged and len(result.changes) == 2
