"""DynamoDB items between the wire and backup files: numbers stay strings, bytes stay bytes.

``Item`` is the *wire* form the boto3 low-level client sends and returns: ``{"name": {"S": "x"}}``
with N values as ``str`` and B/BS members as ``bytes``. The *file* form is DynamoDB JSON as the S3
export writes it: the same, with B/BS members base64-encoded, recursively inside M and L. One item is
one line ``{"Item":{...}}``.

Nothing here goes through ``float``: N is validated with ``decimal`` and kept as the string it was.
"""

from __future__ import annotations

import base64
import binascii
import decimal
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

Item = dict[str, Any]
AttributeValue = dict[str, Any]

TYPES = ("S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_NUMBER_CONTEXT = decimal.Context(prec=200, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False).encode


def _bytes_as_base64(value: Any) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not a DynamoDB value")


# Wire items straight to file lines: the C encoder walks the item and hands each bytes value (B, BS
# members, nested too) to _bytes_as_base64, with no Python-level copy of the item first.
_dumps_wire = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False,
                               default=_bytes_as_base64).encode


# -- wire -> file --------------------------------------------------------------------------------------


def to_file_item(item: Item) -> Item:
    """The file form of a wire item: B and BS members base64 text, recursively in M and L."""
    return {name: _to_file(value) for name, value in item.items()}


def _to_file(value: AttributeValue) -> AttributeValue:
    ((kind, inner),) = value.items()
    if kind == "B":
        return {"B": _b64(inner)}
    if kind == "M":
        return {"M": {name: _to_file(member) for name, member in inner.items()}}
    if kind == "L":
        return {"L": [_to_file(member) for member in inner]}
    if kind == "BS":
        return {"BS": [_b64(member) for member in inner]}
    return value


def _b64(data: bytes | bytearray | memoryview | str) -> str:
    if isinstance(data, str):  # already text: a caller handing us file form; keep it as it is
        return data
    return base64.b64encode(bytes(data)).decode("ascii")


# -- file -> wire (validating) -------------------------------------------------------------------------


def from_file_item(obj: Any) -> Item:
    """The wire form of a file item, checking every type descriptor; ValueError says where and why."""
    if not isinstance(obj, dict):
        raise ValueError(f"an item must be a JSON object, not {_kind(obj)}")
    if not obj:
        raise ValueError("an item must have at least one attribute")
    return {_name(name, ""): _from_file(value, name) for name, value in obj.items()}


def _from_file(value: Any, path: str) -> AttributeValue:
    if not isinstance(value, dict) or len(value) != 1:
        raise ValueError(f"{path}: an attribute value must be an object with exactly one type descriptor "
                         f"({', '.join(TYPES)}), got {_short(value)}")
    ((kind, inner),) = value.items()
    reader = _READERS.get(kind)
    if reader is None:
        raise ValueError(f"{path}: unknown type descriptor {kind!r} (expected one of {', '.join(TYPES)})")
    return {kind: reader(inner, path)}


def _string(inner: Any, path: str) -> str:
    if not isinstance(inner, str):
        raise ValueError(f"{path}: S must be a string, got {_kind(inner)}")
    return inner


def _number(inner: Any, path: str) -> str:
    if not isinstance(inner, str):
        raise ValueError(f"{path}: N must be a string holding a number (never a JSON number), got {_kind(inner)}")
    if not is_number(inner):
        raise ValueError(f"{path}: N value {inner!r} is not a number")
    return inner


def _binary(inner: Any, path: str) -> bytes:
    if not isinstance(inner, str):
        raise ValueError(f"{path}: B must be base64 text, got {_kind(inner)}")
    try:
        return base64.b64decode(inner, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{path}: B value {_short(inner)} is not valid base64") from None


def _set(member: Callable[[Any, str], Any], kind: str) -> Callable[[Any, str], list[Any]]:
    def read(inner: Any, path: str) -> list[Any]:
        if not isinstance(inner, list):
            raise ValueError(f"{path}: {kind} must be an array, got {_kind(inner)}")
        if not inner:
            raise ValueError(f"{path}: {kind} is empty; DynamoDB sets have at least one member")
        members = [member(value, f"{path}[{index}]") for index, value in enumerate(inner)]
        canonical = [_canonical_number(m) if kind == "NS" else m for m in members]
        if len(set(canonical)) != len(canonical):
            raise ValueError(f"{path}: {kind} has duplicate members")
        return members

    return read


def _map(inner: Any, path: str) -> dict[str, Any]:
    if not isinstance(inner, dict):
        raise ValueError(f"{path}: M must be an object, got {_kind(inner)}")
    return {_name(name, path): _from_file(value, f"{path}.{name}") for name, value in inner.items()}


def _list(inner: Any, path: str) -> list[Any]:
    if not isinstance(inner, list):
        raise ValueError(f"{path}: L must be an array, got {_kind(inner)}")
    return [_from_file(value, f"{path}[{index}]") for index, value in enumerate(inner)]


def _null(inner: Any, path: str) -> bool:
    if inner is not True:
        raise ValueError(f"{path}: NULL must be true, got {_short(inner)}")
    return True


def _bool(inner: Any, path: str) -> bool:
    if not isinstance(inner, bool):
        raise ValueError(f"{path}: BOOL must be true or false, got {_short(inner)}")
    return inner


_READERS: dict[str, Callable[[Any, str], Any]] = {
    "S": _string,
    "N": _number,
    "B": _binary,
    "SS": _set(_string, "SS"),
    "NS": _set(_number, "NS"),
    "BS": _set(_binary, "BS"),
    "M": _map,
    "L": _list,
    "NULL": _null,
    "BOOL": _bool,
}


def _name(name: str, path: str) -> str:
    if not name:
        raise ValueError(f"{path or 'item'}: an attribute name must not be empty")
    return name


def is_number(text: str) -> bool:
    """Whether ``text`` is a finite decimal number as DynamoDB's N accepts it (no NaN, no Infinity)."""
    return _NUMBER.fullmatch(text) is not None


# -- lines ---------------------------------------------------------------------------------------------


def dumps_line(item: Item) -> bytes:
    """One export line for a wire item: ``{"Item":{...}}`` and a newline, compact, keys sorted, UTF-8."""
    return (_dumps_wire({"Item": item}) + "\n").encode("utf-8")


def loads_line(line: bytes | str) -> Item:
    """The wire item of one export line; ValueError (with a reason) for anything else."""
    try:
        document = json.loads(line)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"not valid JSON: {exc}") from None
    if not isinstance(document, dict) or "Item" not in document:
        raise ValueError('a line must be a JSON object {"Item": {...}}')
    extra = sorted(set(document) - {"Item"})
    if extra:
        raise ValueError(f"unexpected field(s) beside Item: {', '.join(extra)}")
    return from_file_item(document["Item"])


# -- checksums -----------------------------------------------------------------------------------------


def item_checksum(item: Item) -> str:
    """A stable digest of an item: the same for any attribute order, set member order or number spelling
    (``1.50`` and ``1.5`` are one number to DynamoDB)."""
    canonical = {name: _canonical(value) for name, value in item.items()}
    return hashlib.sha256(_dumps(canonical).encode("utf-8")).hexdigest()


def _canonical(value: AttributeValue) -> Any:
    ((kind, inner),) = value.items()
    if kind == "N":
        return {"N": _canonical_number(inner)}
    if kind == "B":
        return {"B": _b64(inner)}
    if kind == "SS":
        return {"SS": sorted(inner)}
    if kind == "NS":
        return {"NS": sorted(_canonical_number(member) for member in inner)}
    if kind == "BS":
        return {"BS": sorted(_b64(member) for member in inner)}
    if kind == "M":
        return {"M": {name: _canonical(member) for name, member in inner.items()}}
    if kind == "L":
        return {"L": [_canonical(member) for member in inner]}
    return value


def _canonical_number(text: str) -> str:
    number = _NUMBER_CONTEXT.normalize(decimal.Decimal(text))
    return "0" if number.is_zero() else str(number)


# -- sizes ---------------------------------------------------------------------------------------------


def item_size(item: Item) -> int:
    """DynamoDB's size of a wire item in bytes (names plus values, as the 400 KB limit counts it)."""
    return sum(len(name.encode("utf-8")) + _value_size(value) for name, value in item.items())


def _value_size(value: AttributeValue) -> int:
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode("utf-8"))
    if kind == "N":
        return _number_size(inner)
    if kind == "B":
        return len(inner)
    if kind in ("NULL", "BOOL"):
        return 1
    if kind == "SS":
        return sum(len(member.encode("utf-8")) for member in inner)
    if kind == "NS":
        return sum(_number_size(member) for member in inner)
    if kind == "BS":
        return sum(len(member) for member in inner)
    if kind == "M":
        return 3 + sum(1 + len(name.encode("utf-8")) + _value_size(member) for name, member in inner.items())
    return 3 + sum(1 + _value_size(member) for member in inner)  # L


def _number_size(text: str) -> int:
    # Significant digits only: leading and trailing zeros are trimmed (0.000012 has two, as has 1.2E-7).
    digits = len(_NUMBER_CONTEXT.normalize(decimal.Decimal(text)).as_tuple().digits)
    return (digits + 1) // 2 + 1


# -- helpers -------------------------------------------------------------------------------------------


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."
