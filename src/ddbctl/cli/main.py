"""``ddbctl``: the command group and its global options."""

from __future__ import annotations

import functools
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
from .state import CliState
from .tables import create, export, schema, validate

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


SETTINGS_FLAGS = ("environment", "prefix", "region", "profile", "endpoint_url", "local")


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


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, prog_name="ddbctl")
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Project file [env DDBCTL_CONFIG; default ./ddbctl.toml if present].")
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for people (progress on stderr), json for programs (quiet, result on stdout).")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.pass_context
def cli(ctx: click.Context, /, config_file: Path | None, output: str, debug: bool, **settings: Any) -> None:
    """Manage Amazon DynamoDB tables as code, per environment.

    Table names follow the seed scripts' rule: {prefix}-{name} in production, {prefix}-{env}-{name}
    elsewhere. Flags win over environment variables, which win over ddbctl.toml.
    """
    ctx.obj = CliState(flags=settings, config_file=config_file, output=output, debug=debug)


cli.params[1:1] = settings_options()


def _with_settings_options(command: click.Command) -> click.Command:
    """Let the settings flags also follow the command name (`ddbctl create -e staging`); those win."""
    command.params.extend(settings_options())
    callback = command.callback
    assert callback is not None

    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        given = {name: kwargs.pop(name) for name in SETTINGS_FLAGS}
        state = click.get_current_context().ensure_object(CliState)
        state.flags.update({name: value for name, value in given.items() if value is not None})
        return callback(*args, **kwargs)

    command.callback = run
    return command


for command in (validate, export, create, plan, apply, add_gsi_command, wait, demo, adopt, envs, diff,
                destroy_command):
    cli.add_command(_with_settings_options(command))
cli.add_command(_with_settings_options(with_native_backup(backup_command)), "backup")
cli.add_command(_with_settings_options(with_native_restore(restore_command)))
for command in (snapshot_command, snapshots_command):
    cli.add_command(_with_settings_options(command))
for command in (schema, local_server):
    cli.add_command(command)
for command in generate.commands.values():
    _with_settings_options(command)
cli.add_command(generate)


def main() -> None:
    cli(prog_name="ddbctl")
