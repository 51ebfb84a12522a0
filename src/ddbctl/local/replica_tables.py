"""A replica's table: the CreateTable that makes it from its source's description, and the items each
write changed, copied to the other members of the group (``replicas``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .wire import DynamoRequest

if TYPE_CHECKING:
    from moto.dynamodb.models.table import Table


def replica_creation(table: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    """The CreateTable of a replica of ``table`` (its description) with the Create action's overrides."""
    on_demand = (table.get("BillingModeSummary") or {}).get("BillingMode") == "PAY_PER_REQUEST"
    payload: dict[str, Any] = {
        "TableName": table["TableName"],
        "KeySchema": table["KeySchema"],
        "AttributeDefinitions": table["AttributeDefinitions"],
        "BillingMode": "PAY_PER_REQUEST" if on_demand else "PROVISIONED",
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    }
    if not on_demand:
        throughput = table.get("ProvisionedThroughput") or {}
        read = (settings.get("ProvisionedThroughputOverride") or {}).get("ReadCapacityUnits")
        payload["ProvisionedThroughput"] = {"ReadCapacityUnits": read or throughput.get("ReadCapacityUnits", 1),
                                            "WriteCapacityUnits": throughput.get("WriteCapacityUnits", 1)}
    gsis = []
    for index in table.get("GlobalSecondaryIndexes") or []:
        gsi: dict[str, Any] = {name: index[name] for name in ("IndexName", "KeySchema", "Projection")}
        if not on_demand:
            throughput = index.get("ProvisionedThroughput") or {}
            gsi["ProvisionedThroughput"] = {unit: throughput.get(unit) or 1
                                            for unit in ("ReadCapacityUnits", "WriteCapacityUnits")}
        gsis.append(gsi)
    if gsis:
        payload["GlobalSecondaryIndexes"] = gsis
    lsis = [{name: index[name] for name in ("IndexName", "KeySchema", "Projection")}
            for index in table.get("LocalSecondaryIndexes") or []]
    if lsis:
        payload["LocalSecondaryIndexes"] = lsis
    vector_fields = ("IndexName", "VectorAttribute", "Dimensions", "DistanceFunction", "Projection", "SearchSchema")
    vector_indexes = [{name: index[name] for name in vector_fields if name in index}
                      for index in table.get("VectorIndexes") or []]
    if vector_indexes:
        payload["VectorIndexes"] = vector_indexes
    sse = table.get("SSEDescription") or {}
    if sse.get("SSEType") == "KMS":
        payload["SSESpecification"] = {"Enabled": True, "SSEType": "KMS",
                                       **({"KMSMasterKeyId": settings["KMSMasterKeyId"]}
                                          if settings.get("KMSMasterKeyId") else {})}
    table_class = settings.get("TableClassOverride") or (table.get("TableClassSummary") or {}).get("TableClass")
    if table_class:
        payload["TableClass"] = table_class
    if on_demand and table.get("OnDemandThroughput"):
        payload["OnDemandThroughput"] = dict(table["OnDemandThroughput"])
    return payload


def written_keys(request: DynamoRequest) -> Iterator[tuple[str, list[dict[str, Any]] | None]]:
    """(table, the keys or items it wrote) for each table a write changed; None: any item (PartiQL)."""
    payload = request.payload
    operation = request.operation
    if operation in ("PutItem", "UpdateItem", "DeleteItem"):
        yield str(payload.get("TableName")), [payload.get("Item") or payload.get("Key") or {}]
    elif operation == "BatchWriteItem":
        for name, writes in (payload.get("RequestItems") or {}).items():
            keys = [(write.get("PutRequest") or {}).get("Item") or (write.get("DeleteRequest") or {}).get("Key") or {}
                    for write in writes or [] if isinstance(write, dict)]
            yield str(name), keys
    elif operation == "TransactWriteItems":
        for action in payload.get("TransactItems") or []:
            for kind, write in (action or {}).items():
                if kind != "ConditionCheck" and isinstance(write, dict):
                    yield str(write.get("TableName")), [write.get("Item") or write.get("Key") or {}]
    else:  # PartiQL: the statement names the table; copy every replicated table of the region whole
        yield from ((name, None) for name in _partiql_tables(payload))


def _partiql_tables(payload: dict[str, Any]) -> list[str]:
    statements = [payload.get("Statement")] + [s.get("Statement") for s in payload.get("Statements") or []
                                               if isinstance(s, dict)]
    statements += [s.get("Statement") for s in payload.get("TransactStatements") or [] if isinstance(s, dict)]
    names = []
    for statement in statements:
        words = str(statement or "").replace('"', " ").split()
        for position, word in enumerate(words[:-1]):
            if word.upper() in ("INTO", "UPDATE", "FROM"):
                names.append(words[position + 1])
    return list(dict.fromkeys(names))


def copy_items(source: Table, replica: Table, keys: list[dict[str, Any]] | None) -> None:
    from moto.dynamodb.models.dynamo_type import DynamoType  # noqa: PLC0415 - moto is imported lazily

    if keys is None:
        replica.items.clear()
        for item in source.all_items():
            replica.put_item(item.to_json()["Attributes"], overwrite=True)
        return
    for written in keys:
        if source.hash_key_attr not in written:
            continue
        hash_key = DynamoType(written[source.hash_key_attr])
        range_key = DynamoType(written[source.range_key_attr]) if source.range_key_attr in written else None
        if source.has_range_key and range_key is None:
            continue
        written_item = source.get_item(hash_key, range_key)
        if written_item is None:
            replica.delete_item(hash_key, range_key)
        else:
            replica.put_item(written_item.to_json()["Attributes"], overwrite=True)

