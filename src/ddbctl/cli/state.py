"""Global options shared by every command, and the one place errors become messages and exit codes.

Commands print their result through :meth:`CliState.emit_json` (JSON mode) or ``state.out`` (text),
and run their work inside :func:`reported_errors`. In JSON mode the document a command emits inside
``reported_errors`` is held until the command ends, so that a failure adds its ``"error"`` object to
that one document: stdout always carries exactly one JSON document.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console

from ..config import Settings, load_settings
from ..errors import AwsError, DdbctlError

EXIT_FAILED = 1
EXIT_CHANGES = 2  # plan --detailed-exitcode, diff: there are differences (not a failure)
EXIT_WAITING = 3  # a wait ran past --max-wait: the operation goes on in DynamoDB
EXIT_INTERRUPTED = 130


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
        """Print the command's JSON document (held until the end of ``reported_errors``); text mode: nothing."""
        if not self.json:
            return
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
def reported_errors(state: CliState, *, exit_code: int | None = None, interrupted: str | None = None) -> Iterator[None]:
    """Map library errors to one message (or JSON error) and an exit code; a traceback only with --debug.

    ``exit_code`` replaces every error's own exit code (``plan --detailed-exitcode`` exits 1 on errors);
    ``interrupted`` is what to say on Ctrl-C (default: what was sent goes on; run the command again).
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
        state.fail("Interrupted", interrupted or "interrupted: what was sent goes on in DynamoDB; run the command "
                   "again to converge", None, EXIT_INTERRUPTED)
    finally:
        state._holding -= 1
        if not state._holding:
            state.flush()


def json_error(code: str, message: str, hint: str | None, exit_code: int) -> NoReturn:
    """End a command that failed before it ran (a bad command line) with a JSON document of its error."""
    _print_json({"error": error_data(code, message, hint, exit_code)})
    sys.exit(exit_code)


def exit_with(code: int) -> NoReturn:
    """End a command that succeeded with an exit code that says something (``EXIT_CHANGES``). Failures
    raise a DdbctlError (``CommandFailed``) instead, so that their JSON document carries ``"error"``."""
    raise SystemExit(code)
