"""DynamoDB's rules for a table definition, checked offline (see DYNAMODB-FACTS.md).

``check(spec)`` returns every broken rule as ``(json_pointer, rule)``; it never stops at the first.
Pointers follow the file's own order, so they lead to the offending line.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence

from ..naming import MAX_NAME_LENGTH, NAME_PATTERN, name_problem
from .model import (
    GlobalSecondaryIndex,
    KeySchemaElement,
    LocalSecondaryIndex,
    Projection,
    TableSpec,
)

MAX_GSIS = 20
MAX_LSIS = 5
MAX_PROJECTED_ATTRIBUTES = 100
MAX_TAGS = 50
MAX_TAG_KEY = 128
MAX_TAG_VALUE = 256
MAX_KEY_ATTRIBUTE_NAME = 255
MAX_RECOVERY_DAYS = 35
MAX_LOGICAL_NAME = MAX_NAME_LENGTH - 3  # room for the shortest prefix and its hyphen ("xx-")

Finding = tuple[str, str]


def check(spec: TableSpec) -> list[Finding]:
    """Every DynamoDB rule ``spec`` breaks, as (JSON pointer, rule)."""
    return [
        *_logical_name(spec),
        *_key_schema("/KeySchema", spec.key_schema),
        *_attribute_definitions(spec),
        *_indexes(spec),
        *_billing(spec),
        *_stream(spec),
        *_sse(spec),
        *_tags(spec),
        *_ttl(spec),
        *_pitr(spec),
    ]


def _logical_name(spec: TableSpec) -> Iterator[Finding]:
    # Prefix and environment come later (the physical name is checked whole then); the logical part alone
    # must still be a legal name fragment, short enough to leave room for a prefix.
    name = spec.table_name
    if not NAME_PATTERN.fullmatch(name):
        yield "/TableName", f"table name {name!r} may contain only letters, digits, '_', '-' and '.'"
    elif len(name) > MAX_LOGICAL_NAME:
        yield "/TableName", (f"table name {name[:20]!r}... has {len(name)} characters: with a prefix in front, a "
                             f"table name is at most {MAX_NAME_LENGTH}, so the file's name at most {MAX_LOGICAL_NAME}")


def _key_schema(pointer: str, schema: Sequence[KeySchemaElement]) -> Iterator[Finding]:
    if not 1 <= len(schema) <= 2:
        yield pointer, f"a key schema has one HASH key and at most one RANGE key (found {len(schema)} elements)"
        return
    if schema[0].key_type != "HASH":
        yield f"{pointer}/0/KeyType", "the first key schema element must be the HASH (partition) key"
    if len(schema) == 2:
        if schema[1].key_type != "RANGE":
            yield f"{pointer}/1/KeyType", "the second key schema element must be the RANGE (sort) key"
        if schema[0].attribute_name == schema[1].attribute_name:
            yield f"{pointer}/1/AttributeName", "the partition and sort keys must be different attributes"
    for position, element in enumerate(schema):
        if len(element.attribute_name) > MAX_KEY_ATTRIBUTE_NAME:
            yield (
                f"{pointer}/{position}/AttributeName",
                f"key attribute names are at most {MAX_KEY_ATTRIBUTE_NAME} characters",
            )


def _attribute_definitions(spec: TableSpec) -> Iterator[Finding]:
    counts = Counter(d.attribute_name for d in spec.attribute_definitions)
    used = spec.key_attributes()
    for position, definition in enumerate(spec.attribute_definitions):
        name = definition.attribute_name
        pointer = f"/AttributeDefinitions/{position}"
        if counts[name] > 1:
            yield pointer, f"attribute {name!r} is defined more than once"
        if name not in used:
            yield pointer, (
                f"attribute {name!r} is defined but used by no key of the table or its indexes "
                "(DynamoDB refuses unused AttributeDefinitions): remove it"
            )
    for name in used:
        if name not in counts:
            yield "/AttributeDefinitions", (
                f"attribute {name!r} is used in a key schema but missing from AttributeDefinitions: "
                'add {"AttributeName": "%s", "AttributeType": "S|N|B"}' % name
            )


def _indexes(spec: TableSpec) -> Iterator[Finding]:
    gsis, lsis = spec.gsis, spec.lsis
    if len(gsis) > MAX_GSIS:
        yield "/GlobalSecondaryIndexes", f"at most {MAX_GSIS} global secondary indexes per table (found {len(gsis)})"
    if len(lsis) > MAX_LSIS:
        yield "/LocalSecondaryIndexes", f"at most {MAX_LSIS} local secondary indexes per table (found {len(lsis)})"
    seen: set[str] = set()
    named: list[tuple[str, GlobalSecondaryIndex | LocalSecondaryIndex]] = [
        *((f"/GlobalSecondaryIndexes/{i}", index) for i, index in enumerate(gsis)),
        *((f"/LocalSecondaryIndexes/{i}", index) for i, index in enumerate(lsis)),
    ]
    for pointer, index in named:
        problem = name_problem(index.index_name, "index name")
        if problem is not None:
            yield f"{pointer}/IndexName", problem
        if index.index_name in seen:
            yield f"{pointer}/IndexName", f"index name {index.index_name!r} is used more than once in this table"
        seen.add(index.index_name)
        yield from _key_schema(f"{pointer}/KeySchema", index.key_schema)
        yield from _projection(f"{pointer}/Projection", index.projection)
    yield from _lsi_keys(spec)
    projected = sum(len(index.projection.non_key_attributes or ()) for _, index in named)
    if projected > MAX_PROJECTED_ATTRIBUTES:
        yield "/GlobalSecondaryIndexes", (
            f"at most {MAX_PROJECTED_ATTRIBUTES} NonKeyAttributes across all indexes of a table (found {projected})"
        )


def _projection(pointer: str, projection: Projection) -> Iterator[Finding]:
    attributes = projection.non_key_attributes
    if projection.projection_type == "INCLUDE":
        if not attributes:
            yield f"{pointer}/NonKeyAttributes", "ProjectionType INCLUDE needs a non-empty NonKeyAttributes list"
        elif len(set(attributes)) != len(attributes):
            yield f"{pointer}/NonKeyAttributes", "NonKeyAttributes lists an attribute more than once"
    elif attributes is not None:
        yield f"{pointer}/NonKeyAttributes", (
            f"NonKeyAttributes is only allowed with ProjectionType INCLUDE (this index projects "
            f"{projection.projection_type})"
        )


def _lsi_keys(spec: TableSpec) -> Iterator[Finding]:
    if not spec.lsis:
        return
    table_keys = spec.key_schema
    if len(table_keys) != 2:
        yield "/LocalSecondaryIndexes", "local secondary indexes need a table with a sort (RANGE) key"
        return
    for position, index in enumerate(spec.lsis):
        pointer = f"/LocalSecondaryIndexes/{position}/KeySchema"
        if len(index.key_schema) != 2:
            yield pointer, "a local secondary index has the table's partition key and its own sort key"
        elif index.key_schema[0].attribute_name != table_keys[0].attribute_name:
            yield f"{pointer}/0/AttributeName", (
                f"a local secondary index shares the table's partition key {table_keys[0].attribute_name!r}"
            )


def _billing(spec: TableSpec) -> Iterator[Finding]:
    provisioned = spec.billing_mode == "PROVISIONED"
    if provisioned:
        if spec.provisioned_throughput is None:
            yield "/ProvisionedThroughput", "BillingMode PROVISIONED needs ProvisionedThroughput for the table"
        for position, index in enumerate(spec.gsis):
            if index.provisioned_throughput is None:
                yield f"/GlobalSecondaryIndexes/{position}/ProvisionedThroughput", (
                    "on a PROVISIONED table every global secondary index needs ProvisionedThroughput"
                )
        if spec.on_demand_throughput is not None:
            yield "/OnDemandThroughput", "OnDemandThroughput is only for BillingMode PAY_PER_REQUEST"
        return
    limits = [("/OnDemandThroughput", spec.on_demand_throughput),
              *((f"/GlobalSecondaryIndexes/{i}/OnDemandThroughput", index.on_demand_throughput)
                for i, index in enumerate(spec.gsis))]
    for pointer, limit in limits:
        for field, value in (("MaxReadRequestUnits", limit and limit.max_read_request_units),
                             ("MaxWriteRequestUnits", limit and limit.max_write_request_units)):
            if value == 0:
                yield f"{pointer}/{field}", f"{field} is -1 (no maximum) or at least 1"
    if spec.provisioned_throughput is not None:
        yield "/ProvisionedThroughput", (
            "ProvisionedThroughput is only allowed with BillingMode PROVISIONED "
            "(PAY_PER_REQUEST is the default when BillingMode is absent)"
        )
    for position, index in enumerate(spec.gsis):
        if index.provisioned_throughput is not None:
            yield f"/GlobalSecondaryIndexes/{position}/ProvisionedThroughput", (
                "index ProvisionedThroughput is only allowed on a PROVISIONED table"
            )


def _stream(spec: TableSpec) -> Iterator[Finding]:
    stream = spec.stream_specification
    if stream is None:
        return
    if stream.stream_enabled and stream.stream_view_type is None:
        yield "/StreamSpecification/StreamViewType", "an enabled stream needs a StreamViewType"
    if not stream.stream_enabled and stream.stream_view_type is not None:
        yield "/StreamSpecification/StreamViewType", "StreamViewType is only allowed when StreamEnabled is true"


def _sse(spec: TableSpec) -> Iterator[Finding]:
    sse = spec.sse_specification
    if sse is None or sse.enabled:
        if sse is not None and sse.sse_type == "AES256":
            yield "/SSESpecification/SSEType", "SSEType must be KMS (AES256 is not accepted by CreateTable)"
        return
    if sse.sse_type is not None or sse.kms_master_key_id is not None:
        yield "/SSESpecification", "SSEType and KMSMasterKeyId are only allowed when Enabled is true"


def _tags(spec: TableSpec) -> Iterator[Finding]:
    tags = spec.tags or ()
    if len(tags) > MAX_TAGS:
        yield "/Tags", f"at most {MAX_TAGS} tags per table (found {len(tags)})"
    counts = Counter(tag.key for tag in tags)
    for position, tag in enumerate(tags):
        pointer = f"/Tags/{position}"
        if not 1 <= len(tag.key) <= MAX_TAG_KEY:
            yield f"{pointer}/Key", f"tag keys are 1-{MAX_TAG_KEY} characters"
        if len(tag.value) > MAX_TAG_VALUE:
            yield f"{pointer}/Value", f"tag values are at most {MAX_TAG_VALUE} characters"
        for part, text in (("Key", tag.key), ("Value", tag.value)):
            bad = _bad_tag_characters(text)
            if bad:
                yield f"{pointer}/{part}", (
                    f"tag {part.lower()}s may contain only letters, digits, spaces and _ . : / = + - @ "
                    f"(found {', '.join(bad)})"
                )
        if tag.key.lower().startswith("aws:"):
            yield f"{pointer}/Key", "tag keys starting with 'aws:' are reserved for AWS"
        if counts[tag.key] > 1:
            yield f"{pointer}/Key", f"tag key {tag.key!r} appears more than once"


_TAG_PUNCTUATION = frozenset("_.:/=+-@")


def _bad_tag_characters(text: str) -> list[str]:
    """The characters DynamoDB refuses in a tag (its pattern ``[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*``), shown escaped."""
    bad = {ch for ch in text if ch not in _TAG_PUNCTUATION and unicodedata.category(ch)[0] not in "LZN"}
    return [ascii(ch) for ch in sorted(bad)]


def _ttl(spec: TableSpec) -> Iterator[Finding]:
    ttl = spec.time_to_live_specification
    if ttl is None:
        return
    if ttl.enabled and not ttl.attribute_name:
        yield "/TimeToLiveSpecification/AttributeName", "enabled TTL needs the AttributeName holding the expiry"
    if ttl.attribute_name is not None and len(ttl.attribute_name) > MAX_KEY_ATTRIBUTE_NAME:
        yield "/TimeToLiveSpecification/AttributeName", "the TTL attribute name is at most 255 characters"


def _pitr(spec: TableSpec) -> Iterator[Finding]:
    pitr = spec.point_in_time_recovery_specification
    if pitr is None or pitr.recovery_period_in_days is None:
        return
    if not pitr.point_in_time_recovery_enabled:
        yield "/PointInTimeRecoverySpecification/RecoveryPeriodInDays", (
            "RecoveryPeriodInDays is only allowed when PointInTimeRecoveryEnabled is true"
        )
    elif not 1 <= pitr.recovery_period_in_days <= MAX_RECOVERY_DAYS:
        yield "/PointInTimeRecoverySpecification/RecoveryPeriodInDays", (
            f"RecoveryPeriodInDays is 1-{MAX_RECOVERY_DAYS}"
        )
