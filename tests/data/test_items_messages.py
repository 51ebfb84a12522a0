"""items: the exact reasons a malformed item is refused (a restore prints them with file and line), and
the set readers. Written against mutants of data/items.py that tests/data/test_items.py let live
(tools/mutation)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from ddbctl.data.items import (
    _binary,
    _number,
    _set,
    _string,
    dumps_line,
    from_file_item,
    item_checksum,
    item_size,
    loads_line,
)


def exactly(reason: str) -> str:
    return f"^{re.escape(reason)}$"


def refused(document: Any, reason: str) -> None:
    with pytest.raises(ValueError, match=exactly(reason)):
        from_file_item(document)


@pytest.mark.parametrize(("document", "reason"), [
    ([], "an item must be a JSON object, not an array"),
    ("item", "an item must be a JSON object, not a string"),
    (None, "an item must be a JSON object, not null"),
    ({}, "an item must have at least one attribute"),
    ({"": {"S": "x"}}, "item: an attribute name must not be empty"),
    ({"a": {"S": 1}}, "a: S must be a string, got a number"),
    ({"a": {"S": 1.5}}, "a: S must be a string, got a number"),
    ({"a": {"S": None}}, "a: S must be a string, got null"),
    ({"a": {"N": True}}, "a: N must be a string holding a number (never a JSON number), got a boolean"),
    ({"a": {"B": {}}}, "a: B must be base64 text, got an object"),
    ({"a": {"M": []}}, "a: M must be an object, got an array"),
    ({"a": {"L": "x"}}, "a: L must be an array, got a string"),
    ({"a": {"SS": "x"}}, "a: SS must be an array, got a string"),
    ({"a": {"NS": []}}, "a: NS is empty; DynamoDB sets have at least one member"),
    ({"a": {"BS": ["AQ==", "AQ=="]}}, "a: BS has duplicate members"),
    ({"a": {"NS": ["1", "x"]}}, "a[1]: N value 'x' is not a number"),
    ({"a": {"SS": ["x", 2]}}, "a[1]: S must be a string, got a number"),
    ({"a": {"L": [{"S": "x"}, {"NULL": False}]}}, "a[1]: NULL must be true, got false"),
    ({"a": {"M": {"": {"S": "x"}}}}, "a: an attribute name must not be empty"),
    ({"a": {"M": {"b": {"X": 1}}}}, "a.b: unknown type descriptor 'X' (expected one of S, N, B, SS, NS, BS, M, L, "
                                    "NULL, BOOL)"),
    ({"a": {"S": "x", "N": "1"}}, 'a: an attribute value must be an object with exactly one type descriptor '
                                  '(S, N, B, SS, NS, BS, M, L, NULL, BOOL), got {"S": "x", "N": "1"}'),
])
def test_each_malformed_value_is_refused_with_where_and_what_it_got(document: Any, reason: str) -> None:
    refused(document, reason)


def test_a_long_value_is_shown_cut_to_60_characters() -> None:
    exactly_60 = "x" * 58  # with its quotes, 60 characters of JSON: shown whole
    refused({"a": {"BOOL": exactly_60}}, f'a: BOOL must be true or false, got "{exactly_60}"')
    refused({"a": {"BOOL": "x" * 59}}, f'a: BOOL must be true or false, got "{"x" * 56}...')


def test_values_are_shown_as_written() -> None:
    refused({"a": {"NULL": "Zoë"}}, 'a: NULL must be true, got "Zoë"')
    # A wire item handed over by mistake (bytes are no JSON value) is refused with a reason, not a TypeError.
    refused({"a": {"BOOL": b"yes"}}, "a: BOOL must be true or false, got \"b'yes'\"")


def test_a_line_with_a_bad_item_says_where_in_the_item() -> None:
    with pytest.raises(ValueError, match=exactly("order.lines[1]: N value 'one' is not a number")):
        loads_line(b'{"Item": {"order": {"M": {"lines": {"L": [{"N": "1"}, {"N": "one"}]}}}}}')


# The set readers are built once, when the module is imported; these tests build them here too, so
# that every part of the factory is exercised at test time (tools/mutation can only see that).


def test_a_set_reader_reads_every_member_and_keeps_their_spelling() -> None:
    assert _set(_number, "NS")(["1.50", "2", "-3e2"], "n") == ["1.50", "2", "-3e2"]
    assert _set(_binary, "BS")(["AQ==", "AgM="], "b") == [b"\x01", b"\x02\x03"]
    assert _set(_string, "SS")(["a", "b"], "s") == ["a", "b"]


MEMBERS: dict[str, Callable[[Any, str], Any]] = {"SS": _string, "NS": _number, "BS": _binary}


@pytest.mark.parametrize(("kind", "inner", "reason"), [
    ("SS", {"a": 1}, "s: SS must be an array, got an object"),
    ("SS", [], "s: SS is empty; DynamoDB sets have at least one member"),
    ("SS", ["a", "b", "a"], "s: SS has duplicate members"),
    ("NS", ["1", "1.0"], "s: NS has duplicate members"),  # one number, two spellings
    ("NS", ["1", "1e"], "s[1]: N value '1e' is not a number"),
    ("BS", ["AQ==", "not base64"], 's[1]: B value "not base64" is not valid base64'),
])
def test_a_set_reader_refuses_with_the_member_s_place(kind: str, inner: Any, reason: str) -> None:
    with pytest.raises(ValueError, match=exactly(reason)):
        _set(MEMBERS[kind], kind)(inner, "s")


def test_a_number_set_with_distinct_values_is_no_duplicate() -> None:
    assert _set(_number, "NS")(["1", "10", "0.1"], "n") == ["1", "10", "0.1"]
    assert _set(_string, "SS")(["1", "1.0"], "s") == ["1", "1.0"], "strings are compared as written"


def test_the_checksum_is_the_sha_256_of_the_canonical_item() -> None:
    # Stable across versions: the digest of the item with sorted keys and members, numbers normalised
    # (1.50 -> 1.5, 10 -> 1E+1, -0 -> 0) and binary as base64, in compact UTF-8 JSON.
    item = {"n": {"N": "1.50"}, "b": {"B": b"\x01"}, "ss": {"SS": ["b", "a"]}, "ns": {"NS": ["2.0", "10"]},
            "bs": {"BS": [b"\x02", b"\x01"]}, "m": {"M": {"x": {"N": "-0"}}}, "l": {"L": [{"N": "0.0"}, {"S": "é"}]},
            "t": {"BOOL": True}, "z": {"NULL": True}}
    canonical = ('{"b":{"B":"AQ=="},"bs":{"BS":["AQ==","Ag=="]},"l":{"L":[{"N":"0"},{"S":"é"}]},'
                 '"m":{"M":{"x":{"N":"0"}}},"n":{"N":"1.5"},"ns":{"NS":["1E+1","2"]},"ss":{"SS":["a","b"]},'
                 '"t":{"BOOL":true},"z":{"NULL":true}}')
    assert item_checksum(item) == hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@pytest.mark.parametrize(("line", "reason"), [
    (b'{"item": {"a": {"S": "x"}}}', 'a line must be a JSON object {"Item": {...}}'),
    (b"[1]", 'a line must be a JSON object {"Item": {...}}'),
    (b'"Item"', 'a line must be a JSON object {"Item": {...}}'),
    (b'{"Item": {"a": {"S": "x"}}, "z": 1, "Keys": 2}', "unexpected field(s) beside Item: Keys, z"),
])
def test_a_line_that_is_no_item_line_is_refused_with_the_reason(line: bytes, reason: str) -> None:
    with pytest.raises(ValueError, match=exactly(reason)):
        loads_line(line)


def test_a_line_that_is_no_json_says_so() -> None:
    with pytest.raises(ValueError, match=r"^not valid JSON: Expecting value: line 1 column 1 \(char 0\)$"):
        loads_line(b"Item")


@pytest.mark.parametrize("text", ["A*Q==", "AQ==\n", "A Q=="])
def test_binary_must_be_strict_base64(text: str) -> None:
    refused({"a": {"B": text}}, f"a: B value {json.dumps(text)} is not valid base64")


def test_a_value_that_is_no_dynamodb_value_cannot_be_written() -> None:
    with pytest.raises(TypeError, match=r"^set is not a DynamoDB value$"):
        dumps_line({"a": {"SS": {"x"}}})


@pytest.mark.parametrize(("number", "size"), [
    ("1", 2), ("12", 2), ("123", 3), ("1234", 3), ("-12.50", 3), ("1E+100", 2), ("123456789", 6), ("0", 2),
    # Leading zeros are no significant digits, however the number is spelled.
    ("0.000012", 2), ("0.0000012", 2), ("1.2E-5", 2), ("-0.05", 2), ("100.00", 2),
])
def test_a_number_takes_a_byte_per_two_significant_digits_plus_one(number: str, size: int) -> None:
    # DynamoDB's item size rule; the attribute name "n" adds one byte.
    assert item_size({"n": {"N": number}}) == 1 + size
    assert isinstance(item_size({"n": {"N": number}}), int)


@pytest.mark.parametrize(("value", "size"), [
    ({"M": {}}, 3), ({"L": []}, 3),
    ({"M": {"ab": {"S": "x"}}}, 3 + 1 + 2 + 1),  # 3 overhead, then per member 1 + its name + its value
    ({"L": [{"S": "x"}, {"NULL": True}, {"N": "12"}]}, 3 + (1 + 1) + (1 + 1) + (1 + 2)),
    ({"M": {"a": {"L": [{"BOOL": False}]}}}, 3 + 1 + 1 + (3 + 1 + 1)),
    ({"SS": ["ab", "é"]}, 2 + 2), ({"BS": [b"\x00", b"\x01\x02"]}, 3), ({"NS": ["1", "123"]}, 2 + 3),
])
def test_maps_lists_and_sets_are_sized_as_dynamodb_counts_them(value: dict[str, object], size: int) -> None:
    assert item_size({"v": value}) == 1 + size
