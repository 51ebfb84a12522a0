"""Each step's effect, checked against DescribeTable & co. answers written by hand from the API reference."""

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
from ddbctl.effects import effect_of
from ddbctl.spec.model import (
    GlobalSecondaryIndex,
    OnDemandThroughput,
    PointInTimeRecoverySpecification,
    ProvisionedThroughput,
    SSESpecification,
    StreamSpecification,
    TableSpec,
    Tag,
)

ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/t"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/k"
INDEX = GlobalSecondaryIndex.model_validate({"IndexName": "by-e", "KeySchema": [{"AttributeName": "e",
                                                                                 "KeyType": "HASH"}],
                                              "Projection": {"ProjectionType": "ALL"}})
UNITS = ProvisionedThroughput(read_capacity_units=3, write_capacity_units=4)


def table(**fields: Any) -> dict[str, Any]:
    """A DescribeTable ``Table`` of an on-demand table keyed by ``pk``, plus ``fields``."""
    return {"TableName": "t", "TableStatus": "ACTIVE", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                     {"AttributeName": "e", "AttributeType": "S"}],
            "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"}, **fields}


def gsi(status: str = "ACTIVE", **fields: Any) -> dict[str, Any]:
    return {"IndexName": "by-e", "KeySchema": [{"AttributeName": "e", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"}, "IndexStatus": status, **fields}


SPEC = TableSpec.model_validate({"TableName": "t", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                                 "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]})

CASES: list[tuple[Change, str, Any, Any]] = [
    # change, the read, an answer without the effect, an answer with it
    (CreateTable("t", spec=SPEC), "DescribeTable", None, table(TableStatus="CREATING")),
    (DeleteTable("t"), "DescribeTable", table(TableStatus="DELETING"), None),
    (CreateIndex("t", index=INDEX, attribute_definitions=()), "DescribeTable", table(),
     table(GlobalSecondaryIndexes=[gsi("CREATING")])),
    (DeleteIndex("t", index_name="by-e"), "DescribeTable", table(GlobalSecondaryIndexes=[gsi("DELETING")]),
     table()),
    (UpdateCapacity("t", billing_mode="PROVISIONED", provisioned_throughput=UNITS), "DescribeTable", table(),
     table(BillingModeSummary={"BillingMode": "PROVISIONED"},
           ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4})),
    (UpdateCapacity("t", provisioned_throughput=UNITS,
                    indexes=(IndexCapacity("by-e", provisioned=UNITS),)), "DescribeTable",
     table(BillingModeSummary={"BillingMode": "PROVISIONED"}, GlobalSecondaryIndexes=[gsi()],
           ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4}),
     table(BillingModeSummary={"BillingMode": "PROVISIONED"},
           GlobalSecondaryIndexes=[gsi(ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4})],
           ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4})),
    (UpdateCapacity("t", on_demand_throughput=OnDemandThroughput(max_read_request_units=9)), "DescribeTable",
     table(OnDemandThroughput={"MaxReadRequestUnits": -1, "MaxWriteRequestUnits": 5}),
     table(OnDemandThroughput={"MaxReadRequestUnits": 9, "MaxWriteRequestUnits": 5})),
    (UpdateStream("t", stream=StreamSpecification(stream_enabled=True, stream_view_type="KEYS_ONLY")),
     "DescribeTable", table(StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}),
     table(StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})),
    (UpdateStream("t", stream=StreamSpecification(stream_enabled=False)), "DescribeTable",
     table(StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}), table()),
    (UpdateTableClass("t", table_class="STANDARD_INFREQUENT_ACCESS"), "DescribeTable", table(),
     table(TableClassSummary={"TableClass": "STANDARD_INFREQUENT_ACCESS"})),
    (UpdateDeletionProtection("t", enabled=True), "DescribeTable", table(DeletionProtectionEnabled=False),
     table(DeletionProtectionEnabled=True)),
    (UpdateSSE("t", sse=SSESpecification(enabled=True)), "DescribeTable", table(),
     table(SSEDescription={"Status": "UPDATING", "SSEType": "KMS", "KMSMasterKeyArn": KEY_ARN})),
    (UpdateSSE("t", sse=SSESpecification(enabled=True, kms_master_key_id=KEY_ARN)), "DescribeTable",
     table(SSEDescription={"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": KEY_ARN + "-old"}),
     table(SSEDescription={"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": KEY_ARN})),
    (UpdateSSE("t", sse=SSESpecification(enabled=False)), "DescribeTable",
     table(SSEDescription={"Status": "ENABLED"}), table()),
    (UpdateTTL("t", enabled=True, attribute_name="exp"), "DescribeTimeToLive",
     {"TimeToLiveStatus": "ENABLED", "AttributeName": "other"}, {"TimeToLiveStatus": "ENABLING",
                                                                 "AttributeName": "exp"}),
    (UpdateTTL("t", enabled=False, attribute_name="exp"), "DescribeTimeToLive",
     {"TimeToLiveStatus": "ENABLED", "AttributeName": "exp"}, {"TimeToLiveStatus": "DISABLING"}),
    (UpdatePITR("t", pitr=PointInTimeRecoverySpecification(point_in_time_recovery_enabled=True,
                                                            recovery_period_in_days=7)),
     "DescribeContinuousBackups",
     {"PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "ENABLED", "RecoveryPeriodInDays": 35}},
     {"PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "ENABLED", "RecoveryPeriodInDays": 7}}),
    (UpdatePITR("t", pitr=PointInTimeRecoverySpecification(point_in_time_recovery_enabled=False)),
     "DescribeContinuousBackups", {"PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "ENABLED"}},
     {"PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "DISABLED"}}),
    (TagTable("t", arn=ARN, tags=(Tag(key="team", value="x"),)), "ListTagsOfResource",
     {"Tags": [{"Key": "team", "Value": "y"}]}, {"Tags": [{"Key": "team", "Value": "x"}, {"Key": "o", "Value": ""}]}),
    (UntagTable("t", arn=ARN, keys=("team",)), "ListTagsOfResource", {"Tags": [{"Key": "team", "Value": "y"}]},
     {"Tags": []}),
]


@pytest.mark.parametrize(("change", "read", "without", "with_it"), CASES, ids=[c[0].kind for c in CASES])
def test_each_effect_is_seen_only_when_there(change: Change, read: str, without: Any, with_it: Any) -> None:
    effect = effect_of(change)
    assert effect.read == read
    assert not effect.seen(without)
    assert effect.seen(with_it)
    assert effect.text


def test_every_change_kind_has_an_effect() -> None:
    kinds = {type(change) for change, *_ in CASES}
    assert kinds == set(Change.__subclasses__())
