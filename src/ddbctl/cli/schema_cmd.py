"""``ddbctl schema``: the JSON Schema of spec files."""

from __future__ import annotations

import json

import click

from ..spec.model import TableSpec


@click.command()
def schema() -> None:
    """Print the JSON Schema of spec files (for editors: "$schema" or json.schemas settings)."""
    click.echo(json.dumps(TableSpec.model_json_schema(by_alias=True), indent=2, sort_keys=True))
