"""items: wire <-> file lines is the identity for every DynamoDB type; checksums ignore order only."""

from __future__ import annotations

import json
import random
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ddbctl.data.items import (
    dumps_line,
    from_file_item,
    is_number,
    item_checksum,
    item_size,
    loads_line,
    to_file_item,
)

from .strategies import ITEMS, numbers

EVERY_TYPE: dict[str, Any] = {
    "id": {"S": "order#1"},
    "price": {"N": "12345678901234567890.123456789012345678"},  # 38 significant digits
    "tiny": {"N": "-1.0E-130"},
    "blob": {"B": b"\x00\xff\x10binary"},
    "tags": {"SS": ["b", "a", "ü"]},
    "scores": {"NS": ["1", "2.5", "-3"]},
    "chunks": {"BS": [b"\x01", b"\x02\x03"]},
    "nested": {"M": {"inner": {"B": b"\xde\xad"}, "list": {"L": [{"B": b"\xbe\xef"}, {"M": {}}, {"L": []}]},
                     "empty": {"S": ""}}},
    "nothing": {"NULL": True},
    "flag": {"BOOL": False},
    "unicode": {"S": "日本語 \u2013 \u2713 \U0001f642"},
    "empty_list": {"L": []},
    "empty_map": {"M": {}},
}


def test_every_type_round_trips_and_binary_is_base64_once_even_when_nested() -> None:
    line = dumps_line(EVERY_TYPE)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    document = json.loads(line)
    assert document["Item"]["blob"] == {"B": "AP8QYmluYXJ5"}
    assert document["Item"]["nested"]["M"]["inner"] == {"B": "3q0="}, "nested binary is encoded exactly once"
    assert document["Item"]["nested"]["M"]["list"]["L"][0] == {"B": "vu8="}
    assert document["Item"]["price"] == {"N": "12345678901234567890.123456789012345678"}
    assert loads_line(line) == EVERY_TYPE


def test_lines_are_deterministic_and_compact() -> None:
    reordered = dict(reversed(list(EVERY_TYPE.items())))
    assert dumps_line(reordered) == dumps_line(EVERY_TYPE)
    assert b": " not in dumps_line({"a": {"S": "x"}})


@given(ITEMS)
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_wire_to_line_to_wire_is_the_identity(item: dict[str, Any]) -> None:
    assert loads_line(dumps_line(item)) == item
    assert from_file_item(json.loads(json.dumps(to_file_item(item)))) == item


@given(ITEMS, st.randoms(use_true_random=False))
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_checksum_ignores_attribute_and_set_order(item: dict[str, Any], rng: random.Random) -> None:
    assert item_checksum(_shuffled(item, rng)) == item_checksum(item)


@given(ITEMS)
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_checksum_changes_when_a_value_changes(item: dict[str, Any]) -> None:
    changed = {**item, "\x00extra": {"S": ""}}
    assert item_checksum(changed) != item_checksum(item)


@given(numbers())
@settings(deadline=None)
def test_numbers_are_kept_as_written(number: str) -> None:
    assert is_number(number)
    assert loads_line(dumps_line({"n": {"N": number}})) == {"n": {"N": number}}


def test_checksum_treats_number_spellings_of_one_value_alike() -> None:
    assert item_checksum({"n": {"N": "1.50"}}) == item_checksum({"n": {"N": "1.5"}})
    assert item_checksum({"n": {"NS": ["1.0", "2"]}}) == item_checksum({"n": {"NS": ["2.00", "1"]}})
    assert item_checksum({"n": {"N": "0.1"}}) != item_checksum({"n": {"N": "0.10000000000000000000000000000000000001"}})


def test_items_up_to_400_kb_round_trip() -> None:
    big = {"id": {"S": "big"}, "text": {"S": "é" * 100_000}, "data": {"B": bytes(range(256)) * 780}}
    assert item_size(big) < 400 * 1024 < len(dumps_line(big))
    assert loads_line(dumps_line(big)) == big


def test_item_size_counts_names_and_values() -> None:
    assert item_size({"ab": {"S": "xyz"}}) == 5
    assert item_size({"n": {"N": "123"}}) == 1 + 3
    assert item_size({"b": {"B": b"12"}, "t": {"BOOL": True}}) == 3 + 2


@pytest.mark.parametrize(("document", "reason"), [
    ([], "must be a JSON object"),
    ({}, "at least one attribute"),
    ({"a": {"S": 1}}, "a: S must be a string"),
    ({"a": {"N": 1}}, "a: N must be a string holding a number"),
    ({"a": {"N": "1e"}}, "a: N value '1e' is not a number"),
    ({"a": {"N": "NaN"}}, "is not a number"),
    ({"a": {"N": "Infinity"}}, "is not a number"),
    ({"a": {"B": "not base64!"}}, "a: B value"),
    ({"a": {"SS": []}}, "a: SS is empty"),
    ({"a": {"SS": ["x", "x"]}}, "duplicate members"),
    ({"a": {"NS": ["1", "1.0"]}}, "duplicate members"),
    ({"a": {"M": {"b": {"X": 1}}}}, "a.b: unknown type descriptor 'X'"),
    ({"a": {"L": [{"S": "x"}, {"NULL": False}]}}, "a[1]: NULL must be true"),
    ({"a": {"BOOL": "true"}}, "a: BOOL must be true or false"),
    ({"a": {"S": "x", "N": "1"}}, "exactly one type descriptor"),
    ({"": {"S": "x"}}, "attribute name must not be empty"),
])
def test_malformed_file_items_are_refused_with_a_reason(document: Any, reason: str) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)):
        from_file_item(document)


@pytest.mark.parametrize("line", [b"not json", b'{"item": {}}', b'{"Item": {"a": {"S": "x"}}, "x": 1}', b"[1]"])
def test_malformed_lines_are_refused(line: bytes) -> None:
    with pytest.raises(ValueError, match=r"JSON|Item|unexpected"):
        loads_line(line)


def _shuffled(item: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    names = list(item)
    rng.shuffle(names)
    return {name: _shuffle_value(item[name], rng) for name in names}


def _shuffle_value(value: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    ((kind, inner),) = value.items()
    if kind in ("SS", "NS", "BS"):
        members = list(inner)
        rng.shuffle(members)
        return {kind: members}
    if kind == "M":
        return {"M": _shuffled(inner, rng)}
    if kind == "L":
        return {"L": [_shuffle_value(member, rng) for member in inner]}
    return value
