"""Physical <-> logical table names per environment and prefix (the seed's ``getTableName``).

Production tables are ``{prefix}-{name}``; every other environment's are ``{prefix}-{env}-{name}``.
Production's pattern therefore also matches other environments' tables (``construction-expenses-
staging-companies`` looks like production's ``staging-companies``). The name rule (docs/environments.md: "Table
names and environments") keeps them apart: a physical name belongs to the *known* environment with
the longest matching stem, compared case-insensitively (a name whose environment part differs only
in case belongs to none); and the remainder must be a valid logical name, which never equals or
starts with ``<known environment>-`` in any case. Known environments are ``production``, ``staging``
and ``dev`` plus any listed in ``ddbctl.toml`` and the selected one. The name rule is half of
ownership: the ``Environment`` tag is the other (``ddbctl.ownership``).
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

    def __post_init__(self) -> None:
        # Production and the selected environment are always known: the rule depends on both.
        known = tuple(dict.fromkeys((PRODUCTION, *self.known_environments, self.environment)))
        object.__setattr__(self, "known_environments", known)

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
        """The logical name of a physical table, or None when the name rule gives it to no or another environment."""
        if environment_of(physical, self.prefix, self.known_environments) != self.environment:
            return None
        rest = physical[len(self.stem) :]
        return rest if logical_problem(rest, self.known_environments) is None else None

    def owns(self, physical: str) -> bool:
        return self.logical(physical) is not None

    def select(self, physical_names: Iterable[str]) -> dict[str, str]:
        """{logical: physical} for the names in this namespace, sorted by logical name."""
        found = {logical: name for name in physical_names if (logical := self.logical(name)) is not None}
        return dict(sorted(found.items()))

    def clash(self, logical: str) -> str | None:
        """The known environment a logical name would be mistaken for, if any (``dev-tools``, ``Staging``,
        or in ``qa`` the name ``eu-x`` when ``qa-eu`` is known)."""
        found = _environment_start(logical, self.known_environments)
        if found is None:
            owner = environment_of(self.physical(logical), self.prefix, self.known_environments)
            found = owner if owner != self.environment else None
        return found


def table_name(logical: str, environment: str = PRODUCTION, prefix: str = DEFAULT_PREFIX) -> str:
    """``{prefix}-{logical}`` in production, ``{prefix}-{environment}-{logical}`` elsewhere."""
    if environment == PRODUCTION:
        return f"{prefix}-{logical}"
    return f"{prefix}-{environment}-{logical}"


def name_problem(name: str, what: str = "table name") -> str | None:
    """Why ``name`` breaks DynamoDB's naming rule, or None when it is valid."""
    if not MIN_NAME_LENGTH <= len(name) <= MAX_NAME_LENGTH:
        return f"{what} {name!r} must be {MIN_NAME_LENGTH}-{MAX_NAME_LENGTH} characters long (has {len(name)})"
    if not NAME_PATTERN.fullmatch(name):
        return f"{what} {name!r} may contain only letters, digits, '_', '-' and '.'"
    return None


def environment_of(physical: str, prefix: str, known_environments: Iterable[str]) -> str | None:
    """The known environment whose naming pattern ``physical`` fits, or None (another prefix, or no one's).

    The longest matching ``{prefix}-{env}-`` wins (so ``qa-eu``'s tables are never ``qa``'s), compared
    case-insensitively; a name whose environment part differs from the environment's only in case
    (``construction-expenses-Staging-companies``) belongs to none. Anything else under the prefix
    fits production's pattern (whether production may take it is ``logical_problem``'s question).
    """
    stem = f"{prefix}-"
    if not physical.startswith(stem) or len(physical) == len(stem):
        return None
    rest = physical[len(stem) :]
    lowered = rest.lower()
    matches = [env for env in known_environments if env != PRODUCTION and lowered.startswith(f"{env.lower()}-")]
    if not matches:
        return PRODUCTION
    environment = max(matches, key=len)
    return environment if rest.startswith(f"{environment}-") else None


def logical_problem(logical: str, known_environments: Iterable[str]) -> str | None:
    """Why ``logical`` is no valid logical table name, or None: DynamoDB's characters, and not an environment's.

    A logical name never equals or starts with ``<known environment>-`` (in any letter case): in
    production its table would be mistaken for one of that environment's.
    """
    if not logical or name_problem(f"xx-{logical}") is not None:
        return f"logical name {logical!r} may contain only letters, digits, '_', '-' and '.'"
    clash = _environment_start(logical, known_environments)
    if clash is not None:
        return f"logical name {logical!r} starts with the environment name {clash!r}"
    return None


def _environment_start(rest: str, known_environments: Iterable[str]) -> str | None:
    lowered = rest.lower()
    return next(
        (env for env in known_environments if lowered == env.lower() or lowered.startswith(f"{env.lower()}-")),
        None,
    )
