"""Contributor Insights and Kinesis streaming destinations, over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from ddbctl.local import AwsLikeOptions
from ddbctl.local.pytest_plugin import LocalDynamoDB, ServerPool

from .local_helpers import error_of, wait_until
from .surface_helpers import BOTH_MODES, create, definitions, key_schema, server, table_request

NOT_VALID = "Table is not in a valid state to enable Kinesis Streaming Destination:"


def insights(client: Any, index: str | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = client.describe_contributor_insights(
        TableName="orders", **({"IndexName": index} if index else {}))
    answer.pop("ResponseMetadata", None)
    return answer


def with_gsi(**extra: Any) -> dict[str, Any]:
    gsi = {"IndexName": "by-g", "KeySchema": key_schema("gk"), "Projection": {"ProjectionType": "ALL"}}
    return table_request(GlobalSecondaryIndexes=[gsi], AttributeDefinitions=definitions(pk="S", sk="S", gk="S"),
                         sort_key=True, **extra)


# -- Contributor Insights -----------------------------------------------------------------------------


@BOTH_MODES
def test_contributor_insights_are_enabled_described_listed_and_disabled(
    server_fixture: str, request: pytest.FixtureRequest
) -> None:
    local = server(request, server_fixture)
    client = create(local, with_gsi())
    assert insights(client) == {"TableName": "orders", "ContributorInsightsStatus": "DISABLED"}
    assert client.list_contributor_insights()["ContributorInsightsSummaries"] == []
    client.update_contributor_insights(TableName="orders", ContributorInsightsAction="ENABLE")
    client.update_contributor_insights(TableName="orders", IndexName="by-g", ContributorInsightsAction="ENABLE",
                                       ContributorInsightsMode="THROTTLED_KEYS")
    wait_until(lambda: insights(client)["ContributorInsightsStatus"] == "ENABLED"
               and insights(client, "by-g")["ContributorInsightsStatus"] == "ENABLED")
    table = insights(client)
    suffix = table["ContributorInsightsRuleList"][0].rsplit("-", 1)[1]
    assert table["ContributorInsightsRuleList"] == [  # the table has a sort key: four rules
        f"DynamoDBContributorInsights-{kind}-orders-{suffix}" for kind in ("PKC", "PKT", "SKC", "SKT")]
    assert table["ContributorInsightsMode"] == "ACCESSED_AND_THROTTLED_KEYS" and "LastUpdateDateTime" in table
    index = insights(client, "by-g")
    assert index["IndexName"] == "by-g" and index["ContributorInsightsMode"] == "THROTTLED_KEYS"
    assert [rule.rsplit("-", 1)[0] for rule in index["ContributorInsightsRuleList"]] == [
        "DynamoDBContributorInsights-PKT-orders-by-g"]  # throttled keys only, and the index has no sort key
    assert client.list_contributor_insights(TableName="orders")["ContributorInsightsSummaries"] == [
        {"TableName": "orders", "ContributorInsightsStatus": "ENABLED",
         "ContributorInsightsMode": "ACCESSED_AND_THROTTLED_KEYS"},
        {"TableName": "orders", "IndexName": "by-g", "ContributorInsightsStatus": "ENABLED",
         "ContributorInsightsMode": "THROTTLED_KEYS"},
    ]
    again = client.update_contributor_insights(TableName="orders", ContributorInsightsAction="ENABLE")
    assert again["ContributorInsightsStatus"] == "ENABLED"  # nothing to change: the state as it is
    client.update_contributor_insights(TableName="orders", ContributorInsightsAction="DISABLE")
    wait_until(lambda: insights(client)["ContributorInsightsStatus"] == "DISABLED")
    assert "ContributorInsightsRuleList" not in insights(client)
    assert [entry.get("IndexName") for entry in client.list_contributor_insights()["ContributorInsightsSummaries"]] \
        == ["by-g"]
    for kwargs, code in [({"TableName": "missing"}, "ResourceNotFoundException"),
                         ({"TableName": "orders", "IndexName": "by-nothing"}, "ResourceNotFoundException")]:
        assert error_of(client.update_contributor_insights, ContributorInsightsAction="ENABLE", **kwargs)[0] == code
    client.update_table(TableName="orders", GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-g"}}])
    wait_until(lambda: client.list_contributor_insights()["ContributorInsightsSummaries"] == [])


def test_contributor_insights_take_time_in_the_aws_like_mode(local_servers: ServerPool) -> None:
    local = local_servers.fresh(AwsLikeOptions(table_create_seconds=0, table_update_seconds=0,
                                               contributor_insights_seconds=0))
    client = local.client()
    local.server.hold("orders")
    client.create_table(**table_request())
    assert error_of(client.update_contributor_insights, TableName="orders", ContributorInsightsAction="ENABLE")[:2] \
        == ("ValidationException", "Table is not in a valid state to update Contributor Insights: TableStatus must be "
                                   "ACTIVE")
    local.server.release()
    local.server.hold("orders")  # the next transition: insights ENABLING
    answer = client.update_contributor_insights(TableName="orders", ContributorInsightsAction="ENABLE")
    assert answer["ContributorInsightsStatus"] == "ENABLING"
    assert insights(client)["ContributorInsightsStatus"] == "ENABLING"
    local.server.release()
    assert insights(client)["ContributorInsightsStatus"] == "ENABLED"


# -- Kinesis streaming destinations -------------------------------------------------------------------


def stream_arn(local: LocalDynamoDB, name: str = "changes") -> str:
    kinesis = local.service_client("kinesis")
    kinesis.create_stream(StreamName=name, ShardCount=1)
    arn: str = kinesis.describe_stream(StreamName=name)["StreamDescription"]["StreamARN"]
    return arn


def destinations(client: Any) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = client.describe_kinesis_streaming_destination(
        TableName="orders")["KinesisDataStreamDestinations"]
    return listed


@BOTH_MODES
def test_a_kinesis_destination_is_enabled_updated_and_disabled(
    server_fixture: str, request: pytest.FixtureRequest
) -> None:
    local = server(request, server_fixture)
    client = create(local, table_request())
    assert destinations(client) == []
    arn = stream_arn(local)
    enabled = client.enable_kinesis_streaming_destination(TableName="orders", StreamArn=arn)
    assert (enabled["StreamArn"], enabled["EnableKinesisStreamingConfiguration"]) == (arn, {})
    wait_until(lambda: destinations(client) == [{"StreamArn": arn, "DestinationStatus": "ACTIVE"}])
    assert error_of(client.enable_kinesis_streaming_destination, TableName="orders", StreamArn=stream_arn(local, "two")
                    )[:2] == ("ValidationException", f"{NOT_VALID} EnableKinesisStreamingDestination must be DISABLED "
                                                     "or ENABLE_FAILED to perform ENABLE operation.")
    same = {"ApproximateCreationDateTimePrecision": "MILLISECOND"}
    code, message, _ = error_of(client.update_kinesis_streaming_destination, TableName="orders", StreamArn=arn,
                                UpdateKinesisStreamingConfiguration=same)
    assert code == "ValidationException"
    assert message.startswith("Invalid Request: Precision is already set to the desired value of MILLISECOND")
    client.update_kinesis_streaming_destination(TableName="orders", StreamArn=arn, UpdateKinesisStreamingConfiguration={
        "ApproximateCreationDateTimePrecision": "MICROSECOND"})
    wait_until(lambda: destinations(client) == [{"StreamArn": arn, "DestinationStatus": "ACTIVE",
                                                 "ApproximateCreationDateTimePrecision": "MICROSECOND"}])
    client.disable_kinesis_streaming_destination(TableName="orders", StreamArn=arn)
    wait_until(lambda: destinations(client) == [{"StreamArn": arn, "DestinationStatus": "DISABLED"}])
    assert error_of(client.disable_kinesis_streaming_destination, TableName="orders", StreamArn=arn)[:2] == (
        "ValidationException", f"{NOT_VALID} KinesisStreamingDestination must be ACTIVE to perform DISABLE operation.")
    logged = {(entry["operation"], entry.get("resource")) for entry in local.server.operations()}
    assert {("kinesis:CreateStream", arn), ("kinesis:DescribeStream", arn),
            ("EnableKinesisStreamingDestination", None)} <= logged  # IAM's action names, and the stream


@BOTH_MODES
def test_a_destination_whose_stream_does_not_exist_fails_after_enabling(
    server_fixture: str, request: pytest.FixtureRequest
) -> None:
    local = server(request, server_fixture)
    client = create(local, table_request())
    missing = f"arn:aws:kinesis:us-east-1:{local.server.account_id}:stream/missing"
    elsewhere = f"arn:aws:kinesis:eu-west-1:{local.server.account_id}:stream/changes"
    client.enable_kinesis_streaming_destination(TableName="orders", StreamArn=missing)
    wait_until(lambda: destinations(client)[0]["DestinationStatus"] == "ENABLE_FAILED")
    client.enable_kinesis_streaming_destination(TableName="orders", StreamArn=elsewhere)
    wait_until(lambda: [entry["DestinationStatus"] for entry in destinations(client)] == ["ENABLE_FAILED"] * 2)
    assert [entry.get("DestinationStatusDescription") for entry in destinations(client)] == [
        "User does not have a permission to use kinesis stream",
        "The kinesis Arn used to enable kinesis replication belongs to a stream which is not in the current region"]
    created = stream_arn(local, "missing")
    client.enable_kinesis_streaming_destination(TableName="orders", StreamArn=created)  # the failed entry is reused
    wait_until(lambda: [entry["DestinationStatus"] for entry in destinations(client)] == ["ENABLE_FAILED", "ACTIVE"])
    client.delete_table(TableName="orders")
    wait_until(lambda: client.list_tables()["TableNames"] == [])
    create(local, table_request())
    assert destinations(client) == []


def test_a_destination_is_enabling_for_a_while_in_the_aws_like_mode(local_servers: ServerPool) -> None:
    local = local_servers.fresh(AwsLikeOptions(table_create_seconds=0, kinesis_destination_seconds=0))
    client = create(local, table_request())
    arn = stream_arn(local)
    local.server.hold("orders")
    assert client.enable_kinesis_streaming_destination(TableName="orders", StreamArn=arn)["DestinationStatus"] == \
        "ENABLING"
    assert destinations(client) == [{"StreamArn": arn, "DestinationStatus": "ENABLING"}]
    assert error_of(client.update_kinesis_streaming_destination, TableName="orders", StreamArn=arn,
                    UpdateKinesisStreamingConfiguration={"ApproximateCreationDateTimePrecision": "MICROSECOND"})[1] == (
        f"{NOT_VALID} Kinesis streaming is not in ACTIVE state. Updates are only allowed in ACTIVE state.")
    local.server.release()
    assert destinations(client) == [{"StreamArn": arn, "DestinationStatus": "ACTIVE"}]
