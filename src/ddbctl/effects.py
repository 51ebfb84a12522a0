"""What each step must visibly produce, and the one read that shows it (pure: no I/O).

DynamoDB's reads are eventually consistent after a change, and some DynamoDB-compatible servers accept
a request they never carry out. So the executor does not wait for "nothing busy" after a step: it reads
until the step's own effect is there (the index listed, the billing mode switched, TTL enabled on the
attribute, the tag set, ...). Each effect is checked with the cheapest read that shows it, so a command
needs no permission beyond the reads it already sends: DescribeTable for table settings and indexes,
DescribeTimeToLive for TTL, DescribeContinuousBackups for PITR, ListTagsOfResource for tags.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .changes import (
    Change,
    CreateIndex,
    CreateTable,
    DeleteIndex,
    DeleteTable,
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
from .spec.convert import spec_from_description
from .spec.model import PROVISIONED, OnDemandThroughput, TableSpec

Json = dict[str, Any]

DESCRIBE_TABLE = "DescribeTable"
DESCRIBE_TTL = "DescribeTimeToLive"
DESCRIBE_BACKUPS = "DescribeContinuousBackups"
LIST_TAGS = "ListTagsOfResource"
_ENABLED_TTL = ("ENABLED", "ENABLING")
_ENABLED_SSE = ("ENABLED", "ENABLING", "UPDATING")


@dataclass(frozen=True)
class Effect:
    """The state one step must produce.

    ``read`` is the operation that shows it; ``seen`` tests that read's answer (DescribeTable's
    ``Table``, None when the table is missing; DescribeTimeToLive's ``TimeToLiveDescription``;
    DescribeContinuousBackups' ``ContinuousBackupsDescription``; ``{"Tags": [...]}``); ``text`` names
    the effect in messages ("index by-email", "billing mode PROVISIONED").
    """

    read: str
    text: str
    seen: Callable[[Json | None], bool]

    @property
    def settles(self) -> bool:
        """Whether the table (and its indexes) must also be ACTIVE again: DescribeTable effects do."""
        return self.read == DESCRIBE_TABLE


def effect_of(change: Change) -> Effect:
    """The effect ``change`` must have once DynamoDB carried it out."""
    for kind, make in _EFFECTS:
        if isinstance(change, kind):
            return make(change)
    raise TypeError(f"no effect known for {type(change).__name__}")


def _table(text: str, test: Callable[[TableSpec], bool]) -> Effect:
    def seen(table: Json | None) -> bool:
        return table is not None and test(spec_from_description("-", table))

    return Effect(DESCRIBE_TABLE, text, seen)


def _create_table(change: CreateTable) -> Effect:
    return Effect(DESCRIBE_TABLE, "the table", lambda table: table is not None)


def _delete_table(change: DeleteTable) -> Effect:
    return Effect(DESCRIBE_TABLE, "the table's deletion", lambda table: table is None)


def _create_index(change: CreateIndex) -> Effect:
    return _table(f"index {change.index.index_name}", lambda spec: spec.gsi(change.index.index_name) is not None)


def _delete_index(change: DeleteIndex) -> Effect:
    name = change.index_name

    def gone(table: Json | None) -> bool:
        return table is not None and all(i.get("IndexName") != name for i in table.get("GlobalSecondaryIndexes") or [])

    return Effect(DESCRIBE_TABLE, f"the deletion of index {name}", gone)


def _capacity(change: UpdateCapacity) -> Effect:
    def test(spec: TableSpec) -> bool:
        if change.billing_mode is not None and spec.billing_mode != change.billing_mode:
            return False
        if change.provisioned_throughput is not None and spec.provisioned_throughput != change.provisioned_throughput:
            return False
        if change.on_demand_throughput is not None and not _limits_hold(change.on_demand_throughput,
                                                                        spec.on_demand_throughput):
            return False
        for wanted in change.indexes:
            index = spec.gsi(wanted.index_name)
            if index is None:
                return False
            if wanted.provisioned is not None and index.provisioned_throughput != wanted.provisioned:
                return False
            if wanted.on_demand is not None and not _limits_hold(wanted.on_demand, index.on_demand_throughput):
                return False
        return True

    billing = f"billing mode {change.billing_mode}" if change.billing_mode else "the new throughput"
    if change.billing_mode == PROVISIONED:
        billing += " with its throughput"
    return _table(billing, test)


def _limits_hold(wanted: OnDemandThroughput, live: OnDemandThroughput | None) -> bool:
    """Each limit the step sets is described (a limit it leaves out keeps its value)."""
    live = live or OnDemandThroughput()
    return all(getattr(wanted, name) is None or getattr(live, name) == getattr(wanted, name)
               for name in ("max_read_request_units", "max_write_request_units"))


def _stream(change: UpdateStream) -> Effect:
    wanted = change.stream
    text = f"stream {wanted.stream_view_type}" if wanted.stream_enabled else "the stream's disabling"

    def test(spec: TableSpec) -> bool:
        live = spec.stream_specification
        if not wanted.stream_enabled:
            return live is None or not live.stream_enabled
        return live is not None and live.stream_enabled and live.stream_view_type == wanted.stream_view_type

    return _table(text, test)


def _table_class(change: UpdateTableClass) -> Effect:
    return _table(f"table class {change.table_class}", lambda spec: spec.table_class == change.table_class)


def _deletion_protection(change: UpdateDeletionProtection) -> Effect:
    text = f"deletion protection {'on' if change.enabled else 'off'}"
    return _table(text, lambda spec: bool(spec.deletion_protection_enabled) == change.enabled)


def _sse(change: UpdateSSE) -> Effect:
    wanted = change.sse
    key = wanted.kms_master_key_id if wanted.enabled else None

    def seen(table: Json | None) -> bool:
        if table is None:
            return False
        description = table.get("SSEDescription") or {}
        enabled = description.get("Status") in _ENABLED_SSE
        if enabled != wanted.enabled:
            return False
        # A key given by its ARN must be the one described (an alias or id is described by its ARN).
        return not (key and key.startswith("arn:") and description.get("KMSMasterKeyArn") != key)

    text = f"encryption with KMS key {key}" if key else ("KMS encryption" if wanted.enabled else "the AWS owned key")
    return Effect(DESCRIBE_TABLE, text, seen)


def _ttl(change: UpdateTTL) -> Effect:
    def seen(description: Json | None) -> bool:
        status = (description or {}).get("TimeToLiveStatus", "DISABLED")
        if not change.enabled:
            return status not in _ENABLED_TTL
        return status in _ENABLED_TTL and (description or {}).get("AttributeName") == change.attribute_name

    text = f"TTL {'enabled' if change.enabled else 'disabled'} on {change.attribute_name}"
    return Effect(DESCRIBE_TTL, text, seen)


def _pitr(change: UpdatePITR) -> Effect:
    wanted = change.pitr

    def seen(description: Json | None) -> bool:
        pitr = (description or {}).get("PointInTimeRecoveryDescription") or {}
        enabled = pitr.get("PointInTimeRecoveryStatus") == "ENABLED"
        if enabled != wanted.point_in_time_recovery_enabled:
            return False
        days = wanted.recovery_period_in_days
        return not (enabled and days is not None and pitr.get("RecoveryPeriodInDays", 35) != days)

    text = "point-in-time recovery " + ("enabled" if wanted.point_in_time_recovery_enabled else "disabled")
    return Effect(DESCRIBE_BACKUPS, text, seen)


def _tags(change: TagTable) -> Effect:
    wanted = {tag.key: tag.value for tag in change.tags}

    def seen(answer: Json | None) -> bool:
        live = {tag.get("Key"): tag.get("Value") for tag in (answer or {}).get("Tags") or []}
        return all(live.get(key) == value for key, value in wanted.items())

    return Effect(LIST_TAGS, "tags " + ", ".join(f"{k}={v}" for k, v in wanted.items()), seen)


def _untags(change: UntagTable) -> Effect:
    def seen(answer: Json | None) -> bool:
        live = {tag.get("Key") for tag in (answer or {}).get("Tags") or []}
        return not live & set(change.keys)

    return Effect(LIST_TAGS, "the removal of tags " + ", ".join(change.keys), seen)


_EFFECTS: tuple[tuple[type[Any], Callable[[Any], Effect]], ...] = (
    (CreateTable, _create_table),
    (DeleteTable, _delete_table),
    (CreateIndex, _create_index),
    (DeleteIndex, _delete_index),
    (UpdateCapacity, _capacity),
    (UpdateStream, _stream),
    (UpdateTableClass, _table_class),
    (UpdateDeletionProtection, _deletion_protection),
    (UpdateSSE, _sse),
    (UpdateTTL, _ttl),
    (UpdatePITR, _pitr),
    (TagTable, _tags),
    (UntagTable, _untags),
)
