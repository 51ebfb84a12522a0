"""DynamoDB's request rules for the 2026 table surface: multi-attribute index keys, vector indexes, warm throughput.

Pure functions over request payloads and the table's current description; each raises the DynamoError
DynamoDB answers with. The messages are DynamoDB's as captured from the service (see docs/local.md); the
few that are modelled, not captured, are marked so there. They hold in both modes: moto has none of these
features, so the local server's implementation of them includes their rules.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from .awslike_rules import index_limit_exceeded
from .wire import DynamoError, constraint, raise_constraint_problems, resource_not_found, validation_error

INVALID = "One or more parameter values were invalid:"
MAX_INDEX_HASH_KEYS = 4
MAX_INDEX_RANGE_KEYS = 4
MAX_VECTOR_INDEXES = 5
MAX_VECTOR_DIMENSIONS = 4096
DISTANCE_FUNCTIONS = ("COSINE", "DOT_PRODUCT", "EUCLIDEAN")
SEARCH_SCHEMA_TYPES = ("HASH", "INLINE_FILTER")
_NAME_PATTERN = "[a-zA-Z0-9_.-]+"
_NAME_RE = re.compile(rf"^{_NAME_PATTERN}$")


# -- multi-attribute index keys ----------------------------------------------------------------------


def check_key_schemas(payload: dict[str, Any]) -> None:
    """CreateTable: a GSI key may have up to 4 HASH and 4 RANGE attributes (November 2025); the table's
    and each LSI's key stay at one HASH and at most one RANGE."""
    problems = []
    for position, index in enumerate(payload.get("LocalSecondaryIndexes") or [], start=1):
        schema = index.get("KeySchema") if isinstance(index, dict) else None
        if isinstance(schema, list) and len(schema) > 2:
            member = f"localSecondaryIndexes.{position}.member.keySchema"
            problems.append(constraint(_schema_text(schema), member, "have length less than or equal to 2"))
    raise_constraint_problems(problems)
    for index in payload.get("GlobalSecondaryIndexes") or []:
        if isinstance(index, dict):
            check_index_key_schema(index.get("KeySchema"))


def check_index_key_schema(schema: Any) -> None:
    """One GSI's KeySchema: HASH attributes first, then RANGE ones, at most 4 of each, no name twice."""
    if not isinstance(schema, list):
        return
    types = [str(element.get("KeyType")) for element in schema if isinstance(element, dict)]
    names = [str(element.get("AttributeName")) for element in schema if isinstance(element, dict)]
    if types.count("HASH") > MAX_INDEX_HASH_KEYS:
        raise validation_error("The KeySchema exceeds the maximum allowed number of HASH key attributes")
    if types.count("RANGE") > MAX_INDEX_RANGE_KEYS:
        raise validation_error("The KeySchema exceeds the maximum allowed number of RANGE key attributes")
    if "RANGE" in types and "HASH" in types[types.index("RANGE"):]:
        raise validation_error("All HASH key attributes must precede RANGE key attributes in the KeySchema")
    if len(set(names)) < len(names):
        raise validation_error("The KeySchema contains multiple key attributes with the same name")


def _schema_text(schema: list[Any]) -> str:
    elements = [
        f"KeySchemaElement(attributeName={element.get('AttributeName')}, keyType={element.get('KeyType')})"
        for element in schema
        if isinstance(element, dict)
    ]
    return "[" + ", ".join(elements) + "]"


# -- vector indexes ----------------------------------------------------------------------------------


def check_vector_indexes(payload: dict[str, Any]) -> None:
    """CreateTable's VectorIndexes: on-demand tables only, each index valid, names unique across every
    index of the table, at most 5, one dimension count per vector attribute, vector attributes undeclared."""
    indexes = payload.get("VectorIndexes")
    if indexes is None:
        return
    if not isinstance(indexes, list) or not indexes:
        raise validation_error(f"{INVALID} List of VectorIndexes is empty")
    if payload.get("BillingMode") != "PAY_PER_REQUEST":
        raise not_on_demand()
    definitions = payload.get("AttributeDefinitions") or []
    for position, index in enumerate(indexes, start=1):
        check_vector_index(index, definitions, f"vectorIndexes.{position}.member")
    names = [str(index.get("IndexName")) for index in indexes]
    names += [str(index.get("IndexName")) for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes")
              for index in payload.get(key) or [] if isinstance(index, dict)]
    duplicate = next((name for name, count in Counter(names).items() if count > 1), None)
    if duplicate is not None:
        raise validation_error(f"{INVALID} Duplicate index name: {duplicate}")
    if len(indexes) > MAX_VECTOR_INDEXES:
        raise too_many_vector_indexes()
    check_vector_attributes(indexes, definitions)


def check_vector_index(index: Any, definitions: list[Any], member: str) -> None:
    """One vector index definition (CreateTable's, or UpdateTable's ``Create``)."""
    if not isinstance(index, dict):
        raise validation_error(f"{INVALID} Invalid vector index definition")
    name = index.get("IndexName")
    problems = []
    if isinstance(name, str):
        if not 3 <= len(name) <= 255:
            rule = "greater than or equal to 3" if len(name) < 3 else "less than or equal to 255"
            problems.append(constraint(name, f"{member}.indexName", f"have length {rule}"))
        if not _NAME_RE.match(name):
            rule = f"satisfy regular expression pattern: {_NAME_PATTERN}"
            problems.append(constraint(name, f"{member}.indexName", rule))
    function = index.get("DistanceFunction")
    if function not in DISTANCE_FUNCTIONS:
        rule = f"satisfy enum value set: [{', '.join(DISTANCE_FUNCTIONS)}]"
        problems.append(constraint(function, f"{member}.distanceFunction", rule))
    for position, element in enumerate(index.get("SearchSchema") or [], start=1):
        element_type = element.get("SearchSchemaElementType") if isinstance(element, dict) else None
        if element_type not in SEARCH_SCHEMA_TYPES:
            rule = f"satisfy enum value set: [{', '.join(SEARCH_SCHEMA_TYPES)}]"
            where = f"{member}.searchSchema.{position}.member.searchSchemaElementType"
            problems.append(constraint(element_type, where, rule))
    raise_constraint_problems(problems)
    dimensions = index.get("Dimensions")
    if not isinstance(dimensions, int) or not 1 <= dimensions <= MAX_VECTOR_DIMENSIONS:
        limit = MAX_VECTOR_DIMENSIONS
        raise validation_error(f"{INVALID} Number of dimensions must be between 1 and {limit} inclusive.")
    check_projection(index.get("Projection"))
    _check_search_schema(index.get("SearchSchema"), definitions)


def check_projection(projection: Any) -> None:
    projection_type = projection.get("ProjectionType") if isinstance(projection, dict) else None
    if projection_type is None:
        raise validation_error(f"{INVALID} Unknown ProjectionType: null")
    non_key = projection.get("NonKeyAttributes")
    if non_key is not None and projection_type != "INCLUDE":
        raise validation_error(f"{INVALID} ProjectionType is {projection_type}, but NonKeyAttributes is specified")


def _check_search_schema(schema: Any, definitions: list[Any]) -> None:
    if not isinstance(schema, list):
        return
    defined = {str(d.get("AttributeName")) for d in definitions if isinstance(d, dict)}
    names = [str(element.get("AttributeName")) for element in schema if isinstance(element, dict)]
    if any(name not in defined for name in names):
        raise validation_error(f"{INVALID} One element in SearchSchema is not defined in attribute definitions")
    types = [element.get("SearchSchemaElementType") for element in schema if isinstance(element, dict)]
    hashes = types.count("HASH")
    if hashes > 1:
        raise validation_error(
            f"{INVALID} Value '{hashes}' at 'SearchSchema' failed to satisfy constraint: Member must have HASH count "
            "less than or equal to 1"
        )
    if len(set(names)) < len(names):
        raise validation_error(f"{INVALID} SearchSchema contains a duplicate AttributeName")


def check_vector_attributes(indexes: list[dict[str, Any]], definitions: list[Any]) -> None:
    """Indexes on one vector attribute agree on its dimensions; a vector attribute is not a declared attribute."""
    dimensions: dict[str, Any] = {}
    for index in indexes:
        attribute = vector_attribute(index)
        if attribute in dimensions and dimensions[attribute] != index.get("Dimensions"):
            raise validation_error(
                f"{INVALID} Conflicting attribute definition for '{attribute}'. All VectorIndexes on the same vector "
                "attribute must use the same dimensions."
            )
        dimensions.setdefault(attribute, index.get("Dimensions"))
    defined = {str(d.get("AttributeName")) for d in definitions if isinstance(d, dict)}
    for attribute in dimensions:
        if attribute in defined:
            raise validation_error(
                f"{INVALID} Conflicting attribute definition for '{attribute}'. An attribute cannot be defined in "
                "AttributeDefinitions when used as a VectorAttribute."
            )


def vector_attribute(index: dict[str, Any]) -> str:
    attribute = index.get("VectorAttribute")
    return str(attribute.get("AttributeName")) if isinstance(attribute, dict) else ""


def search_schema_attributes(indexes: list[dict[str, Any]]) -> set[str]:
    return {str(element.get("AttributeName")) for index in indexes for element in index.get("SearchSchema") or []
            if isinstance(element, dict)}


def check_vector_index_updates(
    payload: dict[str, Any], table: dict[str, Any], current: list[dict[str, Any]]
) -> None:
    """UpdateTable's VectorIndexUpdates against the table's description and its vector indexes ``current``."""
    billing = payload.get("BillingMode") or (table.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED")
    if payload.get("BillingMode") == "PROVISIONED" and current:
        raise validation_error(f"{INVALID} Tables with vector indexes must be in PAY_PER_REQUEST mode")
    updates = payload.get("VectorIndexUpdates")
    if updates is None:
        return
    for update in updates if isinstance(updates, list) else []:
        actions = [action for action in ("Create", "Delete") if isinstance(update, dict) and update.get(action)]
        if not actions:
            raise validation_error(
                f"{INVALID} One of VectorIndexUpdate.Create, VectorIndexUpdate.Delete must not be null"
            )
        if len(actions) > 1:
            raise validation_error(f"{INVALID} Only one vector index action is allowed per VectorIndexUpdate object")
    if isinstance(updates, list) and len(updates) > 1:
        raise index_limit_exceeded()
    existing = {str(index.get("IndexName")) for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes")
                for index in table.get(key) or []}
    existing |= {str(index.get("IndexName")) for index in current}
    for update in updates if isinstance(updates, list) else []:
        create, delete = update.get("Create"), update.get("Delete")
        if create:
            if billing != "PAY_PER_REQUEST":
                raise not_on_demand()
            if create.get("IndexName") in existing:
                raise validation_error("Attempting to create an index which already exists")
            check_vector_index(create, payload.get("AttributeDefinitions") or [], "vectorIndexUpdates.1.member.create")
            if len(current) >= MAX_VECTOR_INDEXES:
                raise too_many_vector_indexes()
            merged = {str(d.get("AttributeName")): d for d in table.get("AttributeDefinitions") or []}
            merged.update({str(d.get("AttributeName")): d for d in payload.get("AttributeDefinitions") or []
                           if isinstance(d, dict)})
            check_vector_attributes([*current, create], list(merged.values()))
        if delete and delete.get("IndexName") not in {index.get("IndexName") for index in current}:
            raise resource_not_found(
                f"Requested resource not found: Index {delete.get('IndexName')} for table {table.get('TableName')}"
            )


def not_on_demand() -> DynamoError:
    return validation_error(f"{INVALID} Vector indexes are only supported for PAY_PER_REQUEST tables")


def too_many_vector_indexes() -> DynamoError:
    return validation_error(f"{INVALID} VectorIndex count exceeds the per-table limit of {MAX_VECTOR_INDEXES}")


# -- warm throughput ---------------------------------------------------------------------------------

WARM_UNITS = ("ReadUnitsPerSecond", "WriteUnitsPerSecond")


def raised_warm_throughput(requested: Any, current: dict[str, Any] | None, index: str | None) -> dict[str, Any]:
    """The WarmThroughput an update asks for, merged with ``current`` (a unit it does not name keeps its value).

    DynamoDB never lowers warm throughput: a lower value is refused (ValidationException), naming the first
    unit that is lower (read before write).
    """
    where = f"index {index}" if index is not None else "table"
    if not isinstance(requested, dict) or not any(unit in requested for unit in WARM_UNITS):
        target = f"index: {index}" if index is not None else "table"
        raise validation_error(
            f"{INVALID} WarmThroughput must have at least one of ReadUnitsPerSecond or WriteUnitsPerSecond "
            f"specified for {target}"
        )
    current = current or {}
    for unit in WARM_UNITS:
        value, before = requested.get(unit), current.get(unit)
        if isinstance(value, int) and isinstance(before, int) and value < before:
            raise validation_error(
                f"{INVALID} Requested {unit} for WarmThroughput for {where} is lower than current WarmThroughput, "
                "decreasing WarmThroughput is not supported"
            )
    return {unit: requested.get(unit, current.get(unit)) for unit in WARM_UNITS if unit in requested or unit in current}
