"""``adopt``: take tables under the environment's names that carry no Environment tag into its ownership.

Adoption is explicit: it tags each table ``Environment=<environment>`` and ``ManagedBy=ddbctl``
(TagResource) and then reads the tags back until both are there. It refuses tables whose
Environment tag names another environment. Nothing else about the table changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ..aws import Dynamo
from ..config import Settings
from ..errors import AwsError, DdbctlError, NotOwned, TableNotFound
from ..ownership import adopt_tags, environment_tag, resolve_table_name, survey
from ..waiting import SYSTEM_CLOCK, Clock, Expired, poll
from .session import Context, connect

TAG_VISIBLE_WAIT = 60.0  # TagResource is eventually consistent: how long the tags may take to show


@dataclass(frozen=True)
class Candidate:
    logical: str
    physical: str
    arn: str


@dataclass(frozen=True)
class Adoption:
    """What ``adopt`` would do: tables to tag, and tables already owned (left as they are)."""

    environment: str
    tags: dict[str, str]
    to_adopt: tuple[Candidate, ...]
    already_owned: tuple[str, ...]  # physical names


@dataclass(frozen=True)
class Adopted:
    physical: str
    error: DdbctlError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def plan_adoption(
    settings: Settings, tables: Sequence[str] | None = None, *, context: Context | None = None, concurrency: int = 8
) -> Adoption:
    """The tables to adopt: the named ones (logical or physical names), or with ``tables=None`` every one
    under the environment's names without an Environment tag.

    Raises (before any change) ConfigError for a name of another environment, NotOwned for a table
    tagged for another environment, TableNotFound for a table that does not exist.
    """
    namespace = settings.namespace
    wanted = None if tables is None else [resolve_table_name(name, namespace) for name in tables]
    context = context or connect(settings, concurrency=concurrency)
    found = survey(context.dynamo, namespace, wanted, concurrency=concurrency)
    for logical in wanted or ():
        table = found.foreign_tables.get(logical)
        if table is not None:
            raise NotOwned(
                f"{table.physical_name} is tagged Environment={environment_tag(table)}: ddbctl never adopts a table "
                f"of another environment into {namespace.environment}",
                hint=f"did you mean -e {environment_tag(table)}?",
            )
        if logical not in found.owned and logical not in found.unowned:
            raise TableNotFound(namespace.physical(logical),
                                hint=f"no such table in environment {namespace.environment}")
    to_adopt = tuple(Candidate(logical, table.physical_name, str(table.table["TableArn"]))
                     for logical, table in found.unowned.items())
    owned = tuple(table.physical_name for table in found.owned.values())
    return Adoption(namespace.environment, adopt_tags(namespace.environment), to_adopt, owned)


def adopt_tables(
    settings: Settings,
    adoption: Adoption,
    *,
    context: Context | None = None,
    concurrency: int = 8,
    clock: Clock = SYSTEM_CLOCK,
    max_wait: float = TAG_VISIBLE_WAIT,
) -> tuple[Adopted, ...]:
    """Tag each table of ``adoption`` and wait until the tags read back. Never raises per table."""
    context = context or connect(settings, concurrency=concurrency)
    dynamo = context.dynamo

    def adopt_one(candidate: Candidate) -> Adopted:
        try:
            _tag_and_verify(dynamo, candidate, adoption.tags, clock, max_wait)
        except DdbctlError as exc:
            return Adopted(candidate.physical, exc)
        return Adopted(candidate.physical)

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        return tuple(pool.map(adopt_one, adoption.to_adopt))


def _tag_and_verify(dynamo: Dynamo, candidate: Candidate, tags: dict[str, str], clock: Clock, max_wait: float) -> None:
    # Re-check right before tagging: a table tagged meanwhile (by anyone) is not taken over.
    current = {str(t["Key"]): str(t["Value"]) for t in dynamo.list_tags(candidate.arn)}
    if "Environment" in current and current["Environment"] != tags["Environment"]:
        raise NotOwned(f"{candidate.physical} was tagged Environment={current['Environment']} meanwhile: not adopted")
    dynamo.call("TagResource", {"ResourceArn": candidate.arn,
                                "Tags": [{"Key": key, "Value": value} for key, value in sorted(tags.items())]})
    try:
        poll(lambda: {str(t["Key"]): str(t["Value"]) for t in dynamo.list_tags(candidate.arn)},
             lambda seen: all(seen.get(key) == value for key, value in tags.items()), max_wait=max_wait, clock=clock)
    except Expired as exc:
        raise AwsError(f"{candidate.physical}: TagResource was accepted, but the tags did not appear within "
                       f"{exc.elapsed:.0f}s", hint="run `ddbctl adopt` again") from exc
