"""Portable exports: KMS keys of SSE written without account-specific ARNs, read against the local server's KMS."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from ddbctl.aws import Dynamo
from ddbctl.config import Settings
from ddbctl.local.pytest_plugin import LocalDynamoDB
from ddbctl.ops.converge import plan_tables
from ddbctl.ops.export import export_tables
from ddbctl.ops.kms_keys import KeyInfo, classify, portable_key
from ddbctl.spec.model import TableSpec

SettingsFor = Callable[..., Settings]
STAGING = "construction-expenses-staging-"


def kms(db: LocalDynamoDB) -> Any:
    import boto3  # type: ignore[import-untyped,unused-ignore]  # noqa: PLC0415 - a test helper

    return boto3.client("kms", endpoint_url=db.endpoint_url, region_name=db.region,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def create(db: LocalDynamoDB, name: str, sse: dict[str, Any]) -> None:
    client = db.client()
    client.create_table(TableName=STAGING + name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        BillingMode="PAY_PER_REQUEST", SSESpecification=sse,
                        Tags=[{"Key": "Environment", "Value": "staging"}, {"Key": "ManagedBy", "Value": "ddbctl"}])
    client.get_waiter("table_exists").wait(TableName=STAGING + name, WaiterConfig={"Delay": 0.1})


def written_sse(directory: Path, name: str) -> Any:
    return json.loads((directory / f"{name}.json").read_text())["SSESpecification"]


def test_the_aws_managed_key_is_written_without_an_arn_and_a_customer_key_by_alias(
    dynamodb: LocalDynamoDB, settings_for: SettingsFor, tmp_path: Path
) -> None:
    keys = kms(dynamodb)
    aliased = keys.create_key()["KeyMetadata"]
    keys.create_alias(AliasName="alias/orders-key", TargetKeyId=aliased["KeyId"])
    bare = keys.create_key()["KeyMetadata"]
    create(dynamodb, "managed", {"Enabled": True, "SSEType": "KMS"})
    create(dynamodb, "aliased", {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": aliased["Arn"]})
    create(dynamodb, "bare", {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": bare["Arn"]})
    settings = settings_for(dynamodb, "staging")
    result = export_tables(settings, tmp_path)
    assert written_sse(tmp_path, "managed") == {"Enabled": True, "SSEType": "KMS"}
    assert written_sse(tmp_path, "aliased") == {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": "alias/orders-key"}
    assert written_sse(tmp_path, "bare") == {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": bare["Arn"]}
    assert result.notes == ()
    assert "arn:aws:kms" not in (tmp_path / "managed.json").read_text()
    # The files converge: an alias is its key's ARN, and no key means the AWS managed one.
    assert plan_tables(settings, tmp_path).converged

    portable = export_tables(settings, tmp_path / "portable", portable=True)
    assert written_sse(tmp_path / "portable", "bare") == {"Enabled": True, "SSEType": "KMS"}
    assert written_sse(tmp_path / "portable", "aliased")["KMSMasterKeyId"] == "alias/orders-key"
    assert len(portable.notes) == 1 and "a customer managed key without an alias" in portable.notes[0]
    operations = {op["operation"] for op in dynamodb.server.operations()}
    assert {"kms:DescribeKey", "kms:ListAliases"} <= operations


class _Refusing(BaseHTTPRequestHandler):
    """An endpoint that refuses every call, as KMS and STS do without the permission."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.dumps({"__type": "AccessDeniedException", "message": "not allowed"}).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def refusing_endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_refused_kms_and_sts_calls_fall_back_without_failing(refusing_endpoint: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    for variable, value in (("AWS_ACCESS_KEY_ID", "x"), ("AWS_SECRET_ACCESS_KEY", "y")):
        monkeypatch.setenv(variable, value)
    dynamo = Dynamo(Settings(endpoint_url=refusing_endpoint))
    assert dynamo.describe_key("arn:aws:kms:us-east-1:1:key/k") is None
    assert dynamo.key_aliases("arn:aws:kms:us-east-1:1:key/k") is None
    assert dynamo.account() is None
    unreachable = Dynamo(Settings(endpoint_url="http://127.0.0.1:9"))
    assert unreachable.describe_key("k") is None and unreachable.account() is None


SPEC = TableSpec.model_validate({
    "TableName": "orders", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
    "SSESpecification": {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": "arn:aws:kms:us-east-1:1:key/k"}})


def test_how_a_key_is_classified_and_written() -> None:
    assert classify("AWS", None) is True
    assert classify("CUSTOMER", ["alias/aws/dynamodb"]) is True  # moto's managed key: the alias says it
    assert classify(None, ["alias/aws/dynamodb"]) is True
    assert classify("CUSTOMER", None) is False
    assert classify(None, []) is False
    assert classify(None, None) is None
    sse = lambda spec: spec.sse_specification.model_dump(by_alias=True, exclude_none=True)  # noqa: E731
    unknown, note = portable_key(SPEC, KeyInfo(None), portable=False)
    assert sse(unknown)["KMSMasterKeyId"] == "arn:aws:kms:us-east-1:1:key/k"
    assert note is not None and "kms:DescribeKey and kms:ListAliases were refused" in note
    dropped, note = portable_key(SPEC, KeyInfo(None), portable=True)
    assert sse(dropped) == {"Enabled": True, "SSEType": "KMS"} and note is not None and "dropped" in note
    assert sse(portable_key(SPEC, KeyInfo(True), portable=False)[0]) == {"Enabled": True, "SSEType": "KMS"}
    assert sse(portable_key(SPEC, KeyInfo(False, "alias/k"), portable=False)[0])["KMSMasterKeyId"] == "alias/k"
