"""A Scan answer's body becomes export lines without its items becoming Python values: exact, or refused."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ddbctl.data.items import loads_line, to_file_item
from ddbctl.data.load import Write, batch_write_body, item_key
from ddbctl.data.scan import _standard, page_lines
from ddbctl.errors import EndpointError

from .strategies import ITEMS


def body(items: list[dict[str, Any]], **rest: Any) -> bytes:
    return json.dumps({"Count": len(items), "Items": [to_file_item(item) for item in items], **rest}).encode()


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(ITEMS, max_size=4), st.booleans())
def test_each_line_is_one_item_as_the_server_sent_it(items: list[dict[str, Any]], ascii_escapes: bool) -> None:
    answer = json.dumps({"Items": [to_file_item(item) for item in items], "ScannedCount": len(items),
                         "LastEvaluatedKey": {"pk": {"S": "k"}}}, ensure_ascii=ascii_escapes).encode()
    parsed = page_lines(answer)
    assert parsed is not None
    lines, count, last_key, _ = parsed
    assert count == len(items) and last_key == {"pk": {"S": "k"}}
    assert [loads_line(line) for line in lines.splitlines()] == items
    assert lines == b"".join(line + b"\n" for line in lines.splitlines())


def test_an_empty_page_has_no_lines_and_ends_the_segment() -> None:
    assert page_lines(body([])) == (b"", 0, None, None)


@pytest.mark.parametrize("answer", [
    b'{"Items":[{"a":{"S":"\\ud800"}}]}',  # a lone surrogate: the standard library reads it
    b'{"Items":[{"a":{"S":"\xff"}}]}',  # not UTF-8
    b'{"Items":[{"a":{"N":123456789012345678901234567890}}]}',  # a JSON number beyond 64 bits
    b'{"Items":[{"a":{"S":"x"}}, 5]}',  # an item that is not an object
    b'{"Items":{"a":{"S":"x"}}}',  # Items not a list
    b"[]",
    b"not json",
])
def test_what_simdjson_refuses_goes_to_the_standard_library(answer: bytes) -> None:
    assert page_lines(answer) is None


def test_the_standard_library_keeps_what_it_reads_and_refuses_the_rest() -> None:
    lines, count, _, _ = _standard(b'{"Items":[{"a":{"N":123456789012345678901234567890}}]}', "t")
    assert count == 1 and json.loads(lines) == {"Item": {"a": {"N": 123456789012345678901234567890}}}
    for answer in (b'{"Items":[{"a":{"S":"x"}}, 5]}', b'{"Items":{}}', b"not json", b'{"Items":[{"a":{"S":"\xff"}}]}'):
        with pytest.raises(EndpointError):
            _standard(answer, "t")


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(ITEMS, min_size=1, max_size=4), st.sampled_from(["t", "ünï", 'q"uote']))
def test_a_batch_write_body_is_the_request_botocore_would_send(items: list[dict[str, Any]], table: str) -> None:
    writes = [Write(table, item, ("k",), item_key(item, ("k",)), 100, 1, "f", line)
              for line, item in enumerate(items, start=1)]
    sent = json.loads(batch_write_body(writes))
    assert sent == {"RequestItems": {table: [{"PutRequest": {"Item": to_file_item(item)}} for item in items]},
                    "ReturnConsumedCapacity": "TOTAL"}
