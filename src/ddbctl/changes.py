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
    # True when the step is an UpdateTable/CreateTable whose effect DynamoDB applies asynchronously.
    settles: ClassVar[bool] = True

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
                "time_to_live_specification": TimeToLiveSpecification(Enabled=False),
                "point_in_time_recovery_specification": PointInTimeRecoverySpecification(
                    PointInTimeRecoveryEnabled=False
                ),
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
    kind: ClassVar[str] = "delete-index"
    destructive: ClassVar[bool] = True

    def requests(self) -> tuple[Request, ...]:
        return self._update(GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": self.index_name}}])

    def apply(self, spec: TableSpec | None) -> TableSpec:
        assert spec is not None
        remaining = tuple(i for i in spec.gsis if i.index_name != self.index_name)
        return _with_used_attributes(spec.model_copy(update={"global_secondary_indexes": remaining}), spec)

    def summary(self) -> str:
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
class UpdateCapacity(Change):
    """Billing mode, table and index throughput, on-demand limits: one UpdateTable."""

    billing_mode: str | None = field(default=None, kw_only=True)
    provisioned_throughput: ProvisionedThroughput | None = field(default=None, kw_only=True)
    on_demand_throughput: OnDemandThroughput | None = field(default=None, kw_only=True)
    index_throughput: tuple[tuple[str, ProvisionedThroughput], ...] = field(default=(), kw_only=True)
    kind: ClassVar[str] = "update-capacity"

    def requests(self) -> tuple[Request, ...]:
        params: Json = {}
        if self.billing_mode is not None:
            params["BillingMode"] = self.billing_mode
        if self.provisioned_throughput is not None:
            params["ProvisionedThroughput"] = self.provisioned_throughput.to_request()
        if self.on_demand_throughput is not None:
            params["OnDemandThroughput"] = self.on_demand_throughput.to_request()
        if self.index_throughput:
            params["GlobalSecondaryIndexUpdates"] = [
                {"Update": {"IndexName": name, "ProvisionedThroughput": throughput.to_request()}}
                for name, throughput in self.index_throughput
            ]
        return self._update(**params)

    def apply(self, spec: TableSpec | None) -> TableSpec:
        assert spec is not None
        billing = self.billing_mode or spec.billing_mode
        by_name = dict(self.index_throughput)
        on_demand_table = billing == "PAY_PER_REQUEST"
        indexes = tuple(
            index.model_copy(
                update={
                    "provisioned_throughput": None if on_demand_table else by_name.get(
                        index.index_name, index.provisioned_throughput
                    ),
                    "on_demand_throughput": index.on_demand_throughput if on_demand_table else None,
                }
            )
            for index in spec.gsis
        )
        return spec.model_copy(
            update={
                "billing_mode": billing,
                "provisioned_throughput": None if on_demand_table else (
                    self.provisioned_throughput or spec.provisioned_throughput
                ),
                "on_demand_throughput": None if not on_demand_table else (
                    self.on_demand_throughput or spec.on_demand_throughput
                ),
                "global_secondary_indexes": indexes,
            }
        )

    def summary(self) -> str:
        parts = []
        if self.billing_mode:
            parts.append(f"billing mode -> {self.billing_mode}")
        if self.provisioned_throughput:
            t = self.provisioned_throughput
            parts.append(f"throughput -> {t.read_capacity_units}R/{t.write_capacity_units}W")
        if self.on_demand_throughput:
            parts.append("on-demand limits")
        parts.extend(f"index {name} throughput" for name, _ in self.index_throughput)
        return "update " + ", ".join(parts)


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
    settles: ClassVar[bool] = False

    def requests(self) -> tuple[Request, ...]:
        spec = {"Enabled": self.enabled, "AttributeName": self.attribute_name}
        return (Request("UpdateTimeToLive", {"TableName": self.physical, "TimeToLiveSpecification": spec}),)

    def apply(self, spec: TableSpec | None) -> TableSpec:
        assert spec is not None
        ttl = TimeToLiveSpecification(Enabled=True, AttributeName=self.attribute_name) if self.enabled else (
            TimeToLiveSpecification(Enabled=False)
        )
        return spec.model_copy(update={"time_to_live_specification": ttl})

    def summary(self) -> str:
        return f"{'enable' if self.enabled else 'disable'} TTL on {self.attribute_name}"


@dataclass(frozen=True)
class UpdatePITR(Change):
    pitr: PointInTimeRecoverySpecification = field(kw_only=True)
    kind: ClassVar[str] = "update-pitr"
    settles: ClassVar[bool] = False

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
    settles: ClassVar[bool] = False

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
    settles: ClassVar[bool] = False

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
    return change.destructive or bool(getattr(change, "is_destructive", False))


def _tags(tags: dict[str, str]) -> tuple[Tag, ...]:
    return tuple(Tag(Key=key, Value=value) for key, value in sorted(tags.items()))


def _with_used_attributes(spec: TableSpec, before: TableSpec) -> TableSpec:
    used = set(spec.key_attributes())
    kept = tuple(d for d in before.attribute_definitions if d.attribute_name in used)
    return spec.model_copy(update={"attribute_definitions": kept})
