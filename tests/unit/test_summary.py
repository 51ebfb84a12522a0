from __future__ import annotations

from ddbctl.aws import LiveTable
from ddbctl.ops.summary import COLUMNS, human_bytes, render_summary, summary_rows

TABLE = {
    "TableName": "construction-expenses-orders",
    "TableStatus": "ACTIVE",
    "TableArn": "arn:aws:dynamodb:us-east-1:1:table/construction-expenses-orders",
    "ItemCount": 12,
    "TableSizeBytes": 3 * 1024 * 1024,
    "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"},
                             {"AttributeName": "at", "AttributeType": "N"}],
    "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}, {"AttributeName": "at", "KeyType": "RANGE"}],
    "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 2},
    "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
    "TableClassSummary": {"TableClass": "STANDARD_INFREQUENT_ACCESS"},
    "DeletionProtectionEnabled": True,
}
LIVE = LiveTable(
    "construction-expenses-orders",
    TABLE,
    {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"},
    {"PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "DISABLED"}},
    (),
)


def test_one_row_per_table_with_every_column() -> None:
    (row,) = summary_rows({"orders": LIVE})
    assert dict(zip(COLUMNS, row, strict=True)) == {
        "table": "construction-expenses-orders", "status": "ACTIVE", "items": "12", "size": "3.0 MB",
        "keys": "id:S+at:N", "gsis": "-", "lsis": "-", "billing": "provisioned 5R/2W", "ttl": "expires",
        "pitr": "off", "sse": "AWS owned", "stream": "KEYS_ONLY", "class": "IA", "del-prot": "on",
    }


def test_totals() -> None:
    text = render_summary({"orders": LIVE, "copy": LIVE}, "staging")
    assert text.startswith("DynamoDB tables, environment staging\n")
    assert text.endswith("Total: 2 tables, 0 GSIs, 24 items, 6.0 MB\n")


def test_human_bytes() -> None:
    assert [human_bytes(n) for n in (0, 1023, 1024, 5 * 1024**2, 3 * 1024**5)] == [
        "0 B", "1023 B", "1.0 KB", "5.0 MB", "3072.0 TB"]
