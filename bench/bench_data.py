"""Data plane: ddbctl backup vs dynamodump vs a bare boto3 scan, on one local server, in one run.

    python bench/bench_data.py [--runs 3] [--items 50000] [--memory 20000,200000] [--phases backup,memory]

Fixture: ITEMS mixed-type items of about 1 KB in one table plus two small tables, on one plain
local server (run in this process; every tool under test runs as a child process).

- backup: `ddbctl backup` vs dynamodump's backup (`pip install '.[bench]'`, or put dynamodump on
  PYTHONPATH) vs a bare one-segment boto3 scan that only counts. Targets: ddbctl >= 2x faster than
  dynamodump and within 1.15x of the bare scan. CPU seconds per 100,000 items for ddbctl and dynamodump.
- memory: peak RSS of `ddbctl backup` of one table at 20,000 and at 200,000 items; target ratio <= 1.2.
- restore: `ddbctl restore` (from ddbctl's backup of the big table) vs dynamodump's restore (from its
  dump) vs a bare one-thread BatchWriteItem loop (reading ddbctl's export files), each into a new table
  (created in the timed run by each tool), then counted: targets: ddbctl faster than both, 0 items lost.
- restore-memory: peak RSS of `ddbctl restore` of the memory phase's backups; target ratio <= 1.2.

Each phase is one function taking the shared ``Bench`` and returning its figures, listed in PHASES:
the restore half adds its own (fixture, restore) without touching these.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bare_loops import BARE_LOAD, BARE_SCAN
from common import ROOT, ddbctl
from ddbctl.data.exportfmt import (
    DataFile,
    DataFileWriter,
    data_file_key,
    start_export,
    summary_document,
    write_manifests,
)
from ddbctl.data.items import dumps_line, to_file_item
from ddbctl.data.store import LocalStore
from ddbctl.local import LocalServer
from ddbctl.local.pytest_plugin import LocalDynamoDB, local_dynamodb

PREFIX = "construction-expenses"
BIG = f"{PREFIX}-orders"
SMALL = (f"{PREFIX}-customers", f"{PREFIX}-settings")
SMALL_ITEMS = 300
MEMORY_TABLE = f"{PREFIX}-memory"
BENCH_DEPS = ROOT / ".bench-deps"  # dynamodump installed with --target here if not in site-packages


@dataclass
class Sample:
    seconds: float
    cpu: float


@dataclass
class Bench:
    """What the phases share: the server, a scratch directory, options and the figures so far."""

    server: LocalDynamoDB
    work: Path
    runs: int
    items: int
    memory_sizes: tuple[int, ...]
    results: dict[str, Any] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        path = os.pathsep.join(p for p in (os.environ.get("PYTHONPATH"), str(BENCH_DEPS)) if p)
        return {**os.environ, **self.server.env, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                "PYTHONPATH": path}


# -- fixture ---------------------------------------------------------------------------------------------


def mixed_item(number: int, rng: random.Random) -> dict[str, Any]:
    """About 1 KB of every type: strings, numbers, binary (also nested), sets, a map, a list, BOOL, NULL."""
    words = ["concrete", "rebar", "permit", "invoice", "crane", "ümlaut", "日本", "site", "labour", "timber"]
    return {
        "pk": {"S": f"company#{number % 997:04d}"},
        "sk": {"S": f"expense#{number:09d}"},
        "amount": {"N": f"{rng.randint(0, 10**12)}.{rng.randint(0, 99):02d}"},
        "precise": {"N": str(rng.randint(10**36, 10**37))},
        "description": {"S": " ".join(rng.choice(words) for _ in range(45))},
        "receipt": {"B": rng.randbytes(160)},
        "tags": {"SS": sorted({rng.choice(words) for _ in range(4)})},
        "ratios": {"NS": sorted({str(rng.randint(0, 1000) / 8) for _ in range(3)})},
        "thumbnails": {"BS": [rng.randbytes(24), rng.randbytes(24) + b"\x00"]},
        "meta": {"M": {"by": {"S": f"user-{rng.randint(1, 500)}"}, "sig": {"B": rng.randbytes(32)},
                       "approved": {"BOOL": rng.random() < 0.5}, "note": {"S": ""},
                       "history": {"L": [{"N": str(rng.randint(0, 99))}, {"NULL": True}, {"B": rng.randbytes(8)}]}}},
        "flag": {"BOOL": number % 3 == 0},
        "deleted": {"NULL": True},
    }


def create_table(server: LocalDynamoDB, name: str) -> None:
    client = server.client(max_attempts=8)
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                   {"AttributeName": "sk", "KeyType": "RANGE"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                              {"AttributeName": "sk", "AttributeType": "S"}],
                        Tags=[{"Key": "Environment", "Value": "production"}])  # owned: ddbctl backs it up


def load(server: LocalDynamoDB, table: str, first: int, count: int, seed: int = 1) -> None:
    """Items first..first+count-1 of the fixture, by BatchWriteItem from two threads."""

    def chunk(start: int) -> None:
        client = server.client(max_attempts=10)
        rng = random.Random(seed * 1_000_003 + start)
        end = min(first + count, start + 2_500)
        for offset in range(start, end, 25):
            pending = [{"PutRequest": {"Item": mixed_item(n, rng)}} for n in range(offset, min(end, offset + 25))]
            while pending:
                pending = client.batch_write_item(RequestItems={table: pending}).get(
                    "UnprocessedItems", {}).get(table, [])

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(chunk, range(first, first + count, 2_500)))


def phase_fixture(bench: Bench) -> dict[str, Any]:
    started = time.perf_counter()
    for table in (BIG, *SMALL):
        create_table(bench.server, table)
    load(bench.server, BIG, 0, bench.items)
    for table in SMALL:
        load(bench.server, table, 0, SMALL_ITEMS, seed=2)
    sample = bench.server.client().scan(TableName=BIG, Limit=1)["Items"][0]
    from ddbctl.data.items import item_size  # noqa: PLC0415

    figures = {"items": bench.items + 2 * SMALL_ITEMS, "item_bytes": item_size(sample),
               "seconds": round(time.perf_counter() - started, 1)}
    print(f"fixture: {bench.items} items of ~{figures['item_bytes']} bytes in {BIG} + {SMALL_ITEMS} in each of "
          f"{', '.join(SMALL)}; loaded in {figures['seconds']} s", flush=True)
    return figures


# -- running a tool --------------------------------------------------------------------------------------


def run(command: Sequence[str], env: dict[str, str]) -> Sample:
    """Wall time and CPU seconds (user + system) of one child process; exits if it fails. (Not its peak
    RSS: see peak_rss_kb.)"""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)  # this child's own rusage (not all children's)
        elapsed = time.perf_counter() - started
        process.returncode = code = os.waitstatus_to_exitcode(status)
        if code:
            out.seek(0)
            err.seek(0)
            sys.exit(f"{' '.join(command)} failed ({code}):\n{out.read().decode()[-2000:]}\n"
                     f"{err.read().decode()[-4000:]}")
    return Sample(elapsed, usage.ru_utime + usage.ru_stime)


# A child forked from this process (which holds the server and its items) reports this process's size as
# its own peak (ru_maxrss survives exec): the command is started from a small process instead.
PEAK_RSS = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
print(usage.ru_maxrss)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def peak_rss_kb(command: Sequence[str], env: dict[str, str]) -> int:
    """The peak RSS of ``command`` alone, in KB (exits if it fails)."""
    completed = subprocess.run([sys.executable, "-c", PEAK_RSS, *command], env=env, capture_output=True, text=True,
                               check=False)
    if completed.returncode:
        sys.exit(f"{' '.join(command)} failed ({completed.returncode}):\n{completed.stderr[-4000:]}")
    return int(completed.stdout.split()[-1])




def ddbctl_backup(bench: Bench, target: Path, *extra: str) -> list[str]:
    return ddbctl("--endpoint-url", bench.server.endpoint_url, "-o", "json", "backup", "--to", str(target), *extra)


def dynamodump_backup(bench: Bench, target: Path) -> list[str]:
    port = bench.server.endpoint_url.rsplit(":", 1)[1]
    return [sys.executable, "-m", "dynamodump.dynamodump", "-m", "backup", "-r", "us-east-1", "-s", f"{PREFIX}-*",
            "--host", "127.0.0.1", "--port", port, "--accessKey", "bench", "--secretKey", "bench",
            "--dumpPath", str(target), "--log", "WARNING"]


def bare_scan(*tables: str) -> list[str]:
    return [sys.executable, "-c", BARE_SCAN, *tables]


def _fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    return path


# -- phases ----------------------------------------------------------------------------------------------


def phase_backup(bench: Bench) -> dict[str, Any]:
    """Each run times the three tools one after the other (interleaved, so load on the machine is shared)."""
    samples: dict[str, list[Sample]] = {"ddbctl": [], "dynamodump": [], "bare": []}
    total = bench.items + 2 * SMALL_ITEMS
    for number in range(bench.runs):
        samples["ddbctl"].append(run(ddbctl_backup(bench, _fresh(bench.work / "ddbctl")), bench.env))
        samples["dynamodump"].append(run(dynamodump_backup(bench, _fresh(bench.work / "dump")), bench.env))
        samples["bare"].append(run(bare_scan(BIG, *SMALL), bench.env))
        print(f"  run {number + 1}: " + ", ".join(f"{name} {s[-1].seconds:.2f} s" for name, s in samples.items()),
              flush=True)
    median = {name: statistics.median(s.seconds for s in runs) for name, runs in samples.items()}
    cpu = {name: statistics.median(s.cpu for s in runs) / total * 100_000 for name, runs in samples.items()}
    figures = {
        "median_seconds": median,
        "runs_seconds": {name: [round(s.seconds, 2) for s in runs] for name, runs in samples.items()},
        "cpu_seconds_per_100k_items": cpu,
        "dynamodump_over_ddbctl": median["dynamodump"] / median["ddbctl"],
        "ddbctl_over_bare_scan": median["ddbctl"] / median["bare"],
    }
    print(f"backup of {total} items, medians of {bench.runs} runs:")
    for name in samples:
        print(f"  {name:<11} {median[name]:7.2f} s   CPU {cpu[name]:6.2f} s per 100,000 items")
    print(f"  dynamodump / ddbctl: {figures['dynamodump_over_ddbctl']:.2f}x (target >= 2x)")
    print(f"  ddbctl / bare scan:  {figures['ddbctl_over_bare_scan']:.2f}x (target <= 1.15x)", flush=True)
    return figures


def phase_memory(bench: Bench) -> dict[str, Any]:
    """Peak RSS of `ddbctl backup --table memory` as the table grows (one table, same server)."""
    create_table(bench.server, MEMORY_TABLE)
    loaded = 0
    peaks: dict[int, int] = {}
    for size in sorted(bench.memory_sizes):
        started = time.perf_counter()
        load(bench.server, MEMORY_TABLE, loaded, size - loaded, seed=3)
        loaded = size
        print(f"  memory table at {size} items (loaded in {time.perf_counter() - started:.0f} s)", flush=True)
        started = time.perf_counter()
        peaks[size] = peak_rss_kb(ddbctl_backup(bench, _fresh(bench.work / f"memory-{size}"), "--table", "memory"),
                                  bench.env)
        print(f"  ddbctl backup of {size} items: peak RSS {peaks[size] / 1024:.1f} MB, "
              f"{time.perf_counter() - started:.1f} s", flush=True)
    smallest, largest = min(peaks), max(peaks)
    ratio = peaks[largest] / peaks[smallest]
    print(f"  peak RSS {largest} / {smallest} items: {ratio:.2f}x (target <= 1.2x)", flush=True)
    return {"peak_rss_kb": peaks, "ratio": ratio}


# -- restore -----------------------------------------------------------------------------------------------



def fixture_items(first: int, count: int, seed: int = 1) -> Iterator[dict[str, Any]]:
    """The items ``load`` puts in the big table, generated the same way (same chunks, same seeds)."""
    for start in range(first, first + count, 2_500):
        rng = random.Random(seed * 1_000_003 + start)
        for number in range(start, min(first + count, start + 2_500)):
            yield mixed_item(number, rng)


def restore_sources(bench: Bench, count: int, name: str = "orders") -> tuple[Path, Path]:
    """The big table's items as a ddbctl backup and as a dynamodump dump, written directly (the same
    bytes their backups write; scanning them out of moto again would only time moto's Scan)."""
    backup, dump = bench.work / f"restore-{name}-{count}-ddbctl", bench.work / f"restore-{name}-{count}-dump"
    if (backup / "ddbctl-backup.json").exists():
        return backup, dump
    store = LocalStore(_fresh(backup))
    physical = f"{PREFIX}-{name}"
    spec = {"TableName": name, "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                     {"AttributeName": "sk", "AttributeType": "S"}]}
    store.write_bytes(f"schemas/{name}.json", json.dumps(spec, indent=2).encode())
    export_dir = f"tables/{name}/AWSDynamoDB/01700000000000-bench"
    start_export(store, export_dir)
    pages = dump / physical / "data"
    pages.mkdir(parents=True, exist_ok=True)
    data_files: list[DataFile] = []
    items = fixture_items(0, count)
    while True:
        chunk = list(itertools.islice(items, 20_000))  # a data file of 20,000 items, 20 dump pages of 1,000
        if not chunk:
            break
        writer = DataFileWriter(bench.work / "part.json.gz")
        writer.write_lines(b"".join(dumps_line(item) for item in chunk), len(chunk))
        key = data_file_key(export_dir, f"part-{len(data_files):04d}")
        written = writer.close()
        store.put_file(key, written.path)
        data_files.append(written.data_file(key))
        for start in range(0, len(chunk), 1_000):
            page = [to_file_item(item) for item in chunk[start:start + 1_000]]
            number = len(list(pages.iterdir())) + 1
            (pages / f"{number:04d}.json").write_text(json.dumps({"Items": page, "Count": len(page)}, indent=2))
    write_manifests(store, export_dir, data_files, summary_document(
        export_dir=export_dir, item_count=count, start_time="2026-01-01T00:00:00Z", end_time="2026-01-01T00:00:01Z"))
    described = {**spec, "TableName": physical, "TableStatus": "ACTIVE",  # as DescribeTable answers
                 "ProvisionedThroughput": {"ReadCapacityUnits": 0, "WriteCapacityUnits": 0},
                 "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"}}
    (dump / physical / "schema.json").write_text(json.dumps({"Table": described}, indent=2))
    manifest = {"format": "ddbctl-backup/1", "kind": "scan", "environment": "production", "prefix": PREFIX,
                "region": "us-east-1", "started": "2026-01-01T00:00:00Z", "completed": "2026-01-01T00:00:01Z",
                "tables": {name: {"physical": physical, "spec": f"schemas/{name}.json", "export": export_dir,
                                  "itemCount": count, "files": [{"key": f.key, "itemCount": f.item_count,
                                                                 "md5Checksum": f.md5} for f in data_files]}}}
    store.write_bytes("ddbctl-backup.json", json.dumps(manifest, indent=2).encode())
    return backup, dump


def count_and_drop(bench: Bench, table: str) -> int:
    """Items in a restored table (Scan, Select=COUNT), then the table is dropped to keep the server small."""
    client = bench.server.client(max_attempts=8)
    count = int(client.scan(TableName=table, Select="COUNT", ConsistentRead=True)["Count"])
    client.delete_table(TableName=table)
    return count


def with_new_table(bench: Bench, table: str, command: list[str]) -> Sample:
    """Create ``table``, then run ``command``: both timed (ddbctl restore creates its table in its run)."""
    started = time.perf_counter()
    create_table(bench.server, table)
    sample = run(command, bench.env)
    return Sample(time.perf_counter() - started, sample.cpu)


def phase_restore(bench: Bench) -> dict[str, Any]:
    """`ddbctl restore` vs dynamodump's restore vs a bare one-thread BatchWriteItem loop, of the big table
    into a new table each run (the tools interleaved, so load on the machine is shared)."""
    backup, dump = restore_sources(bench, bench.items)
    data_files = sorted(str(path) for path in backup.glob("tables/orders/AWSDynamoDB/*/data/*.json.gz"))
    port = bench.server.endpoint_url.rsplit(":", 1)[1]
    samples: dict[str, list[Sample]] = {"ddbctl": [], "dynamodump": [], "bare": []}
    lost: dict[str, list[int]] = {name: [] for name in samples}
    for number in range(bench.runs):
        environment = f"restore{number}"
        samples["ddbctl"].append(run(ddbctl("--endpoint-url", bench.server.endpoint_url, "-o", "json",
                                            "-e", environment, "restore", "--from", str(backup), "--state-dir",
                                            str(_fresh(bench.work / f"state-{number}"))), bench.env))
        lost["ddbctl"].append(bench.items - count_and_drop(bench, f"{PREFIX}-{environment}-orders"))
        # dynamodump cannot create the table here (it copies DescribeTable's empty GlobalSecondaryIndexes list
        # into CreateTable, which is refused): its table is created first, timed with it, and it loads the data
        # with --dataOnly. The bare loop's table likewise.
        target = f"{PREFIX}-dynamodump{number}-orders"
        dynamodump_restore = [
            sys.executable, "-m", "dynamodump.dynamodump", "-m", "restore", "-r", "us-east-1", "-s", BIG, "-d", target,
            "--host", "127.0.0.1", "--port", port, "--accessKey", "bench", "--secretKey", "bench",
            "--dumpPath", str(dump), "--dataOnly", "--noConfirm", "--log", "WARNING"]
        samples["dynamodump"].append(with_new_table(bench, target, dynamodump_restore))
        lost["dynamodump"].append(bench.items - count_and_drop(bench, target))
        target = f"{PREFIX}-bare{number}-orders"
        samples["bare"].append(with_new_table(bench, target, [sys.executable, "-c", BARE_LOAD, target, *data_files]))
        lost["bare"].append(bench.items - count_and_drop(bench, target))
        print(f"  run {number + 1}: " + ", ".join(f"{name} {s[-1].seconds:.2f} s (lost {lost[name][-1]})"
                                                  for name, s in samples.items()), flush=True)
    median = {name: statistics.median(s.seconds for s in runs) for name, runs in samples.items()}
    cpu = {name: statistics.median(s.cpu for s in runs) / bench.items * 100_000 for name, runs in samples.items()}
    figures = {
        "median_seconds": median,
        "runs_seconds": {name: [round(s.seconds, 2) for s in runs] for name, runs in samples.items()},
        "items_lost": lost,
        "cpu_seconds_per_100k_items": cpu,
        "dynamodump_over_ddbctl": median["dynamodump"] / median["ddbctl"],
        "bare_over_ddbctl": median["bare"] / median["ddbctl"],
    }
    print(f"restore of {bench.items} items, medians of {bench.runs} runs:")
    for name in samples:
        print(f"  {name:<11} {median[name]:7.2f} s   CPU {cpu[name]:6.2f} s per 100,000 items   "
              f"lost {max(lost[name])}")
    print(f"  dynamodump / ddbctl: {figures['dynamodump_over_ddbctl']:.2f}x (target > 1)")
    print(f"  bare loop / ddbctl:  {figures['bare_over_ddbctl']:.2f}x (target > 1)", flush=True)
    return figures


def phase_restore_memory(bench: Bench) -> dict[str, Any]:
    """Peak RSS of `ddbctl restore` of one table as the backup grows (backups written like the restore phase's)."""
    peaks: dict[int, int] = {}
    for size in sorted(bench.memory_sizes):
        source, _ = restore_sources(bench, size, "memory")
        environment = f"memory{size}"
        started = time.perf_counter()
        peaks[size] = peak_rss_kb(ddbctl("--endpoint-url", bench.server.endpoint_url, "-o", "json", "-e", environment,
                                         "restore", "--from", str(source), "--state-dir",
                                         str(_fresh(bench.work / f"state-memory-{size}"))), bench.env)
        seconds = time.perf_counter() - started
        lost = size - count_and_drop(bench, f"{PREFIX}-{environment}-memory")
        print(f"  ddbctl restore of {size} items: peak RSS {peaks[size] / 1024:.1f} MB, {seconds:.1f} s, lost {lost}",
              flush=True)
    smallest, largest = min(peaks), max(peaks)
    ratio = peaks[largest] / peaks[smallest]
    print(f"  peak RSS {largest} / {smallest} items: {ratio:.2f}x (target <= 1.2x)", flush=True)
    return {"peak_rss_kb": peaks, "ratio": ratio}


PHASES: dict[str, Callable[[Bench], dict[str, Any]]] = {
    "fixture": phase_fixture,
    "backup": phase_backup,
    "memory": phase_memory,
    "restore": phase_restore,
    "restore-memory": phase_restore_memory,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--memory", default="20000,200000", help="table sizes for the memory phase")
    parser.add_argument("--phases", default=",".join(PHASES), help=f"comma-separated, of {', '.join(PHASES)}")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    phases = [name.strip() for name in args.phases.split(",") if name.strip()]
    if "fixture" not in phases and set(phases) & {"backup"}:
        phases.insert(0, "fixture")
    with LocalServer() as server, tempfile.TemporaryDirectory(prefix="ddbctl-bench-data-") as work:
        bench = Bench(local_dynamodb(server), Path(work), args.runs, args.items,
                      tuple(int(size) for size in args.memory.split(",")))
        for name in phases:
            print(f"== {name}", flush=True)
            bench.results[name] = PHASES[name](bench)
    if args.json:
        args.json.write_text(json.dumps(bench.results, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()
