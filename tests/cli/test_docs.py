"""The docs and --help must not drift: every command and option in --help is in the docs, and back.

The docs are README.md and the pages of docs/. A command is documented under a heading
``### `ddbctl NAME ...` `` (a group's subcommands as ``ddbctl GROUP SUB``) on any page; its options
must appear in that section (or in the intro of its chapter, a ``#`` or ``##`` heading, for options
common to a group), and every ``--option`` the section names as its own must exist. Commands added
later (by any module) are picked up from the click tree itself. The README stays short and links every
page; every relative link resolves, anchors included.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from ddbctl.cli.base import global_options
from ddbctl.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PAGES = {path: path.read_text(encoding="utf-8") for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]}
DOCS = "\n".join(PAGES.values())
GLOBAL = {name for option in global_options() for name in option.opts if name.startswith("--")}
README_MAX_LINES = 400


def commands(group: click.Group = cli, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    for name, command in sorted(group.commands.items()):
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))


COMMANDS = dict(commands())


def sections() -> dict[str, tuple[str, str]]:
    """The text under each `### ` heading of every page, by heading, and the intro of its chapter (the
    `#` or `##` heading above it: options common to a group of commands may be documented once there)."""
    found: dict[str, tuple[str, str]] = {}
    for text in PAGES.values():
        for chapter in re.split(r"^##? ", text, flags=re.M)[1:]:
            intro, *parts = re.split(r"^### ", chapter, flags=re.M)
            for part in parts:
                heading, _, body = part.partition("\n")
                found[heading] = (heading + "\n" + body, intro.partition("\n")[2])
    return found


def section_of(path: tuple[str, ...], *, with_intro: bool = True) -> str | None:
    name = "ddbctl " + " ".join(path)
    matching = [own + ("\n" + intro if with_intro else "") for heading, (own, intro) in sections().items()
                if re.search(rf"`{re.escape(name)}(`| )", heading)]
    return "\n".join(matching) or None


def options_named(text: str, name: str) -> set[str]:
    """The ``--options`` a section names as its command's: not those of another command it quotes
    (`ddbctl apply --allow-destroy`, `aws cloudformation ... --stack-name`), nor of other code lines."""
    code = re.compile(r"^```.*?^```", flags=re.M | re.S)
    text = code.sub(lambda block: "\n".join(line for line in block.group(0).splitlines()
                                            if line.startswith(f"ddbctl {name}")), text)
    text = re.sub(r"`(ddbctl (?!" + re.escape(name) + r"\b)|aws |python3? )[^`]*`", "", text)
    return set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", text))


def own_options(command: click.Command) -> set[str]:
    return {name for param in command.params if isinstance(param, click.Option)
            if not param.hidden
            for name in param.opts if name.startswith("--") and name not in GLOBAL and name != "--help"}


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=" ".join)
def test_every_command_has_help_and_a_readme_section(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0
    assert f"Usage: cli {' '.join(path)}" in result.output
    assert section_of(path) is not None, f"the docs have no `### \\`ddbctl {' '.join(path)} ...\\`` section"


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=" ".join)
def test_every_option_in_help_is_in_the_readme_and_back(path: tuple[str, ...]) -> None:
    command = COMMANDS[path]
    text = section_of(path) or ""
    help_text = CliRunner().invoke(cli, [*path, "--help"]).output
    options = own_options(command)
    for option in options:
        assert option in help_text
        assert re.search(rf"{re.escape(option)}\b", text), f"the docs' section of {path} lacks {option}"
    if isinstance(command, click.Group):
        return  # a group's sections are its subcommands': their options are checked there
    documented = options_named(section_of(path, with_intro=False) or "", " ".join(path))
    unknown = documented - options - GLOBAL - {"--help"}
    assert not unknown, f"the docs' section of {' '.join(path)} names options it does not have: {sorted(unknown)}"


def test_every_command_the_docs_head_exists() -> None:
    for heading in sections():
        for name in re.findall(r"`ddbctl ([a-z][a-z0-9-]*(?: [a-z][a-z0-9-]*)*)", heading):
            words = tuple(name.split())
            assert any(words[:len(path)] == path for path in COMMANDS), f"the docs head a missing command: {name}"


def test_every_global_option_is_in_the_settings_page_and_in_the_top_help() -> None:
    top = CliRunner().invoke(cli, ["--help"]).output
    settings = PAGES[ROOT / "docs" / "settings.md"]
    for option in GLOBAL:
        assert option in top
        assert f"`{option}" in settings or f"/{option}`" in settings, f"docs/settings.md does not document {option}"


@pytest.mark.parametrize(("shell", "marker"), [("bash", "complete -o nosort -F"), ("zsh", "#compdef ddbctl"),
                                               ("fish", "complete --no-files --command ddbctl")])
def test_shell_completion_scripts_are_generated_and_documented(shell: str, marker: str) -> None:
    result = CliRunner().invoke(cli, [], prog_name="ddbctl", env={"_DDBCTL_COMPLETE": f"{shell}_source"})
    assert result.exit_code == 0
    assert marker in result.output and "_DDBCTL_COMPLETE" in result.output
    assert f"_DDBCTL_COMPLETE={shell}_source ddbctl" in DOCS


def test_completion_completes_commands_and_options_after_the_command() -> None:
    def complete(words: str) -> list[str]:
        env = {"_DDBCTL_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - 1)}
        output = CliRunner().invoke(cli, [], prog_name="ddbctl", env=env).output
        return [line.split(",", 1)[1] for line in output.splitlines()]

    assert "plan" in complete("ddbctl pl")
    assert "--output" in complete("ddbctl plan --outp")


def test_readme_quick_start_commands_are_present() -> None:
    assert "python3 -m pip install -e '.[local]' && ddbctl demo" in README
    assert "python3 -m pip install -e '.[test]' && python3 -m pytest" in README
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install --quiet --disable-pip-version-check -e '.[test]'" in ci
    assert "python3 -m pytest" in ci


def test_the_readme_is_short_and_links_every_page() -> None:
    assert len(README.splitlines()) <= README_MAX_LINES
    for page in (ROOT / "docs").glob("*.md"):
        assert f"](docs/{page.name})" in README, f"README does not link docs/{page.name}"


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("page", sorted(PAGES), ids=lambda path: path.name)
def test_every_relative_link_and_anchor_resolves(page: Path) -> None:
    for target in re.findall(r"\]\(([^)\s]+)\)", PAGES[page]):
        if re.match(r"[a-z]+:", target):
            continue  # https://, mailto:
        file, _, anchor = target.partition("#")
        linked = (page.parent / file).resolve() if file else page
        assert linked.is_file(), f"{page.name} links to a missing file: {target}"
        if anchor:
            text = linked.read_text(encoding="utf-8")
            anchors = {slug(heading) for heading in re.findall(r"^#+ (.*)$", text, flags=re.M)}
            assert anchor in anchors, f"{page.name} links to a missing anchor: {target}"
