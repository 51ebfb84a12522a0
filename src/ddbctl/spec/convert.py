"""Between DynamoDB's API shapes and ``TableSpec``: DescribeTable & co. in, CreateTable out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .model import ON_DEMAND, PROVISIONED, TableSpec, Tag

Json = dict[str, Any]

ENVIRONMENT_TAG = "Environment"
MANAGED_BY_TAG = "ManagedBy"
MANAGED_TAGS = (ENVIRONMENT_TAG, MANAGED_BY_TAG)
MANAGED_BY = "ddbctl"
_ENABLED_TTL = {"ENABLED", "ENABLING"}


def spec_from_description(
    logical_name: str,
    table: Mapping[str, Any],
    ttl: Mapping[str, Any] | None = None,
    backups: Mapping[str, Any] | None = None,
    tags: Sequence[Mapping[str, str]] | None = None,
) -> TableSpec:
    """The spec of a live table, from DescribeTable's ``Table`` and the TTL/PITR/tag descriptions.

    ``None`` for ttl, backups or tags means "not described": the spec then stays silent on it.
    """
    billing = (table.get("BillingModeSummary") or {}).get("BillingMode", PROVISIONED)
    provisioned = billing == PROVISIONED
    fields: Json = {
        "TableName": logical_name,
        "AttributeDefinitions": table["AttributeDefinitions"],
        "KeySchema": table["KeySchema"],
        "BillingMode": billing,
        # Absent, not empty, when there are none: exported files stay as short as the API allows.
        # A DELETING index is already gone as far as the table's definition goes (and may not be deleted again).
        "GlobalSecondaryIndexes": [_gsi(index, provisioned) for index in table.get("GlobalSecondaryIndexes") or []
                                   if index.get("IndexStatus") != "DELETING"] or None,
        "LocalSecondaryIndexes": [_lsi(index) for index in table.get("LocalSecondaryIndexes") or []] or None,
        "StreamSpecification": _stream(table.get("StreamSpecification")),
        "SSESpecification": _sse(table.get("SSEDescription")),
        "TableClass": (table.get("TableClassSummary") or {}).get("TableClass", "STANDARD"),
        "DeletionProtectionEnabled": bool(table.get("DeletionProtectionEnabled", False)),
    }
    if provisioned:
        fields["ProvisionedThroughput"] = _throughput(table.get("ProvisionedThroughput") or {})
    on_demand = _on_demand(table.get("OnDemandThroughput"))
    if on_demand and not provisioned:
        fields["OnDemandThroughput"] = on_demand
    if ttl is not None:
        fields["TimeToLiveSpecification"] = _ttl(ttl)
    if backups is not None:
        fields["PointInTimeRecoverySpecification"] = _pitr(backups)
    if tags is not None:
        fields["Tags"] = [tag for tag in tags if not tag["Key"].lower().startswith("aws:")]
    return TableSpec.model_validate(fields).canonical()


def create_table_request(spec: TableSpec, physical_name: str) -> Json:
    """The CreateTable request for ``spec`` (already with defaults and managed tags) under a physical name."""
    request = spec.to_request()
    request["TableName"] = physical_name
    for after_creation in ("TimeToLiveSpecification", "PointInTimeRecoverySpecification"):
        request.pop(after_creation, None)  # CreateTable takes neither: they follow once the table is ACTIVE
    for empty in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes", "Tags"):
        if not request.get(empty):
            request.pop(empty, None)
    stream = spec.stream_specification
    if stream is None or not stream.stream_enabled:
        request.pop("StreamSpecification", None)
    if request.get("BillingMode") == ON_DEMAND:
        request.pop("ProvisionedThroughput", None)
    return request


def with_managed_tags(spec: TableSpec, environment: str) -> TableSpec:
    """``spec`` with ``Environment=<environment>`` and ``ManagedBy=ddbctl``, overriding the file's values."""
    tags = {**spec.tag_map, ENVIRONMENT_TAG: environment, MANAGED_BY_TAG: MANAGED_BY}
    return spec.model_copy(update={"tags": tuple(Tag(key=k, value=v) for k, v in sorted(tags.items()))})


def without_managed_tags(spec: TableSpec) -> TableSpec:
    """``spec`` minus the tags ddbctl derives from the environment (what ``export`` writes)."""
    if spec.tags is None:
        return spec
    return spec.model_copy(update={"tags": tuple(t for t in spec.tags if t.key not in MANAGED_TAGS)})


def _gsi(index: Mapping[str, Any], provisioned: bool) -> Json:
    result: Json = {
        "IndexName": index["IndexName"],
        "KeySchema": index["KeySchema"],
        "Projection": _projection(index["Projection"]),
    }
    if provisioned:
        result["ProvisionedThroughput"] = _throughput(index.get("ProvisionedThroughput") or {})
    on_demand = _on_demand(index.get("OnDemandThroughput"))
    if on_demand and not provisioned:
        result["OnDemandThroughput"] = on_demand
    return result


def _lsi(index: Mapping[str, Any]) -> Json:
    return {
        "IndexName": index["IndexName"],
        "KeySchema": index["KeySchema"],
        "Projection": _projection(index["Projection"]),
    }


def _projection(projection: Mapping[str, Any]) -> Json:
    result: Json = {"ProjectionType": projection.get("ProjectionType", "ALL")}
    if projection.get("NonKeyAttributes"):
        result["NonKeyAttributes"] = projection["NonKeyAttributes"]
    return result


def _throughput(throughput: Mapping[str, Any]) -> Json:
    return {
        "ReadCapacityUnits": int(throughput.get("ReadCapacityUnits") or 1),
        "WriteCapacityUnits": int(throughput.get("WriteCapacityUnits") or 1),
    }


def _on_demand(throughput: Mapping[str, Any] | None) -> Json | None:
    # DynamoDB reports -1 (or nothing) for "no maximum": the same as leaving it out.
    if not throughput:
        return None
    limits = {key: value for key, value in throughput.items() if isinstance(value, int) and value > 0}
    return limits or None


def _stream(stream: Mapping[str, Any] | None) -> Json:
    if not stream or not stream.get("StreamEnabled"):
        return {"StreamEnabled": False}
    return {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}


def _sse(description: Mapping[str, Any] | None) -> Json:
    # No SSEDescription means the AWS-owned key: SSESpecification Enabled false (DYNAMODB-FACTS.md).
    if not description or description.get("Status") not in {"ENABLED", "ENABLING", "UPDATING"}:
        return {"Enabled": False}
    result: Json = {"Enabled": True, "SSEType": description.get("SSEType", "KMS")}
    if description.get("KMSMasterKeyArn"):
        result["KMSMasterKeyId"] = description["KMSMasterKeyArn"]
    return result


def _ttl(ttl: Mapping[str, Any]) -> Json:
    description = ttl.get("TimeToLiveDescription", ttl)
    if description.get("TimeToLiveStatus") in _ENABLED_TTL:
        return {"Enabled": True, "AttributeName": description["AttributeName"]}
    return {"Enabled": False}


def _pitr(backups: Mapping[str, Any]) -> Json:
    description = backups.get("ContinuousBackupsDescription", backups)
    pitr = description.get("PointInTimeRecoveryDescription") or {}
    if pitr.get("PointInTimeRecoveryStatus") != "ENABLED":
        return {"PointInTimeRecoveryEnabled": False}
    result: Json = {"PointInTimeRecoveryEnabled": True}
    if pitr.get("RecoveryPeriodInDays"):
        result["RecoveryPeriodInDays"] = pitr["RecoveryPeriodInDays"]
    return result
