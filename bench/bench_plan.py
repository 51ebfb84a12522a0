"""plan and apply: read cost of `plan` over 200 tables, and a 5-change apply vs the same changes by hand.

    python bench/bench_plan.py [--runs 3] [--tables 200] [--only plan|apply]

plan: 200 tables on a plain local server (moto, in-process): wall time of `plan_tables` (library) and
of `ddbctl plan` (CLI process), and the API calls per table, counted by the client and by the server;
target <= 4 calls per table.

apply: one table on the AWS-like server (tables UPDATING 0.5 s, index builds 3 s, no TTL cool-down)
gets five changes: switch to provisioned billing, enable a stream, add a GSI, rename the TTL
attribute, add a tag. `ddbctl apply --yes` against the same changes made by hand with the AWS CLI,
one process per call, waiting with `aws dynamodb wait table-exists` after table updates and polling
describe-table every 5 s for the index, as the seed's add-gsi-template.sh does. Medians of the runs,
same server, same run; the ratio is printed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import EXAMPLE, ddbctl, environment, median_line, timed
from ddbctl.config import Settings, load_settings
from ddbctl.local import AwsLikeOptions, LocalServer
from ddbctl.ops.converge import plan_tables
from ddbctl.ops.create import create_tables
from ddbctl.ops.session import connect

PREFIX = "construction-expenses"
POLL = 5.0  # seconds between describe-table polls by hand, as add-gsi-template.sh's default
READ_OPERATIONS = ("DescribeTable", "DescribeTimeToLive", "DescribeContinuousBackups", "ListTagsOfResource")


# -- plan over many tables -----------------------------------------------------------------------------


def many_tables(directory: Path, count: int) -> Path:
    """``count`` spec files: the 13 example tables copied under numbered names."""
    directory.mkdir()
    examples = sorted(EXAMPLE.glob("*.json"))
    for number in range(count):
        source = examples[number % len(examples)]
        document = json.loads(source.read_text())
        document["TableName"] = f"{source.stem}-{number:03d}"
        (directory / f"{document['TableName']}.json").write_text(json.dumps(document))
    return directory


def settings_for(server: LocalServer, environment_name: str) -> Settings:
    # local: the server takes any credentials, so none need to be configured
    return load_settings({"environment": environment_name, "endpoint_url": server.endpoint_url, "local": True},
                         environ={})


def bench_plan(runs: int, count: int, work: Path) -> None:
    files = many_tables(work / "many", count)
    with LocalServer() as server:
        env = environment(server)
        settings = settings_for(server, "bench")
        create_tables(settings, files, concurrency=16)
        library, clients, served = [], [], []
        for _ in range(runs):
            context = connect(settings)
            server.clear_operations()
            before = len(context.dynamo.calls)
            started = time.perf_counter()
            plan = plan_tables(settings, files, context=context)
            library.append(time.perf_counter() - started)
            clients.append(context.dynamo.calls[before:])
            served.append([op["operation"] for op in server.operations()])
            assert plan.converged, "the tables match their files"
        cli = [timed(ddbctl("-e", "bench", "plan", "--dir", str(files), "--detailed-exitcode"), env)
               for _ in range(runs)]
    print(median_line(f"plan {count} tables: library (plan_tables)", library))
    print(median_line(f"plan {count} tables: CLI (ddbctl plan)", cli))
    calls, requests = clients[-1], served[-1]
    reads = sum(1 for c in calls if c in READ_OPERATIONS)
    once = sorted(set(calls) - set(READ_OPERATIONS))
    print(f"API calls (client): {len(calls)} in all = {len(calls) / count:.3f} per table: "
          f"{reads / count:.2f} per table ({', '.join(READ_OPERATIONS)}) + {len(calls) - reads} "
          f"for the whole plan ({', '.join(once)})")
    print(f"requests received by the server: {len(requests)} = {len(requests) / count:.3f} per table "
          f"(target: <= 4 per table)\n")


# -- a 5-change apply vs by hand -----------------------------------------------------------------------

BEFORE: dict[str, Any] = {
    "TableName": "orders",
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "customer",
                                                                             "AttributeType": "S"}],
    "GlobalSecondaryIndexes": [{"IndexName": "by-customer", "Projection": {"ProjectionType": "ALL"},
                                "KeySchema": [{"AttributeName": "customer", "KeyType": "HASH"}]}],
    "TimeToLiveSpecification": {"Enabled": True, "AttributeName": "ttl"},
    "Tags": [{"Key": "team", "Value": "payments"}],
}
UNITS = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
NEW_INDEX = {"IndexName": "by-status", "Projection": {"ProjectionType": "KEYS_ONLY"},
             "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}], "ProvisionedThroughput": UNITS}


def after_spec() -> dict[str, Any]:
    after = json.loads(json.dumps(BEFORE))
    after["BillingMode"] = "PROVISIONED"
    after["ProvisionedThroughput"] = UNITS
    after["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"] = UNITS
    after["GlobalSecondaryIndexes"].append(NEW_INDEX)
    after["AttributeDefinitions"].append({"AttributeName": "status", "AttributeType": "S"})
    after["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    after["TimeToLiveSpecification"] = {"Enabled": True, "AttributeName": "expiresAt"}
    after["Tags"].append({"Key": "cost-center", "Value": "42"})
    return after


def spec_dir(directory: Path, document: dict[str, Any]) -> Path:
    directory.mkdir()
    (directory / "orders.json").write_text(json.dumps(document))
    return directory


def aws(env: dict[str, str], *args: str) -> str:
    completed = subprocess.run(["aws", "dynamodb", *args, "--output", "json"], env=env, capture_output=True,
                               text=True, check=False)
    if completed.returncode != 0:
        sys.exit(f"aws dynamodb {' '.join(args)} failed:\n{completed.stderr}")
    return completed.stdout


def by_hand(env: dict[str, str], table: str) -> None:
    """The five changes as a person would make them with the AWS CLI, waiting as the seed's scripts do."""
    index_units = json.dumps(UNITS)
    aws(env, "update-table", "--table-name", table, "--billing-mode", "PROVISIONED",
        "--provisioned-throughput", "ReadCapacityUnits=5,WriteCapacityUnits=5", "--global-secondary-index-updates",
        f'[{{"Update": {{"IndexName": "by-customer", "ProvisionedThroughput": {index_units}}}}}]')
    aws(env, "wait", "table-exists", "--table-name", table)
    aws(env, "update-table", "--table-name", table, "--stream-specification",
        "StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES")
    aws(env, "wait", "table-exists", "--table-name", table)
    aws(env, "update-table", "--table-name", table, "--attribute-definitions",
        "AttributeName=status,AttributeType=S", "--global-secondary-index-updates",
        json.dumps([{"Create": NEW_INDEX}]))
    poll_until(lambda: index_status(env, table, "by-status") == "ACTIVE")
    aws(env, "update-time-to-live", "--table-name", table, "--time-to-live-specification",
        "Enabled=false,AttributeName=ttl")
    aws(env, "update-time-to-live", "--table-name", table, "--time-to-live-specification",
        "Enabled=true,AttributeName=expiresAt")
    arn = json.loads(aws(env, "describe-table", "--table-name", table))["Table"]["TableArn"]
    aws(env, "tag-resource", "--resource-arn", arn, "--tags", "Key=cost-center,Value=42")


def index_status(env: dict[str, str], table: str, index: str) -> str:
    described = json.loads(aws(env, "describe-table", "--table-name", table))["Table"]
    return next(str(i["IndexStatus"]) for i in described["GlobalSecondaryIndexes"] if i["IndexName"] == index)


def poll_until(done: Callable[[], bool], max_wait: float = 900.0) -> None:
    waited = 0.0
    while not done():
        if waited >= max_wait:
            sys.exit("timed out")
        time.sleep(POLL)
        waited += POLL


def bench_apply(runs: int, work: Path) -> None:
    before, after = spec_dir(work / "before", BEFORE), spec_dir(work / "after", after_spec())
    options = AwsLikeOptions(table_update_seconds=0.5, index_create_seconds=3.0, table_create_seconds=2.0,
                             ttl_cooldown_seconds=0, seed=1)
    with LocalServer(aws_like=options) as server:
        env = environment(server)
        ours, theirs = [], []
        for run in range(runs):
            for name in (f"ours{run}", f"hand{run}"):
                timed(ddbctl("-e", name, "create", "--dir", str(before)), env)
            ours.append(timed(ddbctl("-e", f"ours{run}", "apply", "--dir", str(after), "--yes"), env))
            theirs.append(timed_call(lambda run=run: by_hand(env, f"{PREFIX}-hand{run}-orders")))
            for name in (f"ours{run}", f"hand{run}"):
                check = ddbctl("-e", name, "plan", "--dir", str(after), "--detailed-exitcode")
                if subprocess.run(check, env=env, capture_output=True, check=False).returncode != 0:
                    sys.exit(f"{name}: the table does not match the files after the changes")
    print(median_line("5 changes on one table: ddbctl apply", ours))
    print(median_line("5 changes on one table: AWS CLI by hand", theirs))
    print(f"apply speed-up vs by hand: {statistics.median(theirs) / statistics.median(ours):.1f}x")


def timed_call(function: Callable[[], None]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tables", type=int, default=200)
    parser.add_argument("--only", choices=["plan", "apply"])
    args = parser.parse_args()
    if args.only != "plan" and shutil.which("aws") is None:
        sys.exit("the apply comparison needs the AWS CLI (pip install awscli)")
    with tempfile.TemporaryDirectory(prefix="ddbctl-bench-") as tmp:
        work = Path(tmp)
        if args.only != "apply":
            bench_plan(args.runs, args.tables, work)
        if args.only != "plan":
            bench_apply(args.runs, work)


if __name__ == "__main__":
    main()
