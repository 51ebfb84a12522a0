"""Typed errors raised by the ddbctl library.

The library never prints or exits: it raises one of these, carrying what happened and how to fix it.
The CLI maps each class to an exit code and a one-line message in one place (``ddbctl.cli.errors``).
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


class CredentialsError(AwsError):
    """No AWS credentials could be found."""


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


class UnsafeChange(DdbctlError):
    """A change that would destroy or replace something, refused without an explicit flag."""

    exit_code = 2


class StalePlan(DdbctlError):
    """The live table changed between plan and apply: the plan is refused for that table."""


class Inexpressible(DdbctlError):
    """A spec value the requested output format (CloudFormation, Terraform, ...) has no way to express."""

    exit_code = 2
