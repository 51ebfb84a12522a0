"""Print the mutation score per group from tools/mutation/run.sh's results, and list the survivors.

    python3 tools/mutation/score.py [SCRATCH_DIR] [GROUP...]

Reads ``<SCRATCH_DIR>/<group>/mutants/mutmut-cicd-stats.json`` (mutmut export-cicd-stats) and
``results.txt`` (mutmut results --all true). The score is killed / (killed + survived); timeouts count
as killed (the mutant hangs the code: a test notices), mutants no test reaches count as survivors.
``tools/mutation/equivalent.txt`` lists mutants judged equivalent (one name per line, then ``#`` and
why); they are left out of the adjusted score.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

GROUPS = ("naming", "spec", "changes", "plan", "execute")
HERE = Path(__file__).resolve().parent


def equivalent_names() -> dict[str, str]:
    path = HERE / "equivalent.txt"
    names: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            name, _, why = line.partition("#")
            if name.strip():
                names[name.strip()] = why.strip()
    return names


def statuses(directory: Path) -> dict[str, str]:
    """mutant name -> status, from ``mutmut results --all true`` (lines ``    name: status``)."""
    result: dict[str, str] = {}
    path = directory / "results.txt"
    if not path.exists():
        return result
    for line in path.read_text().splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and name and " " not in name:
            result[name] = status.strip()
    return result


def main(argv: list[str]) -> int:
    scratch = Path(argv[1]) if len(argv) > 1 else Path("/tmp/ddbctl-mutation")
    groups = argv[2:] or list(GROUPS)
    equivalent = equivalent_names()
    print(f"{'group':8} {'mutants':>7} {'killed':>6} {'timeout':>7} {'survived':>8} {'no tests':>8} "
          f"{'equiv.':>6} {'score':>6} {'adjusted':>8}")
    survivors: list[str] = []
    for group in groups:
        found = statuses(scratch / group)
        if not found:
            print(f"{group:8} (no results in {scratch / group})")
            continue
        counts: dict[str, int] = {}
        for status in found.values():
            counts[status] = counts.get(status, 0) + 1
        killed, timeout = counts.get("killed", 0), counts.get("timeout", 0)
        survived, untested = counts.get("survived", 0), counts.get("no tests", 0)
        alive = [n for n, s in found.items() if s in ("survived", "no tests")]
        judged = [n for n in alive if n in equivalent]
        done = killed + timeout + survived + untested
        score = (killed + timeout) / done if done else 0.0
        real = done - len(judged)
        adjusted = (killed + timeout) / real if real else 0.0
        print(f"{group:8} {len(found):7} {killed:6} {timeout:7} {survived:8} {untested:8} {len(judged):6} "
              f"{score:6.1%} {adjusted:8.1%}")
        other = {s: c for s, c in counts.items() if s not in ("killed", "timeout", "survived", "no tests")}
        if other:
            print(f"         other: {json.dumps(other)}")
        survivors += [f"{group}: {n} ({found[n]})" for n in alive if n not in equivalent]
    if survivors:
        print("\nsurvivors not judged equivalent:")
        print("\n".join(f"  {line}" for line in survivors))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
