"""Each change as a person reads it (plan output, progress lines, refusals) and the requests no plan of the
property tests sends: exact texts, so a changed word or unit shows. Written against mutants of changes.py
that the planner and server-backed property tests let live (tools/mutation)."""

from __future__ import annotations

import pytest

from ddbctl.changes import (
    Change,
    CreateIndex,
    CreateTable,
    DeleteIndex,
    DeleteTable,
    IndexCapacity,
    Request,
    TagTable,
    UntagTable,
    UpdateCapacity,
    UpdateDeletionProtection,
    UpdatePITR,
    UpdateSSE,
    UpdateStream,
    UpdateTableClass,
    UpdateTTL,
    units_text,
)
from ddbctl.spec.model import (
    PITR_OFF,
    TTL_OFF,
    GlobalSecondaryIndex,
    OnDemandThroughput,
    PointInTimeRecoverySpecification,
    ProvisionedThroughput,
    SSESpecification,
    StreamSpecification,
    Tag,
)

from .test_planner import TABLE, gsi, spec

ARN = f"arn:aws:dynamodb:us-east-1:123456789012:table/{TABLE}"


def units(read: int, write: int) -> ProvisionedThroughput:
    return ProvisionedThroughput(read_capacity_units=read, write_capacity_units=write)


def limits(read: int | None, write: int | None) -> OnDemandThroughput:
    return OnDemandThroughput(max_read_request_units=read, max_write_request_units=write)


def index(name: str, *keys: str, projection: str = "ALL") -> GlobalSecondaryIndex:
    return GlobalSecondaryIndex.model_validate(gsi(name, *keys, projection=projection))


def test_a_created_table_reads_with_its_keys_billing_and_index_counts() -> None:
    plain = spec(BillingMode="PAY_PER_REQUEST")
    assert CreateTable(TABLE, spec=plain).summary() == "create table (keys pk, PAY_PER_REQUEST)"
    indexed = spec(
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
        GlobalSecondaryIndexes=[gsi("by-a", "a", throughput=1), gsi("by-b", "b", throughput=1)],
        LocalSecondaryIndexes=[{"IndexName": "by-c", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                                    {"AttributeName": "c", "KeyType": "RANGE"}],
                                "Projection": {"ProjectionType": "KEYS_ONLY"}}],
    )
    assert CreateTable(TABLE, spec=indexed).summary() == "create table (keys pk+sk, PROVISIONED, 2 GSI(s), 1 LSI(s))"


def test_deleting_a_table_sends_one_delete_table_and_says_what_is_lost() -> None:
    change = DeleteTable(TABLE)
    assert change.requests() == (Request("DeleteTable", {"TableName": TABLE}),)
    assert change.summary() == "DELETE TABLE and all its data"
    assert change.is_destructive


@pytest.mark.parametrize(("change", "text"), [
    (DeleteIndex(TABLE, index_name="by-a"), "delete index by-a"),
    (DeleteIndex(TABLE, index_name="by-a", recreate=True),
     "delete index by-a (to re-create it: its keys or projection changed)"),
    (CreateIndex(TABLE, index=index("by-a", "a", "b", projection="KEYS_ONLY"), attribute_definitions=()),
     "create index by-a (a+b, KEYS_ONLY)"),
    (UpdateStream(TABLE, stream=StreamSpecification(stream_enabled=True, stream_view_type="NEW_IMAGE")),
     "enable stream (NEW_IMAGE)"),
    (UpdateStream(TABLE, stream=StreamSpecification(stream_enabled=False)), "disable stream"),
    (UpdateTableClass(TABLE, table_class="STANDARD_INFREQUENT_ACCESS"), "table class -> STANDARD_INFREQUENT_ACCESS"),
    (UpdateDeletionProtection(TABLE, enabled=True), "enable deletion protection"),
    (UpdateDeletionProtection(TABLE, enabled=False), "DISABLE deletion protection"),
    (UpdateSSE(TABLE, sse=SSESpecification(enabled=False)), "encryption -> AWS owned key"),
    (UpdateSSE(TABLE, sse=SSESpecification(enabled=True, sse_type="KMS")), "encryption -> KMS (AWS managed key)"),
    (UpdateSSE(TABLE, sse=SSESpecification(enabled=True, sse_type="KMS", kms_master_key_id="alias/team")),
     "encryption -> KMS alias/team"),
    (UpdateTTL(TABLE, enabled=True, attribute_name="expires"), "enable TTL on expires"),
    (UpdateTTL(TABLE, enabled=False, attribute_name="expires"), "disable TTL on expires"),
    (UpdatePITR(TABLE, pitr=PointInTimeRecoverySpecification(point_in_time_recovery_enabled=False)),
     "DISABLE point-in-time recovery"),
    (UpdatePITR(TABLE, pitr=PointInTimeRecoverySpecification(point_in_time_recovery_enabled=True)),
     "enable point-in-time recovery"),
    (UpdatePITR(TABLE, pitr=PointInTimeRecoverySpecification(point_in_time_recovery_enabled=True,
                                                             recovery_period_in_days=7)),
     "enable point-in-time recovery (7 days)"),
    (TagTable(TABLE, arn=ARN, tags=(Tag(key="team", value="payments"), Tag(key="cost", value="7"))),
     "set tags team=payments, cost=7"),
    (UntagTable(TABLE, arn=ARN, keys=("team", "cost")), "remove tags team, cost"),
])
def test_each_change_reads_as_what_it_does(change: Change, text: str) -> None:
    assert change.summary() == text


@pytest.mark.parametrize(("change", "text"), [
    (UpdateCapacity(TABLE, billing_mode="PROVISIONED", provisioned_throughput=units(5, 6),
                    indexes=(IndexCapacity("by-a", provisioned=units(1, 2)),
                             IndexCapacity("by-b", provisioned=units(3, 4)))),
     "switch billing to provisioned (table 5R/6W; index by-a 1R/2W; index by-b 3R/4W)"),
    (UpdateCapacity(TABLE, billing_mode="PAY_PER_REQUEST"), "switch billing to on-demand"),
    (UpdateCapacity(TABLE, billing_mode="PAY_PER_REQUEST", on_demand_throughput=limits(10, None),
                    indexes=(IndexCapacity("by-a", on_demand=limits(None, 5)),)),
     "switch billing to on-demand (table max 10R/-W on demand; index by-a max -R/5W on demand)"),
    (UpdateCapacity(TABLE, provisioned_throughput=units(7, 8)), "update throughput: table 7R/8W"),
    (UpdateCapacity(TABLE, indexes=(IndexCapacity("by-a", provisioned=units(2, 3)),)),
     "update throughput: index by-a 2R/3W"),
    (UpdateCapacity(TABLE, on_demand_throughput=limits(4, 9), indexes=(IndexCapacity("by-a"),)),
     "update throughput: table max 4R/9W on demand; index by-a on-demand"),
])
def test_a_capacity_change_reads_with_the_units_of_the_table_and_each_index(change: Change, text: str) -> None:
    assert change.summary() == text


def test_throughput_reads_as_read_and_write_units_or_on_demand() -> None:
    assert units_text(units(5, 10)) == "5R/10W"
    assert units_text(None) == "on-demand"


# -- the in-memory model of each change (what the planner sequences steps with) ---------------------------


def test_a_new_table_starts_with_ttl_and_pitr_off_whatever_its_file_says() -> None:
    wanted = spec(BillingMode="PAY_PER_REQUEST", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"},
                  PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    created = CreateTable(TABLE, spec=wanted).apply(None)
    assert created == wanted.model_copy(update={"time_to_live_specification": TTL_OFF,
                                                "point_in_time_recovery_specification": PITR_OFF})
    assert created.time_to_live_specification == TTL_OFF
    assert created.point_in_time_recovery_specification == PITR_OFF


def test_index_limits_and_throughput_follow_the_billing_mode_after_a_capacity_change() -> None:
    limited = limits(7, 9)
    on_demand = spec(BillingMode="PAY_PER_REQUEST", GlobalSecondaryIndexes=[
        {**gsi("by-a", "a"), "OnDemandThroughput": {"MaxReadRequestUnits": 3}}, gsi("by-b", "b")])
    changed = UpdateCapacity(TABLE, indexes=(IndexCapacity("by-b", on_demand=limited),)).apply(on_demand)
    assert [(i.index_name, i.provisioned_throughput, i.on_demand_throughput) for i in changed.gsis] == [
        ("by-a", None, limits(3, None)), ("by-b", None, limited)]
    assert changed.gsis[1] == on_demand.gsis[1].model_copy(update={"on_demand_throughput": limited})

    switched = UpdateCapacity(TABLE, billing_mode="PROVISIONED", provisioned_throughput=units(5, 5), indexes=(
        IndexCapacity("by-a", provisioned=units(1, 2)), IndexCapacity("by-b", provisioned=units(3, 4)))).apply(changed)
    assert switched.billing_mode == "PROVISIONED" and switched.on_demand_throughput is None
    assert list(switched.gsis) == [
        changed.gsis[0].model_copy(update={"provisioned_throughput": units(1, 2), "on_demand_throughput": None}),
        changed.gsis[1].model_copy(update={"provisioned_throughput": units(3, 4), "on_demand_throughput": None})]

    back = UpdateCapacity(TABLE, billing_mode="PAY_PER_REQUEST").apply(switched)
    assert [(i.provisioned_throughput, i.on_demand_throughput) for i in back.gsis] == [(None, None), (None, None)]
    assert list(back.gsis) == [i.model_copy(update={"provisioned_throughput": None}) for i in switched.gsis]


def test_index_limits_travel_in_the_update_of_that_index() -> None:
    change = UpdateCapacity(TABLE, indexes=(IndexCapacity("by-a", on_demand=limits(7, None)),
                                            IndexCapacity("by-b", provisioned=units(1, 2))))
    assert change.requests() == (Request("UpdateTable", {"TableName": TABLE, "GlobalSecondaryIndexUpdates": [
        {"Update": {"IndexName": "by-a", "OnDemandThroughput": {"MaxReadRequestUnits": 7}}},
        {"Update": {"IndexName": "by-b", "ProvisionedThroughput": {"ReadCapacityUnits": 1,
                                                                   "WriteCapacityUnits": 2}}}]}),)
