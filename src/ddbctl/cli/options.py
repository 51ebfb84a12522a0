"""Options several commands declare, and the one way to refuse options that do not apply.

A command declares each option it takes with these decorators (or ``click.option``) in its own
module. Where a variant of a command takes fewer options (``backup --native`` reads no scan options,
``add-gsi --from-spec`` no index flags), it refuses the others with :func:`refuse_inapplicable`::

    refuse_inapplicable(given_options(ctx), {"location", "tables", "native"}, "backup --native")
    # click.UsageError: --segments and --read-rate do not apply to backup --native
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import click

from ..aws import DEFAULT_CONCURRENCY
from ..execute import ExecOptions

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_MAX_WAIT = ExecOptions.max_wait


def given_options(ctx: click.Context, names: Iterable[str] | None = None) -> dict[str, object]:
    """The command's parameters the user set (on the command line or by an environment variable), by name."""
    wanted = set(ctx.params if names is None else names)
    declared = [str(param.name) for param in ctx.command.params]  # the help's order, not the command line's
    return {name: ctx.params[name] for name in declared
            if name in wanted and name in ctx.params
            and ctx.get_parameter_source(name) not in (None, click.core.ParameterSource.DEFAULT)}


def refuse_inapplicable(given: Mapping[str, object], allowed: set[str], variant: str) -> None:
    """Raise a click.UsageError naming every option in ``given`` (by parameter name, in its order) that is
    not in ``allowed``, and the variant of the command they do not apply to; do nothing when all apply."""
    refused = [name for name in given if name not in allowed]
    if not refused:
        return
    flags = [_flag(name) for name in refused]
    listed = flags[0] if len(flags) == 1 else f"{', '.join(flags[:-1])} and {flags[-1]}"
    verb = "does" if len(flags) == 1 else "do"
    raise click.UsageError(f"{listed} {verb} not apply to {variant}")


def _flag(name: str) -> str:
    """The option's longest spelling (``--read-rate``) in the current command, else one made from its name."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        for param in ctx.command.params:
            if param.name == name and isinstance(param, click.Option):
                return max(param.opts, key=len)
            if param.name == name:
                return str(param.human_readable_name)
    return "--" + name.replace("_", "-")


def dir_option(help_text: str = "Directory of the schema files [default: infrastructure/schemas].") -> Callable[[F], F]:
    return click.option("--dir", "directory", type=click.Path(path_type=Path, file_okay=False), default=None,
                        help=help_text)


def dir_words(directory: Path | None) -> list[str]:
    """``--dir DIR`` as given, for the commands a hint suggests running again (nothing when not given)."""
    return ["--dir", str(directory)] if directory is not None else []


def concurrency_option(f: F) -> F:
    return click.option("--concurrency", type=click.IntRange(1, 64), default=DEFAULT_CONCURRENCY, show_default=True,
                        help="Tables handled at once.")(f)


def wide_option(f: F) -> F:
    return click.option("--wide", is_flag=True,
                        help="Print the table summary as one wide row per table (as in table-summary.txt) "
                        "instead of a block per table within 100 columns.")(f)


def out_option(f: F) -> F:
    return click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=None, metavar="FILE",
                        help="Write to FILE (atomically: all or nothing) instead of stdout.")(f)


def yes_option(what: str) -> Callable[[F], F]:
    """``-y/--yes``: ``what`` happens without the question (needed without a terminal)."""
    return click.option("-y", "--yes", is_flag=True, help=f"{what} without asking for confirmation (needed without "
                        "a terminal).")


def destroy_options(f: F) -> F:
    """--allow-destroy and --prune (plan, apply)."""
    f = click.option("--prune", is_flag=True,
                     help="Also delete live tables of the environment that have no spec file (needs "
                     "--allow-destroy; never a table with deletion protection).")(f)
    return click.option("--allow-destroy", is_flag=True,
                        help="Allow destructive steps: deleting an index or a table, disabling PITR or "
                        "deletion protection. Without it they are held and everything else converges.")(f)


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
    return click.option("--max-wait", cls=SettingOption, type=Seconds(), default=DEFAULT_MAX_WAIT, envvar="MAX_WAIT",
                        show_default=True,
                        help="Seconds to wait for a table or index to become ACTIVE [env MAX_WAIT]; past it the "
                        "command exits 3 and the operation goes on in DynamoDB.")(f)
