"""LocalServer in plain mode: lifecycle, isolation, reset, recording, faults, HTTP control, protocol."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest

from ddbctl.local import MUTATING_OPERATIONS, AwsLikeOptions, LocalServer
from ddbctl.local.pytest_plugin import LocalDynamoDB, local_dynamodb

from .local_helpers import error_of, simple_table


def http(
    url: str, method: str = "GET", body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def dynamo_raw(endpoint: str, target: str, body: bytes) -> tuple[int, dict[str, str], Any]:
    status, headers, raw = http(
        endpoint + "/", "POST", body, {"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.0"}
    )
    return status, headers, json.loads(raw)


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def test_start_resolves_port_and_stop_closes_it() -> None:
    server = LocalServer()
    with pytest.raises(RuntimeError):
        _ = server.endpoint_url
    with server:
        port = int(server.endpoint_url.rsplit(":", 1)[1])
        assert port > 0
        assert port_open("127.0.0.1", port)
        status, _, body = http(server.endpoint_url + "/")
        assert (status, body) == (200, b"healthy: ddbctl local DynamoDB\n")
    assert not port_open("127.0.0.1", port)
    assert not server.running


def test_servers_in_one_process_do_not_see_each_others_tables(dynamodb: LocalDynamoDB) -> None:
    with LocalServer() as other_server, LocalServer(aws_like=AwsLikeOptions(table_create_seconds=0)) as third:
        other = local_dynamodb(other_server).client()
        dynamodb.client().create_table(**simple_table("only-in-first"))
        other.create_table(**simple_table("only-in-second"))
        assert dynamodb.client().list_tables()["TableNames"] == ["only-in-first"]
        assert other.list_tables()["TableNames"] == ["only-in-second"]
        assert local_dynamodb(third).client().list_tables()["TableNames"] == []
        other_server.reset()
        assert other.list_tables()["TableNames"] == []
        assert dynamodb.client().list_tables()["TableNames"] == ["only-in-first"]
        assert dynamodb.server.account_id != other_server.account_id


def test_reset_drops_tables_items_operations_and_faults(dynamodb: LocalDynamoDB) -> None:
    client = dynamodb.client()
    client.create_table(**simple_table())
    client.put_item(TableName="orders", Item={"pk": {"S": "a"}})
    dynamodb.server.inject_fault("Scan", None, "InternalServerError", "boom", status=500)
    dynamodb.server.reset()
    assert dynamodb.server.operations() == []
    assert dynamodb.server.faults() == []
    assert client.list_tables()["TableNames"] == []
    client.create_table(**simple_table())
    assert client.scan(TableName="orders")["Items"] == []


def test_plain_mode_is_moto_unchanged(dynamodb: LocalDynamoDB) -> None:
    client = dynamodb.client()
    description = client.create_table(**simple_table("ab"))["TableDescription"]  # short name: moto accepts
    assert description["TableStatus"] == "ACTIVE"
    # The cheap corrections of moto hold in plain mode too: no empty index lists, as DynamoDB describes.
    assert "GlobalSecondaryIndexes" not in client.describe_table(TableName="ab")["Table"]


def test_plain_mode_moto_crash_is_a_dynamodb_internal_error(dynamodb: LocalDynamoDB) -> None:
    client = dynamodb.client()
    client.create_table(**simple_table())
    # moto 5 crashes on an index Create without KeySchema (botocore would refuse to send it; raw HTTP does);
    # clients get DynamoDB's JSON shape for an internal error.
    body = json.dumps({"TableName": "orders", "GlobalSecondaryIndexUpdates": [{"Create": {"IndexName": "x"}}]})
    request = urllib.request.Request(
        dynamodb.endpoint_url, data=body.encode(), method="POST",
        headers={"X-Amz-Target": "DynamoDB_20120810.UpdateTable", "Content-Type": "application/x-amz-json-1.0"})
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request)
    assert raised.value.code == 500
    assert json.loads(raised.value.read())["__type"].endswith("#InternalServerError")
    assert client.list_tables()["TableNames"] == ["orders"]


def test_dynamodb_streams_requests_are_served(dynamodb: LocalDynamoDB) -> None:
    client = dynamodb.client()
    arn = client.create_table(
        **simple_table(StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    )["TableDescription"]["LatestStreamArn"]
    streams = client_for(dynamodb, "dynamodbstreams")
    assert [stream["StreamArn"] for stream in streams.list_streams()["Streams"]] == [arn]
    assert dynamodb.server.operations()[-1]["operation"] == "ListStreams"


def client_for(local: LocalDynamoDB, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=local.endpoint_url,
        region_name=local.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_operations_are_recorded_in_order_with_outcome(dynamodb: LocalDynamoDB) -> None:
    client = dynamodb.client()
    client.create_table(**simple_table())
    client.put_item(TableName="orders", Item={"pk": {"S": "a"}})
    error_of(client.describe_table, TableName="missing")
    client.batch_write_item(RequestItems={"orders": [{"PutRequest": {"Item": {"pk": {"S": "b"}}}}]})
    operations = dynamodb.server.operations()
    assert [(op["operation"], op["table"], op["status"], op["error"]) for op in operations] == [
        ("CreateTable", "orders", 200, None),
        ("PutItem", "orders", 200, None),
        ("DescribeTable", "missing", 400, "ResourceNotFoundException"),
        ("BatchWriteItem", "orders", 200, None),
    ]
    times = [op["time"] for op in operations]
    assert times == sorted(times)
    dynamodb.server.clear_operations()
    assert dynamodb.server.operations() == []


def test_mutating_operations_cover_the_writes() -> None:
    expected = {
        "CreateTable",
        "UpdateTable",
        "DeleteTable",
        "UpdateTimeToLive",
        "UpdateContinuousBackups",
        "TagResource",
        "UntagResource",
        "PutItem",
        "BatchWriteItem",
        "DeleteItem",
        "UpdateItem",
        "TransactWriteItems",
        "RestoreTableFromBackup",
        "CreateBackup",
        "DeleteBackup",
    }
    assert expected <= MUTATING_OPERATIONS
    assert not {"DescribeTable", "ListTables", "GetItem", "Query", "Scan"} & MUTATING_OPERATIONS


@pytest.mark.parametrize("server_fixture", ["dynamodb", "awslike_dynamodb"])
def test_targeted_fault_fails_the_next_calls_on_that_table_only(
    server_fixture: str, request: pytest.FixtureRequest
) -> None:
    local: LocalDynamoDB = request.getfixturevalue(server_fixture)
    client = local.client()
    local.server.inject_fault("CreateTable", "target", "LimitExceededException", "Too many tables", times=2)
    for _ in range(2):
        assert error_of(client.create_table, **simple_table("target")) == (
            "LimitExceededException",
            "Too many tables",
            400,
        )
    client.create_table(**simple_table("other"))
    client.create_table(**simple_table("target"))  # used up after two calls
    assert local.server.faults() == []
    assert [op["error"] for op in local.server.operations()] == ["LimitExceededException"] * 2 + [None, None]


def test_fault_without_times_fails_every_call_until_cleared(dynamodb: LocalDynamoDB) -> None:
    client = dynamodb.client()
    client.create_table(**simple_table())
    dynamodb.server.inject_fault("GetItem", None, "InternalServerError", "broken", status=500)
    for _ in range(3):
        assert error_of(client.get_item, TableName="orders", Key={"pk": {"S": "a"}})[0] == "InternalServerError"
    dynamodb.server.clear_faults()
    assert "Item" not in client.get_item(TableName="orders", Key={"pk": {"S": "a"}})


def test_http_control_endpoints(dynamodb: LocalDynamoDB) -> None:
    base = dynamodb.endpoint_url + "/_ddbctl"
    client = dynamodb.client()
    client.create_table(**simple_table())
    status, _, body = http(base + "/operations")
    assert status == 200
    assert [op["operation"] for op in json.loads(body)["operations"]] == ["CreateTable"]
    assert http(base + "/operations", "DELETE")[0] == 204
    assert json.loads(http(base + "/operations")[2]) == {"operations": []}

    fault = {
        "operation": "PutItem",
        "table": "orders",
        "error_code": "ProvisionedThroughputExceededException",
        "message": "slow down",
        "times": 1,
    }
    status, _, body = http(base + "/faults", "POST", json.dumps(fault).encode())
    assert status == 201
    assert json.loads(http(base + "/faults")[2])["faults"][0]["error_code"] == fault["error_code"]
    code = error_of(client.put_item, TableName="orders", Item={"pk": {"S": "a"}})[0]
    assert code == "ProvisionedThroughputExceededException"
    client.put_item(TableName="orders", Item={"pk": {"S": "a"}})

    http(base + "/faults", "POST", json.dumps({**fault, "times": None}).encode())
    assert http(base + "/faults", "DELETE")[0] == 204
    client.put_item(TableName="orders", Item={"pk": {"S": "b"}})
    assert http(base + "/faults", "POST", b'{"operation": "PutItem"}')[0] == 400
    assert http(base + "/faults", "POST", b"not json")[0] == 400
    assert http(base + "/nothing-here")[0] == 404

    info = json.loads(http(base + "/info")[2])
    assert (info["mode"], info["account_id"]) == ("plain", dynamodb.server.account_id)
    assert http(base + "/reset", "POST")[0] == 204
    assert client.list_tables()["TableNames"] == []


@pytest.mark.parametrize("server_fixture", ["dynamodb", "awslike_dynamodb"])
def test_garbage_and_unknown_operations_get_dynamodb_errors_and_server_keeps_serving(
    server_fixture: str, request: pytest.FixtureRequest
) -> None:
    local: LocalDynamoDB = request.getfixturevalue(server_fixture)
    status, headers, body = dynamo_raw(local.endpoint_url, "DynamoDB_20120810.ListTables", b"{garbage")
    assert status == 400
    assert headers["Content-Type"] == "application/x-amz-json-1.0"
    assert body["__type"] == "com.amazon.coral.service#SerializationException"
    status, _, body = dynamo_raw(local.endpoint_url, "DynamoDB_20120810.Frobnicate", b"{}")
    assert (status, body["__type"]) == (400, "com.amazon.coral.service#UnknownOperationException")
    status, _, body = dynamo_raw(local.endpoint_url, "SomethingElse.ListTables", b"{}")
    assert body["__type"].endswith("#UnknownOperationException")
    # an operation botocore knows but moto does not implement: a fast, clear 400 instead of moto's 500
    code, message, status = error_of(local.client().describe_table_replica_auto_scaling, TableName="orders")
    assert (code, status) == ("UnknownOperationException", 400)
    assert "not implemented" in message
    assert local.client().list_tables()["TableNames"] == []


def test_fault_validation() -> None:
    server = LocalServer()
    with pytest.raises(ValueError, match="times"):
        server.inject_fault("PutItem", None, "X", "m", times=0)
    with pytest.raises(ValueError, match="status"):
        server.inject_fault("PutItem", None, "X", "m", status=200)


@pytest.mark.parametrize(
    ("field", "value"), [("throttle_rate", 1.5), ("error_rate", -0.1), ("table_create_seconds", -1), ("latency_ms", -5)]
)
def test_options_are_validated(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=field):
        AwsLikeOptions(**{field: value})


def test_concurrent_clients_are_served_and_recorded(awslike_dynamodb: LocalDynamoDB) -> None:
    # werkzeug serves each request in its own thread; moto and the AWS-like timeline must not see two at once.
    def work(worker: int) -> None:
        client = awslike_dynamodb.client()
        client.create_table(**simple_table(f"table-{worker}"))
        for _ in range(5):
            client.describe_table(TableName=f"table-{worker}")

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(work, range(8)))
    operations = awslike_dynamodb.server.operations()
    assert len(operations) == 8 * 6
    assert all(op["status"] == 200 for op in operations)
    assert sorted(awslike_dynamodb.client().list_tables()["TableNames"]) == sorted(f"table-{n}" for n in range(8))


def test_the_operation_log_keeps_only_the_newest_entries() -> None:
    from ddbctl.local.recording import OperationLog  # noqa: PLC0415 - the unit under test, no server needed

    log = OperationLog(max_entries=3)
    for number in range(5):
        log.start("GetItem", [f"t{number}"])
    assert [entry["table"] for entry in log.snapshot()] == ["t2", "t3", "t4"]
