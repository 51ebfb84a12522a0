"""The command classes every ddbctl command is made with, and the global options they share.

A command takes the global options (``-o/--output``, ``--debug``, ``--config``, ``-v/--verbose`` and the
settings flags ``-e``, ``--prefix``, ``--region``, ``--profile``, ``--endpoint-url``, ``--local``) after its
name as well as before it (``ddbctl plan -o json -e staging``); given twice, the later one wins. The
class adds them to the command's parameters and, when the command is invoked, moves their values onto
the :class:`CliState` before the command's own callback runs: the callback is never replaced and sees
only its own options::

    @click.command(cls=DdbctlCommand)
    @click.option("--table", ...)
    @pass_state
    def wait(state: CliState, table: str) -> None: ...

A group made with ``cls=DdbctlGroup`` makes its ``@group.command()`` subcommands DdbctlCommands and
its subgroups DdbctlGroups. A command that takes no global options (``local``, ``schema``) is a plain
``click.Command`` registered with :meth:`DdbctlGroup.add_plain_command`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .state import CliState

SETTINGS_FLAGS = ("environment", "prefix", "region", "profile", "endpoint_url", "local")
OUTPUT_FLAGS = ("config_file", "output", "debug", "verbose")
GLOBAL_NAMES = (*OUTPUT_FLAGS, *SETTINGS_FLAGS)


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


def take_global_options(ctx: click.Context) -> None:
    """Move the global options given to this command (None: not given) from its parameters onto the state."""
    given = {name: ctx.params.pop(name, None) for name in GLOBAL_NAMES}
    state = ctx.ensure_object(CliState)
    state.flags.update({name: given[name] for name in SETTINGS_FLAGS if given[name] is not None})
    if given["config_file"] is not None:
        state.config_file = given["config_file"]
    if given["output"] is not None:
        state.output = given["output"]
    if given["debug"]:
        state.debug = True
    if given["verbose"]:
        state.verbose = True


class DdbctlCommand(click.Command):
    """A command that also takes the global options (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.extend(global_options())

    def invoke(self, ctx: click.Context) -> Any:
        take_global_options(ctx)
        return super().invoke(ctx)


class DdbctlGroup(click.Group):
    """A command group that takes the global options, as do the commands made with ``@group.command()``."""

    command_class = DdbctlCommand
    group_class = type  # subgroups are DdbctlGroups too

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.extend(global_options())

    def invoke(self, ctx: click.Context) -> Any:
        take_global_options(ctx)
        return super().invoke(ctx)

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        """A ddbctl command (DdbctlCommand or DdbctlGroup): one that takes the global options."""
        if not isinstance(cmd, (DdbctlCommand, DdbctlGroup)):
            raise TypeError(f"{cmd.name}: make it with cls=DdbctlCommand (or DdbctlGroup), or add_plain_command it")
        super().add_command(cmd, name)

    def add_plain_command(self, cmd: click.Command, name: str | None = None) -> None:
        """A command that takes no global options (`local`, `schema`)."""
        super().add_command(cmd, name)
