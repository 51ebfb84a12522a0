"""Typed errors raised by the ddbctl library.

The library never prints or exits: it raises one of these, carrying what happened and how to fix it.
The CLI maps each class to an exit code and a one-line message in one place (``ddbctl.cli.state.reported_errors``).
"""

from __future__ import annotations

from dataclasses import dataclass


class DdbctlError(Exception):
    """Base class for every error ddbctl raises on purpose."""

    exit_code: int = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class ConfigError(DdbctlError):
    """Invalid settings: a bad flag value, environment variable or project file."""

    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One rule broken in one spec file, at one place (an RFC 6901 JSON pointer)."""

    path: str
    pointer: str
    rule: str

    def __str__(self) -> str:
        return f"{self.path}:{self.pointer or '/'}: {self.rule}"


class SpecError(DdbctlError):
    """One or more spec files break DynamoDB's rules or ddbctl's format. Carries every problem found."""

    exit_code = 2

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(
            f"{count} problem{'s' if count != 1 else ''} in spec files:\n{lines}",
            hint="fix the files (ddbctl validate DIR lists every problem); nothing was sent to DynamoDB",
        )


class AwsError(DdbctlError):
    """DynamoDB (or the connection to it) refused or failed a call."""

    def __init__(self, message: str, hint: str | None = None, code: str | None = None) -> None:
        super().__init__(message, hint)
        self.code = code


class AccessDenied(AwsError):
    """The identity's IAM policy does not allow an action (``action``, e.g. ``dynamodb:DescribeTable``)
    on ``resource`` (an ARN, or a table name)."""

    def __init__(self, message: str, hint: str | None = None, code: str | None = None, *, action: str = "",
                 resource: str = "") -> None:
        super().__init__(message, hint, code)
        self.action = action
        self.resource = resource


class CredentialsError(AwsError):
    """The AWS credentials were refused."""


class MissingCredentials(CredentialsError):
    """No AWS credentials could be found: a settings problem found before anything was sent."""

    exit_code = 2


class NotOwned(DdbctlError):
    """A table fits the environment's names but is not owned by it (no or another Environment tag).

    Refused before anything is sent: only owned tables are ever changed (docs/environments.md).
    """

    exit_code = 2


class EndpointError(AwsError):
    """The DynamoDB endpoint could not be reached."""


class TableNotFound(AwsError):
    """A table that must exist does not."""

    def __init__(self, table: str, hint: str | None = None) -> None:
        super().__init__(f"table {table} does not exist", hint=hint, code="ResourceNotFoundException")
        self.table = table


class WaitTimeout(DdbctlError):
    """A wait for ACTIVE ran past its deadline. The operation itself goes on inside DynamoDB."""

    exit_code = 3


class EffectNotSeen(DdbctlError):
    """DynamoDB accepted a request, but the state it must produce never appeared within --max-wait."""

class RestoreIncomplete(DdbctlError):
    """Items could not be written by the deadline: they were saved, and a re-run writes them first."""

    def __init__(self, count: int, paths: list[str]) -> None:
        super().__init__(
            f"{count} item{'s' if count != 1 else ''} could not be written by the deadline; saved to "
            f"{', '.join(paths)}",
            hint="run the same command again: it writes the saved items first, then continues "
            "(--max-wait sets how long an item may wait)",
        )
        self.count = count
        self.paths = paths


class UnsafeChange(DdbctlError):
    """A change that would destroy or replace something, refused without an explicit flag."""

    exit_code = 2


class StalePlan(DdbctlError):
    """The live table changed between plan and apply: the plan is refused for that table."""


class Inexpressible(DdbctlError):
    """A spec value the requested output format (CloudFormation, Terraform, ...) has no way to express."""

    exit_code = 2

@dataclass(frozen=True)
class BackupProblem:
    """One thing wrong with a backup: the file (store key or path), the line (1-based) if any, and why."""

    path: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.reason}"


class BackupError(DdbctlError):
    """A backup that cannot be used as it is (missing manifest, bad checksum, malformed line, wrong key...).

    Carries the first problem as ``path``, ``line`` and ``reason``, and every problem found in ``problems``.
    Raised before anything is written.
    """

    exit_code = 2

    def __init__(
        self,
        path: str,
        line: int | None,
        reason: str,
        hint: str | None = None,
        problems: tuple[BackupProblem, ...] = (),
    ) -> None:
        self.path = path
        self.line = line
        self.reason = reason
        self.problems = problems or (BackupProblem(path, line, reason),)
        if len(self.problems) == 1:
            message = f"bad backup: {self.problems[0]}"
        else:
            listed = "\n".join(f"  {problem}" for problem in self.problems)
            message = f"bad backup: {len(self.problems)} problems:\n{listed}"
        super().__init__(message, hint)

    @classmethod
    def of(cls, problems: list[BackupProblem] | tuple[BackupProblem, ...], hint: str | None = None) -> BackupError:
        """One error for several problems (at least one)."""
        first = problems[0]
        return cls(first.path, first.line, first.reason, hint, tuple(problems))
