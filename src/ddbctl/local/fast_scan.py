"""Plain Scan pages answered from moto's table directly, without moto's generic serializer.

moto 5.2 turns every answer into JSON through botocore's shape model (about 4 ms per 1 KB item) and, for
every page, sorts the whole table with Python-level comparisons of its attribute objects: scanning a
50,000-item table took five minutes, so a local backup timed moto rather than the client. A *plain*
Scan (no filter, projection, index, Select or attribute list) is answered here from moto's own table
by moto's rules: key order, pages cut at 1 MB of moto's item size or at Limit, LastEvaluatedKey, and the
segment of an item from the MD5 of its partition key. The document is the one moto would send. Anything
else, and any request moto would refuse (a bad segment or limit, a start key that does not fit the key
schema), goes to moto.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import hashlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from moto.dynamodb.models.dynamo_type import DynamoType, Item
    from moto.dynamodb.models.table import Table

PLAIN_SCAN = frozenset(
    {"TableName", "ExclusiveStartKey", "Limit", "Segment", "TotalSegments", "ConsistentRead", "ReturnConsumedCapacity"}
)
PAGE_BYTES = 1_000_000  # moto's RESULT_SIZE_LIMIT
MAX_SEGMENTS = 1_000_000

Key = tuple[Any, ...]


class ScanOrders:
    """Each table's items in key order, per TotalSegments, kept between pages.

    Building the order costs a key per item; a page then costs only its own items. The order is reused
    while the table holds exactly the same item objects in the same places (their ids, compared as one
    list: any put, replacement or delete changes it; the order keeps the items referenced, so an id
    cannot be reused meanwhile). An update in place keeps the object and its key (DynamoDB refuses to
    update key attributes), and a page is written from the item's current attributes. Not thread-safe:
    one per MotoFixes, whose callers serialize requests.
    """

    def __init__(self, tables: int = 8) -> None:
        self._tables = tables
        self._orders: dict[int, _Order] = {}

    def segment(self, table: Table, key_types: list[tuple[str, str]], segment: int, total: int) -> _Segment:
        items = _items(table)
        ids = [id(item) for item in items]
        order = self._orders.get(id(table))
        if order is None or order.table is not table or order.ids != ids:
            key_of = _key_function(key_types)
            ordered = sorted(((key_of(item), item) for item in items), key=lambda entry: entry[0])
            order = _Order(table, ids, ordered)
            self._orders.pop(id(table), None)
            self._orders[id(table)] = order
            while len(self._orders) > self._tables:
                del self._orders[next(iter(self._orders))]  # the least recently rebuilt
        return order.segment(segment, total)


@dataclass
class _Segment:
    keys: list[Key]
    items: list[Item]


@dataclass
class _Order:
    table: Table
    ids: list[int]
    ordered: list[tuple[Key, Item]]
    by_total: dict[int, list[_Segment]] = field(default_factory=dict)

    def segment(self, segment: int, total: int) -> _Segment:
        if total not in self.by_total:
            parts = [_Segment([], []) for _ in range(total)]
            for key, item in self.ordered:
                part = parts[_segment(item.hash_key, total) if total > 1 else 0]
                part.keys.append(key)
                part.items.append(item)
            self.by_total[total] = parts
        return self.by_total[total][segment]


def plain_scan(table: Table, payload: dict[str, Any], orders: ScanOrders) -> dict[str, Any] | None:
    """The answer to a plain Scan of ``table``, or None when the request is not plain or moto must judge it."""
    if set(payload) - PLAIN_SCAN:
        return None
    segments = _segments(payload.get("Segment"), payload.get("TotalSegments"))
    limit = payload.get("Limit")
    if segments is None or (limit is not None and not _positive_int(limit)):
        return None
    key_types = _key_types(table)
    start: Key | None = None
    if "ExclusiveStartKey" in payload:
        start = _start_key(payload["ExclusiveStartKey"], key_types)
        if start is None:
            return None
    segment, total = segments
    part = orders.segment(table, key_types, segment or 0, total or 1)
    first = bisect.bisect_right(part.keys, start) if start is not None else 0
    items: list[tuple[Item, dict[str, Any]]] = []
    size = 0
    last_key: dict[str, Any] | None = None
    for item in itertools.islice(part.items, first, None):
        wire, item_size = _item_wire(item)
        if len(items) == limit or size + item_size > PAGE_BYTES:
            last_key = _key_document(table, items[-1][0])
            break
        items.append((item, wire))
        size += item_size
    document: dict[str, Any] = {"Items": [wire for _, wire in items], "Count": len(items), "ScannedCount": len(items)}
    if last_key is not None:
        document["LastEvaluatedKey"] = last_key
    return document


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _segments(segment: Any, total: Any) -> tuple[int, int] | tuple[None, None] | None:
    if segment is None and total is None:
        return (None, None)
    valid = _positive_int(total) and isinstance(segment, int) and not isinstance(segment, bool)
    if not valid or not 0 <= segment < total <= MAX_SEGMENTS:
        return None
    return (segment, total)


def _key_types(table: Table) -> list[tuple[str, str]]:
    """(name, type) of the table's key attributes, partition key first."""
    types = {definition["AttributeName"]: definition["AttributeType"] for definition in table.attr}
    names = [table.hash_key_attr, *([table.range_key_attr] if table.range_key_attr else [])]
    return [(name, types.get(name, "S")) for name in names]


def _items(table: Table) -> list[Item]:
    if table.range_key_attr:
        return [item for by_range in table.items.values() for item in by_range.values()]
    return list(table.items.values())  # type: ignore[arg-type]  # moto types items as range-keyed only


def _key_function(key_types: list[tuple[str, str]]) -> Callable[[Item], Key]:
    """An item's key as moto orders it: by each key attribute's value, numbers as Decimal, binary as bytes."""
    hash_value = _comparable[key_types[0][1]]
    if len(key_types) == 1:
        return lambda item: (hash_value(item.hash_key.value),)
    range_value = _comparable[key_types[1][1]]
    return lambda item: (hash_value(item.hash_key.value), range_value(item.range_key.value))  # type: ignore[union-attr]


def _binary(value: Any) -> bytes:
    """A binary key's bytes (moto keeps most as bytes, some as their base64 text)."""
    return value if isinstance(value, bytes) else base64.b64decode(str(value))


_comparable: dict[str, Callable[[Any], Any]] = {"S": str, "N": Decimal, "B": _binary}


def _start_key(document: Any, key_types: list[tuple[str, str]]) -> Key | None:
    """ExclusiveStartKey as a comparable key; None if it is not exactly the table's key attributes."""
    if not isinstance(document, dict) or set(document) != {name for name, _ in key_types}:
        return None
    parts: list[Any] = []
    for name, kind in key_types:
        value = document[name]
        if not isinstance(value, dict) or set(value) != {kind} or not isinstance(value[kind], str):
            return None
        parsed = _parse_key_value(kind, value[kind])
        if parsed is None:
            return None
        parts.append(parsed)
    return tuple(parts)


def _parse_key_value(kind: str, text: str) -> Any:
    try:
        if kind == "N":
            return Decimal(text)
        if kind == "B":
            return base64.b64decode(text, validate=True)
    except (InvalidOperation, binascii.Error):
        return None
    return text


def _segment(hash_key: DynamoType, total: int) -> int:
    """moto's segment of an item: the first byte of the MD5 of its partition key's value, modulo TotalSegments
    (binary keys hash their bytes: moto's own rule fails on them)."""
    data = _binary(hash_key.value) if hash_key.type == "B" else str(hash_key.value).encode("utf8")
    return hashlib.md5(data, usedforsecurity=False).digest()[0] % total


def _key_document(table: Table, item: Item) -> dict[str, Any]:
    document = {table.hash_key_attr: _wire(item.hash_key.to_json())}
    if table.range_key_attr is not None and item.range_key is not None:
        document[table.range_key_attr] = _wire(item.range_key.to_json())
    return document


def _wire(value: Any) -> Any:
    """A key attribute's JSON (``DynamoType.to_json``) with binary values base64-encoded."""
    return {kind: base64.b64encode(inner).decode("ascii") if isinstance(inner, bytes) else inner
            for kind, inner in value.items()}


def _item_wire(item: Item) -> tuple[dict[str, Any], int]:
    """The item as moto's serializer writes it, and its size as moto's ``Item.size`` counts it, in one walk
    (moto's own path copies every item twice and sizes it attribute by attribute)."""
    document: dict[str, Any] = {}
    size = 0
    for name, value in item.attrs.items():
        document[name], value_size = _value_wire(value, nested=False)
        size += len(name.encode("utf-8")) + value_size
    return document, size


def _value_wire(value: DynamoType, nested: bool) -> tuple[dict[str, Any], int]:
    """One attribute value: its JSON and moto's size of it.

    moto keeps a top-level binary value as bytes and a nested one as its base64 text; it sizes each as
    kept (the text's length for a nested one) and writes nested ones decoded and encoded again. Binary set
    members are written as kept (bytes base64-encoded)."""
    kind, inner = value.type, value.value
    if kind == "M":
        members = {name: _value_wire(member, nested=True) for name, member in inner.items()}
        size = sum(len(name.encode("utf-8")) + member_size for name, (_, member_size) in members.items())
        return {"M": {name: wire for name, (wire, _) in members.items()}}, size
    if kind == "L":
        listed = [_value_wire(member, nested=True) for member in inner]
        return {"L": [wire for wire, _ in listed]}, sum(member_size for _, member_size in listed)
    if kind == "N":
        return {"N": inner}, len(str(inner))
    if kind in ("SS", "NS", "BS"):
        sizes = (len(str(member)) if kind == "NS" else _byte_size(member) for member in inner)
        return {kind: [_text(member) for member in inner]}, sum(sizes)
    if kind == "B":
        if isinstance(inner, bytes):
            return {"B": _text(inner)}, len(inner)
        return {"B": _text(base64.b64decode(inner)) if nested else inner}, _byte_size(inner)
    return {kind: inner}, 1 if isinstance(inner, bool) else _byte_size(inner)


def _byte_size(value: str | bytes) -> int:
    return len(value) if isinstance(value, bytes) else len(value.encode("utf-8"))


def _text(value: Any) -> Any:
    return base64.b64encode(value).decode("ascii") if isinstance(value, bytes) else value
