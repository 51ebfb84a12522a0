"""The live side of a plan: the environment's tables as DynamoDB describes them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from .aws import DEFAULT_CONCURRENCY, Dynamo, LiveTable
from .naming import Namespace
from .spec.convert import spec_from_description
from .spec.model import TableSpec


@dataclass(frozen=True)
class LiveState:
    """The environment's tables by logical name, plus tables left out because their tag says otherwise."""

    tables: Mapping[str, LiveTable]
    foreign: tuple[str, ...] = ()  # physical names whose Environment tag names another environment

    def specs(self) -> dict[str, TableSpec]:
        return {logical: live_spec(logical, table) for logical, table in self.tables.items()}

    def arns(self) -> dict[str, str]:
        return {logical: str(table.table["TableArn"]) for logical, table in self.tables.items()}


def live_spec(logical: str, table: LiveTable) -> TableSpec:
    return spec_from_description(logical, table.table, table.ttl, table.backups, table.tags)


def read_live(
    dynamo: Dynamo,
    namespace: Namespace,
    logical_names: Iterable[str] | None = None,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    full: bool = True,
) -> LiveState:
    """Describe the environment's tables concurrently (all of them, or just ``logical_names``).

    Without ``full``, DescribeTable only: TTL, PITR and tags stay unknown (None in the specs).
    Listing selects by name (see ``naming``); a listed table whose ``Environment`` tag names another
    environment is left out too, so tables of other environments are never touched.
    """
    if logical_names is None:
        candidates = namespace.select(dynamo.list_table_names())
    else:
        candidates = {logical: namespace.physical(logical) for logical in sorted(set(logical_names))}
    def describe(physical: str) -> LiveTable | None:
        return dynamo.describe_live(physical, full=full)

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        described = list(pool.map(describe, candidates.values()))
    tables: dict[str, LiveTable] = {}
    foreign: list[str] = []
    for logical, table in zip(candidates, described, strict=True):
        if table is None:
            continue
        tagged = {tag["Key"]: tag["Value"] for tag in table.tags or ()}.get("Environment")
        if logical_names is None and tagged is not None and tagged != namespace.environment:
            foreign.append(table.physical_name)
            continue
        tables[logical] = table
    return LiveState(tables, tuple(foreign))
