"""The table spec: frozen models in the shapes of DynamoDB's CreateTable request.

Field aliases are DynamoDB's own PascalCase names, so a spec file reads like the request the AWS CLI
takes; Python code uses the snake_case attribute names. Every model forbids unknown fields.

``None`` on an optional field means "the file is silent": ``with_defaults()`` turns a spec into the
effective desired state (the seed's defaults: on-demand billing, SSE on, PITR on), which is what the
planner compares with the live table described into the very same types.
"""

from __future__ import annotations

from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

AttributeType = Literal["S", "N", "B"]
KeyType = Literal["HASH", "RANGE"]
ProjectionType = Literal["ALL", "KEYS_ONLY", "INCLUDE"]
BillingMode = Literal["PROVISIONED", "PAY_PER_REQUEST"]
StreamViewType = Literal["NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"]
TableClass = Literal["STANDARD", "STANDARD_INFREQUENT_ACCESS"]
SSEType = Literal["AES256", "KMS"]

# DynamoDB's Long: capacity and request units travel as 64-bit integers (botocore's PositiveLongObject/LongObject).
MAX_UNITS = 2**63 - 1
PositiveInt = Annotated[StrictInt, Field(ge=1, le=MAX_UNITS)]
RequestUnits = Annotated[StrictInt, Field(ge=-1, le=MAX_UNITS)]

ON_DEMAND: BillingMode = "PAY_PER_REQUEST"
PROVISIONED: BillingMode = "PROVISIONED"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    def to_request(self) -> dict[str, object]:
        """This value in DynamoDB's request shape (aliases, unset optionals left out)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class AttributeDefinition(_Model):
    attribute_name: StrictStr = Field(alias="AttributeName", min_length=1)
    attribute_type: AttributeType = Field(alias="AttributeType")


class KeySchemaElement(_Model):
    attribute_name: StrictStr = Field(alias="AttributeName", min_length=1)
    key_type: KeyType = Field(alias="KeyType")


class Projection(_Model):
    projection_type: ProjectionType = Field(alias="ProjectionType")
    non_key_attributes: tuple[StrictStr, ...] | None = Field(default=None, alias="NonKeyAttributes")

    def canonical(self) -> Projection:
        if self.non_key_attributes is None:
            return self
        return self.model_copy(update={"non_key_attributes": tuple(sorted(set(self.non_key_attributes)))})


class ProvisionedThroughput(_Model):
    read_capacity_units: PositiveInt = Field(alias="ReadCapacityUnits")
    write_capacity_units: PositiveInt = Field(alias="WriteCapacityUnits")


class OnDemandThroughput(_Model):
    max_read_request_units: RequestUnits | None = Field(default=None, alias="MaxReadRequestUnits")
    max_write_request_units: RequestUnits | None = Field(default=None, alias="MaxWriteRequestUnits")


class GlobalSecondaryIndex(_Model):
    index_name: StrictStr = Field(alias="IndexName")
    key_schema: tuple[KeySchemaElement, ...] = Field(alias="KeySchema")
    projection: Projection = Field(alias="Projection")
    provisioned_throughput: ProvisionedThroughput | None = Field(default=None, alias="ProvisionedThroughput")
    on_demand_throughput: OnDemandThroughput | None = Field(default=None, alias="OnDemandThroughput")

    def canonical(self) -> GlobalSecondaryIndex:
        return self.model_copy(update={"projection": self.projection.canonical()})

    @property
    def key_attributes(self) -> tuple[str, ...]:
        return tuple(k.attribute_name for k in self.key_schema)


class LocalSecondaryIndex(_Model):
    index_name: StrictStr = Field(alias="IndexName")
    key_schema: tuple[KeySchemaElement, ...] = Field(alias="KeySchema")
    projection: Projection = Field(alias="Projection")

    def canonical(self) -> LocalSecondaryIndex:
        return self.model_copy(update={"projection": self.projection.canonical()})

    @property
    def key_attributes(self) -> tuple[str, ...]:
        return tuple(k.attribute_name for k in self.key_schema)


class StreamSpecification(_Model):
    stream_enabled: StrictBool = Field(alias="StreamEnabled")
    stream_view_type: StreamViewType | None = Field(default=None, alias="StreamViewType")


class SSESpecification(_Model):
    enabled: StrictBool = Field(alias="Enabled")
    sse_type: SSEType | None = Field(default=None, alias="SSEType")
    kms_master_key_id: StrictStr | None = Field(default=None, alias="KMSMasterKeyId", min_length=1)


class Tag(_Model):
    key: StrictStr = Field(alias="Key")
    value: StrictStr = Field(alias="Value")


class TimeToLiveSpecification(_Model):
    enabled: StrictBool = Field(alias="Enabled")
    attribute_name: StrictStr | None = Field(default=None, alias="AttributeName")


class PointInTimeRecoverySpecification(_Model):
    point_in_time_recovery_enabled: StrictBool = Field(alias="PointInTimeRecoveryEnabled")
    recovery_period_in_days: StrictInt | None = Field(default=None, alias="RecoveryPeriodInDays")


SSE_ON = SSESpecification(enabled=True)
PITR_ON = PointInTimeRecoverySpecification(point_in_time_recovery_enabled=True)
PITR_OFF = PointInTimeRecoverySpecification(point_in_time_recovery_enabled=False)
TTL_OFF = TimeToLiveSpecification(enabled=False)


class TableSpec(_Model):
    """One table, by its logical name (the part after prefix and environment)."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        populate_by_name=True,
        title="ddbctl table spec",
        json_schema_extra={
            "description": "One DynamoDB table in the shape of the CreateTable request; TableName is the "
            "logical name (no prefix, no environment). See https://docs.aws.amazon.com/amazondynamodb/"
            "latest/APIReference/API_CreateTable.html"
        },
    )

    table_name: StrictStr = Field(alias="TableName", min_length=1)
    attribute_definitions: tuple[AttributeDefinition, ...] = Field(alias="AttributeDefinitions")
    key_schema: tuple[KeySchemaElement, ...] = Field(alias="KeySchema")
    global_secondary_indexes: tuple[GlobalSecondaryIndex, ...] | None = Field(
        default=None, alias="GlobalSecondaryIndexes"
    )
    local_secondary_indexes: tuple[LocalSecondaryIndex, ...] | None = Field(
        default=None, alias="LocalSecondaryIndexes"
    )
    billing_mode: BillingMode | None = Field(default=None, alias="BillingMode")
    provisioned_throughput: ProvisionedThroughput | None = Field(default=None, alias="ProvisionedThroughput")
    on_demand_throughput: OnDemandThroughput | None = Field(default=None, alias="OnDemandThroughput")
    stream_specification: StreamSpecification | None = Field(default=None, alias="StreamSpecification")
    sse_specification: SSESpecification | None = Field(default=None, alias="SSESpecification")
    table_class: TableClass | None = Field(default=None, alias="TableClass")
    deletion_protection_enabled: StrictBool | None = Field(default=None, alias="DeletionProtectionEnabled")
    tags: tuple[Tag, ...] | None = Field(default=None, alias="Tags")
    time_to_live_specification: TimeToLiveSpecification | None = Field(
        default=None, alias="TimeToLiveSpecification"
    )
    point_in_time_recovery_specification: PointInTimeRecoverySpecification | None = Field(
        default=None, alias="PointInTimeRecoverySpecification"
    )

    # -- derived views -------------------------------------------------------------------------------

    @property
    def gsis(self) -> tuple[GlobalSecondaryIndex, ...]:
        return self.global_secondary_indexes or ()

    @property
    def lsis(self) -> tuple[LocalSecondaryIndex, ...]:
        return self.local_secondary_indexes or ()

    def gsi(self, name: str) -> GlobalSecondaryIndex | None:
        return next((index for index in self.gsis if index.index_name == name), None)

    @property
    def tag_map(self) -> dict[str, str]:
        return {tag.key: tag.value for tag in self.tags or ()}

    @property
    def attribute_types(self) -> dict[str, str]:
        return {d.attribute_name: d.attribute_type for d in self.attribute_definitions}

    def key_attributes(self) -> list[str]:
        """Every attribute used in a key of the table or one of its indexes, first use first."""
        names: list[str] = []
        for schema in (self.key_schema, *(i.key_schema for i in self.gsis), *(i.key_schema for i in self.lsis)):
            names.extend(k.attribute_name for k in schema if k.attribute_name not in names)
        return names

    # -- normal forms --------------------------------------------------------------------------------

    def with_defaults(self) -> TableSpec:
        """The effective desired state: where the file is silent, the seed's defaults apply."""
        return self.model_copy(
            update={
                "billing_mode": self.billing_mode or ON_DEMAND,
                "sse_specification": self.sse_specification or SSE_ON,
                "point_in_time_recovery_specification": self.point_in_time_recovery_specification or PITR_ON,
                "time_to_live_specification": self.time_to_live_specification or TTL_OFF,
                "stream_specification": self.stream_specification or StreamSpecification(stream_enabled=False),
                "table_class": self.table_class or "STANDARD",
                "deletion_protection_enabled": bool(self.deletion_protection_enabled),
                "tags": self.tags or (),
                "global_secondary_indexes": self.gsis,
                "local_secondary_indexes": self.lsis,
            }
        )

    def canonical(self) -> TableSpec:
        """Order-insensitive lists sorted, so equal tables compare equal and dump to the same bytes."""
        return self.model_copy(
            update={
                "attribute_definitions": tuple(sorted(self.attribute_definitions, key=lambda d: d.attribute_name)),
                "global_secondary_indexes": _sorted_indexes(self.global_secondary_indexes),
                "local_secondary_indexes": _sorted_indexes(self.local_secondary_indexes),
                "tags": None if self.tags is None else tuple(sorted(self.tags, key=lambda t: t.key)),
            }
        )


_Index = TypeVar("_Index", GlobalSecondaryIndex, LocalSecondaryIndex)


def _sorted_indexes(indexes: tuple[_Index, ...] | None) -> tuple[_Index, ...] | None:
    if indexes is None:
        return None
    return tuple(sorted((index.canonical() for index in indexes), key=lambda i: i.index_name))
