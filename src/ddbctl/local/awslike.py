"""The AWS-like mode: DynamoDB's control-plane timing, rules and faults, in front of moto.

Each request is checked against the rules and the timeline, forwarded to moto (possibly rewritten),
and moto's answer rewritten to what DynamoDB would show. moto stays the single store of tables and
items; this module only keeps what moto has no notion of (statuses over time, TTL history, deleted
tables still DELETING).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from . import awslike_rules as rules
from .awslike_state import ControlPlane
from .moto_backend import MotoBackend
from .moto_fixes import merge_attribute_definitions
from .operations import DATA_OPERATIONS
from .options import AwsLikeOptions
from .wire import (
    DynamoError,
    DynamoRequest,
    TableKey,
    WireResponse,
    json_response,
    resource_in_use,
    resource_not_found,
    table_description,
    validation_error,
)

_STATUS_VERBS = {"CREATING": "created", "UPDATING": "updated", "DELETING": "deleted"}
Handler = Callable[[DynamoRequest], WireResponse]


class AwsLike:
    """The AWS-like layer of one server. Not thread-safe: the server serializes calls of handle()."""

    def __init__(
        self, options: AwsLikeOptions, backend: MotoBackend, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.options = options
        self.backend = backend
        self.plane = ControlPlane(options, clock)
        self._random = random.Random(options.seed)
        backend.native.export_seconds = options.export_seconds
        backend.native.import_seconds = options.import_seconds
        backend.native.clock = clock
        backend.surface.attach(options, self.plane)
        self._handlers: dict[str, Handler] = {
            "CreateTable": self._create_table,
            "DescribeTable": self._describe_table,
            "ListTables": self._list_tables,
            "UpdateTable": self._update_table,
            "DeleteTable": self._delete_table,
            "RestoreTableFromBackup": self._restore_table,
            "RestoreTableToPointInTime": self._restore_table,
            "ImportTable": self._import_table,
            "UpdateTimeToLive": self._update_time_to_live,
            "UpdateContinuousBackups": self._update_continuous_backups,
            "TagResource": self._tag_resource,
            "BatchWriteItem": self._batch_write_item,
        }

    def reset(self) -> None:
        self.plane.clear()
        self._random.seed(self.options.seed)

    def handle(self, request: DynamoRequest) -> WireResponse:
        """Answer one request."""
        self._random_fault()
        rules.check_names(request.operation, request.payload)
        if request.operation in DATA_OPERATIONS:
            self._check_readable(request)
        handler = self._handlers.get(request.operation, self._forward)
        return handler(request)

    # -- shared steps ----------------------------------------------------------------------------

    def _random_fault(self) -> None:
        if self.options.error_rate and self._random.random() < self.options.error_rate:
            raise DynamoError("InternalServerError", "Internal server error", status=500)
        if self.options.throttle_rate and self._random.random() < self.options.throttle_rate:
            raise DynamoError("ThrottlingException", "Rate of requests exceeds the allowed throughput.")

    def _check_readable(self, request: DynamoRequest) -> None:
        for name in request.tables:
            if self.plane.table_status((request.region, name)) in ("CREATING", "DELETING"):
                raise resource_not_found()
        index_name = request.payload.get("IndexName")
        reads_index = request.operation in ("Query", "Scan") and index_name and request.payload.get("TableName")
        if reads_index and self.plane.index_status(request.table_key, str(index_name)) == "CREATING":
            raise validation_error("Cannot read from backfilling global secondary index")

    def _require_active(self, key: TableKey) -> None:
        status = self.plane.table_status(key)
        if status != "ACTIVE":
            raise _in_use(status, key)

    def _forward(self, request: DynamoRequest) -> WireResponse:
        return self._result(request, self.backend.forward(request))

    def _result(self, request: DynamoRequest, response: WireResponse) -> WireResponse:
        """moto's answer as DynamoDB's: errors raised, table descriptions shown with today's statuses."""
        response.raise_for_error()
        document = response.json()
        description = table_description(document)
        if description is None:
            return response
        self.plane.describe((request.region, description["TableName"]), description)
        return json_response(document, request_id=response.request_id)

    def _describe(self, key: TableKey) -> dict[str, Any]:
        table: dict[str, Any] = self.backend.call("DescribeTable", {"TableName": key[1]}, key[0])["Table"]
        return table

    # -- operations ------------------------------------------------------------------------------

    def _create_table(self, request: DynamoRequest) -> WireResponse:
        payload, key = request.payload, request.table_key
        if self.plane.deleting(key):
            raise _in_use("DELETING", key)
        rules.check_index_limits(
            payload.get("GlobalSecondaryIndexes") or [], payload.get("LocalSecondaryIndexes") or []
        )
        if "Tags" in payload:
            rules.check_tags(set(), payload["Tags"])  # duplicate keys: MotoFixes keeps the last value
        response = self.backend.forward(request)
        if response.status == 200:
            self.plane.created(key)
        return self._result(request, response)

    def _restore_table(self, request: DynamoRequest) -> WireResponse:
        # A restored table is created like any other: CREATING first, for as long as a restore takes.
        response = self.backend.forward(request)
        if response.status == 200:
            key = (request.region, str(request.payload.get("TargetTableName")))
            self.plane.created(key, self.options.restore_seconds)
        return self._result(request, response)

    def _import_table(self, request: DynamoRequest) -> WireResponse:
        # The imported table is CREATING while the import is IN_PROGRESS.
        response = self.backend.forward(request)
        if response.status == 200:
            name = str((request.payload.get("TableCreationParameters") or {}).get("TableName"))
            self.plane.created((request.region, name), self.options.import_seconds)
        return self._result(request, response)

    def _describe_table(self, request: DynamoRequest) -> WireResponse:
        tombstone = self.plane.deleting(request.table_key)
        if tombstone:
            return json_response({"Table": dict(tombstone.description)})  # described DELETING when deleted
        response = self.backend.forward(request)
        response.raise_for_error()
        document = response.json()
        self.plane.describe((request.region, document["Table"]["TableName"]), document["Table"], shown=True)
        return json_response(document, request_id=response.request_id)

    def _list_tables(self, request: DynamoRequest) -> WireResponse:
        # moto lists in creation order and has already forgotten DELETING tables: list everything,
        # add those, and paginate in DynamoDB's (sorted) order ourselves.
        names: set[str] = set(self.plane.deleting_names(request.region))
        start: str | None = None
        while True:
            page = self.backend.call("ListTables", {"ExclusiveStartTableName": start} if start else {}, request.region)
            names.update(page.get("TableNames", []))
            start = page.get("LastEvaluatedTableName")
            if not start:
                break
        after = request.payload.get("ExclusiveStartTableName")
        ordered = sorted(name for name in names if not after or name > after)
        limit = int(request.payload.get("Limit") or 100)
        result: dict[str, Any] = {"TableNames": ordered[:limit]}
        if len(ordered) > limit:
            result["LastEvaluatedTableName"] = ordered[limit - 1]
        return json_response(result)

    def _update_table(self, request: DynamoRequest) -> WireResponse:
        key = request.table_key
        status = self.plane.table_status(key)
        if status in ("CREATING", "DELETING"):
            raise _in_use(status, key)
        table = self._describe(key)
        # An index build blocks the next one even after the table itself is ACTIVE again, and DynamoDB
        # reports that limit before the UPDATING status.
        if rules.index_changes(request.payload) and self.plane.index_change_in_progress(key):
            raise rules.index_limit_exceeded()
        if status != "ACTIVE":
            raise _in_use(status, key)
        if "AttributeDefinitions" in request.payload:
            merged = merge_attribute_definitions(
                table.get("AttributeDefinitions") or [], request.payload["AttributeDefinitions"]
            )
            request = request.with_payload({**request.payload, "AttributeDefinitions": merged})
        payload = request.payload
        rules.check_update_changes_something(payload, table)
        rules.check_gsi_updates(payload, table)
        response = self.backend.forward(request)
        if response.status == 200:
            if not rules.settles_in_place(payload):
                self.plane.updated(key)
            existing = {index["IndexName"]: index for index in table.get("GlobalSecondaryIndexes") or []}
            for update in payload.get("GlobalSecondaryIndexUpdates") or []:
                if "Create" in update:
                    self.plane.index_created(key, update["Create"]["IndexName"])
                if "Delete" in update:
                    self.plane.index_deleted(key, existing[update["Delete"]["IndexName"]])
        return self._result(request, response)

    def _delete_table(self, request: DynamoRequest) -> WireResponse:
        key = request.table_key
        self._require_active(key)
        if self.plane.index_change_in_progress(key):
            raise resource_in_use("Cannot delete table while indexes are being created, updated, or deleted")
        response = self.backend.forward(request)
        response.raise_for_error()
        document = response.json()
        description: dict[str, Any] = document["TableDescription"]
        self.plane.describe(key, description)
        description["TableStatus"] = "DELETING"
        self.plane.table_deleted(key, description)
        return json_response(document, request_id=response.request_id)

    def _update_time_to_live(self, request: DynamoRequest) -> WireResponse:
        key = request.table_key
        self._require_active(key)
        current = self.backend.call("DescribeTimeToLive", {"TableName": key[1]}, key[0])
        rules.check_ttl_change(
            current.get("TimeToLiveDescription") or {},
            request.payload.get("TimeToLiveSpecification") or {},
            self.plane.ttl_changed_recently(key),
        )
        response = self._forward(request)
        self.plane.ttl_changed(key)
        return response

    def _update_continuous_backups(self, request: DynamoRequest) -> WireResponse:
        key = request.table_key
        self._require_active(key)
        if self.plane.pitr_unavailable(key):
            raise DynamoError(
                "ContinuousBackupsUnavailableException",
                f"Backups are being enabled for the table: {key[1]}. Please retry later",
            )
        return self._forward(request)

    def _tag_resource(self, request: DynamoRequest) -> WireResponse:
        arn = str(request.payload.get("ResourceArn", ""))
        tags: list[dict[str, Any]] = request.payload.get("Tags") or []
        existing = self._tag_keys(arn, request.region)
        rules.check_tags(existing, tags)
        return self._forward(request)  # MotoFixes overwrites a re-used key, as DynamoDB does

    def _tag_keys(self, arn: str, region: str) -> set[str]:
        keys: set[str] = set()
        token: str | None = None
        while True:
            page = self.backend.call(
                "ListTagsOfResource", {"ResourceArn": arn, **({"NextToken": token} if token else {})}, region
            )
            keys.update(tag["Key"] for tag in page.get("Tags", []))
            token = page.get("NextToken")
            if not token:
                return keys

    def _batch_write_item(self, request: DynamoRequest) -> WireResponse:
        rules.check_batch_write_size(request.payload)
        rate = self.options.unprocessed_rate
        if not rate:
            return self._forward(request)
        kept: dict[str, list[Any]] = {}
        unprocessed: dict[str, list[Any]] = {}
        for table, writes in (request.payload.get("RequestItems") or {}).items():
            for write in writes:
                (unprocessed if self._random.random() < rate else kept).setdefault(table, []).append(write)
        if not kept:
            return json_response({"UnprocessedItems": unprocessed})
        document = self._forward(request.with_payload({**request.payload, "RequestItems": kept})).json()
        for table, writes in (document.get("UnprocessedItems") or {}).items():
            unprocessed.setdefault(table, []).extend(writes)
        document["UnprocessedItems"] = unprocessed
        return json_response(document)


def _in_use(status: str, key: TableKey) -> DynamoError:
    return resource_in_use(
        f"Attempt to change a resource which is still in use: Table is being {_STATUS_VERBS[status]}: {key[1]}"
    )
