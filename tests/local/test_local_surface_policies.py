"""Resource-based policies of tables and streams: over HTTP in both modes, and the AWS-like lock."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ddbctl.local import AwsLikeOptions
from ddbctl.local.awslike_state import ControlPlane
from ddbctl.local.policies import ResourcePolicies
from ddbctl.local.pytest_plugin import LocalDynamoDB, ServerPool
from ddbctl.local.surface_timing import Timing
from ddbctl.local.wire import DynamoError, DynamoRequest

from .local_helpers import error_of, wait_until
from .surface_helpers import BOTH_MODES, create, described, server, table_request

INVALID = "One or more parameter values were invalid:"
NOT_FOUND = "Resource-based policy not found for the provided ResourceArn:"


def policy(action: str = "dynamodb:GetItem", **extra: Any) -> str:
    statement = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": action,
                 "Resource": "*", **extra}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, indent=2)


def minified(document: str) -> str:
    return json.dumps(json.loads(document), separators=(",", ":"))


@BOTH_MODES
def test_a_table_policy_is_put_read_replaced_and_deleted_with_revisions(
    server_fixture: str, request: pytest.FixtureRequest
) -> None:
    local = server(request, server_fixture)
    client = create(local, table_request(ResourcePolicy=policy()))
    arn = described(client)["TableArn"]
    first = client.get_resource_policy(ResourceArn=arn)
    assert first["Policy"] == minified(policy())  # minified, as DynamoDB returns it
    assert first["RevisionId"].isdigit()
    again = client.put_resource_policy(ResourceArn=arn, Policy=policy())  # the same document: no change
    assert again["RevisionId"] == first["RevisionId"]
    code, message, _ = error_of(client.put_resource_policy, ResourceArn=arn, Policy=policy("dynamodb:Query"),
                                ExpectedRevisionId="1")
    assert (code, message) == ("PolicyNotFoundException",
                               f"{NOT_FOUND} Requested update for policy with revision id 1, but the policy associated "
                               f"to target table orders has revision id {first['RevisionId']}.")
    assert error_of(client.put_resource_policy, ResourceArn=arn, Policy=policy("dynamodb:Query"),
                    ExpectedRevisionId="NO_POLICY")[0] == "PolicyNotFoundException"
    wait_until(lambda: _once_unlocked(client.put_resource_policy, ResourceArn=arn, Policy=policy("dynamodb:Query"),
                                      ExpectedRevisionId=first["RevisionId"]) is not None)
    second = client.get_resource_policy(ResourceArn=arn)
    assert second["Policy"] == minified(policy("dynamodb:Query"))
    assert int(second["RevisionId"]) > int(first["RevisionId"])
    deleted: list[Any] = []
    wait_until(lambda: deleted.append(_once_unlocked(client.delete_resource_policy, ResourceArn=arn)) or
               deleted[-1] is not None)
    assert deleted[-1]["RevisionId"] == second["RevisionId"]
    code, message, _ = error_of(client.get_resource_policy, ResourceArn=arn)
    assert (code, message) == ("PolicyNotFoundException", f"{NOT_FOUND} {arn}")
    assert client.delete_resource_policy(ResourceArn=arn).get("RevisionId") == second["RevisionId"]  # idempotent
    wait_until(lambda: _once_unlocked(client.put_resource_policy, ResourceArn=arn, Policy=policy(),
                                      ExpectedRevisionId="NO_POLICY") is not None)
    wait_until(lambda: _once_unlocked(client.delete_table, TableName="orders") is not None)
    wait_until(lambda: client.list_tables()["TableNames"] == [])
    create(local, table_request())
    assert error_of(client.get_resource_policy, ResourceArn=arn)[0] == "PolicyNotFoundException"  # gone with its table


def _once_unlocked(call: Any, **kwargs: Any) -> Any:
    """``call``'s answer, or None while a policy change locks it (AWS-like mode: ResourceInUse, then throttling)."""
    try:
        return call(**kwargs)
    except Exception as error:  # botocore's ClientError
        if "ResourceInUseException" in str(error) or "ThrottlingException" in str(error):
            return None
        raise


@BOTH_MODES
def test_a_stream_has_its_own_policy(server_fixture: str, request: pytest.FixtureRequest) -> None:
    stream = {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    client = create(server(request, server_fixture), table_request(StreamSpecification=stream, ResourcePolicy=policy()))
    table = described(client)
    stream_policy = policy("dynamodb:GetRecords", Resource=table["LatestStreamArn"])
    client.put_resource_policy(ResourceArn=table["LatestStreamArn"], Policy=stream_policy)
    assert client.get_resource_policy(ResourceArn=table["LatestStreamArn"])["Policy"] == minified(stream_policy)
    assert client.get_resource_policy(ResourceArn=table["TableArn"])["Policy"] == minified(policy())
    bogus = table["TableArn"] + "/stream/2000-01-01T00:00:00.000"
    assert error_of(client.get_resource_policy, ResourceArn=bogus)[:2] == (
        "ResourceNotFoundException", "Requested resource not found: Stream: 2000-01-01T00:00:00.000 not found for "
                                     "Table: orders")


@BOTH_MODES
def test_resource_arns_and_documents_dynamodb_refuses(server_fixture: str, request: pytest.FixtureRequest) -> None:
    local = server(request, server_fixture)
    client = create(local, table_request())
    arn = described(client)["TableArn"]
    account = local.server.account_id
    for resource, code, message in [
        ("orders", "ValidationException", f"{INVALID} ARNs must start with 'arn:': orders"),
        (f"{arn}/index/by-g", "ValidationException",
         f"{INVALID} Invalid resource arn provided, only table or stream is accepted. Provided resource "
         f"{arn}/index/by-g"),
        (arn.replace("us-east-1", "eu-west-1"), "ValidationException",
         f"{INVALID} Invalid resource Arn: {arn.replace('us-east-1', 'eu-west-1')}"),
        (arn.replace(account, "111122223333"), "ValidationException",
         "This action is only supported by accounts that match the resource owner\u2019s account."),
        (arn.replace("orders", "missing"), "ResourceNotFoundException",
         "Requested resource not found: Table: missing not found"),
    ]:
        assert error_of(client.put_resource_policy, ResourceArn=resource, Policy=policy())[:2] == (code, message)
    padded = policy().replace("\n", "\n" + " " * 2000)
    assert len(padded.encode()) > 20480
    for document, reason in [
        (padded, "Maximum policy size of 20480 bytes exceeded"),
        ("{not json", "Invalid policy document: This policy contains invalid Json"),
        ("null", "Invalid policy document: This text appears not to be a policy"),
        ("{}", "Invalid policy document: Syntax error at position (1,3)"),
        ('{"Version": "2012-10-17", "Statement": []}', "Invalid policy document: Could not parse the policy: "
                                                       "Statement is empty!"),
        ('{"Version": "2012-10-17", "Statement": [{}]}', "Invalid policy document: Missing required field Effect"),
    ]:
        assert error_of(client.put_resource_policy, ResourceArn=arn, Policy=document)[:2] == (
            "ValidationException", f"{INVALID} {reason}")
    assert error_of(client.create_table, **table_request("refused", ResourcePolicy="{}"))[0] == "ValidationException"
    assert client.list_tables()["TableNames"] == ["orders"]
    assert error_of(client.get_resource_policy, ResourceArn=arn)[0] == "PolicyNotFoundException"


def test_a_policy_change_locks_the_next_one_and_the_table_s_deletion(local_servers: ServerPool) -> None:
    local = local_servers.fresh(AwsLikeOptions(table_create_seconds=0, table_update_seconds=0,
                                               table_delete_seconds=0, resource_policy_lock_seconds=60))
    client = create(local, table_request())
    arn = described(client)["TableArn"]
    revision = client.put_resource_policy(ResourceArn=arn, Policy=policy())["RevisionId"]
    assert client.put_resource_policy(ResourceArn=arn, Policy=policy())["RevisionId"] == revision  # no change: admitted
    pending = "Attempt to change a resource which is still in use: Table is pending previous resource-based policy " \
              "update: orders"
    assert error_of(client.put_resource_policy, ResourceArn=arn, Policy=policy("dynamodb:Query"))[:2] == (
        "ResourceInUseException", pending)
    assert error_of(client.delete_resource_policy, ResourceArn=arn)[:2] == ("ResourceInUseException", pending)
    assert error_of(client.delete_table, TableName="orders")[:2] == (
        "ResourceInUseException", "Attempt to change a resource which is still in use: Table has a pending "
                                  "resource-based policy update: orders")


def test_after_the_change_applies_the_lock_throttles_until_its_end() -> None:
    # Pure timing logic with a clock the test moves: the HTTP tests above cannot wait 15 s per case.
    now = [1000.0]
    options = AwsLikeOptions(resource_policy_lock_seconds=15.0)
    plane = ControlPlane(options, clock=lambda: now[0])
    timing = Timing(options=options, plane=plane, wall_clock=lambda: 1_700_000_000.0)
    table = {"TableArn": "arn:aws:dynamodb:us-east-1:123456789012:table/orders"}
    policies = ResourcePolicies(timing, "123456789012", lambda key: table if key[1] == "orders" else None)

    def put(action: str) -> dict[str, Any]:
        return policies.put(DynamoRequest("PutResourcePolicy", {"ResourceArn": table["TableArn"],
                                                                "Policy": policy(action)}))

    assert put("dynamodb:GetItem")["RevisionId"] == "1700000000000"
    now[0] += 2.5  # past the 2 s of applying
    with pytest.raises(DynamoError) as refused:
        put("dynamodb:Query")
    assert (refused.value.code, refused.value.message) == (
        "ThrottlingException", "Resource-based policy for table orders modified within the previous 15000 "
                               "milliseconds. Please try again after 2023-11-14T22:13:35.000Z.")
    now[0] += 12.5  # the lock's end
    assert put("dynamodb:Query")["RevisionId"] == "1700000000001"  # revisions increase within one millisecond


def test_a_policy_created_with_its_table_is_readable_while_the_table_is_creating(
    awslike_dynamodb: LocalDynamoDB,
) -> None:
    client = awslike_dynamodb.client()
    awslike_dynamodb.server.hold("orders")
    arn = client.create_table(**table_request(ResourcePolicy=policy()))["TableDescription"]["TableArn"]
    assert client.get_resource_policy(ResourceArn=arn)["Policy"] == minified(policy())
    awslike_dynamodb.server.release()
