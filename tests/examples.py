"""How many examples a property test runs: its own count, or a few when ``tools/mutation/run.sh`` sets
``DDBCTL_MUTATION=1`` (every mutant re-runs the tests that reach it, so each must be quick there)."""

from __future__ import annotations

import os

MUTATION_EXAMPLES = 15


def examples(wanted: int) -> int:
    return min(wanted, MUTATION_EXAMPLES) if os.environ.get("DDBCTL_MUTATION") == "1" else wanted
