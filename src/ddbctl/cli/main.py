"""``ddbctl``: the command group and its global options."""

from __future__ import annotations

from pathlib import Path

import click

from .. import __version__
from .demo import demo
from .local_cmd import local as local_server
from .state import CliState
from .tables import create, export, schema, validate

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, prog_name="ddbctl")
@click.option("-e", "--environment", help="Environment: production, staging, dev, ... [env ENVIRONMENT; "
              "default production].")
@click.option("--prefix", help="Table name prefix [env TABLE_PREFIX; default construction-expenses].")
@click.option("--region", help="AWS region [env AWS_REGION; default us-east-1].")
@click.option("--profile", help="AWS profile [env AWS_PROFILE].")
@click.option("--endpoint-url", help="DynamoDB endpoint [env AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL].")
@click.option("--local", is_flag=True, default=None,
              help="Use the local server started by `ddbctl local` (http://127.0.0.1:8000 unless --endpoint-url).")
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Project file [env DDBCTL_CONFIG; default ./ddbctl.toml if present].")
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for people (progress on stderr), json for programs (quiet, result on stdout).")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.pass_context
def cli(ctx: click.Context, environment: str | None, prefix: str | None, region: str | None,
        profile: str | None, endpoint_url: str | None, local: bool | None, config_file: Path | None,
        output: str, debug: bool) -> None:
    """Manage Amazon DynamoDB tables as code, per environment.

    Table names follow the seed scripts' rule: {prefix}-{name} in production, {prefix}-{env}-{name}
    elsewhere. Flags win over environment variables, which win over ddbctl.toml.
    """
    ctx.obj = CliState(
        flags={"environment": environment, "prefix": prefix, "region": region, "profile": profile,
               "endpoint_url": endpoint_url, "local": local},
        config_file=config_file,
        output=output,
        debug=debug,
    )


for command in (validate, schema, export, create, demo, local_server):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="ddbctl")
