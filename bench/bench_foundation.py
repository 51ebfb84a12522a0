"""export and create: ddbctl vs the seed's baseline scripts, same endpoint, same run.

    python bench/bench_foundation.py [--runs 5] [--baseline-create-runs 1]

export: 13 tables on a plain local server; target ddbctl >= 15x faster than the baseline.
create: 13 tables on the AWS-like server where each table stays CREATING for 2 s; target ddbctl's
time <= 1.3x the time to create a single table (the create ratio: all 13 in one wave, as DynamoDB
accepts hundreds of concurrent table operations). The baseline's create (which waits with
`aws dynamodb wait table-exists`, polling every 20 s) is timed too, fewer runs as it takes minutes
(`--baseline-create-runs 0` skips it).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
from pathlib import Path

from common import (
    BASELINE,
    EXAMPLE,
    aws_like_server,
    ddbctl,
    environment,
    median_line,
    require_baseline,
    timed,
)
from ddbctl.local import LocalServer


def bench_export(runs: int, work: Path) -> float:
    with LocalServer() as server:
        env = environment(server)
        timed(ddbctl("create", "--dir", str(EXAMPLE)), env)
        baseline = [timed(["bash", str(BASELINE / "export-dynamodb-schemas.sh")],
                          {**env, "OUT_DIR": str(work / f"baseline-export-{i}")}) for i in range(runs)]
        ours = [timed(ddbctl("export", "--dir", str(work / f"ddbctl-export-{i}")), env) for i in range(runs)]
    print(median_line("export 13 tables: baseline script", baseline), flush=True)
    print(median_line("export 13 tables: ddbctl", ours))
    ratio = statistics.median(baseline) / statistics.median(ours)
    print(f"export speed-up: {ratio:.1f}x (target >= 15x)\n")
    return ratio


def bench_create(runs: int, baseline_runs: int, work: Path) -> None:
    single = work / "single"
    single.mkdir()
    shutil.copy(EXAMPLE / "companies.json", single)
    with aws_like_server(table_create_seconds=2.0) as server:
        env = environment(server)
        # The baseline reads the files its own export wrote (describe-table JSON of production tables);
        # export before any other environment exists, as its export takes every table of the prefix.
        exported = work / "baseline-schemas"
        timed(ddbctl("create", "--dir", str(EXAMPLE)), env)
        timed(["bash", str(BASELINE / "export-dynamodb-schemas.sh")], {**env, "OUT_DIR": str(exported)})
        one = [timed(ddbctl("-e", f"one{i}", "create", "--dir", str(single)), env) for i in range(runs)]
        all13 = [timed(ddbctl("-e", f"all{i}", "create", "--dir", str(EXAMPLE)), env) for i in range(runs)]
        baseline = [timed(["bash", str(BASELINE / "create-dynamodb-tables.sh")],
                          {**env, "SCHEMA_DIR": str(exported), "ENVIRONMENT": f"base{i}"})
                    for i in range(baseline_runs)]
    print(median_line("create 1 table (2 s CREATING): ddbctl", one))
    print(median_line("create 13 tables (2 s CREATING): ddbctl", all13))
    print(f"create ratio, 13 tables / 1 table: {statistics.median(all13) / statistics.median(one):.2f}x "
          "(target <= 1.3x)")
    if baseline:
        print(median_line("create 13 tables (2 s CREATING): baseline", baseline))
        print(f"create speed-up vs baseline: {statistics.median(baseline) / statistics.median(all13):.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline-create-runs", type=int, default=1)
    parser.add_argument("--only", choices=["export", "create"])
    args = parser.parse_args()
    require_baseline()
    with tempfile.TemporaryDirectory(prefix="ddbctl-bench-") as tmp:
        work = Path(tmp)
        if args.only != "create":
            bench_export(args.runs, work)
        if args.only != "export":
            bench_create(args.runs, args.baseline_create_runs, work)


if __name__ == "__main__":
    main()
