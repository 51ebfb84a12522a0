"""``ddbctl``: the command group, its global options, and the registration of every command.

Each user command lives in a module of its own (``<name>_cmd.py``) and declares every option it takes;
the global options (``-o``, ``-e``, ...) come from its class (``base.DdbctlCommand``), which accepts them
after the command's name too. Register a new command here with ``cli.add_command(command)``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click

from .. import __version__
from .add_gsi_cmd import add_gsi_command
from .adopt_cmd import adopt
from .apply_cmd import apply
from .backup_cmd import backup_command
from .base import DdbctlGroup, global_options
from .create_cmd import create
from .demo_cmd import demo
from .destroy_cmd import destroy_command
from .diff_cmd import diff
from .envs_cmd import envs
from .export_cmd import export
from .generate_cmd import generate
from .local_cmd import local as local_server
from .plan_cmd import plan
from .restore_cmd import restore_command
from .schema_cmd import schema
from .snapshot_cmd import snapshot_command
from .snapshots_cmd import snapshots_command
from .state import exit_with, json_error
from .validate_cmd import validate
from .wait_cmd import wait

__all__ = ["DdbctlGroup", "cli", "global_options", "main", "wants_json"]

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class RootGroup(DdbctlGroup):
    """``ddbctl`` itself: with ``-o json`` anywhere on the command line, usage errors are JSON documents too."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        if not standalone_mode or not wants_json(argv):
            return super().main(argv, prog_name, complete_var, standalone_mode, **extra)
        try:
            return super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Exit as exc:
            exit_with(exc.exit_code)
        except click.ClickException as exc:
            json_error(type(exc).__name__, exc.format_message(), _usage_hint(exc), exc.exit_code)
        except click.Abort:
            json_error("Aborted", "aborted", None, 1)
        except Exception as exc:  # a bug: still one JSON document, the traceback with --debug
            if "--debug" in argv:
                raise
            json_error("InternalError", f"{type(exc).__name__}: {exc}",
                        "a bug in ddbctl: run again with --debug for the traceback, and report it", 1)


def wants_json(argv: Sequence[str]) -> bool:
    """Whether the command line asks for JSON output (seen before parsing, for usage errors)."""
    output = None
    tokens = iter(argv)
    for token in tokens:
        if token == "--":
            break
        if token in ("-o", "--output"):
            output = next(tokens, None)
        elif token.startswith("--output="):
            output = token.partition("=")[2]
        elif token.startswith("-o") and not token.startswith("--"):
            output = token[2:]
    return output == "json"


def _usage_hint(exc: click.ClickException) -> str | None:
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, click.UsageError) and ctx is not None:
        return f"see `{ctx.command_path} --help`"
    return None


@click.group(cls=RootGroup, context_settings=CONTEXT)
@click.version_option(__version__, prog_name="ddbctl")
def cli() -> None:
    """Manage Amazon DynamoDB tables as code, per environment.

    Table names follow the seed scripts' rule: {prefix}-{name} in production, {prefix}-{env}-{name}
    elsewhere. Flags win over environment variables, which win over ddbctl.toml. Every option of this
    list may also follow the command name (`ddbctl plan -o json -e staging`).
    """


for ddbctl_command in (validate, export, create, plan, apply, add_gsi_command, wait, demo, adopt, envs, diff,
                       destroy_command, backup_command, restore_command, snapshot_command, snapshots_command, generate):
    cli.add_command(ddbctl_command)
for plain_command in (schema, local_server):
    cli.add_plain_command(plain_command)


def main() -> None:
    cli(prog_name="ddbctl")
