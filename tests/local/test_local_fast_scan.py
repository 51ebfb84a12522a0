"""Plain Scans are answered by the local server itself (ddbctl.local.fast_scan), not by moto's slow serializer:
page for page the same answer as moto's own path, which the server still takes for any other Scan.

moto's path is reached over the same HTTP endpoint by adding ``Select=ALL_ATTRIBUTES`` (the default, so
the same items), which makes the Scan not plain.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ddbctl.local.pytest_plugin import LocalDynamoDB

from ..data.strategies import ITEMS, numbers
from ..examples import examples

KEY_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "S": st.text(alphabet="abcxyzé日", min_size=1, max_size=4),
    "N": numbers(),
    "B": st.binary(min_size=1, max_size=4),
}
_names = (f"scan-{number}" for number in itertools.count())


def create(client: Any, hash_kind: str, range_kind: str | None) -> str:
    name = next(_names)
    keys = [("pk", hash_kind, "HASH"), *([("sk", range_kind, "RANGE")] if range_kind else [])]
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": n, "KeyType": k} for n, _, k in keys],
                        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t, _ in keys])
    return name


def pages(client: Any, table: str, through_moto: bool, **request: Any) -> list[dict[str, Any]]:
    """Every page of a Scan, each without its ResponseMetadata."""
    found: list[dict[str, Any]] = []
    start: dict[str, Any] | None = None
    while True:
        page = client.scan(TableName=table, **request, **({"ExclusiveStartKey": start} if start else {}),
                           **({"Select": "ALL_ATTRIBUTES"} if through_moto else {}))
        page.pop("ResponseMetadata")
        found.append(page)
        start = page.get("LastEvaluatedKey")
        if start is None:
            return found


def key_of(item: dict[str, Any]) -> tuple[str, ...]:
    return tuple(repr(item[name]) for name in ("pk", "sk") if name in item)


@st.composite
def tables(draw: st.DrawFn) -> tuple[str, str | None, list[dict[str, Any]]]:
    """Key types and up to 30 items of every attribute type with unique keys."""
    hash_kind = draw(st.sampled_from(["S", "N", "B"]))
    range_kind = draw(st.sampled_from([None, "S", "N", "B"]))
    keys = st.tuples(KEY_VALUES[hash_kind], KEY_VALUES[range_kind] if range_kind else st.none())
    unique = draw(st.lists(keys, max_size=30, unique_by=lambda key: (str(key[0]), str(key[1]))))
    items = []
    for hash_value, range_value in unique:
        attributes = {name: value for name, value in draw(ITEMS).items() if name not in ("pk", "sk")}
        item = {**attributes, "pk": {hash_kind: hash_value}}
        if range_kind:
            item["sk"] = {range_kind: range_value}
        items.append(item)
    return hash_kind, range_kind, items


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=tables(), limit=st.one_of(st.none(), st.integers(1, 7)), total=st.integers(1, 4), data=st.data())
def test_plain_scans_page_as_moto_does(dynamodb: LocalDynamoDB, table: tuple[str, str | None, list[dict[str, Any]]],
                                       limit: int | None, total: int, data: st.DataObject) -> None:
    hash_kind, range_kind, items = table
    client = dynamodb.client()
    name = create(client, hash_kind, range_kind)
    try:
        for item in items:
            client.put_item(TableName=name, Item=item)
        request: dict[str, Any] = {"Limit": limit} if limit else {}
        if hash_kind != "B":  # moto's own segment rule fails on binary partition keys (tested below)
            segment = data.draw(st.integers(0, total - 1))
            request.update({"Segment": segment, "TotalSegments": total} if total > 1 else {})
        answered = pages(client, name, through_moto=False, **request)
        assert answered == pages(client, name, through_moto=True, **request)
        if "Segment" not in request:
            scanned = [item for page in answered for item in page["Items"]]
            assert sorted(map(key_of, scanned)) == sorted(map(key_of, items))
    finally:
        client.delete_table(TableName=name)


def test_pages_are_cut_at_one_megabyte_as_moto_cuts_them(dynamodb: LocalDynamoDB) -> None:
    client = dynamodb.client()
    name = create(client, "S", "N")
    for number in range(24):
        client.put_item(TableName=name, Item={"pk": {"S": "p"}, "sk": {"N": str(number)},
                                              "blob": {"B": bytes([number]) * 90_000}})
    answered = pages(client, name, through_moto=False)
    assert len(answered) == 3
    assert answered == pages(client, name, through_moto=True)
    assert [item["sk"]["N"] for page in answered for item in page["Items"]] == [str(n) for n in range(24)]


@pytest.mark.parametrize("total", [2, 3, 7])
def test_segments_of_a_binary_partition_key_hold_every_item_once(dynamodb: LocalDynamoDB, total: int) -> None:
    client = dynamodb.client()
    name = create(client, "B", None)
    expected = {bytes([number, 255 - number]) for number in range(40)}
    for value in expected:
        client.put_item(TableName=name, Item={"pk": {"B": value}})
    found = [item["pk"]["B"] for segment in range(total)
             for page in pages(client, name, through_moto=False, Segment=segment, TotalSegments=total, Limit=6)
             for item in page["Items"]]
    assert sorted(found) == sorted(expected)


def test_each_scan_sees_the_writes_before_it(dynamodb: LocalDynamoDB) -> None:
    """The key order kept between pages is rebuilt after any put, replacement or delete, also one that
    leaves the item count unchanged; an update in place shows in the next page."""
    client = dynamodb.client()
    name = create(client, "S", "N")

    def scanned(**request: Any) -> list[tuple[str, str, str]]:
        return [(item["pk"]["S"], item["sk"]["N"], item.get("v", {}).get("S", ""))
                for page in pages(client, name, through_moto=False, **request) for item in page["Items"]]

    for number in range(6):
        client.put_item(TableName=name, Item={"pk": {"S": "p"}, "sk": {"N": str(number)}, "v": {"S": "old"}})
    assert len(scanned(Limit=2)) == 6
    client.delete_item(TableName=name, Key={"pk": {"S": "p"}, "sk": {"N": "3"}})
    client.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"N": "9"}})  # the same count: 6
    client.put_item(TableName=name, Item={"pk": {"S": "p"}, "sk": {"N": "0"}, "v": {"S": "replaced"}})
    client.update_item(TableName=name, Key={"pk": {"S": "p"}, "sk": {"N": "1"}},
                       UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": {"S": "updated"}})
    expected = [("a", "9", ""), ("p", "0", "replaced"), ("p", "1", "updated"), ("p", "2", "old"),
                ("p", "4", "old"), ("p", "5", "old")]
    assert scanned(Limit=2) == expected
    assert sorted(scanned(Segment=0, TotalSegments=2) + scanned(Segment=1, TotalSegments=2)) == expected


def test_a_scan_moto_must_judge_gets_moto_s_answer(dynamodb: LocalDynamoDB) -> None:
    client = dynamodb.client()
    name = create(client, "S", None)
    client.put_item(TableName=name, Item={"pk": {"S": "a"}})
    with pytest.raises(client.exceptions.ClientError, match="Segment parameter is zero-based"):
        client.scan(TableName=name, Segment=2, TotalSegments=2)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.scan(TableName="no-such-table")
    filtered = client.scan(TableName=name, FilterExpression="attribute_exists(absent_field)")
    assert (filtered["Items"], filtered["ScannedCount"]) == ([], 1)
