"""``ddbctl validate``: spec files checked offline against DynamoDB's rules."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import SpecError
from ..spec.files import load_dir
from .base import DdbctlCommand
from .state import CliState, pass_state, reported_errors


@click.command(cls=DdbctlCommand)
@click.argument("directory", required=False, type=click.Path(path_type=Path, file_okay=False))
@pass_state
def validate(state: CliState, directory: Path | None) -> None:
    """Check spec files offline against DynamoDB's rules; list every problem (file, JSON pointer, rule).

    DIRECTORY defaults to the schema directory (infrastructure/schemas). Sends nothing to AWS.
    """
    with reported_errors(state):
        settings = state.settings()
        directory = directory or settings.schema_dir
        try:
            files = load_dir(directory, settings.namespace)
        except SpecError as exc:
            state.emit_json({"valid": False, "problems": [
                {"file": p.path, "pointer": p.pointer, "rule": p.rule} for p in exc.problems]})
            raise
        if state.json:
            state.emit_json({"valid": True, "files": [str(f.path) for f in files]})
        else:
            state.out.print(f"{len(files)} spec file(s) in {directory} are valid", highlight=False)
