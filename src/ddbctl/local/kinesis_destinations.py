"""Kinesis Data Streams destinations of tables: Enable/Disable/Update/DescribeKinesisStreamingDestination, in
both modes (moto implements none of them).

The stream must exist in the server's own Kinesis (moto's, served on the same port: create it with a boto3
``kinesis`` client first). As on DynamoDB, Enable does not check the stream while answering: it answers
ENABLING and the destination then becomes ACTIVE, or ENABLE_FAILED with a DestinationStatusDescription
when the stream does not exist in this account and region. A table has at most one live destination
(ENABLING, ACTIVE, UPDATING or DISABLING); DISABLED and ENABLE_FAILED entries stay listed, and enabling
their stream again reuses the entry. Disable and Update need an ACTIVE destination; Update changes
ApproximateCreationDateTimePrecision (absent means MILLISECOND). In the AWS-like mode ENABLING, DISABLING
and UPDATING last ``kinesis_destination_seconds``. No change records are written to the stream.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .surface_timing import Timing
from .wire import DynamoRequest, TableKey, table_not_found, validation_error

LIVE = ("ENABLING", "ACTIVE", "UPDATING", "DISABLING")
DEFAULT_PRECISION = "MILLISECOND"
_NOT_VALID = "Table is not in a valid state to enable Kinesis Streaming Destination:"
_NO_PERMISSION = "User does not have a permission to use kinesis stream"
_OTHER_REGION = (
    "The kinesis Arn used to enable kinesis replication belongs to a stream which is not in the current region"
)


@dataclass
class Destination:
    stream_arn: str
    enabled: bool  # what the last Enable/Disable asked for
    failure: str | None  # why enabling fails (the stream is missing), decided when asked
    changed_at: float
    precision: str | None = None
    updating: bool = False  # the last change was an Update


class KinesisDestinations:
    """The streaming destinations of one server's account; not thread-safe (requests are serialized)."""

    def __init__(
        self,
        timing: Timing,
        describe: Callable[[TableKey], dict[str, Any] | None],
        stream_exists: Callable[[str, str], bool],
    ) -> None:
        self.timing = timing
        self.describe = describe
        self.stream_exists = stream_exists  # (region, stream ARN) -> whether this account has that stream
        self._tables: dict[TableKey, list[Destination]] = {}

    def reset(self) -> None:
        self._tables.clear()

    def table_deleted(self, key: TableKey) -> None:
        self._tables.pop(key, None)

    # -- requests ------------------------------------------------------------------------------------

    def enable(self, request: DynamoRequest) -> dict[str, Any]:
        key, arn = self._table(request), str(request.payload.get("StreamArn"))
        destinations = self._tables.setdefault(key, [])
        if any(self._status(key, destination) in LIVE for destination in destinations):
            raise validation_error(
                f"{_NOT_VALID} EnableKinesisStreamingDestination must be DISABLED or ENABLE_FAILED to perform ENABLE "
                "operation."
            )
        configuration = request.payload.get("EnableKinesisStreamingConfiguration") or {}
        precision = configuration.get("ApproximateCreationDateTimePrecision")
        destination = Destination(arn, True, self._failure(key[0], arn), self.timing.now(), precision)
        destinations[:] = [*(d for d in destinations if d.stream_arn != arn), destination]
        return {
            "TableName": key[1],
            "StreamArn": arn,
            "DestinationStatus": self._status(key, destination),
            "EnableKinesisStreamingConfiguration": configuration,
        }

    def disable(self, request: DynamoRequest) -> dict[str, Any]:
        rule = "KinesisStreamingDestination must be ACTIVE to perform DISABLE operation."
        key, destination = self._active(request, rule)
        destination.enabled, destination.updating, destination.precision = False, False, None
        destination.changed_at = self.timing.now()
        return {"TableName": key[1], "StreamArn": destination.stream_arn,
                "DestinationStatus": self._status(key, destination)}

    def update(self, request: DynamoRequest) -> dict[str, Any]:
        key, destination = self._active(
            request, "Kinesis streaming is not in ACTIVE state. Updates are only allowed in ACTIVE state."
        )
        configuration = request.payload.get("UpdateKinesisStreamingConfiguration") or {}
        precision = configuration.get("ApproximateCreationDateTimePrecision")
        if precision is None:
            raise validation_error(
                "Streaming destination cannot be updated with given parameters: UpdateKinesisStreamingConfiguration "
                "cannot be null or contain only null values"
            )
        if precision == (destination.precision or DEFAULT_PRECISION):
            table_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{key[0]}/{key[1]}")
            raise validation_error(
                f"Invalid Request: Precision is already set to the desired value of {precision} for tableId: "
                f"{table_id}, kdsArn: {destination.stream_arn}"
            )
        destination.precision, destination.updating, destination.changed_at = precision, True, self.timing.now()
        return {"TableName": key[1], "StreamArn": destination.stream_arn,
                "DestinationStatus": self._status(key, destination),
                "UpdateKinesisStreamingConfiguration": configuration}

    def describe_destinations(self, request: DynamoRequest) -> dict[str, Any]:
        key = self._table(request)
        listed = []
        for destination in self._tables.get(key, []):
            status = self._status(key, destination)
            entry: dict[str, Any] = {"StreamArn": destination.stream_arn, "DestinationStatus": status}
            if status == "ENABLE_FAILED" and destination.failure:
                entry["DestinationStatusDescription"] = destination.failure
            if destination.precision is not None:
                entry["ApproximateCreationDateTimePrecision"] = destination.precision
            listed.append(entry)
        return {"TableName": key[1], "KinesisDataStreamDestinations": listed}

    # -- helpers -------------------------------------------------------------------------------------

    def _table(self, request: DynamoRequest) -> TableKey:
        key = request.table_key
        if self.describe(key) is None:
            raise table_not_found(key[1])
        return key

    def _active(self, request: DynamoRequest, rule: str) -> tuple[TableKey, Destination]:
        key, arn = self._table(request), str(request.payload.get("StreamArn"))
        destination = next((d for d in self._tables.get(key, []) if d.stream_arn == arn), None)
        if destination is None or self._status(key, destination) != "ACTIVE":
            raise validation_error(f"{_NOT_VALID} {rule}")
        return key, destination

    def _failure(self, region: str, arn: str) -> str | None:
        parts = arn.split(":", 5)
        if len(parts) == 6 and parts[2] == "kinesis" and parts[3] != region:
            return _OTHER_REGION
        return None if self.stream_exists(region, arn) else _NO_PERMISSION

    def _status(self, key: TableKey, destination: Destination) -> str:
        seconds = self.timing.seconds("kinesis_destination_seconds")
        changing = self.timing.pending(key, None, destination.changed_at + seconds)
        if not destination.enabled:
            return "DISABLING" if changing else "DISABLED"
        if changing:
            return "UPDATING" if destination.updating else "ENABLING"
        return "ENABLE_FAILED" if destination.failure else "ACTIVE"
