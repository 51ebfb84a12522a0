"""Pure parts of the native DR path: times, snapshot names, import outcomes, S3 request detection."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from ddbctl.errors import ConfigError
from ddbctl.local.s3 import is_s3_request
from ddbctl.ops.native import BackupTable, import_result, parse_time
from ddbctl.ops.snapshots import MAX_BACKUP_NAME, snapshot_name
from ddbctl.spec.model import TableSpec

_SPEC = TableSpec.model_validate({"TableName": "orders", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                                  "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]})


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-12-01T08:30:00Z", datetime(2026, 12, 1, 8, 30, tzinfo=UTC)),
    ("2026-12-01T09:30:00+01:00", datetime(2026, 12, 1, 8, 30, tzinfo=UTC)),
    ("2026-12-01", datetime(2026, 12, 1, tzinfo=UTC)),
])
def test_times_are_iso_8601_in_utc(text: str, expected: datetime) -> None:
    assert parse_time(text) == expected


def test_a_bad_time_says_what_to_write() -> None:
    with pytest.raises(ConfigError, match="invalid time 'yesterday'") as error:
        parse_time("yesterday")
    assert "2026-12-01T08:30:00Z" in str(error.value.hint)


def test_snapshot_names_carry_the_utc_time() -> None:
    moment = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
    expected = "construction-expenses-companies-20261201T083000Z"
    assert snapshot_name("construction-expenses-companies", moment) == expected


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.", min_size=3, max_size=255))
def test_snapshot_names_are_valid_backup_names(physical: str) -> None:
    name = snapshot_name(physical, datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert 3 <= len(name) <= MAX_BACKUP_NAME
    assert re.fullmatch(r"[a-zA-Z0-9_.-]+-20260102T030405Z", name)


def _imported(**described: object) -> tuple[bool, str]:
    result = import_result(BackupTable("orders", "tables/orders/AWSDynamoDB/x", 10, _SPEC), "p-orders", "arn",
                           {"ImportStatus": "COMPLETED", "ImportedItemCount": 10, "ErrorCount": 0,
                            "CloudWatchLogGroupArn": "arn:aws:logs:r:1:log-group:/aws-dynamodb/imports:*",
                            **described})
    return result.ok, result.detail


def test_an_import_is_ok_only_with_every_item_and_no_error() -> None:
    assert _imported() == (True, "imported 10 items")
    ok, detail = _imported(ErrorCount=2, ImportedItemCount=8)
    assert not ok and "2 item(s) could not be imported" in detail and "/aws-dynamodb/imports" in detail
    ok, detail = _imported(ImportedItemCount=9)
    assert not ok and detail == "imported 9 of the backup's 10 items"
    ok, detail = _imported(ImportStatus="FAILED", FailureCode="S3NoSuchBucket", FailureMessage="no bucket")
    assert not ok and detail == "import FAILED: S3NoSuchBucket: no bucket"


@pytest.mark.parametrize(("headers", "query", "expected"), [
    ({"Authorization": "AWS4-HMAC-SHA256 Credential=AK/20261201/us-east-1/s3/aws4_request, SignedHeaders=host"},
     "", True),
    ({"Authorization": "AWS4-HMAC-SHA256 Credential=AK/20261201/us-east-1/dynamodb/aws4_request, Signed=x"}, "",
     False),
    ({}, "X-Amz-Credential=AK%2F20261201%2Fus-east-1%2Fs3%2Faws4_request", True),
    ({}, "", False),
])
def test_s3_requests_are_known_by_their_signature(headers: dict[str, str], query: str, expected: bool) -> None:
    request = Request(EnvironBuilder(path="/bucket/key", headers=headers, query_string=query).get_environ())
    assert is_s3_request(request) is expected
