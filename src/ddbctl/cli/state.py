"""Global options shared by every command, and the one place errors become messages and exit codes.

Commands print their result through :meth:`CliState.emit_json` (JSON mode) or ``state.out`` (text),
and run their work inside :func:`reported_errors`. In JSON mode the document a command emits inside
``reported_errors`` is held until the command ends, so that a failure adds its ``"error"`` object to
that one document: stdout always carries exactly one JSON document.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from rich.console import Console

from ..aws import DEFAULT_CONCURRENCY
from ..config import Settings, load_settings
from ..errors import AwsError, DdbctlError
from ..execute import ExecOptions

F = TypeVar("F", bound=Callable[..., Any])

EXIT_FAILED = 1
EXIT_INTERRUPTED = 130
DEFAULT_MAX_WAIT = ExecOptions.max_wait


class CommandFailed(DdbctlError):
    """A command's own failure once its report is out (a table failed, a plan was refused).

    In text mode the report has said it all, so only the exit code changes; in JSON mode the
    document gets an ``"error"`` object with ``code``.
    """

    def __init__(self, message: str, *, code: str = "Failed", exit_code: int = EXIT_FAILED,
                 hint: str | None = None, quiet: bool = True) -> None:
        super().__init__(message, hint)
        self.code = code
        self.exit_code = exit_code
        self.quiet = quiet  # text mode: the report said it; False: print it as an error too


def error_code(exc: BaseException) -> str:
    """A stable string per error: the AWS error code where there is one, else the error's class name."""
    if isinstance(exc, CommandFailed):
        return exc.code
    if isinstance(exc, AwsError) and exc.code:
        return exc.code
    return type(exc).__name__


def error_data(code: str, message: str, hint: str | None, exit_code: int) -> dict[str, Any]:
    """The ``"error"`` object of a JSON document."""
    return {"code": code, "message": message, "hint": hint, "exit_code": exit_code}


@dataclass
class CliState:
    flags: dict[str, Any] = field(default_factory=dict)
    config_file: Path | None = None
    output: str = "text"
    debug: bool = False
    verbose: bool = False
    target: dict[str, Any] | None = None  # the header's data, once shown (see render.show_target)
    out: Console = field(default_factory=lambda: Console(soft_wrap=True))
    err: Console = field(default_factory=lambda: Console(stderr=True, soft_wrap=True))
    _holding: int = 0
    _document: Any = None

    @property
    def json(self) -> bool:
        return self.output == "json"

    def settings(self, **overrides: Any) -> Settings:
        flags = {**self.flags, **{k: v for k, v in overrides.items() if v is not None}}
        return load_settings(flags, config_file=self.config_file)

    def emit_json(self, value: Any) -> None:
        """Print the command's JSON document (held until the end of ``reported_errors``)."""
        if self._holding:
            self._document = value
        else:
            _print_json(value)

    def note(self, message: str) -> None:
        """Progress and notes: stderr, and only in text mode."""
        if not self.json:
            self.err.print(message, highlight=False)

    def fail(self, code: str, message: str, hint: str | None, exit_code: int, *, text: bool = True) -> NoReturn:
        """End the command: the error in the JSON document, or as ``error:``/``hint:`` lines on stderr."""
        if self.json:
            document = self._document if isinstance(self._document, dict) else {}
            self._document = None
            _print_json({**document, "error": error_data(code, message, hint, exit_code)})
        elif text:
            click.echo(f"error: {message}", err=True)
            if hint:
                click.echo(f"  hint: {hint}", err=True)
        sys.exit(exit_code)

    def flush(self) -> None:
        if self._document is not None:
            document, self._document = self._document, None
            _print_json(document)


def _print_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=True, default=str))


pass_state = click.make_pass_decorator(CliState, ensure=True)


@contextmanager
def reported_errors(state: CliState, *, exit_code: int | None = None) -> Iterator[None]:
    """Map library errors to one message (or JSON error) and an exit code; a traceback only with --debug.

    ``exit_code`` replaces every error's own exit code (``plan --detailed-exitcode`` exits 1 on errors).
    """
    state._holding += 1
    try:
        yield
    except DdbctlError as exc:
        if state.debug:
            state.flush()
            raise
        code = exit_code if exit_code is not None else exc.exit_code
        quiet = isinstance(exc, CommandFailed) and exc.quiet
        state.fail(error_code(exc), exc.message, exc.hint, code, text=not quiet)
    except KeyboardInterrupt:
        state.fail("Interrupted", "interrupted: what was sent goes on in DynamoDB; run the command again to converge",
                   None, EXIT_INTERRUPTED)
    finally:
        state._holding -= 1
        if not state._holding:
            state.flush()


def dir_option(help_text: str = "Directory of the schema files [default: infrastructure/schemas].") -> Callable[[F], F]:
    return click.option("--dir", "directory", type=click.Path(path_type=Path, file_okay=False), default=None,
                        help=help_text)


def concurrency_option(f: F) -> F:
    return click.option("--concurrency", type=click.IntRange(1, 64), default=DEFAULT_CONCURRENCY, show_default=True,
                        help="Tables handled at once.")(f)


class Seconds(click.ParamType):  # type: ignore[type-arg]
    """A number of seconds, 0 or more: ``'abc' is not a number`` otherwise."""

    name = "seconds"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, (int, float)):
            number = float(value)
        else:
            try:
                number = float(str(value).strip())
            except ValueError:
                self.fail(f"{value!r} is not a number", param, ctx)
        if not number >= 0:  # also refuses nan
            self.fail(f"{value!r} is not a number of seconds (0 or more)", param, ctx)
        return number


class SettingOption(click.Option):
    """An option that also reads an environment variable; its errors name what the user set.

    The source is remembered when the value is consumed: click (8.4) records a parameter's source only
    after its value converted, too late for the conversion's own error message."""

    def consume_value(self, ctx: click.Context, opts: Any) -> tuple[Any, click.core.ParameterSource]:
        value, source = super().consume_value(ctx, opts)
        ctx.meta[self._source_key] = source
        return value, source

    def get_error_hint(self, ctx: click.Context | None) -> str:
        source = ctx.meta.get(self._source_key) if ctx is not None else None
        if source is click.core.ParameterSource.ENVIRONMENT and isinstance(self.envvar, str):
            return self.envvar
        return super().get_error_hint(ctx)

    @property
    def _source_key(self) -> str:
        return f"ddbctl.source.{self.name}"


def max_wait_option(f: F) -> F:
    return click.option("--max-wait", cls=SettingOption, type=Seconds(), default=None, envvar="MAX_WAIT",
                        help=f"Seconds to wait for a table or index to become ACTIVE [default: {DEFAULT_MAX_WAIT:g}; "
                        "env MAX_WAIT].")(f)
