"""The AWS CLI, as a subprocess, reads the AWS-like server's answers as it reads DynamoDB's."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from typing import Any

import pytest

from ddbctl.local import AwsLikeOptions

from .local_helpers import create_active, simple_table, wait_until

pytestmark = pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI is not installed")


def aws(local: Any, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        **local.env,
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_RETRY_MODE": "standard",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_PAGER": "",
    }
    env.pop("AWS_PROFILE", None)
    return subprocess.run(
        ["aws", "dynamodb", *args, "--endpoint-url", local.endpoint_url, "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def assert_cli_error(result: subprocess.CompletedProcess[str], code: str, operation: str, message: str) -> None:
    """The CLI failed with DynamoDB's error line (it adds the retry count when retries are configured)."""
    assert result.returncode != 0
    pattern = (
        rf"An error occurred \({code}\) when calling the {operation} operation"
        rf"( \(reached max retries: \d+\))?: {re.escape(message)}"
    )
    assert re.search(pattern, result.stderr), result.stderr


def test_cli_sees_creating_and_data_calls_fail_until_active(local_server_factory: Any) -> None:
    local = local_server_factory(AwsLikeOptions(table_create_seconds=6))
    created = aws(
        local,
        "create-table",
        "--table-name",
        "orders",
        "--attribute-definitions",
        "AttributeName=pk,AttributeType=S",
        "--key-schema",
        "AttributeName=pk,KeyType=HASH",
        "--billing-mode",
        "PAY_PER_REQUEST",
    )
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["TableDescription"]["TableStatus"] == "CREATING"
    described = aws(local, "describe-table", "--table-name", "orders")
    assert json.loads(described.stdout)["Table"]["TableStatus"] == "CREATING"
    put = aws(local, "put-item", "--table-name", "orders", "--item", '{"pk": {"S": "a"}}')
    assert_cli_error(put, "ResourceNotFoundException", "PutItem", "Requested resource not found")


def test_cli_shows_limit_exceeded_for_a_second_index(local_server_factory: Any) -> None:
    local = local_server_factory(AwsLikeOptions(table_create_seconds=0, index_create_seconds=30))
    client = local.client()
    create_active(client, simple_table())
    client.update_table(
        TableName="orders",
        AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[
            {
                "Create": {
                    "IndexName": "by-a",
                    "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            }
        ],
    )
    wait_until(lambda: client.describe_table(TableName="orders")["Table"]["TableStatus"] == "ACTIVE")
    result = aws(
        local,
        "update-table",
        "--table-name",
        "orders",
        "--attribute-definitions",
        "AttributeName=b,AttributeType=S",
        "--global-secondary-index-updates",
        '[{"Create": {"IndexName": "by-b", "KeySchema": [{"AttributeName": "b", "KeyType": "HASH"}],'
        ' "Projection": {"ProjectionType": "ALL"}}}]',
    )
    assert_cli_error(
        result,
        "LimitExceededException",
        "UpdateTable",
        "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table",
    )


def test_cli_shows_ttl_rule(awslike_dynamodb: Any) -> None:
    client = awslike_dynamodb.client()
    create_active(client, simple_table())
    client.update_time_to_live(TableName="orders", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    result = aws(
        awslike_dynamodb,
        "update-time-to-live",
        "--table-name",
        "orders",
        "--time-to-live-specification",
        "Enabled=true,AttributeName=exp",
    )
    assert_cli_error(result, "ValidationException", "UpdateTimeToLive", "TimeToLive is already enabled")


def test_cli_shows_unknown_operation(awslike_dynamodb: Any) -> None:
    # The CLI only sends operations it knows; one that moto lacks is "unknown" to the local server.
    result = aws(awslike_dynamodb, "describe-contributor-insights", "--table-name", "orders")
    assert_cli_error(result, "UnknownOperationException", "DescribeContributorInsights", "")
    assert aws(awslike_dynamodb, "list-tables").returncode == 0
