"""The rule for external programs in tests (tests/tools.py): skipped locally, failed in CI."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ..tools import find_tool, require_tool

MISSING = "ddbctl-no-such-program"


def test_a_program_beside_the_interpreter_is_found_without_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")  # as when a venv's python runs without the venv activated
    interpreter = Path(sys.executable)
    assert find_tool(interpreter.name) == str(interpreter)


def test_a_missing_program_skips_the_test_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=f"{MISSING} is not installed"):
        require_tool(MISSING)


@pytest.mark.parametrize("value", ["true", "1", "yes"])
def test_a_missing_program_fails_the_test_in_ci(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match=f"{MISSING} is not installed .*CI must run every test"):
        require_tool(MISSING)


@pytest.mark.parametrize("value", ["", "0", "false"])
def test_ci_set_to_false_is_not_ci(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.skip.Exception):
        require_tool(MISSING)


def test_the_aws_cli_is_found_and_returned_as_a_path() -> None:
    aws = require_tool("aws")  # the test extra installs it: in CI this fails rather than skips
    assert Path(aws).is_file()
