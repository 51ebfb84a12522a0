"""Edge-case spec files for the generator tests, beside the bundled 13-table example."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from ddbctl.spec.files import dump_spec, parse_spec
from ddbctl.spec.model import OnDemandThroughput

EXAMPLE_DIR = Path(__file__).resolve().parents[2] / "src" / "ddbctl" / "examples" / "construction-expenses" / "schemas"
KMS_KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _key(name: str, kind: str) -> dict[str, str]:
    return {"AttributeName": name, "KeyType": kind}


def _attr(name: str, kind: str) -> dict[str, str]:
    return {"AttributeName": name, "AttributeType": kind}


# Provisioned, index throughput, an LSI, INCLUDE projections, a customer KMS key, a stream, a class,
# deletion protection, TTL off, a PITR period, tags.
LEDGER: dict[str, Any] = {
    "TableName": "ledger",
    "AttributeDefinitions": [_attr("accountId", "S"), _attr("entryId", "S"), _attr("amount", "N"),
                             _attr("postedAt", "N"), _attr("batch", "B")],
    "KeySchema": [_key("accountId", "HASH"), _key("entryId", "RANGE")],
    "BillingMode": "PROVISIONED",
    "ProvisionedThroughput": {"ReadCapacityUnits": 7, "WriteCapacityUnits": 3},
    "GlobalSecondaryIndexes": [
        {"IndexName": "by-batch", "KeySchema": [_key("batch", "HASH"), _key("postedAt", "RANGE")],
         "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["note", "amount"]},
         "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 2}},
        {"IndexName": "by_posted.at", "KeySchema": [_key("postedAt", "HASH")],
         "Projection": {"ProjectionType": "KEYS_ONLY"},
         "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}},
    ],
    "LocalSecondaryIndexes": [
        {"IndexName": "by-amount", "KeySchema": [_key("accountId", "HASH"), _key("amount", "RANGE")],
         "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["currency"]}},
    ],
    "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    "SSESpecification": {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": KMS_KEY_ARN},
    "TableClass": "STANDARD_INFREQUENT_ACCESS",
    "DeletionProtectionEnabled": True,
    "TimeToLiveSpecification": {"Enabled": False},
    "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 7},
    "Tags": [{"Key": "Team", "Value": "finance"}, {"Key": "Cost Center", "Value": "42 \"quoted\" ${x}"}],
}

# On demand with maximum throughput on the table and an index, SSE off, PITR off, a keys-only stream,
# TTL on, a dotted name.
AUDIT: dict[str, Any] = {
    "TableName": "audit.events",
    "AttributeDefinitions": [_attr("eventId", "S"), _attr("actor", "S")],
    "KeySchema": [_key("eventId", "HASH")],
    "BillingMode": "PAY_PER_REQUEST",
    "OnDemandThroughput": {"MaxReadRequestUnits": 100, "MaxWriteRequestUnits": 50},
    "GlobalSecondaryIndexes": [
        {"IndexName": "byActor", "KeySchema": [_key("actor", "HASH")], "Projection": {"ProjectionType": "ALL"},
         "OnDemandThroughput": {"MaxReadRequestUnits": 10, "MaxWriteRequestUnits": -1}},  # -1: no maximum
    ],
    "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
    "SSESpecification": {"Enabled": False},
    "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": False},
    "TimeToLiveSpecification": {"Enabled": True, "AttributeName": "expiresAt"},
}

EDGE_SPECS = (LEDGER, AUDIT)


def write_specs(directory: Path, *documents: dict[str, Any]) -> Path:
    """Write spec documents (checked by ddbctl's own parser) as files of ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    for document in documents:
        spec, problems = parse_spec(document)
        assert spec is not None and not problems, problems
        (directory / f"{spec.table_name}.json").write_text(dump_spec(spec), encoding="utf-8")
    return directory


def example_and_edges(directory: Path) -> Path:
    """The bundled 13 tables plus the edge cases, in one directory."""
    shutil.copytree(EXAMPLE_DIR, directory)
    return write_specs(directory, *EDGE_SPECS)


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def limits(throughput: OnDemandThroughput | None) -> dict[str, int] | None:
    """The maximums that are set (-1, "no maximum", is the same as none, and CloudFormation's minimum is 1)."""
    if throughput is None:
        return None
    return {k: v for k, v in throughput.to_request().items() if isinstance(v, int) and v > 0} or None
