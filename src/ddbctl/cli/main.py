"""``ddbctl``: the command group and its global options.

A new command (or command group) is registered with ``cli.add_command(command)``: it then accepts
the global options (``-o/--output``, ``--debug``, ``--config``, ``-v/--verbose`` and the settings
flags) after its name as well as before, and so do the subcommands of a group. Make a command group
with ``@click.group(cls=DdbctlGroup)`` so that subcommands added later get them too.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from .. import __version__
from .backup_cmd import backup_command
from .converge import apply, plan
from .demo import demo
from .environments import adopt, destroy_command, diff, envs
from .generate import generate
from .gsi import add_gsi_command, wait
from .local_cmd import local as local_server
from .native import snapshot_command, snapshots_command, with_native_backup, with_native_restore
from .restore_cmd import restore_command
from .state import CliState, error_data
from .tables import create, export, schema, validate

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

SETTINGS_FLAGS = ("environment", "prefix", "region", "profile", "endpoint_url", "local")
OUTPUT_FLAGS = ("config_file", "output", "debug", "verbose")
_WRAPPED = "_ddbctl_global_options"


def settings_options() -> list[click.Option]:
    """The settings flags; accepted before the command (`ddbctl -e staging create`) and after it."""
    return [
        click.Option(["-e", "--environment"],
                     help="Environment: production, staging, dev, ... [env ENVIRONMENT; default production]."),
        click.Option(["--prefix"], help="Table name prefix [env TABLE_PREFIX; default construction-expenses]."),
        click.Option(["--region"], help="AWS region [env AWS_REGION; default us-east-1]."),
        click.Option(["--profile"], help="AWS profile [env AWS_PROFILE]."),
        click.Option(["--endpoint-url"],
                     help="DynamoDB endpoint [env AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL]."),
        click.Option(["--local"], is_flag=True, default=None,
                     help="Use the server of `ddbctl local` (http://127.0.0.1:8000 unless --endpoint-url)."),
    ]


def output_options() -> list[click.Option]:
    """-o/--output, --debug, --config and -v/--verbose; accepted before and after the command."""
    return [
        click.Option(["--config", "config_file"], type=click.Path(path_type=Path, dir_okay=False),
                     help="Project file [env DDBCTL_CONFIG; default ./ddbctl.toml if present]."),
        click.Option(["-o", "--output"], type=click.Choice(["text", "json"]), default=None,
                     help="text for people (progress on stderr), json for programs (quiet, one document on "
                     "stdout, errors included) [default: text]."),
        click.Option(["--debug"], is_flag=True, default=None, help="Show tracebacks instead of one-line errors."),
        click.Option(["-v", "--verbose"], is_flag=True, default=None,
                     help="List every table in reports, unchanged ones too."),
    ]


def global_options() -> list[click.Option]:
    return [*output_options(), *settings_options()]


def _update_state(state: CliState, given: dict[str, Any]) -> None:
    """Record the global options given (None: not given) on the state; later ones win."""
    state.flags.update({name: given[name] for name in SETTINGS_FLAGS if given.get(name) is not None})
    if given.get("config_file") is not None:
        state.config_file = given["config_file"]
    if given.get("output") is not None:
        state.output = given["output"]
    if given.get("debug"):
        state.debug = True
    if given.get("verbose"):
        state.verbose = True


def with_global_options(command: click.Command) -> click.Command:
    """Let the global options also follow the command name (`ddbctl plan -o json -e staging`); those win.

    For a group, its subcommands too (and those added later if it is a :class:`DdbctlGroup`).
    """
    if getattr(command, _WRAPPED, False):
        return command
    setattr(command, _WRAPPED, True)
    command.params.extend(global_options())
    callback = command.callback

    @functools.wraps(callback or (lambda *a, **k: None))
    def run(*args: Any, **kwargs: Any) -> Any:
        given = {name: kwargs.pop(name) for name in (*OUTPUT_FLAGS, *SETTINGS_FLAGS)}
        _update_state(click.get_current_context().ensure_object(CliState), given)
        return callback(*args, **kwargs) if callback is not None else None

    command.callback = run
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            with_global_options(sub)
    return command


_with_settings_options = with_global_options  # the former name, for command modules that still use it


class DdbctlGroup(click.Group):
    """A command group whose commands accept the global options after their names; JSON usage errors."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        super().add_command(with_global_options(cmd), name)

    def add_plain_command(self, cmd: click.Command, name: str | None = None) -> None:
        """A command that takes no global options (`local`, `schema`)."""
        super().add_command(cmd, name)

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        if not standalone_mode or not wants_json(argv):
            return super().main(argv, prog_name, complete_var, standalone_mode, **extra)
        try:
            return super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            _json_error(type(exc).__name__, exc.format_message(), _usage_hint(exc), exc.exit_code)
        except click.Abort:
            _json_error("Aborted", "aborted", None, 1)
        except Exception as exc:  # a bug: still one JSON document, the traceback with --debug
            if "--debug" in argv:
                raise
            _json_error("InternalError", f"{type(exc).__name__}: {exc}",
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


def _json_error(code: str, message: str, hint: str | None, exit_code: int) -> None:
    import json  # noqa: PLC0415 - only on this error path

    click.echo(json.dumps({"error": error_data(code, message, hint, exit_code)}, indent=2, sort_keys=True))
    sys.exit(exit_code)


@click.group(cls=DdbctlGroup, context_settings=CONTEXT)
@click.version_option(__version__, prog_name="ddbctl")
@click.pass_context
def cli(ctx: click.Context, /, **options: Any) -> None:
    """Manage Amazon DynamoDB tables as code, per environment.

    Table names follow the seed scripts' rule: {prefix}-{name} in production, {prefix}-{env}-{name}
    elsewhere. Flags win over environment variables, which win over ddbctl.toml. Every option of this
    list may also follow the command name (`ddbctl plan -o json -e staging`).
    """
    state = ctx.ensure_object(CliState)
    _update_state(state, options)


cli.params[0:0] = global_options()

for command in (validate, export, create, plan, apply, add_gsi_command, wait, demo, adopt, envs, diff, destroy_command,
                snapshot_command, snapshots_command):
    cli.add_command(command)
cli.add_command(with_native_backup(backup_command), "backup")
cli.add_command(with_native_restore(restore_command))
cli.add_command(generate)  # a group: its subcommands get the global options too
for command in (schema, local_server):
    cli.add_plain_command(command)


def main() -> None:
    cli(prog_name="ddbctl")
