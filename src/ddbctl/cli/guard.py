"""The one confirmation of a write: apply, destroy and adopt (and restore, copy, migrate) all go through it.

- Production's destruction and data writes need ``--allow-production`` (exit 2 without it, nothing sent).
- With ``--yes`` nothing is asked.
- On a terminal the user types the environment's name (anything else cancels: exit 1, nothing sent).
- Off a terminal, without ``--yes``, the command stops (exit 2) before sending anything.

A command calls :func:`require_confirmation` before its first call to AWS (so that a CI job without
``--yes`` sends nothing at all), shows what it will do, then calls :func:`confirm_write`, which repeats
the checks and asks.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from ..config import Settings
from ..errors import ConfigError
from ..hints import command
from ..naming import PRODUCTION
from .state import CliState, CommandFailed


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def require_confirmation(state: CliState, settings: Settings, action: str, *, yes: bool, destructive: bool,
                         allow_production: bool, review: Sequence[str] = (), repeat: Sequence[str] = ()) -> None:
    """Refuse, before anything is sent, a write that cannot be confirmed: production destruction or data
    writes without ``allow_production``, or no ``yes`` and no terminal to ask on.

    ``action`` is the command (``destroy``, ``restore``); the hints suggest ``review`` (the words of the
    command that shows what would be done; default ``action --dry-run``), then ``action`` again with
    ``repeat`` (the options to give again, such as ``--dir DIR``) and ``--yes``.
    """
    words = [*action.split(), *repeat]
    if destructive and settings.environment == PRODUCTION and not allow_production:
        raise ConfigError(f"{action} refuses production without --allow-production: nothing was sent",
                          hint=f"if you really mean it: {command(settings, *words, '--allow-production')}")
    if not yes and not stdin_is_terminal():
        shown = command(settings, *(review or (*words, "--dry-run")))
        again = [*words, "--yes", *(["--allow-production"] if allow_production else [])]
        raise ConfigError(f"{action} needs confirmation, but stdin is not a terminal: nothing was sent",
                          hint=f"review with {shown}, then run {command(settings, *again)}")


def confirm_write(state: CliState, settings: Settings, action: str, *, yes: bool, destructive: bool,
                  allow_production: bool, what: str = "", review: Sequence[str] = (),
                  repeat: Sequence[str] = ()) -> None:
    """Confirm a write to ``settings``' environment: see the module docstring. ``what`` says what will be
    written (``Deleting 2 table(s) and all their data``) in the question."""
    require_confirmation(state, settings, action, yes=yes, destructive=destructive,
                         allow_production=allow_production, review=review, repeat=repeat)
    if yes:
        return
    environment = settings.environment
    lead = f"{what}. " if what else f"{action} will write to environment {environment}. "
    typed = click.prompt(f"{lead}Type the environment's name ({environment}) to confirm", default="",
                         show_default=False, err=True)
    if typed.strip() != environment:
        raise CommandFailed(f"{action} cancelled: nothing was sent", code="Cancelled", quiet=False)
