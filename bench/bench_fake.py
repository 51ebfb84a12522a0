"""Client CPU per item: ddbctl vs dynamodump vs bare boto3 loops, against a fast fake DynamoDB, in one run.

    python bench/bench_fake.py [--sizes 20000,200000] [--phases backup,restore] [--segments-memory 8,32]
                               [--baseline NAME=SRC_DIR] [--json FILE]

The server is ``bench/fake_dynamodb.mjs`` (Node, no dependencies): it answers Scan pages of ~1 MB and
BatchWriteItem in microseconds from a generated table shaped like the construction-expenses data, checks
every request's SigV4 signature, and checks every restored item against the generated one (nothing lost,
duplicated, changed or extra). So what is measured is the client: CPU seconds (user + system, children
included) of each tool's process, per item, and its peak RSS. The server's own CPU during each run is
printed beside it (share of one core over the run's wall time): it must stay small.

Per size, for backup and restore: µs CPU per item, items per CPU-second, peak RSS, wall seconds, and the
ratio of ddbctl's CPU per item to dynamodump's and to a bare boto3 loop's (backup: one-segment Scan that
only counts; restore: one-thread BatchWriteItem of ddbctl's export files); then the cores each would take to
fill a 40,000 WCU table. ``--baseline main=/path/to/other/src`` adds another ddbctl (another checkout's
``src``) as a tool: today's code and the change, measured side by side. ``--segments-memory`` adds ddbctl
backups of the largest size at those segment counts (peak RSS at any segment count).

dynamodump: ``pip install --no-deps --target .bench-deps dynamodump`` (the ``bench`` extra; never in the
test path). This driver imports neither ddbctl nor boto3: a child forked from a large process would report
the parent's size as its own peak RSS.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bare_loops import BARE_LOAD, BARE_SCAN

ROOT = Path(__file__).resolve().parents[1]
FAKE = ROOT / "bench" / "fake_dynamodb.mjs"
BENCH_DEPS = ROOT / ".bench-deps"
PREFIX = "construction-expenses"
SOURCE = f"{PREFIX}-orders"
SECRET = "bench-secret"
TARGET_WCU = 40_000


@dataclass
class Sample:
    """One tool's run: CPU seconds (user+sys, children included), wall seconds, peak RSS, server CPU."""

    cpu: float
    wall: float
    rss_kb: int
    server_cpu: float
    items: int
    check: dict[str, Any] = field(default_factory=dict)

    @property
    def micros_per_item(self) -> float:
        return self.cpu / self.items * 1e6

    @property
    def items_per_cpu_second(self) -> float:
        return self.items / self.cpu if self.cpu else 0.0


class Fake:
    """The Node server, started for the bench and ended with it (it also ends when our stdin pipe closes)."""

    def __init__(self, node: str) -> None:
        self.process = subprocess.Popen([node, str(FAKE), "--secret", SECRET], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().split()
        if len(line) != 2 or line[0] != "listening":
            sys.exit(f"the fake endpoint did not start: {line}")
        self.url = f"http://127.0.0.1:{line[1]}"

    def control(self, name: str, **body: Any) -> dict[str, Any]:
        request = urllib.request.Request(f"{self.url}/_fake/{name}", data=json.dumps(body).encode(), method="POST")
        with urllib.request.urlopen(request, timeout=600) as answer:
            result: dict[str, Any] = json.loads(answer.read())
            return result

    def cpu(self) -> float:
        return float(self.control("stats")["cpuMicros"]) / 1e6

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()


@dataclass
class Tools:
    fake: Fake
    work: Path
    ddbctl_sources: dict[str, str]  # tool name -> the src directory put first on PYTHONPATH
    segments_default: int | None
    others: set[str]  # of "dynamodump", "bare"

    def env(self, src: str | None = None) -> dict[str, str]:
        paths = [p for p in (src, os.environ.get("PYTHONPATH"), str(BENCH_DEPS)) if p]
        return {**os.environ, "PYTHONPATH": os.pathsep.join(paths), "AWS_ACCESS_KEY_ID": "bench",
                "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_ENDPOINT_URL_DYNAMODB": self.fake.url}

    def measure(self, command: Sequence[str], items: int, src: str | None = None) -> tuple[Sample, str]:
        """Run one tool to completion; its CPU (children included: wait4 reports the child's reaped
        descendants too), peak RSS, wall time and the fake's CPU meanwhile. Exits if it fails."""
        server_before = self.fake.cpu()
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            started = time.perf_counter()
            process = subprocess.Popen(list(command), env=self.env(src), stdout=out, stderr=err)
            _, status, usage = os.wait4(process.pid, 0)
            wall = time.perf_counter() - started
            process.returncode = code = os.waitstatus_to_exitcode(status)
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
        if code:
            sys.exit(f"{' '.join(command)} failed ({code}):\n{stdout[-3000:]}\n{stderr[-3000:]}")
        server = self.fake.cpu() - server_before
        return Sample(usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss, server, items), stdout


def python(*args: str) -> list[str]:
    return [sys.executable, *args]


def ddbctl(fake: Fake, *args: str) -> list[str]:
    return python("-m", "ddbctl", "--endpoint-url", fake.url, "-o", "json", *args)




def _fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    return path


def _backed_up(out: str) -> int:
    """Items of the backup's one table in `ddbctl backup -o json` (tables by name before the CLI's JSON
    vocabulary, a list of tables after)."""
    tables = json.loads(out)["tables"]
    entries = tables.values() if isinstance(tables, dict) else tables
    return sum(int(entry["items"]) for entry in entries)


def _supports(tools: Tools, src: str, command: str, option: str) -> bool:
    completed = subprocess.run(python("-m", "ddbctl", command, "--help"), env=tools.env(src), capture_output=True,
                               text=True, check=False)
    return option in completed.stdout


# -- phases ----------------------------------------------------------------------------------------------


def backup_phase(tools: Tools, size: int, extra_segments: Sequence[int]) -> dict[str, Sample]:
    fake, samples = tools.fake, {}
    segments = ["--segments", str(tools.segments_default)] if tools.segments_default else []
    for name, src in tools.ddbctl_sources.items():
        target = _fresh(tools.work / f"{name}-backup-{size}")
        sample, out = tools.measure(ddbctl(fake, "backup", "--to", str(target), *segments), size, src)
        sample.check = {"items": _backed_up(out)}
        samples[name] = sample
    for count in extra_segments:
        name = next(iter(tools.ddbctl_sources))
        target = _fresh(tools.work / f"segments-{count}-{size}")
        sample, out = tools.measure(ddbctl(fake, "backup", "--to", str(target), "--segments", str(count)), size,
                                    tools.ddbctl_sources[name])
        sample.check = {"items": _backed_up(out)}
        samples[f"{name} --segments {count}"] = sample
    if "dynamodump" in tools.others and (BENCH_DEPS.is_dir() or _has_dynamodump()):
        port = fake.url.rsplit(":", 1)[1]
        dump = _fresh(tools.work / f"dump-{size}")
        samples["dynamodump"], _ = tools.measure(python(
            "-m", "dynamodump.dynamodump", "-m", "backup", "-r", "us-east-1", "-s", SOURCE, "--host", "127.0.0.1",
            "--port", port, "--accessKey", "bench", "--secretKey", SECRET, "--dumpPath", str(dump),
            "--log", "WARNING"), size)
    if "bare" in tools.others:
        samples["bare boto3"], out = tools.measure(python("-c", BARE_SCAN, SOURCE), size)
        samples["bare boto3"].check = {"items": int(out.split()[-1])}
    return samples


def restore_phase(tools: Tools, size: int) -> dict[str, Sample]:
    fake, samples = tools.fake, {}
    first = next(iter(tools.ddbctl_sources))
    backup = tools.work / f"{first}-backup-{size}"
    for number, (name, src) in enumerate(tools.ddbctl_sources.items()):
        environment = f"restore{number}"
        target = f"{PREFIX}-{environment}-orders"
        confirm = ["--yes"] if _supports(tools, src, "restore", "--yes") else []
        sample, _ = tools.measure(ddbctl(fake, "-e", environment, "restore", "--from", str(backup), "--state-dir",
                                         str(_fresh(tools.work / f"state-{name}-{size}")), *confirm), size, src)
        sample.check = fake.control("report", table=target, source=SOURCE)
        fake.control("drop", table=target)
        samples[name] = sample
    dump = tools.work / f"dump-{size}"
    if dump.is_dir():
        port = fake.url.rsplit(":", 1)[1]
        target = f"{PREFIX}-dynamodump-orders"
        fake.control("table", table=target)
        sample, _ = tools.measure(python(
            "-m", "dynamodump.dynamodump", "-m", "restore", "-r", "us-east-1", "-s", SOURCE, "-d", target,
            "--host", "127.0.0.1", "--port", port, "--accessKey", "bench", "--secretKey", SECRET,
            "--dumpPath", str(dump), "--dataOnly", "--noConfirm", "--log", "WARNING"), size)
        sample.check = fake.control("report", table=target, source=SOURCE)
        fake.control("drop", table=target)
        samples["dynamodump"] = sample
    if "bare" in tools.others:
        target = f"{PREFIX}-bare-orders"
        fake.control("table", table=target)
        files = sorted(str(path) for path in backup.glob("tables/orders/AWSDynamoDB/*/data/*.json.gz"))
        sample, _ = tools.measure(python("-c", BARE_LOAD, target, *files), size)
        sample.check = fake.control("report", table=target, source=SOURCE)
        fake.control("drop", table=target)
        samples["bare boto3"] = sample
    return samples


def _has_dynamodump() -> bool:
    completed = subprocess.run(python("-c", "import dynamodump"), capture_output=True, check=False)
    return completed.returncode == 0


# -- report ----------------------------------------------------------------------------------------------


def print_table(title: str, samples: dict[str, Sample], reference: str) -> dict[str, Any]:
    print(f"\n{title}")
    print(f"  {'tool':<28} {'µs CPU/item':>11} {'items/CPU-s':>11} {'peak RSS':>9} {'wall s':>7} "
          f"{'server CPU':>14} {'÷dynamodump':>11} {'÷bare':>6}  check")
    base = samples.get(reference)
    dump, bare = samples.get("dynamodump"), samples.get("bare boto3")
    figures: dict[str, Any] = {}
    for name, s in samples.items():
        share = s.server_cpu / s.wall * 100 if s.wall else 0.0
        over_dump = s.micros_per_item / dump.micros_per_item if dump else math.nan
        over_bare = s.micros_per_item / bare.micros_per_item if bare else math.nan
        check = _check_text(s.check)
        print(f"  {name:<28} {s.micros_per_item:11.1f} {s.items_per_cpu_second:11.0f} {s.rss_kb / 1024:7.1f}MB "
              f"{s.wall:7.2f} {s.server_cpu:6.2f}s {share:4.1f}% {over_dump:11.2f} {over_bare:6.2f}  {check}")
        figures[name] = {"cpu_seconds": round(s.cpu, 3), "micros_per_item": round(s.micros_per_item, 1),
                         "items_per_cpu_second": round(s.items_per_cpu_second),
                         "peak_rss_mb": round(s.rss_kb / 1024, 1),
                         "wall_seconds": round(s.wall, 2), "server_cpu_seconds": round(s.server_cpu, 3),
                         "server_core_share": round(share / 100, 3), "over_dynamodump": round(over_dump, 3),
                         "over_bare": round(over_bare, 3), "check": s.check}
    if base is not None:
        others = [n for n in samples if n not in (reference, "dynamodump", "bare boto3") and " --segments" not in n]
        for other in others:
            print(f"  {other} / {reference}: {samples[other].micros_per_item / base.micros_per_item:.2f}x CPU per item")
    return figures


def _check_text(check: dict[str, Any]) -> str:
    if "exact" in check:
        text = (f"lost {check['lost']}, duplicated {check['duplicated']}, changed {check['changed']}, "
                f"extra {check['extra']}")
        return ("OK " if check["exact"] else "NOT EXACT ") + text
    if "items" in check:
        return f"{check['items']} items"
    return ""


def cores_line(kind: str, samples: dict[str, Sample], wcu_per_item: int) -> dict[str, float]:
    """Cores of CPU each tool needs for 40,000 WCU of puts (restore) or the same items per second read."""
    needed_items = TARGET_WCU / wcu_per_item
    cores = {name: needed_items / s.items_per_cpu_second for name, s in samples.items() if s.items_per_cpu_second}
    print(f"  cores to move {needed_items:,.0f} items/s ({TARGET_WCU:,} WCU of {wcu_per_item}-WCU items) by {kind}: "
          + ", ".join(f"{name} {count:.1f}" for name, count in cores.items()))
    return cores


@contextmanager
def fake_server() -> Iterator[Fake]:
    node = shutil.which("node")
    if node is None:
        sys.exit("the fake endpoint needs Node.js (node) on PATH")
    fake = Fake(node)
    try:
        yield fake
    finally:
        fake.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="20000,200000")
    parser.add_argument("--phases", default="backup,restore")
    parser.add_argument("--segments", type=int, help="--segments for every ddbctl backup [default: ddbctl's]")
    parser.add_argument("--segments-memory", default="8", help="extra ddbctl backups of each size at these "
                        "segment counts (peak RSS); '' for none")
    parser.add_argument("--baseline", action="append", default=[], metavar="NAME=SRC",
                        help="another ddbctl's src directory, measured as tool NAME (repeatable)")
    parser.add_argument("--others", default="dynamodump,bare", help="the other tools measured ('' for none)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",") if size]
    phases = {phase.strip() for phase in args.phases.split(",") if phase.strip()}
    extra_segments = [int(count) for count in args.segments_memory.split(",") if count]
    sources = {"ddbctl": str(ROOT / "src")}
    for entry in args.baseline:
        name, _, src = entry.partition("=")
        sources[f"ddbctl@{name}"] = str(Path(src).resolve())
    results: dict[str, Any] = {"command": " ".join(sys.argv), "sizes": {}}
    with fake_server() as fake, tempfile.TemporaryDirectory(prefix="ddbctl-bench-fake-") as work:
        tools = Tools(fake, Path(work), sources, args.segments, {name for name in args.others.split(",") if name})
        for size in sizes:
            source = fake.control("source", table=SOURCE, items=size, seed=1)
            item_bytes = source["bytes"] / size
            wcu = max(1, math.ceil(item_bytes / 1024))
            print(f"\n== {size:,} items of {item_bytes:.0f} bytes on average (DynamoDB's size), {wcu} WCU each; "
                  f"fake endpoint at {fake.url}", flush=True)
            entry: dict[str, Any] = {"item_bytes": round(item_bytes)}
            if phases & {"backup", "restore"}:  # restore reads the backups this phase writes
                samples = backup_phase(tools, size, extra_segments if "backup" in phases else [])
                if "backup" in phases:
                    entry["backup"] = print_table(f"backup of {size:,} items", samples, "ddbctl")
                    entry["backup_cores"] = cores_line("backup", samples, wcu)
            if "restore" in phases:
                samples = restore_phase(tools, size)
                entry["restore"] = print_table(f"restore of {size:,} items", samples, "ddbctl")
                entry["restore_cores"] = cores_line("restore", samples, wcu)
            results["sizes"][size] = entry
            fake.control("drop", table=SOURCE)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()
