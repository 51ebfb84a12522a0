"""Physical <-> logical table names per environment and prefix (the seed's ``getTableName``).

Production tables are ``{prefix}-{name}``; every other environment's are ``{prefix}-{env}-{name}``.
Production's pattern therefore also matches other environments' tables (``construction-expenses-
staging-companies`` looks like production's ``staging-companies``). To keep environments apart, a
name whose remainder starts with a *known* environment followed by ``-`` belongs to that environment,
never to production; and a logical name may not itself start that way. Known environments are
``production``, ``staging`` and ``dev`` plus any listed in ``ddbctl.toml`` and the selected one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

PRODUCTION = "production"
DEFAULT_PREFIX = "construction-expenses"
DEFAULT_ENVIRONMENTS: tuple[str, ...] = (PRODUCTION, "staging", "dev")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]+$")
MIN_NAME_LENGTH = 3
MAX_NAME_LENGTH = 255


@dataclass(frozen=True)
class Namespace:
    """The tables of one environment under one prefix."""

    environment: str
    prefix: str
    known_environments: tuple[str, ...] = DEFAULT_ENVIRONMENTS

    @property
    def stem(self) -> str:
        """What every physical name of this namespace starts with."""
        if self.environment == PRODUCTION:
            return f"{self.prefix}-"
        return f"{self.prefix}-{self.environment}-"

    def physical(self, logical: str) -> str:
        """The physical table name of a logical one (the seed's getTableName)."""
        return table_name(logical, self.environment, self.prefix)

    def logical(self, physical: str) -> str | None:
        """The logical name of a physical table, or None when the table is not in this namespace."""
        if not physical.startswith(self.stem) or len(physical) == len(self.stem):
            return None
        rest = physical[len(self.stem) :]
        if self.environment == PRODUCTION and _other_environment(rest, self.known_environments):
            return None
        return rest

    def resolve(self, name: str) -> str:
        """The logical name of a user's table argument: a physical name of this namespace, else a logical one."""
        return self.logical(name) or name

    def owns(self, physical: str) -> bool:
        return self.logical(physical) is not None

    def select(self, physical_names: Iterable[str]) -> dict[str, str]:
        """{logical: physical} for the names in this namespace, sorted by logical name."""
        found = {logical: name for name in physical_names if (logical := self.logical(name)) is not None}
        return dict(sorted(found.items()))

    def clash(self, logical: str) -> str | None:
        """The environment a logical name would be mistaken for, if any (``dev-tools`` in production)."""
        return _other_environment(logical, self.known_environments)


def table_name(logical: str, environment: str = PRODUCTION, prefix: str = DEFAULT_PREFIX) -> str:
    """``{prefix}-{logical}`` in production, ``{prefix}-{environment}-{logical}`` elsewhere."""
    if environment == PRODUCTION:
        return f"{prefix}-{logical}"
    return f"{prefix}-{environment}-{logical}"


def name_problem(name: str, what: str = "table name") -> str | None:
    """Why ``name`` breaks DynamoDB's naming rule, or None when it is valid."""
    if not MIN_NAME_LENGTH <= len(name) <= MAX_NAME_LENGTH:
        return f"{what} {name!r} must be {MIN_NAME_LENGTH}-{MAX_NAME_LENGTH} characters long (has {len(name)})"
    if not NAME_PATTERN.match(name):
        return f"{what} {name!r} may contain only letters, digits, '_', '-' and '.'"
    return None


def _other_environment(rest: str, known_environments: Iterable[str]) -> str | None:
    return next(
        (env for env in known_environments if env != PRODUCTION and rest.startswith(f"{env}-")),
        None,
    )
