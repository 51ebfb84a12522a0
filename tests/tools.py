"""External programs a test needs (``aws``, ``node``, ``terraform``, ``jq``, ...): found, or the test stops.

Every test that runs an external program gets its path from ``require_tool`` (or the ``tool``
fixture of tests/conftest.py), never from a bare ``shutil.which`` or ``skipif``::

    def test_something(...) -> None:
        aws = require_tool("aws")
        subprocess.run([aws, "dynamodb", ...])

A program is looked up on PATH and in the running interpreter's own bin directory, so the awscli of a
virtualenv is found even when the venv is not activated. When it is missing, the test is skipped
locally (pytest -ra lists the skip and its reason in the summary) and FAILS when the ``CI``
environment variable is set (to anything but ``""``, ``0`` or ``false``): a broken install must not look
green in CI.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

HINTS = {
    "aws": "pip install awscli (the test extra: pip install -e '.[test]')",
    "jq": "apt-get install jq",
    "node": "install Node.js (apt-get install nodejs)",
    "terraform": "install Terraform (https://developer.hashicorp.com/terraform/install)",
}


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false")


def find_tool(name: str) -> str | None:
    """The program's path: on PATH, else beside the running interpreter (an inactive venv's bin)."""
    found = shutil.which(name)
    if found is not None:
        return found
    return shutil.which(name, path=str(Path(sys.executable).parent))


def require_tool(name: str) -> str:
    """The program's path; a missing program skips the test, or fails it in CI."""
    found = find_tool(name)
    if found is not None:
        return found
    message = f"{name} is not installed ({HINTS.get(name, 'install it')})"
    if in_ci():
        pytest.fail(f"{message}: CI must run every test, so a missing tool fails it", pytrace=False)
    pytest.skip(message)


# A ddbctl child a test interrupts like a terminal's Ctrl-C: SIGINT restored to its default and unblocked
# before Python starts (a child inherits an ignored or blocked SIGINT, and Python then installs no
# KeyboardInterrupt handler), with faulthandler on so a hang can be shown (see ``dump_threads``).
INTERRUPTIBLE_PYTHON = [
    sys.executable, "-c",
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT]); "
    "os.execv(sys.executable, [sys.executable, '-X', 'faulthandler', *sys.argv[1:]])",
]


def dump_threads(process: subprocess.Popen[str]) -> str:
    """Every thread's stack of a child started with INTERRUPTIBLE_PYTHON that did not exit (SIGABRT)."""
    process.send_signal(signal.SIGABRT)
    _, stderr = process.communicate(timeout=30)
    return stderr[-8000:]
