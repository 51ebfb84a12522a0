"""Ownership: which live tables belong to the selected environment. One rule, used by every command.

A table is **owned** by environment E when both hold:

1. **by name**: its physical name is E's (``naming``: the longest matching known environment, the
   remainder a valid logical name), and
2. **by tag**: its ``Environment`` tag is E (set by ddbctl at create, by the seed's script, or by
   ``ddbctl adopt``).

A table that fits E's names but has no ``Environment`` tag is **not owned** (made by the console or
the AWS CLI, or an untagged lookalike): listed with how to adopt it, never changed. A table whose tag
names another environment is **foreign**: never selected, even when named explicitly. Only owned
tables are ever updated or deleted. docs/environments.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from .aws import DEFAULT_CONCURRENCY, Dynamo, Json, LiveTable
from .errors import AccessDenied, AwsError, ConfigError, NotOwned, TableNotFound
from .naming import PRODUCTION, Namespace, environment_of, logical_problem, name_problem
from .spec.convert import ENVIRONMENT_TAG, MANAGED_BY, MANAGED_BY_TAG, spec_from_description
from .spec.model import TableSpec


def environment_tag(table: LiveTable) -> str | None:
    """The value of the table's ``Environment`` tag, or None when it has none."""
    return next((str(tag["Value"]) for tag in table.tags or () if tag.get("Key") == ENVIRONMENT_TAG), None)


def adopt_tags(environment: str) -> dict[str, str]:
    """The tags that make a table owned by ``environment`` (what create sets and ``ddbctl adopt`` adds)."""
    return {ENVIRONMENT_TAG: environment, MANAGED_BY_TAG: MANAGED_BY}


@dataclass(frozen=True)
class Survey:
    """The live tables under the environment's names, sorted into owned, not owned and foreign.

    All mappings are by logical name. ``excluded`` lists the physical names under the prefix that
    the name rule gives to another environment or to none (they were not even described).
    """

    namespace: Namespace
    owned: Mapping[str, LiveTable] = field(default_factory=dict)
    unowned: Mapping[str, LiveTable] = field(default_factory=dict)  # no Environment tag
    foreign_tables: Mapping[str, LiveTable] = field(default_factory=dict)  # tagged for another environment
    excluded: tuple[str, ...] = ()
    deleting: Mapping[str, LiveTable] = field(default_factory=dict)  # DELETING, not another's: going away
    # Owned by the name rule alone: the policy refused ListTagsOfResource to a command that reads only
    # DescribeTable (create, add-gsi). Such commands add, never destroy; plan/apply/destroy always read tags.
    unverified: tuple[str, ...] = ()

    @property
    def tables(self) -> Mapping[str, LiveTable]:
        """The owned tables: the only ones any command changes."""
        return self.owned

    @property
    def foreign(self) -> tuple[str, ...]:
        """Physical names whose Environment tag names another environment."""
        return tuple(table.physical_name for table in self.foreign_tables.values())

    def specs(self) -> dict[str, TableSpec]:
        return {logical: live_spec(logical, table) for logical, table in self.owned.items()}

    def arns(self) -> dict[str, str]:
        return {logical: str(table.table["TableArn"]) for logical, table in self.owned.items()}

    def not_owned(self) -> dict[str, str]:
        """{logical: why it is not owned} for every table under the environment's names that is not owned."""
        reasons = {logical: not_owned_reason(self.namespace, table) for logical, table in self.unowned.items()}
        reasons.update({logical: not_owned_reason(self.namespace, table)
                        for logical, table in self.foreign_tables.items()})
        return dict(sorted(reasons.items()))

    def require_owned(self, logical: str) -> LiveTable:
        """The owned table ``logical``; TableNotFound or NotOwned (with what to do) otherwise."""
        if logical in self.owned:
            return self.owned[logical]
        physical = self.namespace.physical(logical)
        if logical in self.unowned or logical in self.foreign_tables:
            table = self.unowned.get(logical) or self.foreign_tables[logical]
            raise NotOwned(f"{physical}: {not_owned_reason(self.namespace, table)}",
                           hint=not_owned_hint(self.namespace, table))
        raise TableNotFound(physical, hint=f"no such table in environment {self.namespace.environment}")


def live_spec(logical: str, table: LiveTable) -> TableSpec:
    return spec_from_description(logical, table.table, table.ttl, table.backups, table.tags)


def survey(
    dynamo: Dynamo,
    namespace: Namespace,
    logical_names: Iterable[str] | None = None,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    full: bool = True,
) -> Survey:
    """Describe the environment's tables (all of them, or just ``logical_names``) and sort them by owner.

    Sends ListTables (when no names are given), then per table whose name is the environment's:
    DescribeTable, DescribeTimeToLive, DescribeContinuousBackups, ListTagsOfResource. Without ``full``,
    DescribeTable and ListTagsOfResource only (TTL and PITR stay unknown); when the policy refuses the
    tag read there, the table counts as owned by its name alone and is listed in ``unverified``.
    """
    excluded: list[str] = []
    if logical_names is None:
        names = dynamo.list_table_names()
        candidates = namespace.select(names)
        selected = set(candidates.values())
        excluded = sorted(n for n in names if n.startswith(f"{namespace.prefix}-") and n not in selected)
    else:
        candidates = {logical: namespace.physical(logical) for logical in sorted(set(logical_names))}
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        described = list(pool.map(lambda physical: _describe(dynamo, physical, full), candidates.values()))
    owned: dict[str, LiveTable] = {}
    unowned: dict[str, LiveTable] = {}
    foreign: dict[str, LiveTable] = {}
    deleting: dict[str, LiveTable] = {}
    unverified: list[str] = []
    for logical, table in zip(candidates, described, strict=True):
        if table is None:
            continue
        if table.tags is None:
            unverified.append(logical)
            owned[logical] = table
            continue
        tagged = environment_tag(table)
        if table.status == "DELETING" and tagged in (None, namespace.environment):
            deleting[logical] = table  # going away: never planned, only waited for (destroy run again)
            continue
        bucket = owned if tagged == namespace.environment else unowned if tagged is None else foreign
        bucket[logical] = table
    return Survey(namespace, owned, unowned, foreign, tuple(excluded), deleting, tuple(unverified))


_GONE = {"ResourceNotFoundException", "TableNotFoundException"}


def _describe(dynamo: Dynamo, physical: str, full: bool = True) -> LiveTable | None:
    """The table's four reads (or DescribeTable and its tags); None when it does not exist. A table being
    deleted may answer DescribeTable but not the other reads: then it is described by DescribeTable alone."""
    try:
        if not full:
            return _describe_with_tags(dynamo, physical)
        return dynamo.describe_live(physical)
    except AwsError as exc:
        if not isinstance(exc, TableNotFound) and exc.code not in _GONE:
            raise
    table = dynamo.describe_table(physical)
    return None if table is None else LiveTable(physical, table, {}, {}, ())


def _describe_with_tags(dynamo: Dynamo, physical: str) -> LiveTable | None:
    """DescribeTable and the tags that prove ownership; tags None when the policy refuses ListTagsOfResource."""
    table = dynamo.describe_live(physical, full=False)
    if table is None:
        return None
    try:
        tags: tuple[Json, ...] | None = tuple(dynamo.list_tags(table.table["TableArn"]))
    except AccessDenied:
        tags = None
    return LiveTable(physical, table.table, None, None, tags)


def not_owned_reason(namespace: Namespace, table: LiveTable) -> str:
    tagged = environment_tag(table)
    if tagged is None:
        return "not owned: no Environment tag (made outside ddbctl, or an untagged lookalike); never changed"
    return f"not owned: its Environment tag names {tagged!r}, not {namespace.environment!r}; never changed"


def not_owned_hint(namespace: Namespace, table: LiveTable) -> str:
    tagged = environment_tag(table)
    if tagged is None:
        return (f"if it is {namespace.environment}'s, adopt it: {_ddbctl(namespace)} adopt --table "
                f"{table.physical_name} (or delete it by hand if it is not)")
    return f"it is {tagged}'s table: did you mean -e {tagged}?"


def resolve_table_name(name: str, namespace: Namespace) -> str:
    """The logical name of a user's ``--table`` argument: a physical name of the environment, or a logical one.

    ConfigError (before any call) for a physical name the name rule gives to another environment
    ("did you mean -e staging?") or to none, and for a logical name no table may have.
    """
    logical = namespace.logical(name)
    if logical is not None:
        return logical
    known = namespace.known_environments
    owner = environment_of(name, namespace.prefix, known)
    if owner is not None and owner != namespace.environment:
        rest = name[len(Namespace(owner, namespace.prefix, known).stem):]
        if logical_problem(rest, known) is None:
            option = "" if owner == PRODUCTION else f" -e {owner}"
            raise ConfigError(
                f"{name} is a table of environment {owner}, not {namespace.environment}",
                hint=f"did you mean -e {owner}? (ddbctl{option} ... --table {rest})",
            )
    if name.startswith(f"{namespace.prefix}-") and name_problem(name) is None:
        raise ConfigError(
            f"{name} is no table name of any environment under prefix {namespace.prefix}: its environment part "
            "differs from a known environment's only in letter case, or the rest is no valid logical name",
            hint="see docs/environments.md",
        )
    problem = logical_problem(name, known)
    if problem is not None and name_problem(name) is None:
        clash = namespace.clash(name)
        if clash is not None and clash != namespace.environment:
            rest = name[len(clash) + 1:]
            raise ConfigError(f"{problem}: it names a table of environment {clash}",
                              hint=f"did you mean -e {clash} --table {rest}?")
        raise ConfigError(problem, hint="see docs/environments.md")
    return name


def _ddbctl(namespace: Namespace) -> str:
    return "ddbctl" if namespace.environment == PRODUCTION else f"ddbctl -e {namespace.environment}"
