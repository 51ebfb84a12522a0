"""Global options shared by every command, and the one place errors become messages and exit codes."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from ..aws import DEFAULT_CONCURRENCY
from ..config import Settings, load_settings
from ..errors import DdbctlError
from ..execute import ExecOptions

F = TypeVar("F", bound=Callable[..., Any])

EXIT_FAILED = 1
DEFAULT_MAX_WAIT = ExecOptions.max_wait


@dataclass
class CliState:
    flags: dict[str, Any] = field(default_factory=dict)
    config_file: Path | None = None
    output: str = "text"
    debug: bool = False
    out: Console = field(default_factory=lambda: Console(soft_wrap=True))
    err: Console = field(default_factory=lambda: Console(stderr=True, soft_wrap=True))

    @property
    def json(self) -> bool:
        return self.output == "json"

    def settings(self, **overrides: Any) -> Settings:
        flags = {**self.flags, **{k: v for k, v in overrides.items() if v is not None}}
        return load_settings(flags, config_file=self.config_file)

    def emit_json(self, value: Any) -> None:
        click.echo(json.dumps(value, indent=2, sort_keys=True, default=str))

    def note(self, message: str) -> None:
        """Progress and notes: stderr, and only in text mode."""
        if not self.json:
            self.err.print(message, highlight=False)


pass_state = click.make_pass_decorator(CliState, ensure=True)


@contextmanager
def reported_errors(state: CliState) -> Iterator[None]:
    """Map library errors to one message on stderr and an exit code; a traceback only with --debug."""
    try:
        yield
    except DdbctlError as exc:
        if state.debug:
            raise
        click.echo(f"error: {exc.message}", err=True)
        if exc.hint:
            click.echo(f"  hint: {exc.hint}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted: what was sent goes on in DynamoDB; run the command again to converge", err=True)
        sys.exit(130)


def dir_option(help_text: str = "Directory of the schema files [default: infrastructure/schemas].") -> Callable[[F], F]:
    return click.option("--dir", "directory", type=click.Path(path_type=Path, file_okay=False), default=None,
                        help=help_text)


def concurrency_option(f: F) -> F:
    return click.option("--concurrency", type=click.IntRange(1, 64), default=DEFAULT_CONCURRENCY, show_default=True,
                        help="Tables handled at once.")(f)


def max_wait_option(f: F) -> F:
    return click.option("--max-wait", type=click.FloatRange(0), default=None, envvar="MAX_WAIT",
                        help=f"Seconds to wait for a table or index to become ACTIVE [default: {DEFAULT_MAX_WAIT:g}; "
                        "env MAX_WAIT].")(f)

