"""The control-plane timeline of the AWS-like mode: which table and index is in which status, when.

moto applies every change at once; this keeps, per table, when each change will be "finished" and
rewrites what moto describes to match. Statuses are computed from the clock on each look, so no
background thread is needed and a test can never race a timer.

Tests that must see a passing status use a *hold* (``hold(key, index)``: the table's or index's
transition does not finish until ``release``), or ``AwsLikeOptions.show_every_phase`` (an index
build stays in each phase until a DescribeTable has shown it), rather than racing the clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .options import AwsLikeOptions
from .wire import TableKey


@dataclass
class IndexBuild:
    # DynamoDB first builds the empty index and only then copies the items: Backfilling turns true
    # after the first third of the build.
    backfilling_at: float
    ends: float
    shown: set[str] = field(default_factory=set)  # phases a DescribeTable has shown (show_every_phase)


# An index build's phases, in order; "backfilling" is IndexStatus CREATING with Backfilling true.
PHASES = ("CREATING", "backfilling", "ACTIVE")


@dataclass
class Tombstone:
    """What a deleted table or index looked like, shown as DELETING until ``until``."""

    description: dict[str, Any]
    until: float


@dataclass
class TableTimeline:
    active_at: float
    updating_until: float = 0.0
    ttl_changed_at: float | None = None
    # Finished builds and expired tombstones stay until the table goes: reads compare with the clock.
    index_builds: dict[str, IndexBuild] = field(default_factory=dict)
    index_tombstones: dict[str, Tombstone] = field(default_factory=dict)

    def deleting_indexes(self, now: float) -> dict[str, Tombstone]:
        return {name: tombstone for name, tombstone in self.index_tombstones.items() if now < tombstone.until}


class ControlPlane:
    """The timeline of one server. Not thread-safe: the server serializes the requests that use it."""

    def __init__(self, options: AwsLikeOptions, clock: Callable[[], float] = time.monotonic) -> None:
        self.options = options
        self.clock = clock
        self.tables: dict[TableKey, TableTimeline] = {}
        self.deleted: dict[TableKey, Tombstone] = {}
        # When each hold was placed, by (table, None) for the table's status, (table, index) for an index's.
        self.holds: dict[tuple[TableKey, str | None], float] = {}

    def clear(self) -> None:
        self.tables.clear()
        self.deleted.clear()
        self.holds.clear()

    # -- holds -----------------------------------------------------------------------------------

    def hold(self, key: TableKey, index: str | None = None) -> None:
        """Keep the table's (or the index's) current or next transition from finishing until released:
        a CREATING, UPDATING or DELETING table, a CREATING or DELETING index stays so. A hold may be
        placed before the table or index exists."""
        self.holds.setdefault((key, index), self.clock())

    def release(self, key: TableKey | None = None, index: str | None = None) -> None:
        """End a hold (every hold when ``key`` is None); a transition whose time has passed finishes now."""
        if key is None:
            self.holds.clear()
        else:
            self.holds.pop((key, index), None)

    def _held(self, key: TableKey, index: str | None, ends: float) -> bool:
        """Whether a transition ending at ``ends`` is held: one that was still going when the hold was placed."""
        placed = self.holds.get((key, index))
        return placed is not None and ends > placed

    # -- reading -------------------------------------------------------------------------------

    def deleting(self, key: TableKey) -> Tombstone | None:
        tombstone = self.deleted.get(key)
        if tombstone and tombstone.until <= self.clock() and not self._held(key, None, tombstone.until):
            del self.deleted[key]  # dropped once expired: a long-running server keeps no dead tables
            return None
        return tombstone

    def table_status(self, key: TableKey) -> str:
        """DELETING, CREATING, UPDATING or ACTIVE (a table this server did not time is ACTIVE)."""
        if self.deleting(key):
            return "DELETING"
        timeline = self.tables.get(key)
        now = self.clock()
        if timeline is None:
            return "ACTIVE"
        if now < timeline.active_at or self._held(key, None, timeline.active_at):
            return "CREATING"
        if now < timeline.updating_until or self._held(key, None, timeline.updating_until):
            return "UPDATING"
        return "ACTIVE"

    def index_status(self, key: TableKey, index_name: str) -> str:
        timeline = self.tables.get(key)
        if timeline is None:
            return "ACTIVE"
        if index_name in self._deleting_indexes(key, timeline):
            return "DELETING"
        return self._index_state(key, timeline, index_name)[0]

    def index_change_in_progress(self, key: TableKey) -> bool:
        timeline = self.tables.get(key)
        if timeline is None:
            return False
        building = any(self._index_state(key, timeline, name)[0] == "CREATING" for name in timeline.index_builds)
        return building or bool(self._deleting_indexes(key, timeline))

    def _deleting_indexes(self, key: TableKey, timeline: TableTimeline) -> dict[str, Tombstone]:
        deleting = timeline.deleting_indexes(self.clock())
        held = {name: t for name, t in timeline.index_tombstones.items() if self._held(key, name, t.until)}
        return {**held, **deleting}

    def _index_state(self, key: TableKey, timeline: TableTimeline, index_name: str) -> tuple[str, bool | None]:
        """A GSI's IndexStatus and Backfilling (None: not shown), tombstones aside."""
        now = self.clock()
        if now < timeline.active_at or self._held(key, None, timeline.active_at):
            return "CREATING", None  # the table's own indexes are built with it, without backfilling
        build = timeline.index_builds.get(index_name)
        if build is None:
            return "ACTIVE", None
        phase = "ACTIVE" if now >= build.ends else "backfilling" if now >= build.backfilling_at else "CREATING"
        if phase == "ACTIVE" and self._held(key, index_name, build.ends):
            phase = "backfilling" if now >= build.backfilling_at else "CREATING"
        if self.options.show_every_phase:
            # No phase is skipped: the first one no DescribeTable has shown yet lasts until one does.
            phase = next((p for p in PHASES[: PHASES.index(phase)] if p not in build.shown), phase)
        if phase == "ACTIVE":
            return "ACTIVE", None
        return "CREATING", phase == "backfilling"

    def pitr_unavailable(self, key: TableKey) -> bool:
        timeline = self.tables.get(key)
        if timeline is None:
            return False
        now = self.clock()
        return timeline.active_at <= now < timeline.active_at + self.options.pitr_unavailable_seconds

    def ttl_changed_recently(self, key: TableKey) -> bool:
        timeline = self.tables.get(key)
        if timeline is None or timeline.ttl_changed_at is None:
            return False
        return self.clock() - timeline.ttl_changed_at < self.options.ttl_cooldown_seconds

    def deleting_names(self, region: str) -> list[str]:
        keys = [key for key in self.deleted if key[0] == region]
        return [name for (_, name) in keys if self.deleting((region, name))]

    # -- changes -------------------------------------------------------------------------------

    def created(self, key: TableKey, seconds: float | None = None) -> None:
        """A new table, CREATING for ``seconds`` (default: table_create_seconds)."""
        self.deleted.pop(key, None)
        duration = self.options.table_create_seconds if seconds is None else seconds
        self.tables[key] = TableTimeline(active_at=self.clock() + duration)

    def _timeline(self, key: TableKey) -> TableTimeline:
        # A table not created through this server (e.g. before a reset of the timeline) is already ACTIVE.
        return self.tables.setdefault(key, TableTimeline(active_at=self.clock()))

    def updated(self, key: TableKey) -> None:
        self._timeline(key).updating_until = self.clock() + self.options.table_update_seconds

    def index_created(self, key: TableKey, index_name: str) -> None:
        now, seconds = self.clock(), self.options.index_create_seconds
        self._timeline(key).index_builds[index_name] = IndexBuild(backfilling_at=now + seconds / 3, ends=now + seconds)

    def index_deleted(self, key: TableKey, description: dict[str, Any]) -> None:
        until = self.clock() + self.options.index_delete_seconds
        self._timeline(key).index_tombstones[description["IndexName"]] = Tombstone(description, until)

    def ttl_changed(self, key: TableKey) -> None:
        self._timeline(key).ttl_changed_at = self.clock()

    def table_deleted(self, key: TableKey, description: dict[str, Any]) -> None:
        self.tables.pop(key, None)
        self.deleted[key] = Tombstone(description, self.clock() + self.options.table_delete_seconds)

    # -- rewriting moto's descriptions ---------------------------------------------------------

    def describe(self, key: TableKey, description: dict[str, Any], shown: bool = False) -> None:
        """Rewrite moto's TableDescription, in place, as DynamoDB would show it now.

        ``shown``: the description answers a DescribeTable, so each index build's phase counts as seen.
        """
        description["TableStatus"] = self.table_status(key)
        timeline = self.tables.get(key)
        gsis: list[dict[str, Any]] = description.get("GlobalSecondaryIndexes") or []
        if timeline is not None:
            for index in gsis:
                name = str(index.get("IndexName", ""))
                status, backfilling = self._index_state(key, timeline, name)
                index["IndexStatus"] = status
                if backfilling is None:
                    index.pop("Backfilling", None)
                else:
                    index["Backfilling"] = backfilling
                build = timeline.index_builds.get(name)
                if shown and build is not None:
                    build.shown.add("backfilling" if backfilling else status)
            present = {index.get("IndexName") for index in gsis}
            for name, tombstone in sorted(self._deleting_indexes(key, timeline).items()):
                if name not in present:  # moto has forgotten it already
                    gsis.append({**tombstone.description, "IndexStatus": "DELETING"})
        for list_key, indexes in (
            ("GlobalSecondaryIndexes", gsis),
            ("LocalSecondaryIndexes", description.get("LocalSecondaryIndexes")),
        ):
            if indexes:
                description[list_key] = indexes
            else:
                # moto always sends empty lists; DynamoDB leaves them out.
                description.pop(list_key, None)

