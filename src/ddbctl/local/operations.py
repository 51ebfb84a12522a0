"""What each DynamoDB operation is: known or not, mutating or not, and which tables it touches."""

from __future__ import annotations

import functools
from typing import Any

# Every operation that can change a table, its data, its settings or its backups. The PartiQL ones are
# here because they can write (a dry run should send none of them).
MUTATING_OPERATIONS: frozenset[str] = frozenset(
    {
        "CreateTable",
        "UpdateTable",
        "DeleteTable",
        "UpdateTimeToLive",
        "UpdateContinuousBackups",
        "UpdateContributorInsights",
        "UpdateKinesisStreamingDestination",
        "EnableKinesisStreamingDestination",
        "DisableKinesisStreamingDestination",
        "UpdateTableReplicaAutoScaling",
        "CreateGlobalTable",
        "UpdateGlobalTable",
        "UpdateGlobalTableSettings",
        "TagResource",
        "UntagResource",
        "PutResourcePolicy",
        "DeleteResourcePolicy",
        "PutItem",
        "BatchWriteItem",
        "DeleteItem",
        "UpdateItem",
        "TransactWriteItems",
        "ExecuteStatement",
        "BatchExecuteStatement",
        "ExecuteTransaction",
        "RestoreTableFromBackup",
        "RestoreTableToPointInTime",
        "ImportTable",
        "ExportTableToPointInTime",
        "CreateBackup",
        "DeleteBackup",
        "StartBulkPutItems",
        "CancelBulkOperation",
        # Application Auto Scaling of a table's capacity, logged by its IAM action names (a dry run of a plan
        # that manages scaling targets sends none of these either).
        "application-autoscaling:RegisterScalableTarget",
        "application-autoscaling:DeregisterScalableTarget",
        "application-autoscaling:PutScalingPolicy",
        "application-autoscaling:DeleteScalingPolicy",
        "application-autoscaling:PutScheduledAction",
        "application-autoscaling:DeleteScheduledAction",
    }
)

# Operations on items: DynamoDB refuses them on a table that is not ACTIVE yet.
DATA_OPERATIONS: frozenset[str] = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
)

_FALLBACK_OPERATIONS = (
    frozenset(operation for operation in MUTATING_OPERATIONS if ":" not in operation)
    | DATA_OPERATIONS
    | {
        "DescribeTable",
        "ListTables",
        "DescribeTimeToLive",
        "DescribeContinuousBackups",
        "ListTagsOfResource",
        "ListBackups",
        "DescribeBackup",
        "DescribeLimits",
        "DescribeEndpoints",
    }
)


@functools.cache
def known_operations() -> frozenset[str]:
    """DynamoDB's operations, from botocore's service model (moto depends on botocore anyway)."""
    try:
        import botocore.session  # type: ignore[import-untyped,unused-ignore]  # noqa: PLC0415

        model = botocore.session.get_session().get_service_model("dynamodb")
        return frozenset(model.operation_names)
    except Exception:  # a broken botocore install must not stop the server: fall back to a fixed list
        return _FALLBACK_OPERATIONS


def table_from_arn(arn: str) -> str | None:
    """``arn:aws:dynamodb:r:acct:table/NAME[/index|stream|backup/...]`` → NAME."""
    resource = arn.split(":", 5)[-1]
    if not resource.startswith("table/"):
        return None
    return resource.split("/")[1] or None


def tables_of(payload: dict[str, Any]) -> list[str]:
    """The table names a request names, in the order it names them (duplicates removed)."""
    names: list[str] = []
    for key in ("TableName", "TargetTableName", "SourceTableName"):
        if isinstance(payload.get(key), str):
            names.append(payload[key])
    for key in ("ResourceArn", "TableArn", "BackupArn", "SourceTableArn", "ExportArn", "ImportArn"):
        if isinstance(payload.get(key), str):
            name = table_from_arn(payload[key])
            if name:
                names.append(name)
    request_items = payload.get("RequestItems")
    if isinstance(request_items, dict):
        names.extend(str(name) for name in request_items)
    for item in payload.get("TransactItems") or []:
        if isinstance(item, dict):
            for action in item.values():
                if isinstance(action, dict) and isinstance(action.get("TableName"), str):
                    names.append(action["TableName"])
    creation = payload.get("TableCreationParameters")
    if isinstance(creation, dict) and isinstance(creation.get("TableName"), str):
        names.append(creation["TableName"])
    return list(dict.fromkeys(names))
