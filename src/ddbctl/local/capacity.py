"""ConsumedCapacity for Scan and Query by DynamoDB's rule, from the items read (moto answers a constant 1).

A Scan or Query page costs the total size of the items it read, rounded up to 4 KB, one read unit per
4 KB when strongly consistent and half that when eventually consistent (at least one such step).
Added only when the request asks for it (ReturnConsumedCapacity TOTAL or INDEXES), in both modes.
"""

from __future__ import annotations

import math
from typing import Any

from ..data.items import from_file_item, item_size
from .wire import DynamoRequest, WireResponse, json_response

READ_OPERATIONS = frozenset({"Scan", "Query"})
UNIT_BYTES = 4096


def with_read_capacity(request: DynamoRequest, response: WireResponse) -> WireResponse:
    """``response`` with the ConsumedCapacity of the items it holds, when the request asked for one."""
    mode = request.payload.get("ReturnConsumedCapacity")
    if request.operation not in READ_OPERATIONS or mode not in ("TOTAL", "INDEXES") or response.status != 200:
        return response
    document = response.json()
    if not isinstance(document, dict):
        return response
    units = read_units(document.get("Items") or [], bool(request.payload.get("ConsistentRead")))
    consumed: dict[str, Any] = {"TableName": request.payload.get("TableName"), "CapacityUnits": units}
    if mode == "INDEXES":
        index = request.payload.get("IndexName")
        if index:
            consumed["GlobalSecondaryIndexes"] = {index: {"CapacityUnits": units}}
        else:
            consumed["Table"] = {"CapacityUnits": units}
    return json_response({**document, "ConsumedCapacity": consumed}, response.status, response.request_id)


def read_units(items: list[Any], consistent: bool) -> float:
    """The read units a page of ``items`` (DynamoDB JSON, as on the wire) costs."""
    size = sum(_size(item) for item in items)
    steps = max(1, math.ceil(size / UNIT_BYTES))
    return float(steps) if consistent else steps / 2


def _size(item: Any) -> int:
    try:
        return item_size(from_file_item(item))
    except ValueError:
        return 0
