"""The operations a plan is made of: small frozen values that know their API requests.

Each change knows (1) the exact requests a real run sends (so a dry run renders the very same thing),
(2) how it transforms a spec in memory (``apply``), which the planner uses to sequence steps and the
property tests use to prove that a plan reaches its target, and (3) how it reads to a person.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from .spec.convert import create_table_request
from .spec.model import (
    PITR_OFF,
    PROVISIONED,
    TTL_OFF,
    AttributeDefinition,
    GlobalSecondaryIndex,
    OnDemandThroughput,
    PointInTimeRecoverySpecification,
    ProvisionedThroughput,
    SSESpecification,
    StreamSpecification,
    TableSpec,
    Tag,
    TimeToLiveSpecification,
)

Json = dict[str, Any]


@dataclass(frozen=True)
class Request:
    operation: str
    params: Json


@dataclass(frozen=True)
class Change:
    """One step on one table. ``physical`` is the table's name in DynamoDB."""

    physical: str
    kind: ClassVar[str] = "change"
    destructive: ClassVar[bool] = False

    @property
    def is_destructive(self) -> bool:
        """Whether this step destroys data or a safeguard (runs only with --allow-destroy)."""
        return self.destructive

    def requests(self) -> tuple[Request, ...]:
        raise NotImplementedError

    def apply(self, spec: TableSpec | None) -> TableSpec | None:
        """The table's spec after this change (pure, in memory)."""
        raise NotImplementedError

    def summary(self) -> str:
        raise NotImplementedError

    def _update(self, **params: Any) -> tuple[Request, ...]:
        return (Request("UpdateTable", {"TableName": self.physical, **params}),)


@dataclass(frozen=True)
class CreateTable(Change):
    spec: TableSpec = field(kw_only=True)
    kind: ClassVar[str] = "create-table"

    def requests(self) -> tuple[Request, ...]:
        return (Request("CreateTable", create_table_request(self.spec, self.physical)),)

    def apply(self, spec: TableSpec | None) -> TableSpec:
        # TTL and PITR are separate steps after creation: the new table starts with both off.
        return self.spec.model_copy(
            update={
                "time_to_live_specification": TTL_OFF,
                "point_in_time_recovery_specification": PITR_OFF,
            }
        )

    def summary(self) -> str:
        spec = self.spec
        parts = [f"keys {'+'.join(k.attribute_name for k in spec.key_schema)}", str(spec.billing_mode)]
        if spec.gsis:
            parts.append(f"{len(spec.gsis)} GSI(s)")
        if spec.lsis:
            parts.append(f"{len(spec.lsis)} LSI(s)")
        return f"create table ({', '.join(parts)})"


@dataclass(frozen=True)
class DeleteTable(Change):
    kind: ClassVar[str] = "delete-table"
    destructive: ClassVar[bool] = True

    def requests(self) -> tuple[Request, ...]:
        return (Request("DeleteTable", {"TableName": self.physical}),)

    def apply(self, spec: TableSpec | None) -> None:
        return None

    def summary(self) -> str:
        return "DELETE TABLE and all its data"


@dataclass(frozen=True)
class DeleteIndex(Change):
    index_name: str = field(kw_only=True)
    # True when the file keeps an index of this name with other keys or projection: DynamoDB cannot
    # change an index in place, so it is deleted and created anew.
    recreate: bool = field(default=False, kw_only=True)
    kind: ClassVar[str] = "delete-index"
    destructive: ClassVar[bool] = True

    def requests(self) -> tuple[Request, ...]:
        return self._update(GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": self.index_name}}])

    def apply(self, spec: TableSpec | None) -> TableSpec:
        assert spec is not None
        remaining = tuple(i for i in spec.gsis if i.index_name != self.index_name)
        return only_used_attributes(spec.model_copy(update={"global_secondary_indexes": remaining}))

    def summary(self) -> str:
        if self.recreate:
            return f"delete index {self.index_name} (to re-create it: its keys or projection changed)"
        return f"delete index {self.index_name}"


@dataclass(frozen=True)
class CreateIndex(Change):
    index: GlobalSecondaryIndex = field(kw_only=True)
    # The table's full AttributeDefinitions after the change: DynamoDB merges, moto replaces.
    attribute_definitions: tuple[AttributeDefinition, ...] = field(kw_only=True)
    kind: ClassVar[str] = "create-index"

    def requests(self) -> tuple[Request, ...]:
        return self._update(
            AttributeDefinitions=[d.to_request() for d in self.attribute_definitions],
            GlobalSecondaryIndexUpdates=[{"Create": self.index.to_request()}],
        )

    def apply(self, spec: TableSpec | None) -> TableSpec:
        assert spec is not None
        return spec.model_copy(
            update={
                "global_secondary_indexes": (*spec.gsis, self.index),
                "attribute_definitions": self.attribute_definitions,
            }
        )

    def summary(self) -> str:
        keys = "+".join(k.attribute_name for k in self.index.key_schema)
        return f"create index {self.index.index_name} ({keys}, {self.index.projection.projection_type})"


@dataclass(frozen=True)
class IndexCapacity:
    """New throughput of one existing global secondary index (within an UpdateCapacity)."""

    index_name: str
    provisioned: ProvisionedThroughput | None = None
    on_demand: OnDemandThroughput | None = None

    def to_request(self) -> Json:
        update: Json = {"IndexName": self.index_name}
        if self.provisioned is not None:
            update["ProvisionedThroughput"] = self.provisioned.to_request()
        if self.on_demand is not None:
            update["OnDemandThroughput"] = self.on_demand.to_request()
        return {"Update": update}


@dataclass(frozen=True)
class UpdateCapacity(Change):
    """Billing mode, table and index throughput, on-demand limits: one UpdateTable.

    Switching to PROVISIONED carries the throughput of the table and of every index, as DynamoDB
    requires; switching to PAY_PER_REQUEST carries none.
    """

    billing_mode: str | None = field(default=None, kw_only=True)
    provisioned_throughput: ProvisionedThroughput | None = field(default=None, kw_only=True)
    on_demand_throughput: OnDemandThroughput | None = field(default=None, kw_only=True)
    indexes: tuple[IndexCapacity, ...] = field(default=(), kw_only=True)
    kind: ClassVar[str] = "update-capacity"

    def requests(self) -> tuple[Request, ...]:
        params: Json = {}
        if self.billing_mode is not None:
            params["BillingMode"] = self.billing_mode
        if self.provisioned_throughput is not None:
            params["ProvisionedThroughput"] = self.provisioned_throughput.to_request()
        if self.on_demand_throughput is not None:
            params["OnDemandThroughput"] = self.on_demand_throughput.to_request()
        if self.indexes:
            params["GlobalSecondaryIndexUpdates"] = [index.to_request() for index in self.indexes]
        return self._update(**params)

    def apply(self, spec: TableSpec | None) -> TableSpec:
        assert spec is not None
        billing = self.billing_mode or spec.billing_mode
        provisioned = billing == PROVISIONED
        by_name = {index.index_name: index for index in self.indexes}
        indexes = tuple(_index_capacity(index, by_name.get(index.index_name), provisioned) for index in spec.gsis)
        return spec.model_copy(
            update={
                "billing_mode": billing,
                "provisioned_throughput": (self.provisioned_throughput or spec.provisioned_throughput)
                if provisioned else None,
                "on_demand_throughput": None if provisioned else (
                    self.on_demand_throughput or spec.on_demand_throughput
                ),
                "global_secondary_indexes": indexes,
            }
        )

    def summary(self) -> str:
        parts = []
        if self.provisioned_throughput:
            parts.append(f"table {units_text(self.provisioned_throughput)}")
        if self.on_demand_throughput:
            parts.append(f"table {_limits(self.on_demand_throughput)}")
        for index in self.indexes:
            units = units_text(index.provisioned) if index.provisioned else _limits(index.on_demand)
            parts.append(f"index {index.index_name} {units}")
        details = "; ".join(parts)
        if self.billing_mode == PROVISIONED:
            return f"switch billing to provisioned ({details})"
        if self.billing_mode is not None:
            return "switch billing to on-demand" + (f" ({details})" if details else "")
        return f"update throughput: {details}"


def _index_capacity(
    index: GlobalSecondaryIndex, change: IndexCapacity | None, provisioned: bool
) -> GlobalSecondaryIndex:
    if not provisioned:
        on_demand = change.on_demand if change and change.on_demand else index.on_demand_throughput
        return index.model_copy(update={"provisioned_throughput": None, "on_demand_throughput": on_demand})
    throughput = change.provisioned if change and change.provisioned else index.provisioned_throughput
    return index.model_copy(update={"provisioned_throughput": throughput, "on_demand_throughput": None})


def units_text(throughput: ProvisionedThroughput | None) -> str:
    """Provisioned throughput as plans and messages show it: ``5R/5W``, or ``on-demand`` without one."""
    if throughput is None:
        return "on-demand"
    return f"{throughput.read_capacity_units}R/{throughput.write_capacity_units}W"


def _limits(throughput: OnDemandThroughput | None) -> str:
    if throughput is None:
        return "on-demand"
    read, write = throughput.max_read_request_units, throughput.max_write_request_units
    return f"max {read if read is not None else '-'}R/{write if write is not None else '-'}W on demand"


@dataclass(frozen=True)
class UpdateStream(Change):
    stream: StreamSpecification = field(kw_only=True)
    kind: ClassVar[str] = "update-stream"

    def requests(self) -> tuple[Request, ...]:
        return self._update(StreamSpecification=self.stream.to_request())

    def apply(self, spec: TableSpec | None) -> TableSpec:
        assert spec is not None
        return spec.model_copy(update={"stream_specification": self.stream})

    def summary(self) -> str:
        if self.stream.stream_enabled:
            return f"enable stream ({self.stream.stream_view_type})"
        return "disable stream"


@dataclass(frozen=True)
class UpdateTableClass(Change):
    table_class: str = field(kw_only=True)
    kind: ClassVar[str] = "update-class"

    def requests(self) -> tuple[Request, ...]:
        return self._update(TableClass=self.table_class)

    def apply(self, spec: TableSpec | None) -> TableSpec:
        assert spec is not None
        return spec.model_copy(update={"table_class": self.table_class})

    def summary(self) -> str:
        return f"table class -> {self.table_class}"


@dataclass(frozen=True)
class UpdateDeletionProtection(Change):
    enabled: bool = field(kw_only=True)
    kind: ClassVar[str] = "update-deletion-protection"

    @property
    def is_destructive(self) -> bool:
        return not self.enabled

    def requests(self) -> tuple[Request, ...]:
        return self._update(DeletionProtectionEnabled=self.enabled)

    def apply(self, spec: TableSpec | None) -> TableSpec:
        assert spec is not None
        return spec.model_copy(update={"deletion_protection_enabled": self.enabled})

    def summary(self) -> str:
        return f"{'enable' if self.enabled else 'DISABLE'} deletion protection"


@dataclass(frozen=True)
class UpdateSSE(Change):
    sse: SSESpecification = field(kw_only=True)
    kind: ClassVar[str] = "update-sse"

    def requests(self) -> tuple[Request, ...]:
        return self._update(SSESpecification=self.sse.to_request())

    def apply(self, spec: TableSpec | None) -> TableSpec:
        assert spec is not None
        return spec.model_copy(update={"sse_specification": self.sse})

    def summary(self) -> str:
        if not self.sse.enabled:
            return "encryption -> AWS owned key"
        return f"encryption -> KMS {self.sse.kms_master_key_id or '(AWS managed key)'}"


@dataclass(frozen=True)
class UpdateTTL(Change):
    enabled: bool = field(kw_only=True)
    attribute_name: str = field(kw_only=True)
    kind: ClassVar[str] = "update-ttl"

    def requests(self) -> tuple[Request, ...]:
        spec = {"Enabled": self.enabled, "AttributeName": self.attribute_name}
        return (Request("UpdateTimeToLive", {"TableName": self.physical, "TimeToLiveSpecification": spec}),)

    def apply(self, spec: TableSpec | None) -> TableSpec:
        assert spec is not None
        ttl = TimeToLiveSpecification(enabled=True, attribute_name=self.attribute_name) if self.enabled else TTL_OFF
        return spec.model_copy(update={"time_to_live_specification": ttl})

    def summary(self) -> str:
        return f"{'enable' if self.enabled else 'disable'} TTL on {self.attribute_name}"


@dataclass(frozen=True)
class UpdatePITR(Change):
    pitr: PointInTimeRecoverySpecification = field(kw_only=True)
    kind: ClassVar[str] = "update-pitr"

    @property
    def is_destructive(self) -> bool:
        return not self.pitr.point_in_time_recovery_enabled

    def requests(self) -> tuple[Request, ...]:
        return (
            Request(
                "UpdateContinuousBackups",
                {"TableName": self.physical, "PointInTimeRecoverySpecification": self.pitr.to_request()},
            ),
        )

    def apply(self, spec: TableSpec | None) -> TableSpec:
        assert spec is not None
        return spec.model_copy(update={"point_in_time_recovery_specification": self.pitr})

    def summary(self) -> str:
        if not self.pitr.point_in_time_recovery_enabled:
            return "DISABLE point-in-time recovery"
        days = self.pitr.recovery_period_in_days
        return "enable point-in-time recovery" + (f" ({days} days)" if days else "")


@dataclass(frozen=True)
class TagTable(Change):
    arn: str = field(kw_only=True)
    tags: tuple[Tag, ...] = field(kw_only=True)
    kind: ClassVar[str] = "tag"

    def requests(self) -> tuple[Request, ...]:
        return (Request("TagResource", {"ResourceArn": self.arn, "Tags": [t.to_request() for t in self.tags]}),)

    def apply(self, spec: TableSpec | None) -> TableSpec:
        assert spec is not None
        merged = {**spec.tag_map, **{t.key: t.value for t in self.tags}}
        return spec.model_copy(update={"tags": _tags(merged)})

    def summary(self) -> str:
        return "set tags " + ", ".join(f"{t.key}={t.value}" for t in self.tags)


@dataclass(frozen=True)
class UntagTable(Change):
    arn: str = field(kw_only=True)
    keys: tuple[str, ...] = field(kw_only=True)
    kind: ClassVar[str] = "untag"

    def requests(self) -> tuple[Request, ...]:
        return (Request("UntagResource", {"ResourceArn": self.arn, "TagKeys": list(self.keys)}),)

    def apply(self, spec: TableSpec | None) -> TableSpec:
        assert spec is not None
        kept = {k: v for k, v in spec.tag_map.items() if k not in self.keys}
        return spec.model_copy(update={"tags": _tags(kept)})

    def summary(self) -> str:
        return "remove tags " + ", ".join(self.keys)


def is_destructive(change: Change) -> bool:
    """Whether ``change`` destroys data or a safeguard (needs --allow-destroy)."""
    return change.is_destructive


def _tags(tags: dict[str, str]) -> tuple[Tag, ...]:
    return tuple(Tag(key=key, value=value) for key, value in sorted(tags.items()))


def only_used_attributes(spec: TableSpec) -> TableSpec:
    """``spec`` with just the attribute definitions a key of the table or an index uses.

    An attribute no key uses is no part of the table's definition: requests may not carry it, and
    what DynamoDB still describes for a while after deleting an index is not a difference.
    """
    used = set(spec.key_attributes())
    kept = tuple(d for d in spec.attribute_definitions if d.attribute_name in used)
    return spec.model_copy(update={"attribute_definitions": kept})
