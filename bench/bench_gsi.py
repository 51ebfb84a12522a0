"""add-gsi: ddbctl vs the seed's add-gsi template run the seed's way (one after another), same run.

    python bench/bench_gsi.py [--runs 3]

On the AWS-like local server with 3-second index builds:
  (a) three indexes on one table: target ddbctl within 1.2x of the sum of the build times (9 s);
  (b) one index on each of three tables: target ddbctl >= 2.5x faster than the baseline.
The baseline template polls DescribeTable every POLL=5 s (its default).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path
from typing import Any

from common import BASELINE, aws_like_server, ddbctl, environment, median_line, require_baseline, timed

BUILD_SECONDS = 3.0
ONE_TABLE = "orders"  # (a) gets three indexes
THREE_TABLES = ("payments", "users", "invoices")  # (b) get one each
INDEXES = ("by-a", "by-b", "by-c")


def spec(table: str, indexes: tuple[str, ...]) -> dict[str, Any]:
    keys = ["id", *(f"k{index[-1]}" for index in indexes)]
    document: dict[str, Any] = {
        "TableName": table,
        "AttributeDefinitions": [{"AttributeName": k, "AttributeType": "S"} for k in keys],
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": False},
    }
    if indexes:
        document["GlobalSecondaryIndexes"] = [
            {"IndexName": index, "KeySchema": [{"AttributeName": f"k{index[-1]}", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "ALL"}} for index in indexes
        ]
    return document


def write_specs(folder: Path, specs: list[dict[str, Any]]) -> Path:
    folder.mkdir(parents=True)
    for document in specs:
        (folder / f"{document['TableName']}.json").write_text(json.dumps(document))
    return folder


def run_baseline(env: dict[str, str], pairs: list[tuple[str, str]]) -> float:
    """The seed's way: the template once per index, one after another."""
    template = ["bash", str(BASELINE / "gsi" / "add-gsi-template.sh")]
    return sum(
        timed(template, {**env, "TABLE_NAME": physical, "INDEX_NAME": index, "PARTITION_KEY": f"k{index[-1]}",
                         "PARTITION_KEY_TYPE": "S"})
        for physical, index in pairs
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    require_baseline()
    results: dict[str, list[float]] = {"a-ddbctl": [], "a-baseline": [], "b-ddbctl": [], "b-baseline": []}
    with tempfile.TemporaryDirectory(prefix="ddbctl-bench-gsi-") as tmp, \
            aws_like_server(table_create_seconds=0.5, index_create_seconds=BUILD_SECONDS) as server:
        work = Path(tmp)
        env = environment(server)
        bare = write_specs(work / "bare", [spec(t, ()) for t in (ONE_TABLE, *THREE_TABLES)])
        three_on_one = write_specs(work / "a", [spec(ONE_TABLE, INDEXES)])
        one_on_three = write_specs(work / "b", [spec(t, ("by-a",)) for t in THREE_TABLES])
        for run in range(args.runs):
            for who in ("ddbctl", "baseline"):
                environment_name = f"{who}{run}"
                timed(ddbctl("-e", environment_name, "create", "--dir", str(bare)), env)
                physical = {t: f"construction-expenses-{environment_name}-{t}" for t in (ONE_TABLE, *THREE_TABLES)}
                if who == "ddbctl":
                    a = timed(ddbctl("-e", environment_name, "add-gsi", "--from-spec", str(three_on_one)), env)
                    b = timed(ddbctl("-e", environment_name, "add-gsi", "--from-spec", str(one_on_three)), env)
                else:
                    a = run_baseline(env, [(physical[ONE_TABLE], index) for index in INDEXES])
                    b = run_baseline(env, [(physical[t], "by-a") for t in THREE_TABLES])
                results[f"a-{who}"].append(a)
                results[f"b-{who}"].append(b)
    labels = {"a-ddbctl": "(a) 3 indexes, 1 table: ddbctl", "a-baseline": "(a) 3 indexes, 1 table: baseline",
              "b-ddbctl": "(b) 1 index on 3 tables: ddbctl", "b-baseline": "(b) 1 index on 3 tables: baseline"}
    for key, label in labels.items():
        print(median_line(label, results[key]))
    a, b = statistics.median(results["a-ddbctl"]), statistics.median(results["b-ddbctl"])
    builds = 3 * BUILD_SECONDS
    print(f"(a) ddbctl / sum of build times ({builds:.0f} s): {a / builds:.2f}x (target <= 1.2x)")
    print(f"(b) speed-up vs baseline: {statistics.median(results['b-baseline']) / b:.1f}x (target >= 2.5x)")
    print(f"(a) speed-up vs baseline: {statistics.median(results['a-baseline']) / a:.1f}x")


if __name__ == "__main__":
    main()
