"""The README and --help must not drift from the commands that exist."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ddbctl.cli.main import cli

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_help_and_a_readme_entry(name: str) -> None:
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert f"Usage: cli {name}" in result.output
    assert f"ddbctl {name}" in README, f"README does not document `ddbctl {name}`"


def test_readme_quick_start_commands_are_present() -> None:
    assert "python3 -m pip install -e '.[local]' && ddbctl demo" in README
    assert "python3 -m pip install -e '.[test]' && python3 -m pytest" in README
    ci = (Path(__file__).resolve().parents[2] / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install --quiet --disable-pip-version-check -e '.[test]'" in ci
    assert "python3 -m pytest" in ci
