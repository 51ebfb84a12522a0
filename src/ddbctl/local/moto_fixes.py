"""Corrections of moto's DynamoDB, applied in both modes: table settings moto 5 drops, ignores or mishandles.

moto stores the tables, but of DynamoDB's table settings it

- drops ``TableClass`` and ``OnDemandThroughput`` (table and index level) without a trace;
- ignores ``SSESpecification`` on UpdateTable, and reports a KMS key id or alias given at creation as if
  it were the key's ARN;
- refuses to enable a stream again once a table has had one ("Cannot enable stream"), and answers every
  write to a table whose stream was disabled with an internal error;
- replaces a table's AttributeDefinitions with UpdateTable's (DynamoDB merges them: a request naming only a
  new index's attributes must not make the table forget its keys' types);
- appends a re-tagged key as a second tag (DynamoDB overwrites its value);
- always describes empty ``GlobalSecondaryIndexes``/``LocalSecondaryIndexes`` lists (DynamoDB omits them);
- answers the non-standard code ``ResourceNotFound`` for TTL calls on a missing table, and an HTML 500
  page for an UpdateTable that deletes or updates an index the table does not have.

:class:`MotoFixes` wraps each request MotoBackend sends to moto: it checks what moto would refuse
wrongly, lets moto apply the request, then applies what moto ignored — to moto's own table where moto has
a place for it (SSE, streams), else to a small record of its own per table (table class, on-demand
limits) — and adds that to every table description moto answers with. These are fixes of what moto
stores and answers, not AWS-like rules, so they hold in plain mode too.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .fast_scan import ScanOrders, plain_scan
from .wire import (
    DYNAMODB_TARGET_PREFIX,
    DynamoRequest,
    TableKey,
    WireResponse,
    constraint,
    index_not_found,
    json_response,
    raise_constraint_problems,
    table_description,
    table_not_found,
    validation_error,
)

if TYPE_CHECKING:
    from moto.dynamodb.models.table import Table

Send = Callable[[DynamoRequest], WireResponse]

TABLE_CLASSES = ("STANDARD_INFREQUENT_ACCESS", "STANDARD")
# The operations whose answer is a table description ("Table" or "TableDescription").
_DESCRIBING = frozenset({"CreateTable", "UpdateTable", "DescribeTable", "DeleteTable"})
_COUNTING = frozenset({"Scan", "Query"})
_COUNT_KEY = "#ddbctl_count_key"
_PLAIN_COUNT = frozenset({"TableName", "Select", "ConsistentRead", "ReturnConsumedCapacity"})


@dataclass
class TableSettings:
    """What moto keeps no trace of, for one table."""

    table_class: dict[str, Any] | None = None  # its TableClassSummary, once a class was set
    on_demand: dict[str, Any] = field(default_factory=dict)  # OnDemandThroughput
    index_on_demand: dict[str, dict[str, Any]] = field(default_factory=dict)  # per GSI name


class MotoFixes:
    """The corrections, for one account. Not thread-safe: MotoBackend's callers serialize requests."""

    def __init__(self, account_id: str, clock: Callable[[], float] = time.time) -> None:
        self.account_id = account_id
        self.clock = clock
        self._tables: dict[TableKey, TableSettings] = {}
        self._scan_orders = ScanOrders()

    def reset(self) -> None:
        self._tables.clear()
        self._scan_orders = ScanOrders()

    def handle(self, request: DynamoRequest, send: Send) -> WireResponse:
        """Send ``request`` to moto with ``send``; moto's answer, corrected."""
        operation = request.operation
        counting = operation in _COUNTING and request.payload.get("Select") == "COUNT"
        if request.target_prefix == DYNAMODB_TARGET_PREFIX and counting:
            return self._count_only(request, send)
        if request.target_prefix != DYNAMODB_TARGET_PREFIX:
            return send(request)
        if operation == "TagResource":
            request = self._prepare_tags(request, send)
        elif operation == "CreateTable" and isinstance(request.payload.get("Tags"), list):
            request = request.with_payload({**request.payload, "Tags": dedupe_tags(request.payload["Tags"])})
        if operation == "Scan":
            table = self.moto_table(request.table_key)
            answer = plain_scan(table, request.payload, self._scan_orders) if table is not None else None
            if answer is not None:
                return json_response(answer)
        if operation not in _DESCRIBING:
            return _standard_codes(request, send(request))
        if operation in ("CreateTable", "UpdateTable"):
            _check_table_class(request.payload.get("TableClass"))
        undo = None
        if operation == "UpdateTable":
            request = self._prepare_update(request)
            undo = self._prepare_stream(request.table_key, request.payload.get("StreamSpecification"))
        payload = request.payload
        response: WireResponse | None = None
        try:
            response = send(request)
        finally:
            if undo is not None and (response is None or response.status != 200):
                undo()
        if response.status != 200:
            return response
        return self._corrected(operation, request.table_key, payload, response)

    def _prepare_update(self, request: DynamoRequest) -> DynamoRequest:
        """UpdateTable as DynamoDB takes it: indexes to delete or update must exist (moto crashes), and
        AttributeDefinitions add to the table's (moto replaces them)."""
        table = self.moto_table(request.table_key)
        if table is None:
            return request
        existing = {index.name for index in table.global_indexes}
        for update in request.payload.get("GlobalSecondaryIndexUpdates") or []:
            for action in ("Delete", "Update"):
                name = (update.get(action) or {}).get("IndexName") if isinstance(update, dict) else None
                if name is not None and name not in existing:
                    raise index_not_found(name)
        requested = request.payload.get("AttributeDefinitions")
        if not isinstance(requested, list):
            return request
        merged = merge_attribute_definitions([dict(d) for d in table.attr], requested)
        return request.with_payload({**request.payload, "AttributeDefinitions": merged})

    def _prepare_tags(self, request: DynamoRequest, send: Send) -> DynamoRequest:
        """TagResource as DynamoDB takes it: one tag per key, a key tagged again gets the new value."""
        tags = request.payload.get("Tags")
        arn = request.payload.get("ResourceArn")
        if not isinstance(tags, list) or not isinstance(arn, str):
            return request
        tags = dedupe_tags(tags)
        existing: set[str] = set()
        token: str | None = None
        while True:
            page = {"ResourceArn": arn, **({"NextToken": token} if token else {})}
            listed = send(DynamoRequest("ListTagsOfResource", page, request.region))
            if listed.status != 200:
                break
            existing.update(str(tag.get("Key")) for tag in listed.json().get("Tags") or [])
            token = listed.json().get("NextToken")
            if not token:
                break
        overwritten = [str(tag.get("Key")) for tag in tags if str(tag.get("Key")) in existing]
        if overwritten:
            send(DynamoRequest("UntagResource", {"ResourceArn": arn, "TagKeys": overwritten}, request.region))
        return request.with_payload({**request.payload, "Tags": tags})

    def _corrected(
        self, operation: str, key: TableKey, payload: dict[str, Any], response: WireResponse
    ) -> WireResponse:
        """Apply what moto ignored of a request it carried out, and show it in moto's table description."""
        if operation == "CreateTable":
            self._created(key, payload)
        elif operation == "UpdateTable":
            self._updated(key, payload)
        sse_given = operation in ("CreateTable", "UpdateTable") and isinstance(payload.get("SSESpecification"), dict)
        sse = self._set_sse(key, payload["SSESpecification"]) if sse_given else None
        settings = self._tables.pop(key, None) if operation == "DeleteTable" else self._tables.get(key)
        document = response.json()
        description = table_description(document)
        if description is None:
            return response
        for list_key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if list_key in description and not description[list_key]:
                del description[list_key]  # moto always sends empty lists; DynamoDB leaves them out
        if settings is not None:
            self._describe(settings, description)
        if sse_given:
            description.pop("SSEDescription", None)
            if sse is not None:
                description["SSEDescription"] = sse
        return json_response(document, response.status, response.request_id)

    def _count_only(self, request: DynamoRequest, send: Send) -> WireResponse:
        """moto answers Select=COUNT with every item, slowly serialized: ask it for the partition key
        only, and answer without items, as DynamoDB does."""
        table = self.moto_table(request.table_key)
        if table is None:
            return send(request)
        if request.operation == "Scan" and not set(request.payload) - _PLAIN_COUNT:
            count = len(list(table.all_items()))  # the whole table, unfiltered: one page
            return json_response({"Count": count, "ScannedCount": count})
        payload = {name: value for name, value in request.payload.items() if name != "Select"}
        names = {**(payload.get("ExpressionAttributeNames") or {}), _COUNT_KEY: table.hash_key_attr}
        response = send(request.with_payload({**payload, "ProjectionExpression": _COUNT_KEY,
                                              "ExpressionAttributeNames": names}))
        if response.status != 200:
            return response
        document = response.json()
        document.pop("Items", None)
        return json_response(document, response.status, response.request_id)

    # -- moto's tables -----------------------------------------------------------------------------

    def moto_table(self, key: TableKey) -> Table | None:
        from moto.dynamodb.models import dynamodb_backends  # noqa: PLC0415 - heavy, as in MotoBackend

        table: Table | None = dynamodb_backends[self.account_id][key[0]].tables.get(key[1])
        return table

    # -- streams -----------------------------------------------------------------------------------

    def _prepare_stream(self, key: TableKey, spec: Any) -> Callable[[], None] | None:
        """Before an UpdateTable that enables a stream: DynamoDB refuses it only while a stream is
        enabled; moto as soon as the table ever had one. Returns how to undo if moto then fails."""
        if not isinstance(spec, dict) or not spec.get("StreamEnabled"):
            return None
        table = self.moto_table(key)
        if table is None:
            return None
        if (table.stream_specification or {}).get("StreamEnabled"):
            raise validation_error(
                f"Table already has an enabled stream: {table.table_arn}/stream/{table.latest_stream_label}"
            )
        label = table.latest_stream_label
        if label is None:
            return None
        # moto only creates a stream (with a new label and ARN) on a table without a latest label.
        table.latest_stream_label = None

        def undo() -> None:
            if table.latest_stream_label is None:
                table.latest_stream_label = label

        return undo

    def _stream_disabled(self, key: TableKey) -> None:
        # moto keeps feeding the disabled stream's shard, which needs a StreamViewType the table no longer
        # has: every PutItem/UpdateItem/DeleteItem would crash. The disabled stream records nothing.
        table = self.moto_table(key)
        if table is not None:
            table.stream_shard = None

    # -- SSE ---------------------------------------------------------------------------------------

    def _set_sse(self, key: TableKey, spec: dict[str, Any]) -> dict[str, Any] | None:
        """Store the SSE setting in moto's table; the SSEDescription DynamoDB shows for it (None: none)."""
        table = self.moto_table(key)
        if table is None:
            return None
        if not spec.get("Enabled"):
            # Enabled false or absent: an AWS owned key, and no SSEDescription.
            table.sse_specification = {"Enabled": False}
            return None
        key_arn = self._kms_key_arn(table, key[0], spec.get("KMSMasterKeyId"))
        table.sse_specification = {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key_arn}
        return {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": key_arn}

    def _kms_key_arn(self, table: Table, region: str, key_id: Any) -> str:
        """The ARN of a KMS key given by id, ARN, alias or alias ARN; none: the AWS managed key."""
        # moto's own helper: the AWS managed key (alias/aws/dynamodb), created in moto's KMS on first use.
        managed: str = table._get_default_encryption_key(self.account_id, region)
        if not key_id:
            return managed
        from moto.kms.models import kms_backends  # noqa: PLC0415

        try:
            return str(kms_backends[self.account_id][region].describe_key(str(key_id)).arn)
        except Exception:  # moto raises KeyError or AttributeError for an unknown key or alias
            pass
        given = str(key_id)
        if given.startswith("arn:"):
            return given
        # A key outside moto's KMS (the local server has no KMS endpoint): its ARN in this account.
        partition = table.table_arn.split(":")[1]
        resource = given if given.startswith("alias/") else f"key/{given}"
        return f"arn:{partition}:kms:{region}:{self.account_id}:{resource}"

    # -- table class and on-demand limits ----------------------------------------------------------

    def _class_summary(self, table_class: str) -> dict[str, Any]:
        return {"TableClass": table_class, "LastUpdateDateTime": round(self.clock(), 3)}

    def _created(self, key: TableKey, payload: dict[str, Any]) -> None:
        settings = TableSettings(on_demand=dict(payload.get("OnDemandThroughput") or {}))
        if payload.get("TableClass"):
            settings.table_class = self._class_summary(str(payload["TableClass"]))
        for index in payload.get("GlobalSecondaryIndexes") or []:
            if index.get("OnDemandThroughput"):
                settings.index_on_demand[str(index.get("IndexName"))] = dict(index["OnDemandThroughput"])
        self._keep(key, settings)

    def _updated(self, key: TableKey, payload: dict[str, Any]) -> None:
        stream = payload.get("StreamSpecification")
        if isinstance(stream, dict) and not stream.get("StreamEnabled"):
            self._stream_disabled(key)
        settings = self._tables.get(key) or TableSettings()
        if payload.get("TableClass"):
            settings.table_class = self._class_summary(str(payload["TableClass"]))
        # Each limit is set on its own: a request that names one leaves the other as it was.
        settings.on_demand.update(payload.get("OnDemandThroughput") or {})
        for update in payload.get("GlobalSecondaryIndexUpdates") or []:
            for action, index in update.items():
                if not isinstance(index, dict):
                    continue
                name = str(index.get("IndexName"))
                if action != "Update":  # Create or Delete: a new index has none of an old one's limits
                    settings.index_on_demand.pop(name, None)
                if action != "Delete" and index.get("OnDemandThroughput"):
                    settings.index_on_demand.setdefault(name, {}).update(index["OnDemandThroughput"])
        self._keep(key, settings)

    def copy_settings(self, source: TableKey, target: TableKey) -> None:
        """A restored table gets its source's table class and on-demand limits, as DynamoDB restores them."""
        settings = self._tables.get(source)
        if settings is not None:
            self._tables[target] = copy.deepcopy(settings)

    def _keep(self, key: TableKey, settings: TableSettings) -> None:
        # Most tables have nothing to keep: their descriptions then pass through without a rewrite.
        if settings == TableSettings():
            self._tables.pop(key, None)
        else:
            self._tables[key] = settings

    @staticmethod
    def _describe(settings: TableSettings, description: dict[str, Any]) -> None:
        """Add what moto does not keep to one of its table descriptions, in place."""
        if settings.table_class is not None:
            description["TableClassSummary"] = dict(settings.table_class)
        if (description.get("BillingModeSummary") or {}).get("BillingMode") != "PAY_PER_REQUEST":
            return  # on-demand limits apply to on-demand tables only
        if settings.on_demand:
            description["OnDemandThroughput"] = dict(settings.on_demand)
        for index in description.get("GlobalSecondaryIndexes") or []:
            limits = settings.index_on_demand.get(str(index.get("IndexName")))
            if limits:
                index["OnDemandThroughput"] = dict(limits)


def _check_table_class(table_class: Any) -> None:
    if table_class is not None and table_class not in TABLE_CLASSES:
        rule = f"satisfy enum value set: [{', '.join(TABLE_CLASSES)}]"
        raise_constraint_problems([constraint(table_class, "tableClass", rule)])


def dedupe_tags(tags: list[Any]) -> list[Any]:
    """One tag per key, the last value winning, as DynamoDB stores them (moto appends duplicates)."""
    by_key: dict[str, Any] = {}
    for tag in tags:
        by_key[str(tag.get("Key")) if isinstance(tag, dict) else repr(tag)] = tag
    return list(by_key.values())


def merge_attribute_definitions(existing: list[dict[str, Any]], requested: list[Any]) -> list[Any]:
    """UpdateTable's AttributeDefinitions add to the table's, they do not replace them."""
    merged: dict[str, Any] = {str(d.get("AttributeName")): d for d in existing}
    merged.update({str(d.get("AttributeName")) if isinstance(d, dict) else repr(d): d for d in requested})
    return list(merged.values())


def _standard_codes(request: DynamoRequest, response: WireResponse) -> WireResponse:
    """moto's odd error codes as DynamoDB's (moto says ``ResourceNotFound`` for TTL calls)."""
    if response.error_code == "ResourceNotFound":
        name = request.tables[0] if request.tables else None
        raise table_not_found(name)
    return response
