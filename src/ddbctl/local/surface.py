"""The 2026 table surface, which moto lacks, played in both modes in front of moto (and its corrections).

- **Multi-attribute GSI keys**: up to 4 HASH and 4 RANGE attributes per GSI, checked as DynamoDB checks
  them; moto stores, describes and queries them (key conditions included).
- **Vector indexes** (CreateTable's VectorIndexes, UpdateTable's VectorIndexUpdates): kept here, described
  in DescribeTable as DynamoDB describes them, on on-demand tables only.
- **WarmThroughput**: moto stores it; here an update naming one unit keeps the other, a lower value is
  refused, and raising the capacity or switching to on-demand raises it as DynamoDB does.
- **Resource policies**, **Contributor Insights**, **Kinesis streaming destinations** (``policies``,
  ``insights``, ``kinesis_destinations``) and **global tables** (``replicas``).

Each store keeps what moto has no place for, forgotten with its table (DeleteTable, ``reset()``). In the
AWS-like mode, ``AwsLike`` attaches its options and control plane (``attach``): then the transitions take
time and the control plane shows them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import surface_rules as rules
from .awslike_state import ControlPlane
from .insights import ContributorInsights
from .kinesis_destinations import KinesisDestinations
from .options import AwsLikeOptions
from .policies import ResourcePolicies, check_document
from .replicas import REPLICA_KEYS, WRITES, GlobalTables
from .surface_timing import Timing
from .wire import (
    DynamoError,
    DynamoRequest,
    TableKey,
    WireResponse,
    json_response,
    resource_in_use,
    table_description,
    validation_error,
)

if TYPE_CHECKING:
    from moto.dynamodb.models.table import Table

Send = Callable[[DynamoRequest], WireResponse]
Forward = Callable[[DynamoRequest], WireResponse]

_TABLE_OPERATIONS = frozenset({"CreateTable", "UpdateTable", "DescribeTable", "DeleteTable", "UpdateTimeToLive"})
# DynamoDB's own floor of warm throughput for on-demand tables and indexes (a new table's starting capacity).
ON_DEMAND_WARM = {"ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 4000}


@dataclass
class TableExtras:
    """What a table has that moto keeps no trace of."""

    vector_indexes: list[dict[str, Any]] = field(default_factory=list)
    # AttributeDefinitions moto would refuse at CreateTable (SearchSchema attributes are no key of moto's).
    attributes: list[dict[str, Any]] = field(default_factory=list)


class Surface:
    """The 2026 surface of one server's account. Not thread-safe: MotoBackend's callers serialize requests."""

    def __init__(self, account_id: str, forward: Forward, moto_table: Callable[[TableKey], Table | None]) -> None:
        self.account_id = account_id
        self.forward = forward  # an internal request through the whole backend (this layer included)
        self.moto_table = moto_table
        self.timing = Timing()
        self.policies = ResourcePolicies(self.timing, account_id, self._described_table)
        self.insights = ContributorInsights(self.timing, self._described_table)
        self.kinesis = KinesisDestinations(self.timing, self._described_table, self._stream_exists)
        self.replicas = GlobalTables(self.timing, account_id, self._call, moto_table)
        self._tables: dict[TableKey, TableExtras] = {}
        self._native: dict[str, Callable[[DynamoRequest], dict[str, Any]]] = {
            "PutResourcePolicy": self.policies.put,
            "GetResourcePolicy": self.policies.get,
            "DeleteResourcePolicy": self.policies.delete,
            "UpdateContributorInsights": self.insights.update,
            "DescribeContributorInsights": self.insights.describe_insights,
            "ListContributorInsights": self.insights.list_insights,
            "EnableKinesisStreamingDestination": self.kinesis.enable,
            "DisableKinesisStreamingDestination": self.kinesis.disable,
            "UpdateKinesisStreamingDestination": self.kinesis.update,
            "DescribeKinesisStreamingDestination": self.kinesis.describe_destinations,
        }
        self._operations = _TABLE_OPERATIONS | frozenset(self._native)

    def attach(self, options: AwsLikeOptions, plane: ControlPlane) -> None:
        """The AWS-like mode: transitions last as ``options`` say, and ``plane`` times (and holds) them."""
        self.timing.options, self.timing.plane, self.timing.clock = options, plane, plane.clock

    def reset(self) -> None:
        self._tables.clear()
        for store in (self.policies, self.insights, self.kinesis, self.replicas):
            store.reset()

    def intercepts(self, operation: str) -> bool:
        """Whether this layer answers (or follows up) ``operation``; PutItem and Scan pass by unless replicated."""
        return operation in self._operations or (self.replicas.active and operation in WRITES)

    def handle(self, request: DynamoRequest, send: Send) -> WireResponse:
        """Answer ``request``: by this layer, or by ``send`` (moto with its corrections) with this layer's part."""
        operation = request.operation
        native = self._native.get(operation)
        if native is not None:
            return json_response(native(request))
        if operation == "CreateTable":
            return self._create_table(request, send)
        if operation == "UpdateTable":
            return self._update_table(request, send)
        if operation == "DeleteTable":
            return self._delete_table(request, send)
        response = send(request)
        if response.status == 200 and operation == "UpdateTimeToLive":
            self.replicas.propagate(request)  # TTL is group-wide
        elif response.status == 200 and operation in WRITES:
            self.replicas.replicate_writes(request)
        return self._described(request.table_key, response)

    # -- tables --------------------------------------------------------------------------------------

    def _create_table(self, request: DynamoRequest, send: Send) -> WireResponse:
        payload, key = request.payload, request.table_key
        rules.check_key_schemas(payload)
        rules.check_vector_indexes(payload)
        policy = check_document(payload["ResourcePolicy"]) if "ResourcePolicy" in payload else None
        vector_indexes = copy.deepcopy(payload.get("VectorIndexes") or [])
        keys = {str(element.get("AttributeName")) for element in payload.get("KeySchema") or []}
        keys |= {str(element.get("AttributeName")) for list_key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes")
                 for index in payload.get(list_key) or [] for element in index.get("KeySchema") or []}
        searched = rules.search_schema_attributes(vector_indexes) - keys
        definitions = payload.get("AttributeDefinitions") or []
        extras = [d for d in definitions if isinstance(d, dict) and d.get("AttributeName") in searched]
        if vector_indexes or policy is not None or "VectorIndexes" in payload:
            stripped = {name: value for name, value in payload.items()
                        if name not in ("VectorIndexes", "ResourcePolicy")}
            stripped["AttributeDefinitions"] = [d for d in definitions if d not in extras]
            request = request.with_payload(stripped)
        response = send(request)
        if response.status == 200:
            if vector_indexes or extras:
                self._tables[key] = TableExtras(vector_indexes, extras)
            if policy is not None:
                self.policies.created(key, policy)
        return self._described(key, response)

    def _update_table(self, request: DynamoRequest, send: Send) -> WireResponse:
        payload, key = request.payload, request.table_key
        extras = self._tables.get(key, TableExtras())
        gsi_updates = [u for u in payload.get("GlobalSecondaryIndexUpdates") or [] if isinstance(u, dict)]
        ours = ("VectorIndexUpdates", "WarmThroughput", "BillingMode", "ProvisionedThroughput", *REPLICA_KEYS)
        if not (any(name in payload for name in ours) or gsi_updates or self.replicas.group(key)):
            return self._described(key, send(request))  # nothing of this layer's: moto's answer as it is
        table = self._described_table(key)
        if table is None:
            return send(request)  # moto answers for a missing table
        vector_names = {str(index.get("IndexName")) for index in extras.vector_indexes}
        for update in gsi_updates:
            create = update.get("Create")
            if isinstance(create, dict):
                rules.check_index_key_schema(create.get("KeySchema"))
                if create.get("IndexName") in vector_names:
                    raise validation_error(f"{rules.INVALID} Index {create.get('IndexName')} already exists")
        rules.check_vector_index_updates(payload, table, extras.vector_indexes)
        self.replicas.check_update(request, table)
        if "ReplicaUpdates" in payload:
            self.replicas.apply_update(request, table)
            return self._described(key, json_response({"TableDescription": self._described_table(key) or table}))
        request, raised = self._warm_update(request, table)
        response = send(request)
        if response.status != 200:
            return response
        self._vector_updates(key, payload, extras)
        for update in gsi_updates:
            if isinstance(update.get("Delete"), dict):
                self.insights.index_deleted(key, str(update["Delete"].get("IndexName")))
        self._raise_warm_floor(key)
        if self.timing.plane is not None:
            for index in raised:
                self.timing.plane.warm_raised(key, index)
        self.replicas.propagate(request)
        return self._described(key, response)

    def _warm_update(self, request: DynamoRequest, table: dict[str, Any]) -> tuple[DynamoRequest, list[str | None]]:
        """The request with each WarmThroughput merged with the current one (never lower); which were raised."""
        payload = dict(request.payload)
        raised: list[str | None] = []
        if "WarmThroughput" in payload:
            current = table.get("WarmThroughput")
            payload["WarmThroughput"] = rules.raised_warm_throughput(payload["WarmThroughput"], current, None)
            raised.append(None)
        updates = []
        indexes = {str(index.get("IndexName")): index for index in table.get("GlobalSecondaryIndexes") or []}
        for update in payload.get("GlobalSecondaryIndexUpdates") or []:
            gsi = update.get("Update") if isinstance(update, dict) else None
            if isinstance(gsi, dict) and "WarmThroughput" in gsi and str(gsi.get("IndexName")) in indexes:
                name = str(gsi.get("IndexName"))
                current = indexes[name].get("WarmThroughput")
                gsi = {**gsi, "WarmThroughput": rules.raised_warm_throughput(gsi["WarmThroughput"], current, name)}
                raised.append(name)
                updates.append({**update, "Update": gsi})
            else:
                updates.append(update)
        if "GlobalSecondaryIndexUpdates" in payload:
            payload["GlobalSecondaryIndexUpdates"] = updates
        return (request.with_payload(payload) if raised else request), raised

    def _vector_updates(self, key: TableKey, payload: dict[str, Any], extras: TableExtras) -> None:
        plane = self.timing.plane
        for update in payload.get("VectorIndexUpdates") or []:
            create, delete = update.get("Create"), update.get("Delete")
            if create:
                extras.vector_indexes.append(copy.deepcopy(create))
                if plane is not None:
                    seconds = self.timing.seconds("vector_index_create_seconds")
                    plane.index_created(key, str(create["IndexName"]), seconds)
            if delete:
                name = str(delete.get("IndexName"))
                gone = [index for index in extras.vector_indexes if index.get("IndexName") == name]
                extras.vector_indexes[:] = [index for index in extras.vector_indexes if index.get("IndexName") != name]
                if plane is not None and gone:
                    plane.index_deleted(key, self._vector_description(key, gone[0]), kind="VectorIndexes")
        if extras.vector_indexes or extras.attributes:
            self._tables[key] = extras
        else:
            self._tables.pop(key, None)

    def _raise_warm_floor(self, key: TableKey) -> None:
        """Warm throughput follows capacity up (never down): provisioned units, or on-demand's 12,000/4,000."""
        table = self.moto_table(key)
        if table is None:
            return
        on_demand = table.billing_mode == "PAY_PER_REQUEST"
        holders: list[Any] = [table, *table.global_indexes]
        for holder in holders:
            warm, throughput = holder.warm_throughput, holder.throughput
            if not isinstance(warm, dict):
                continue
            floor = ON_DEMAND_WARM if on_demand else {
                "ReadUnitsPerSecond": (throughput or {}).get("ReadCapacityUnits", 0),
                "WriteUnitsPerSecond": (throughput or {}).get("WriteCapacityUnits", 0)}
            for unit, minimum in floor.items():
                if isinstance(minimum, int) and minimum > int(warm.get(unit) or 0):
                    warm[unit] = minimum

    def _delete_table(self, request: DynamoRequest, send: Send) -> WireResponse:
        key = request.table_key
        self.replicas.check_delete(key)
        if self.policies.update_pending(key):
            raise resource_in_use(
                f"Attempt to change a resource which is still in use: Table has a pending resource-based policy "
                f"update: {key[1]}"
            )
        response = self._described(key, send(request))
        if response.status == 200:
            self._tables.pop(key, None)
            for store in (self.policies, self.insights, self.kinesis, self.replicas):
                store.table_deleted(key)
        return response

    # -- descriptions --------------------------------------------------------------------------------

    def _described(self, key: TableKey, response: WireResponse) -> WireResponse:
        """moto's answer with this layer's part of the table description (vector indexes, replicas, ...)."""
        extras = self._tables.get(key)
        if response.status != 200 or (extras is None and self.replicas.group(key) is None):
            return response
        document = response.json()
        description = table_description(document)
        if description is None:
            return response
        if extras is not None:
            if extras.vector_indexes:
                description["VectorIndexes"] = [self._vector_description(key, index, description.get("TableArn"))
                                                for index in extras.vector_indexes]
            defined = list(description.get("AttributeDefinitions") or [])
            names = {d.get("AttributeName") for d in defined}
            description["AttributeDefinitions"] = defined + [d for d in extras.attributes
                                                             if d.get("AttributeName") not in names]
        self.replicas.describe(key, description)
        return json_response(document, response.status, response.request_id)

    def _vector_description(self, key: TableKey, index: dict[str, Any], table_arn: Any = None) -> dict[str, Any]:
        arn = table_arn or f"arn:aws:dynamodb:{key[0]}:{self.account_id}:table/{key[1]}"
        described: dict[str, Any] = {"IndexName": index.get("IndexName")}
        if index.get("SearchSchema"):
            described["SearchSchema"] = copy.deepcopy(index["SearchSchema"])
        described.update({
            "Projection": copy.deepcopy(index.get("Projection")),
            "VectorAttribute": copy.deepcopy(index.get("VectorAttribute")),
            "Dimensions": index.get("Dimensions"),
            "DistanceFunction": index.get("DistanceFunction"),
            "IndexStatus": "ACTIVE",
            "IndexSizeBytes": 0,
            "ItemCount": 0,
            "IndexArn": f"{arn}/index/{index.get('IndexName')}",
        })
        return described

    # -- helpers for the stores ----------------------------------------------------------------------

    def _call(self, operation: str, payload: dict[str, Any], region: str) -> dict[str, Any]:
        response = self.forward(DynamoRequest(operation, payload, region))
        response.raise_for_error()
        result: dict[str, Any] = response.json()
        return result

    def _described_table(self, key: TableKey) -> dict[str, Any] | None:
        """The table's description as DescribeTable answers it (this layer's part included); None if missing."""
        try:
            table: dict[str, Any] = self._call("DescribeTable", {"TableName": key[1]}, key[0])["Table"]
        except DynamoError as error:
            if error.code == "ResourceNotFoundException":
                return None
            raise
        return table

    def _stream_exists(self, region: str, arn: str) -> bool:
        from moto.kinesis.models import kinesis_backends  # noqa: PLC0415 - heavy, imported when first needed

        streams = kinesis_backends[self.account_id][region].streams.values()
        return any(stream.arn == arn for stream in streams)
