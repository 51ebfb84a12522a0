"""DynamoDB's request rules that moto does not enforce: names, limits, tags, TTL, no-op updates.

Pure functions over request payloads and moto's current descriptions; each raises the DynamoError
DynamoDB would answer with (messages modelled on the real service's, see docs/local.md).
"""

from __future__ import annotations

import re
from typing import Any

from .wire import DynamoError, constraint, index_not_found, raise_constraint_problems, validation_error

MAX_GSIS = 20
MAX_LSIS = 5
MAX_NON_KEY_ATTRIBUTES = 100
MAX_TAGS = 50
MAX_BATCH_WRITE = 25
_NAME_PATTERN = "[a-zA-Z0-9_.-]+"
_NAME_RE = re.compile(rf"^{_NAME_PATTERN}$")
_INDEX_LIMIT_MESSAGE = (
    "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table"
)
# Keys of UpdateTable that change something; AttributeDefinitions alone does not.
_UPDATE_KEYS = (
    "BillingMode",
    "ProvisionedThroughput",
    "GlobalSecondaryIndexUpdates",
    "StreamSpecification",
    "SSESpecification",
    "ReplicaUpdates",
    "TableClass",
    "DeletionProtectionEnabled",
    "OnDemandThroughput",
    "WarmThroughput",
    "VectorIndexUpdates",
    "GlobalTableSettingsReplicationMode",
    # MultiRegionConsistency and GlobalTableWitnessUpdates do not count on their own (DynamoDB answers
    # "At least one of ..."): they only go with ReplicaUpdates.
)


def _name_problems(value: Any, member: str) -> list[str]:
    if not isinstance(value, str):
        return []
    problems = []
    if len(value) < 3:
        problems.append(constraint(value, member, "have length greater than or equal to 3"))
    if len(value) > 255:
        problems.append(constraint(value, member, "have length less than or equal to 255"))
    if not _NAME_RE.match(value):
        problems.append(constraint(value, member, f"satisfy regular expression pattern: {_NAME_PATTERN}"))
    return problems


def check_names(operation: str, payload: dict[str, Any]) -> None:
    """Table and index names: 3-255 characters of [a-zA-Z0-9_.-]."""
    problems = _name_problems(payload.get("TableName"), "tableName")
    if operation == "CreateTable":
        for list_key, member in (
            ("GlobalSecondaryIndexes", "globalSecondaryIndexes"),
            ("LocalSecondaryIndexes", "localSecondaryIndexes"),
        ):
            for position, index in enumerate(payload.get(list_key) or [], start=1):
                problems += _name_problems(index.get("IndexName"), f"{member}.{position}.member.indexName")
    if operation == "UpdateTable":
        for position, update in enumerate(payload.get("GlobalSecondaryIndexUpdates") or [], start=1):
            create = update.get("Create") or {}
            problems += _name_problems(
                create.get("IndexName"), f"globalSecondaryIndexUpdates.{position}.member.create.indexName"
            )
    raise_constraint_problems(problems)


def check_index_limits(gsis: list[dict[str, Any]], lsis: list[dict[str, Any]]) -> None:
    """20 GSIs, 5 LSIs, NonKeyAttributes only with INCLUDE and at most 100 across all indexes."""
    invalid = "One or more parameter values were invalid:"
    if len(gsis) > MAX_GSIS:
        raise validation_error(f"{invalid} GlobalSecondaryIndex count exceeds the per-table limit of {MAX_GSIS}")
    if len(lsis) > MAX_LSIS:
        raise validation_error(f"{invalid} Number of LocalSecondaryIndexes exceeds per-table limit of {MAX_LSIS}")
    projected = 0
    for index in [*gsis, *lsis]:
        projection = index.get("Projection") or {}
        non_key = projection.get("NonKeyAttributes") or []
        projection_type = projection.get("ProjectionType", "ALL")
        if non_key and projection_type != "INCLUDE":
            raise validation_error(f"{invalid} ProjectionType is {projection_type}, but NonKeyAttributes is specified")
        projected += len(non_key)
    if projected > MAX_NON_KEY_ATTRIBUTES:
        raise validation_error(
            f"{invalid} Number of projected attributes in all indexes exceeds limit of "
            f"{MAX_NON_KEY_ATTRIBUTES}, provided: {projected}"
        )


def check_tags(existing_keys: set[str], tags: list[dict[str, Any]]) -> None:
    """Keys 1-128 and values 0-256 characters, no ``aws:`` prefix, at most 50 per resource."""
    problems = []
    for position, tag in enumerate(tags, start=1):
        key, value = str(tag.get("Key", "")), str(tag.get("Value", ""))
        if not 1 <= len(key) <= 128:
            problems.append(constraint(key, f"tags.{position}.member.key", "have length between 1 and 128"))
        if len(value) > 256:
            problems.append(constraint(value, f"tags.{position}.member.value", "have length less than or equal to 256"))
    raise_constraint_problems(problems)
    for tag in tags:
        if str(tag.get("Key", "")).lower().startswith("aws:"):
            raise validation_error(f"Invalid tag key '{tag['Key']}': the prefix 'aws:' is reserved for AWS use")
    total = len(existing_keys | {str(tag.get("Key")) for tag in tags})
    if total > MAX_TAGS:
        raise validation_error(f"The number of tags on the resource would be {total}, above the limit of {MAX_TAGS}")


def _throughput_unchanged(requested: dict[str, Any], current: dict[str, Any]) -> bool:
    return all(requested.get(unit) == current.get(unit) for unit in ("ReadCapacityUnits", "WriteCapacityUnits"))


def _is_noop(key: str, value: Any, table: dict[str, Any]) -> bool:
    if key == "BillingMode":
        return bool(value == (table.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED"))
    if key == "ProvisionedThroughput":
        return _throughput_unchanged(value, table.get("ProvisionedThroughput") or {})
    if key == "DeletionProtectionEnabled":
        return bool(value) == bool(table.get("DeletionProtectionEnabled", False))
    if key == "TableClass":
        return bool(value == (table.get("TableClassSummary") or {}).get("TableClass", "STANDARD"))
    if key == "StreamSpecification":
        current = table.get("StreamSpecification") or {"StreamEnabled": False}
        if not value.get("StreamEnabled"):
            return not current.get("StreamEnabled")
        return bool(current.get("StreamEnabled") and current.get("StreamViewType") == value.get("StreamViewType"))
    return False


def check_update_changes_something(payload: dict[str, Any], table: dict[str, Any]) -> None:
    present = [key for key in _UPDATE_KEYS if key in payload]
    if not present:
        raise nothing_to_update()
    if not all(_is_noop(key, payload[key], table) for key in present):
        return
    if "ProvisionedThroughput" in payload:
        current = table.get("ProvisionedThroughput") or {}
        requested = payload["ProvisionedThroughput"]
        raise validation_error(
            "The provisioned throughput for the table will not change. The requested value equals the "
            "current value. Current ReadCapacityUnits provisioned for the table: "
            f"{current.get('ReadCapacityUnits')}. Requested ReadCapacityUnits: "
            f"{requested.get('ReadCapacityUnits')}. Current WriteCapacityUnits provisioned for the table: "
            f"{current.get('WriteCapacityUnits')}. Requested WriteCapacityUnits: "
            f"{requested.get('WriteCapacityUnits')}. Refer to the Amazon DynamoDB Developer Guide for "
            "current limits and how to request higher limits."
        )
    if "StreamSpecification" in payload:
        if payload["StreamSpecification"].get("StreamEnabled"):
            raise validation_error(f"Table already has an enabled stream: {table.get('LatestStreamArn')}")
        raise validation_error("Table does not have an enabled stream to disable")
    raise validation_error("The update changes nothing: the table already has the requested " + ", ".join(present))


def nothing_to_update() -> DynamoError:
    return validation_error(
        "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, "
        "GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required"
    )


# What an UpdateTable may carry and still leave the table ACTIVE: a warm throughput raise shows only in
# WarmThroughput.Status, an on-demand limit applies at once, a GSI's own update flips only its IndexStatus.
_IN_PLACE = frozenset({"TableName", "AttributeDefinitions", "WarmThroughput", "OnDemandThroughput"})
_IN_PLACE_INDEX = frozenset({"IndexName", "WarmThroughput", "OnDemandThroughput"})


def settles_in_place(payload: dict[str, Any]) -> bool:
    """Whether an UpdateTable changes only what DynamoDB changes without making the table UPDATING."""
    updates = payload.get("GlobalSecondaryIndexUpdates") or []
    index_updates_in_place = all(
        isinstance(update, dict) and set(update) == {"Update"} and set(update["Update"]) <= _IN_PLACE_INDEX
        for update in updates
    )
    return set(payload) - {"GlobalSecondaryIndexUpdates"} <= _IN_PLACE and index_updates_in_place


def index_changes(payload: dict[str, Any]) -> int:
    """How many index (GSI or vector index) creates and deletes an UpdateTable asks for: DynamoDB runs one
    at a time per table."""
    updates: list[Any] = [*(payload.get("GlobalSecondaryIndexUpdates") or []),
                          *(payload.get("VectorIndexUpdates") or [])]
    return sum(1 for update in updates if isinstance(update, dict) and ("Create" in update or "Delete" in update))


def index_limit_exceeded() -> DynamoError:
    return DynamoError("LimitExceededException", _INDEX_LIMIT_MESSAGE)


def check_gsi_updates(payload: dict[str, Any], table: dict[str, Any]) -> None:
    """One Create or Delete per call; indexes that exist, names that do not; limits after the change."""
    if index_changes(payload) > 1:
        raise index_limit_exceeded()
    updates: list[dict[str, Any]] = payload.get("GlobalSecondaryIndexUpdates") or []
    gsis = list(table.get("GlobalSecondaryIndexes") or [])
    lsis = list(table.get("LocalSecondaryIndexes") or [])
    vector_indexes = table.get("VectorIndexes") or []
    existing = {index["IndexName"] for index in [*gsis, *lsis, *vector_indexes]}
    defined = {
        d["AttributeName"] for d in payload.get("AttributeDefinitions") or table.get("AttributeDefinitions") or []
    }
    for update in updates:
        for action in ("Delete", "Update"):
            name = (update.get(action) or {}).get("IndexName")
            if name is not None and name not in existing:
                raise index_not_found(name)
        create = update.get("Create")
        if create is None:
            continue
        if create.get("IndexName") in existing:
            raise validation_error(
                f"One or more parameter values were invalid: Index {create.get('IndexName')} already exists"
            )
        keys = [key["AttributeName"] for key in create.get("KeySchema") or []]
        missing = [key for key in keys if key not in defined]
        if missing:
            raise validation_error(
                "One or more parameter values were invalid: Some index key attributes are not defined in "
                f"AttributeDefinitions. Keys: [{', '.join(keys)}], AttributeDefinitions: "
                f"[{', '.join(sorted(defined))}]"
            )
        gsis.append(create)
    check_index_limits(gsis, lsis)


def check_ttl_change(current: dict[str, Any], requested: dict[str, Any], changed_recently: bool) -> None:
    """UpdateTimeToLive is not idempotent, and refuses a second change within the cooldown."""
    status = current.get("TimeToLiveStatus", "DISABLED")
    current_attribute = current.get("AttributeName")
    enabled = status in ("ENABLED", "ENABLING")
    if enabled and current_attribute != requested.get("AttributeName"):
        raise validation_error(
            f"TimeToLive is active on a different AttributeName: current AttributeName is {current_attribute}"
        )
    if requested.get("Enabled") and enabled:
        raise validation_error("TimeToLive is already enabled")
    if not requested.get("Enabled") and not enabled:
        raise validation_error("TimeToLive is already disabled")
    if changed_recently:
        raise validation_error("Time to live has been modified multiple times within a fixed interval")


def check_batch_write_size(payload: dict[str, Any]) -> None:
    request_items = payload.get("RequestItems") or {}
    total = sum(len(requests or []) for requests in request_items.values())
    if total > MAX_BATCH_WRITE:
        raise validation_error("Too many items requested for the BatchWriteItem call")
