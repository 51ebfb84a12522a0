"""The AWS CLI, as a subprocess, reads the local server's answers as it reads DynamoDB's.

Each AWS-like behaviour of docs/local.md, and each correction of moto, is driven at least once through
``aws dynamodb``: the tests assert on the exit code and on the error line the CLI prints on stderr, or on
the JSON it prints. (The boto3 side of the same behaviours is in the other test_local_* modules.)

Most checks need a table held in one status. Two module-scoped AWS-like servers hold such tables with
durations no test waits for: on ``slow_create`` tables stay CREATING; on ``slow_change`` they are ACTIVE at
once, but every change after that lasts (UPDATING, DELETING, index builds, PITR unavailable). The checks
on them are refusals, which change nothing, so they share the tables. The transitions over time run on
servers of their own with short durations. One CLI call costs ~0.4 s of CPU: setup goes through boto3.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import re
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from ddbctl.local import AwsLikeOptions, LocalServer
from ddbctl.local.pytest_plugin import LocalDynamoDB, local_dynamodb

from ..tools import require_tool
from .local_helpers import create_active, gsi, simple_table, status_of, wait_until


@pytest.fixture(autouse=True)
def _aws_cli() -> None:
    """Every test here runs the AWS CLI: skipped without it, failed without it in CI (tests/tools.py)."""
    require_tool("aws")


FOREVER = 86400.0 * 365  # longer than any test run (in any order): a status set with it does not change
SLOW_CREATE = AwsLikeOptions(table_create_seconds=FOREVER)
SLOW_CHANGE = AwsLikeOptions(
    table_create_seconds=0,
    table_update_seconds=FOREVER,
    table_delete_seconds=FOREVER,
    index_create_seconds=FOREVER,
    index_delete_seconds=FOREVER,
    pitr_unavailable_seconds=FOREVER,
)
INDEX_LIMIT = "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table"
NOT_FOUND_MESSAGE = "Requested resource not found"
WITH_GK = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "gk", "AttributeType": "S"}]
KMS_KEY_ARN = r"arn:aws:kms:us-east-1:\d{12}:key/[0-9a-f-]{36}"
KEY_A = json.dumps({"pk": {"S": "a"}})


# -- running the CLI -------------------------------------------------------------------------------


def aws(local: LocalDynamoDB, *args: str) -> subprocess.CompletedProcess[str]:
    # One attempt in all (standard retry mode): the first ThrottlingException or 500 reaches the test.
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
        [require_tool("aws"), "dynamodb", *args, "--endpoint-url", local.endpoint_url, "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def aws_json(local: LocalDynamoDB, *args: str) -> dict[str, Any]:
    """The JSON the CLI printed for a call that must succeed."""
    result = aws(local, *args)
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout) if result.stdout.strip() else {}
    return document


def assert_cli_error(
    result: subprocess.CompletedProcess[str], code: str, operation: str, message: str | re.Pattern[str]
) -> None:
    """The CLI failed with DynamoDB's error line (it adds the retry count when retries are configured).

    ``message`` is the whole message: a string as it is, or a pattern for messages with ARNs in them.
    """
    assert result.returncode != 0, result.stdout
    text = message.pattern if isinstance(message, re.Pattern) else re.escape(message)
    pattern = (
        rf"An error occurred \({code}\) when calling the {operation} operation"
        rf"( \(reached max retries: \d+\))?: {text}\s*$"
    )
    assert re.search(pattern, result.stderr), result.stderr


def j(value: Any) -> str:
    return json.dumps(value)


def create_table(
    name: str, *extra: str, attributes: tuple[str, ...] = ("pk",), keys: tuple[str, ...] = ("pk",)
) -> tuple[str, ...]:
    return (
        "create-table",
        "--table-name",
        name,
        "--attribute-definitions",
        j([{"AttributeName": attribute, "AttributeType": "S"} for attribute in attributes]),
        "--key-schema",
        j([{"AttributeName": key, "KeyType": kind} for key, kind in zip(keys, ("HASH", "RANGE"), strict=False)]),
        "--billing-mode",
        "PAY_PER_REQUEST",
        *extra,
    )


def add_index(table: str, *creates: dict[str, Any]) -> tuple[str, ...]:
    """UpdateTable creating the given GSIs, sending only their key attributes' definitions."""
    attributes = sorted({key["AttributeName"] for index in creates for key in index["KeySchema"]})
    return (
        "update-table",
        "--table-name",
        table,
        "--attribute-definitions",
        j([{"AttributeName": attribute, "AttributeType": "S"} for attribute in attributes]),
        "--global-secondary-index-updates",
        j([{"Create": index} for index in creates]),
    )


def update_gsi(table: str, update: dict[str, Any]) -> tuple[str, ...]:
    return ("update-table", "--table-name", table, "--global-secondary-index-updates", j([update]))


def ttl(table: str, enabled: bool, attribute: str = "exp") -> tuple[str, ...]:
    spec = f"Enabled={str(enabled).lower()},AttributeName={attribute}"
    return ("update-time-to-live", "--table-name", table, "--time-to-live-specification", spec)


def put_requests(count: int, table: str = "orders") -> str:
    return j({table: [{"PutRequest": {"Item": {"pk": {"S": f"item{n}"}}}} for n in range(count)]})


def constraint(value: str, member: str, rule: str) -> str:
    return (
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: Member must {rule}"
    )


def index_states(description: dict[str, Any]) -> list[tuple[str, str, bool | None]] | None:
    """(name, IndexStatus, Backfilling) of each GSI; None when the list is left out, as DynamoDB does."""
    if "GlobalSecondaryIndexes" not in description:
        return None
    return [(i["IndexName"], i["IndexStatus"], i.get("Backfilling")) for i in description["GlobalSecondaryIndexes"]]


def watch(local: LocalDynamoDB, table: str, view: Callable[[dict[str, Any] | None], Any], final: Any) -> list[Any]:
    """What DescribeTable shows through the CLI (``view`` of it; None once the table is gone), each
    change once, polled until ``final``."""
    seen: list[Any] = []
    deadline = time.monotonic() + 120  # a liveness bound: each poll is a CLI process, slow on a loaded machine
    while not seen or seen[-1] != final:
        assert time.monotonic() < deadline, f"never saw {final!r}, saw {seen}"
        result = aws(local, "describe-table", "--table-name", table)
        if result.returncode == 0:
            state = view(json.loads(result.stdout)["Table"])
        else:
            assert "(ResourceNotFoundException)" in result.stderr, result.stderr
            state = view(None)
        if not seen or seen[-1] != state:
            seen.append(state)
        time.sleep(0.3)  # each poll is a CLI process: ~0.5 s of CPU
    return seen


# -- tables held in one status ---------------------------------------------------------------------

# Tables of slow_change made with boto3 (ACTIVE at once). The CLI calls of Frozen.answers change some.
SLOW_CHANGE_TABLES: dict[str, dict[str, Any]] = {
    "orders": simple_table(),  # ACTIVE, no TTL, no tags, no index: the rules' target
    "ttl-on": simple_table("ttl-on"),  # TTL enabled on "exp" at setup, so within the cool-down
    "tagged": simple_table("tagged", Tags=[{"Key": f"k{n}", "Value": ""} for n in range(30)]),
    "provisioned": simple_table(
        "provisioned",
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
    ),
    "streamed": simple_table("streamed", StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}),
    "indexed": simple_table("indexed", AttributeDefinitions=WITH_GK, GlobalSecondaryIndexes=[gsi("by-g")]),
    "dropping-index": simple_table(
        "dropping-index", AttributeDefinitions=WITH_GK, GlobalSecondaryIndexes=[gsi("by-g")]
    ),
    "building-index": simple_table("building-index"),
    "updating": simple_table("updating"),
    "deleting": simple_table("deleting"),
    "retag": simple_table("retag", Tags=[{"Key": "team", "Value": "a"}]),  # changed by its own test
    "merge": simple_table("merge"),  # changed by its own test
}
# The CLI calls that put tables in their status: (server, table) -> arguments.
FREEZING_CALLS: dict[tuple[str, str], tuple[str, ...]] = {
    ("slow_create", "creating"): create_table("creating"),
    ("slow_change", "updating"): (
        "update-table",
        "--table-name",
        "updating",
        "--billing-mode",
        "PROVISIONED",
        "--provisioned-throughput",
        "ReadCapacityUnits=1,WriteCapacityUnits=1",
    ),
    ("slow_change", "deleting"): ("delete-table", "--table-name", "deleting"),
    ("slow_change", "building-index"): add_index("building-index", gsi("by-g")),
    ("slow_change", "dropping-index"): update_gsi("dropping-index", {"Delete": {"IndexName": "by-g"}}),
}


@dataclass(frozen=True)
class Arn:
    """Stands for a table's ARN in a case's arguments (the account id is only known at run time)."""

    table: str


@dataclass(frozen=True)
class Frozen:
    """The two servers whose tables stay in one status, with what the CLI answered when it set them."""

    servers: dict[str, LocalDynamoDB]
    arns: dict[str, str]
    answers: dict[str, dict[str, Any]]  # the JSON the CLI printed for FREEZING_CALLS, by table

    def args(self, args: tuple[str | Arn, ...]) -> list[str]:
        return [self.arns[arg.table] if isinstance(arg, Arn) else arg for arg in args]


@pytest.fixture(scope="module")
def frozen() -> Iterator[Frozen]:
    with LocalServer(aws_like=SLOW_CREATE) as slow_create, LocalServer(aws_like=SLOW_CHANGE) as slow_change:
        servers = {"slow_create": local_dynamodb(slow_create), "slow_change": local_dynamodb(slow_change)}
        client = servers["slow_change"].client()
        arns = {
            name: client.create_table(**request)["TableDescription"]["TableArn"]
            for name, request in SLOW_CHANGE_TABLES.items()
        }
        client.update_time_to_live(
            TableName="ttl-on", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"}
        )
        with ThreadPoolExecutor(max_workers=len(FREEZING_CALLS)) as pool:
            futures = {
                table: pool.submit(aws_json, servers[server], *args) for (server, table), args in FREEZING_CALLS.items()
            }
            answers = {table: future.result() for table, future in futures.items()}
        yield Frozen(servers, arns, answers)


@pytest.mark.parametrize(
    ("server", "table", "status", "indexes"),
    [
        ("slow_create", "creating", "CREATING", None),
        ("slow_change", "updating", "UPDATING", None),
        ("slow_change", "deleting", "DELETING", None),
        ("slow_change", "building-index", "UPDATING", [("by-g", "CREATING", False)]),
        ("slow_change", "dropping-index", "UPDATING", [("by-g", "DELETING", None)]),
    ],
)
def test_cli_answer_and_describe_table_show_the_status(
    frozen: Frozen, server: str, table: str, status: str, indexes: list[Any] | None
) -> None:
    # CreateTable/UpdateTable/DeleteTable answer with the new status, and DescribeTable keeps it; both
    # leave out empty index lists (moto sends []).
    answered = frozen.answers[table]["TableDescription"]
    described = aws_json(frozen.servers[server], "describe-table", "--table-name", table)["Table"]
    for description in (answered, described):
        assert (description["TableName"], description["TableStatus"]) == (table, status)
        assert index_states(description) == indexes
        assert "LocalSecondaryIndexes" not in description


def test_cli_lists_tables_being_created_or_deleted_sorted_and_in_pages(frozen: Frozen) -> None:
    assert aws_json(frozen.servers["slow_create"], "list-tables")["TableNames"] == ["creating"]
    local = frozen.servers["slow_change"]
    before = len(local.server.operations())
    # --page-size: the CLI asks for pages of 5 (Limit) and follows LastEvaluatedTableName.
    assert aws_json(local, "list-tables", "--page-size", "5")["TableNames"] == sorted(SLOW_CHANGE_TABLES)
    pages = [op for op in local.server.operations()[before:] if op["operation"] == "ListTables"]
    assert len(pages) == math.ceil(len(SLOW_CHANGE_TABLES) / 5)


def test_cli_writes_items_while_the_table_is_updating(frozen: Frozen) -> None:
    local = frozen.servers["slow_change"]
    assert aws(local, "put-item", "--table-name", "updating", "--item", KEY_A).returncode == 0
    assert local.client().get_item(TableName="updating", Key={"pk": {"S": "a"}})["Item"] == {"pk": {"S": "a"}}


def cli(command: str, *values: str | Arn) -> tuple[str | Arn, ...]:
    """CLI arguments: ``command`` split on spaces, then ``values`` (JSON, ARNs) as they are."""
    return (*command.split(), *values)


def refused(
    case_id: str, args: tuple[str | Arn, ...], code: str, message: str | re.Pattern[str], server: str = "slow_change"
) -> Any:
    return pytest.param(server, args, code, message, id=case_id)


def tag(table: str, *tags: dict[str, str]) -> tuple[str | Arn, ...]:
    return cli("tag-resource --resource-arn", Arn(table), "--tags", j(list(tags)))


def with_indexes(option: str, indexes: list[dict[str, Any]], **keys: Any) -> tuple[str, ...]:
    return create_table("other", option, j(indexes), attributes=keys.pop("attributes", ("pk", "gk")), **keys)


VALIDATION, IN_USE, NOT_FOUND, LIMIT = (
    "ValidationException",
    "ResourceInUseException",
    "ResourceNotFoundException",
    "LimitExceededException",
)
INVALID = "One or more parameter values were invalid:"
NAME_PATTERN = "satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
_STATUS_VERBS = {"creating": "created", "updating": "updated", "deleting": "deleted"}
# Each change on a table in each status would be 12 CLI calls (~0.5 s each): UpdateTable in every status,
# each other change in one.
_CHANGES_OF_BUSY_TABLES = [
    ("creating", cli("update-table --deletion-protection-enabled")),
    ("updating", cli("update-table --deletion-protection-enabled")),
    ("deleting", cli("update-table --deletion-protection-enabled")),
    ("updating", cli("update-time-to-live --time-to-live-specification Enabled=true,AttributeName=exp")),
    (
        "creating",
        cli("update-continuous-backups --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true"),
    ),
    ("deleting", cli("delete-table")),
]
_LSI = {
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "gk", "KeyType": "RANGE"}],
    "Projection": {"ProjectionType": "KEYS_ONLY"},
}
_MANY = [f"attr{n}" for n in range(60)]
_AWS_TAG = "Invalid tag key 'aws:owner': the prefix 'aws:' is reserved for AWS use"
_51_TAGS = "The number of tags on the resource would be 51, above the limit of 50"

# One case a line or two, as a table: not reformatted.
# fmt: off
REFUSALS = [
    # changes of a table that is not ACTIVE
    *(
        refused(
            f"{command}-on-{table}",
            (command, "--table-name", table, *rest),
            IN_USE,
            f"Attempt to change a resource which is still in use: Table is being {_STATUS_VERBS[table]}: {table}",
            "slow_create" if table == "creating" else "slow_change",
        )
        for table, (command, *rest) in _CHANGES_OF_BUSY_TABLES
    ),
    refused("re-create-while-deleting", create_table("deleting"), IN_USE, "Attempt to change a resource which is "
            "still in use: Table is being deleted: deleting"),
    # item calls on a table that is CREATING or DELETING
    refused("put-item-creating", cli("put-item --table-name creating --item", KEY_A), NOT_FOUND, NOT_FOUND_MESSAGE,
            "slow_create"),
    refused("get-item-deleting", cli("get-item --table-name deleting --key", KEY_A), NOT_FOUND, NOT_FOUND_MESSAGE),
    # one index change at a time per table, even after the table is ACTIVE again, and one per call
    refused("index-while-one-builds", add_index("building-index", gsi("by-h", "hk")), LIMIT, INDEX_LIMIT),
    refused("index-while-one-is-deleted", add_index("dropping-index", gsi("by-h", "hk")), LIMIT, INDEX_LIMIT),
    refused("two-indexes-in-one-call", add_index("orders", gsi("by-a", "a"), gsi("by-b", "b")), LIMIT, INDEX_LIMIT),
    refused(
        "query-backfilling-index",
        cli("query --table-name building-index --index-name by-g --key-condition-expression", "gk = :g",
            "--expression-attribute-values", j({":g": {"S": "x"}})),
        VALIDATION,
        "Cannot read from backfilling global secondary index",
    ),
    refused(
        "pitr-right-after-active",
        cli("update-continuous-backups --table-name orders --point-in-time-recovery-specification "
            "PointInTimeRecoveryEnabled=true"),
        "ContinuousBackupsUnavailableException",
        "Backups are being enabled for the table: orders. Please retry later",
    ),
    # names (the CLI itself refuses names under 3 characters: they never reach the server)
    refused("table-name-pattern", create_table("bad name!"), VALIDATION,
            constraint("bad name!", "tableName", NAME_PATTERN)),
    refused("table-name-length", cli("describe-table --table-name", "x" * 256), VALIDATION,
            constraint("x" * 256, "tableName", "have length less than or equal to 255")),
    refused("index-name-at-create", with_indexes("--global-secondary-indexes", [gsi("by g")]), VALIDATION,
            constraint("by g", "globalSecondaryIndexes.1.member.indexName", NAME_PATTERN)),
    refused("index-name-at-update", add_index("orders", gsi("by/g")), VALIDATION,
            constraint("by/g", "globalSecondaryIndexUpdates.1.member.create.indexName", NAME_PATTERN)),
    # index limits, at creation and for a GSI added by UpdateTable
    refused("21-gsis", with_indexes("--global-secondary-indexes", [gsi(f"index-{n}") for n in range(21)]),
            VALIDATION, f"{INVALID} GlobalSecondaryIndex count exceeds the per-table limit of 20"),
    refused("6-lsis", with_indexes("--local-secondary-indexes", [{**_LSI, "IndexName": f"local-{n}"} for n in range(6)],
                                   attributes=("pk", "sk", "gk"), keys=("pk", "sk")),
            VALIDATION, f"{INVALID} Number of LocalSecondaryIndexes exceeds per-table limit of 5"),
    refused("non-key-attributes-without-include",
            with_indexes("--global-secondary-indexes", [gsi("by-g", ProjectionType="ALL", NonKeyAttributes=["a"])]),
            VALIDATION, f"{INVALID} ProjectionType is ALL, but NonKeyAttributes is specified"),
    refused("over-100-non-key-attributes",
            with_indexes("--global-secondary-indexes",
                         [gsi(name, ProjectionType="INCLUDE", NonKeyAttributes=_MANY) for name in ("by-g", "by-h")]),
            VALIDATION, f"{INVALID} Number of projected attributes in all indexes exceeds limit of 100, provided: 120"),
    refused("index-limits-at-update",
            add_index("orders", gsi("by-g", ProjectionType="KEYS_ONLY", NonKeyAttributes=["a"])),
            VALIDATION, f"{INVALID} ProjectionType is KEYS_ONLY, but NonKeyAttributes is specified"),
    refused("new-index-key-not-defined", update_gsi("orders", {"Create": gsi("by-g")}), VALIDATION,
            f"{INVALID} Some index key attributes are not defined in AttributeDefinitions. Keys: [gk], "
            "AttributeDefinitions: [pk]"),
    refused("index-exists", add_index("indexed", gsi("by-g")), VALIDATION, f"{INVALID} Index by-g already exists"),
    refused("delete-missing-index", update_gsi("orders", {"Delete": {"IndexName": "nope"}}), NOT_FOUND,
            f"{NOT_FOUND_MESSAGE}: Index: nope not found"),
    refused("update-missing-index",
            update_gsi("orders", {"Update": {"IndexName": "nope", "OnDemandThroughput": {"MaxReadRequestUnits": 5}}}),
            NOT_FOUND, f"{NOT_FOUND_MESSAGE}: Index: nope not found"),
    # tags
    refused("aws-tag-prefix", tag("orders", {"Key": "aws:owner", "Value": "x"}), VALIDATION, _AWS_TAG),
    refused("tag-key-length", tag("orders", {"Key": "k" * 129, "Value": ""}), VALIDATION,
            constraint("k" * 129, "tags.1.member.key", "have length between 1 and 128")),
    refused("tag-value-length", tag("orders", {"Key": "k", "Value": "v" * 257}), VALIDATION,
            constraint("v" * 257, "tags.1.member.value", "have length less than or equal to 256")),
    refused("51-tags", tag("orders", *({"Key": f"k{n}", "Value": ""} for n in range(51))), VALIDATION, _51_TAGS),
    refused("30-tags-and-21-more", tag("tagged", *({"Key": f"new{n}", "Value": ""} for n in range(21))), VALIDATION,
            _51_TAGS),
    # time to live
    refused("ttl-already-enabled", ttl("ttl-on", True), VALIDATION, "TimeToLive is already enabled"),
    refused("ttl-already-disabled", ttl("orders", False), VALIDATION, "TimeToLive is already disabled"),
    refused("ttl-different-attribute", ttl("ttl-on", True, "other"), VALIDATION,
            "TimeToLive is active on a different AttributeName: current AttributeName is exp"),
    refused("ttl-cool-down", ttl("ttl-on", False), VALIDATION,
            "Time to live has been modified multiple times within a fixed interval"),
    refused("ttl-missing-table", ttl("missing", True), NOT_FOUND, f"{NOT_FOUND_MESSAGE}: Table: missing not found"),
    refused("describe-ttl-missing-table", cli("describe-time-to-live --table-name missing"), NOT_FOUND,
            f"{NOT_FOUND_MESSAGE}: Table: missing not found"),
    # UpdateTable that changes nothing
    refused("update-nothing", cli("update-table --table-name orders"), VALIDATION,
            "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or "
            "SSESpecification or ReplicaUpdates is required"),
    refused("update-same-throughput",
            cli("update-table --table-name provisioned --provisioned-throughput "
                "ReadCapacityUnits=5,WriteCapacityUnits=5"),
            VALIDATION,
            "The provisioned throughput for the table will not change. The requested value equals the current value. "
            "Current ReadCapacityUnits provisioned for the table: 5. Requested ReadCapacityUnits: 5. Current "
            "WriteCapacityUnits provisioned for the table: 5. Requested WriteCapacityUnits: 5. Refer to the Amazon "
            "DynamoDB Developer Guide for current limits and how to request higher limits."),
    refused("update-enabled-stream",
            cli("update-table --table-name streamed --stream-specification",
                "StreamEnabled=true,StreamViewType=NEW_IMAGE"),
            VALIDATION,
            re.compile(r"Table already has an enabled stream: arn:aws:dynamodb:us-east-1:\d{12}:table/streamed/stream/"
                       r"\S+")),
    refused("update-same-settings",
            cli("update-table --table-name orders --billing-mode PAY_PER_REQUEST --no-deletion-protection-enabled"),
            VALIDATION,
            "The update changes nothing: the table already has the requested BillingMode, DeletionProtectionEnabled"),
    # batches
    refused("batch-write-over-25", cli("batch-write-item --request-items", put_requests(26)), VALIDATION,
            "Too many items requested for the BatchWriteItem call"),
]
# fmt: on


@pytest.mark.parametrize(("server", "args", "code", "message"), REFUSALS)
def test_cli_prints_dynamodb_error(
    frozen: Frozen, server: str, args: tuple[str | Arn, ...], code: str, message: str | re.Pattern[str]
) -> None:
    operation = "".join(word.capitalize() for word in str(args[0]).split("-"))  # update-table: UpdateTable
    assert_cli_error(aws(frozen.servers[server], *frozen.args(args)), code, operation, message)


def test_cli_tagging_a_key_again_overwrites_its_value(frozen: Frozen) -> None:
    local = frozen.servers["slow_change"]
    tags = [{"Key": "team", "Value": "b"}, {"Key": "team", "Value": "c"}, {"Key": "env", "Value": ""}]
    assert aws(local, "tag-resource", "--resource-arn", frozen.arns["retag"], "--tags", j(tags)).returncode == 0
    listed = aws_json(local, "list-tags-of-resource", "--resource-arn", frozen.arns["retag"])["Tags"]
    assert sorted(listed, key=lambda tag: tag["Key"]) == [{"Key": "env", "Value": ""}, {"Key": "team", "Value": "c"}]


def test_cli_update_table_merges_attribute_definitions(frozen: Frozen) -> None:
    # Only the new index's attribute is sent; the table keeps its key's.
    answer = aws_json(frozen.servers["slow_change"], *add_index("merge", gsi("by-g")))["TableDescription"]
    assert sorted(d["AttributeName"] for d in answer["AttributeDefinitions"]) == ["gk", "pk"]
    assert index_states(answer) == [("by-g", "CREATING", False)]


# -- transitions over time -------------------------------------------------------------------------


def table_status(description: dict[str, Any] | None) -> str | None:
    return None if description is None else str(description["TableStatus"])


def changes(states: list[Any]) -> list[Any]:
    """Each state once per run of equal states: what a client polling at its own pace saw change."""
    return [state for n, state in enumerate(states) if n == 0 or states[n - 1] != state]


def test_cli_sees_table_creating_active_updating_deleting_gone(local_server_factory: Any) -> None:
    options = AwsLikeOptions(table_create_seconds=0.6, table_update_seconds=0.6, table_delete_seconds=0.6)
    local = local_server_factory(options)
    seen = [aws_json(local, *create_table("orders"))["TableDescription"]["TableStatus"]]
    seen += watch(local, "orders", table_status, "ACTIVE")
    update = cli("update-table --table-name orders --billing-mode PROVISIONED --provisioned-throughput",
                 "ReadCapacityUnits=1,WriteCapacityUnits=1")  # fmt: skip
    seen.append(aws_json(local, *update)["TableDescription"]["TableStatus"])
    seen += watch(local, "orders", table_status, "ACTIVE")
    seen.append(aws_json(local, "delete-table", "--table-name", "orders")["TableDescription"]["TableStatus"])
    seen += watch(local, "orders", table_status, None)
    assert changes(seen) == ["CREATING", "ACTIVE", "UPDATING", "ACTIVE", "DELETING", None]


def test_cli_sees_index_creating_backfilling_active_then_deleting_gone(local_server_factory: Any) -> None:
    # Each phase lasts until a DescribeTable has shown it (show_every_phase): polling at CLI speed on a
    # loaded machine still sees all three.
    options = AwsLikeOptions(
        table_create_seconds=0, table_update_seconds=0.1, index_create_seconds=1.0, index_delete_seconds=1.0,
        show_every_phase=True,
    )
    local = local_server_factory(options)
    create_active(local.client(), simple_table())
    answer = aws_json(local, *add_index("orders", gsi("by-g")))["TableDescription"]
    seen = [index_states(answer), *watch(local, "orders", index_states, [("by-g", "ACTIVE", None)])]
    assert changes(seen) == [
        [("by-g", "CREATING", False)],
        [("by-g", "CREATING", True)],
        [("by-g", "ACTIVE", None)],
    ]
    answer = aws_json(local, *update_gsi("orders", {"Delete": {"IndexName": "by-g"}}))["TableDescription"]
    # gone: no GlobalSecondaryIndexes at all (None), not moto's empty list
    seen = [index_states(answer), *watch(local, "orders", index_states, None)]
    assert changes(seen) == [[("by-g", "DELETING", None)], None]


def test_cli_sees_limit_exceeded_while_an_index_builds_on_an_active_table(local_server_factory: Any) -> None:
    local = local_server_factory(
        AwsLikeOptions(table_create_seconds=0, table_update_seconds=0.1, index_create_seconds=30)
    )
    client = local.client()
    create_active(client, simple_table())
    assert aws(local, *add_index("orders", gsi("by-a", "a"))).returncode == 0
    wait_until(lambda: status_of(client, "orders") == "ACTIVE")
    assert_cli_error(
        aws(local, *add_index("orders", gsi("by-b", "b"))), "LimitExceededException", "UpdateTable", INDEX_LIMIT
    )


# -- random faults, latency, protocol errors ------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "code", "message"),
    [
        (AwsLikeOptions(throttle_rate=1.0), "ThrottlingException", "Rate of requests exceeds the allowed throughput."),
        (AwsLikeOptions(error_rate=1.0), "InternalServerError", "Internal server error"),
    ],
    ids=["throttling", "http-500"],
)
def test_cli_surfaces_random_faults(
    local_server_factory: Any, options: AwsLikeOptions, code: str, message: str
) -> None:
    local = local_server_factory(options)
    assert_cli_error(aws(local, "list-tables"), code, "ListTables", message)
    # AWS_MAX_ATTEMPTS=1: the first answer reached the CLI, no retry was sent
    assert [op["error"] for op in local.server.operations()] == [code]


def test_cli_unprocessed_items_are_printed_and_not_written(local_server_factory: Any) -> None:
    local = local_server_factory(AwsLikeOptions(table_create_seconds=0, unprocessed_rate=0.5, seed=7))
    client = local.client()
    create_active(client, simple_table())
    answer = aws_json(local, "batch-write-item", "--request-items", put_requests(10))
    unprocessed = {write["PutRequest"]["Item"]["pk"]["S"] for write in answer["UnprocessedItems"]["orders"]}
    assert 0 < len(unprocessed) < 10
    stored = {item["pk"]["S"] for item in client.scan(TableName="orders")["Items"]}
    assert stored.isdisjoint(unprocessed)
    assert stored | unprocessed == {f"item{n}" for n in range(10)}


def test_cli_waits_for_the_latency(local_server_factory: Any) -> None:
    local = local_server_factory(AwsLikeOptions(latency_ms=800))
    assert aws(local, "list-tables").returncode == 0
    finished = time.time()
    (operation,) = local.server.operations()
    # measured from the request's arrival, so the CLI's own start-up time does not count
    assert finished - operation["time"] >= 0.8


def test_garbage_body_is_a_serialization_exception_and_the_cli_still_works(awslike_dynamodb: LocalDynamoDB) -> None:
    # The CLI always sends a JSON body built from its model: http.client sends the garbage instead.
    host, port = awslike_dynamodb.endpoint_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        headers = {"X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0"}
        connection.request("POST", "/", body=b"{garbage", headers=headers)
        response = connection.getresponse()
        status, body = response.status, json.loads(response.read())
    finally:
        connection.close()
    assert (status, body["__type"]) == (400, "com.amazon.coral.service#SerializationException")
    assert aws_json(awslike_dynamodb, "list-tables") == {"TableNames": []}


def test_cli_shows_unknown_operation(awslike_dynamodb: LocalDynamoDB) -> None:
    # The CLI only sends operations it knows; one that moto lacks is "unknown" to the local server.
    result = aws(awslike_dynamodb, "describe-table-replica-auto-scaling", "--table-name", "orders")
    assert_cli_error(
        result,
        "UnknownOperationException",
        "DescribeTableReplicaAutoScaling",
        "DescribeTableReplicaAutoScaling is not implemented by the local server (moto)",
    )


# -- corrections of moto --------------------------------------------------------------------------
# They hold in both modes (the boto3 tests run them in both); here they go through the AWS-like server,
# where both layers rewrite the descriptions the CLI reads.


def settle(local: LocalDynamoDB, table: str = "orders") -> None:
    """Wait until the table is ACTIVE (at once in plain mode), so the next update is not refused."""
    wait_until(lambda: status_of(local.client(), table) == "ACTIVE")


def test_cli_table_class_is_kept(awslike_dynamodb: LocalDynamoDB) -> None:
    created = aws_json(awslike_dynamodb, *create_table("orders", "--table-class", "STANDARD_INFREQUENT_ACCESS"))
    assert created["TableDescription"]["TableClassSummary"]["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    settle(awslike_dynamodb)
    updated = aws_json(awslike_dynamodb, "update-table", "--table-name", "orders", "--table-class", "STANDARD")
    assert updated["TableDescription"]["TableClassSummary"]["TableClass"] == "STANDARD"
    assert_cli_error(
        aws(awslike_dynamodb, *create_table("other", "--table-class", "GLACIER")),
        VALIDATION,
        "CreateTable",
        constraint("GLACIER", "tableClass", "satisfy enum value set: [STANDARD_INFREQUENT_ACCESS, STANDARD]"),
    )


def test_cli_sse_is_updated_and_keys_shown_as_arns(awslike_dynamodb: LocalDynamoDB) -> None:
    key_id = str(uuid.uuid4())
    created = aws_json(
        awslike_dynamodb,
        *create_table("orders", "--sse-specification", f"Enabled=true,SSEType=KMS,KMSMasterKeyId={key_id}"),
    )
    assert re.fullmatch(
        rf"arn:aws:kms:us-east-1:\d{{12}}:key/{key_id}",
        created["TableDescription"]["SSEDescription"]["KMSMasterKeyArn"],
    )
    settle(awslike_dynamodb)
    off = aws_json(awslike_dynamodb, "update-table", "--table-name", "orders", "--sse-specification", "Enabled=false")
    assert "SSEDescription" not in off["TableDescription"]
    settle(awslike_dynamodb)
    on = aws_json(awslike_dynamodb, "update-table", "--table-name", "orders", "--sse-specification", "Enabled=true")
    sse = on["TableDescription"]["SSEDescription"]
    assert (sse["Status"], sse["SSEType"]) == ("ENABLED", "KMS")
    assert re.fullmatch(KMS_KEY_ARN, sse["KMSMasterKeyArn"]), sse
    assert not sse["KMSMasterKeyArn"].endswith(key_id)  # the AWS managed key, not the one from before


def test_cli_stream_is_enabled_again_after_disable(awslike_dynamodb: LocalDynamoDB) -> None:
    new_image = {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    created = awslike_dynamodb.client().create_table(**simple_table(StreamSpecification=new_image))["TableDescription"]
    first = created["LatestStreamArn"]
    settle(awslike_dynamodb)
    stream = ("update-table", "--table-name", "orders", "--stream-specification")
    disabled = aws_json(awslike_dynamodb, *stream, "StreamEnabled=false")["TableDescription"]
    assert ("StreamSpecification" in disabled, disabled["LatestStreamArn"]) == (False, first)
    # moto answered every write to a table whose stream was disabled with an internal error
    assert aws(awslike_dynamodb, "put-item", "--table-name", "orders", "--item", KEY_A).returncode == 0
    settle(awslike_dynamodb)
    enabled = aws_json(awslike_dynamodb, *stream, "StreamEnabled=true,StreamViewType=KEYS_ONLY")["TableDescription"]
    assert enabled["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    assert enabled["LatestStreamArn"] != first
    settle(awslike_dynamodb)
    assert_cli_error(
        aws(awslike_dynamodb, *stream, "StreamEnabled=true,StreamViewType=NEW_IMAGE"),
        VALIDATION,
        "UpdateTable",
        f"Table already has an enabled stream: {enabled['LatestStreamArn']}",
    )


def test_cli_on_demand_throughput_is_kept_per_limit(awslike_dynamodb: LocalDynamoDB) -> None:
    limits = "MaxReadRequestUnits=100,MaxWriteRequestUnits=50"
    created = aws_json(awslike_dynamodb, *create_table("orders", "--on-demand-throughput", limits))["TableDescription"]
    assert created["OnDemandThroughput"] == {"MaxReadRequestUnits": 100, "MaxWriteRequestUnits": 50}
    settle(awslike_dynamodb)
    updated = aws_json(
        awslike_dynamodb, "update-table", "--table-name", "orders", "--on-demand-throughput", "MaxWriteRequestUnits=70"
    )
    assert updated["TableDescription"]["OnDemandThroughput"] == {"MaxReadRequestUnits": 100, "MaxWriteRequestUnits": 70}
