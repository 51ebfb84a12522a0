"""What the executor reads from a DescribeTable answer (TableState), the reports it returns and the commands
its timeouts offer: pure values, checked exactly. Written against mutants of execute.py that the server
tests let live (tools/mutation)."""

from __future__ import annotations

from typing import cast

from ddbctl.aws import Dynamo
from ddbctl.changes import DeleteTable, TagTable, UpdateTableClass
from ddbctl.errors import AwsError, UnsafeChange
from ddbctl.execute import Outcome, Report, TableResult, TableState, describe_requests, execute, wait_command
from ddbctl.naming import PRODUCTION
from ddbctl.plan import Plan, Status, TablePlan

TABLE = "app-staging-orders"
ARN = f"arn:aws:dynamodb:us-east-1:123456789012:table/{TABLE}"


def described(status: str = "ACTIVE", *indexes: dict[str, object]) -> dict[str, object]:
    return {"TableName": TABLE, "TableStatus": status, "ItemCount": 12, "TableSizeBytes": 3400,
            "GlobalSecondaryIndexes": list(indexes)}


def test_a_missing_table_reads_as_missing_and_not_settled() -> None:
    state = TableState.of(TABLE, None, 4.5)
    assert state == TableState(TABLE, "MISSING", elapsed=4.5)
    assert not state.settled and state.summary() == "MISSING" and state.index_status("by-a") is None


def test_a_described_table_keeps_its_status_counts_and_each_index_phase() -> None:
    state = TableState.of(TABLE, described(
        "UPDATING",
        {"IndexName": "by-a", "IndexStatus": "CREATING", "Backfilling": True},
        {"IndexName": "by-b", "IndexStatus": "CREATING"},
        {"IndexName": "by-c"},  # an index without a status (plain moto) is ACTIVE
    ), 2.0)
    assert state == TableState(TABLE, "UPDATING", (("by-a", "CREATING", True), ("by-b", "CREATING", False),
                                                    ("by-c", "ACTIVE", False)), 12, 3400, 2.0)
    assert state.summary() == "UPDATING, index by-a CREATING (backfilling), index by-b CREATING"
    assert state.index_status("by-a") == "CREATING" and state.index_status("by-c") == "ACTIVE"
    assert state.index_phase("by-a") == "CREATING (backfilling)"
    assert state.index_phase("by-b") == "CREATING"
    assert state.index_phase("by-z") is None and state.index_status("by-z") is None


def test_a_table_is_settled_only_when_it_and_every_index_are_active() -> None:
    assert TableState.of(TABLE, described("ACTIVE", {"IndexName": "by-a", "IndexStatus": "ACTIVE"})).settled
    assert TableState.of(TABLE, {"TableStatus": "ACTIVE"}).settled  # no index list at all
    assert TableState.of(TABLE, {"TableStatus": "ACTIVE"}).elapsed == 0.0  # a reading outside a wait
    assert not TableState.of(TABLE, described("UPDATING")).settled
    assert not TableState.of(TABLE, described("ACTIVE", {"IndexName": "by-a", "IndexStatus": "ACTIVE"},
                                              {"IndexName": "by-b", "IndexStatus": "DELETING"})).settled
    assert TableState.of(TABLE, described("ACTIVE", {"IndexName": "by-a", "IndexStatus": "ACTIVE"})).summary() == (
        "ACTIVE")


def test_the_resume_command_names_the_environment_unless_production_and_the_index_if_any() -> None:
    assert wait_command(TABLE) == f"ddbctl wait --table {TABLE}"
    assert wait_command(TABLE, None, PRODUCTION) == f"ddbctl wait --table {TABLE}"
    assert wait_command(TABLE, "by-a", "staging") == f"ddbctl -e staging wait --table {TABLE} --index by-a"


def test_a_report_lists_results_by_outcome_and_is_ok_without_a_failure() -> None:
    updated = TableResult("orders", TABLE, Outcome.UPDATED)
    failed = TableResult("users", "app-staging-users", Outcome.FAILED, error=AwsError("no"))
    assert Report((updated,)).ok and Report(()).ok
    report = Report((updated, failed))
    assert not report.ok
    assert report.by(Outcome.FAILED) == [failed] and report.by(Outcome.UPDATED) == [updated]
    assert report.by(Outcome.CREATED) == []


def test_a_dry_run_lists_every_request_of_every_table_in_order() -> None:
    changes = (UpdateTableClass(TABLE, table_class="STANDARD"), TagTable(TABLE, arn=ARN, tags=()))
    plan = Plan((TablePlan("orders", TABLE, Status.UPDATE, None, changes),
                 TablePlan("users", "app-staging-users", Status.DELETE, None, (DeleteTable("app-staging-users"),))),
                "staging")
    assert describe_requests(plan) == [
        {"operation": "UpdateTable", "params": {"TableName": TABLE, "TableClass": "STANDARD"}},
        {"operation": "TagResource", "params": {"ResourceArn": ARN, "Tags": []}},
        {"operation": "DeleteTable", "params": {"TableName": "app-staging-users"}},
    ]


def test_tables_without_steps_are_reported_without_a_request() -> None:
    """Refused, unchanged and skipped tables never reach DynamoDB: no client is needed at all."""
    plan = Plan((TablePlan("orders", TABLE, Status.REFUSED, None),
                 TablePlan("users", "app-staging-users", Status.REFUSED, None, reason="its keys changed"),
                 TablePlan("teams", "app-staging-teams", Status.UNCHANGED, None),
                 TablePlan("legacy", "app-staging-legacy", Status.UNMANAGED, None, reason="no file")), "staging")
    refused, keys, unchanged, skipped = execute(plan, cast(Dynamo, None)).results
    assert isinstance(refused.error, UnsafeChange) and isinstance(keys.error, UnsafeChange)
    assert (refused.error.message, refused.error.hint) == ("refused", "nothing was sent for this table")
    assert keys.error.message == "its keys changed"
    assert refused == TableResult("orders", TABLE, Outcome.FAILED, error=refused.error)
    assert unchanged == TableResult("teams", "app-staging-teams", Outcome.UNCHANGED)
    assert skipped == TableResult("legacy", "app-staging-legacy", Outcome.SKIPPED, note="no file")
