"""The control-plane timeline of the AWS-like mode: which table and index is in which status, when.

moto applies every change at once; this keeps, per table, when each change will be "finished" and
rewrites what moto describes to match. Statuses are computed from the clock on each look, so no
background thread is needed and a test can never race a timer.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .options import AwsLikeOptions

TableKey = tuple[str, str]  # (region, table name): moto keeps one namespace per region


@dataclass
class IndexBuild:
    started: float
    ends: float


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
    index_builds: dict[str, IndexBuild] = field(default_factory=dict)
    index_tombstones: dict[str, Tombstone] = field(default_factory=dict)


class ControlPlane:
    def __init__(self, options: AwsLikeOptions, clock: Callable[[], float] = time.monotonic) -> None:
        self.options = options
        self.clock = clock
        self.tables: dict[TableKey, TableTimeline] = {}
        self.deleted: dict[TableKey, Tombstone] = {}

    def clear(self) -> None:
        self.tables.clear()
        self.deleted.clear()

    # -- reading -------------------------------------------------------------------------------

    def deleting(self, key: TableKey) -> Tombstone | None:
        tombstone = self.deleted.get(key)
        if tombstone and tombstone.until <= self.clock():
            del self.deleted[key]
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
        if now < timeline.active_at:
            return "CREATING"
        if now < timeline.updating_until:
            return "UPDATING"
        return "ACTIVE"

    def _live_builds(self, timeline: TableTimeline) -> dict[str, IndexBuild]:
        now = self.clock()
        timeline.index_builds = {n: b for n, b in timeline.index_builds.items() if b.ends > now}
        timeline.index_tombstones = {n: t for n, t in timeline.index_tombstones.items() if t.until > now}
        return timeline.index_builds

    def index_status(self, key: TableKey, index_name: str) -> str:
        timeline = self.tables.get(key)
        if timeline is None:
            return "ACTIVE"
        if index_name in self._live_builds(timeline):
            return "CREATING"
        if index_name in timeline.index_tombstones:
            return "DELETING"
        return "CREATING" if self.clock() < timeline.active_at else "ACTIVE"

    def index_change_in_progress(self, key: TableKey) -> bool:
        timeline = self.tables.get(key)
        if timeline is None:
            return False
        return bool(self._live_builds(timeline) or timeline.index_tombstones)

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
        return [
            name
            for (key_region, name) in list(self.deleted)
            if key_region == region and self.deleting((key_region, name))
        ]

    # -- changes -------------------------------------------------------------------------------

    def created(self, key: TableKey) -> None:
        self.deleted.pop(key, None)
        self.tables[key] = TableTimeline(active_at=self.clock() + self.options.table_create_seconds)

    def _timeline(self, key: TableKey) -> TableTimeline:
        # A table not created through this server (e.g. before a reset of the timeline) is already ACTIVE.
        return self.tables.setdefault(key, TableTimeline(active_at=self.clock()))

    def updated(self, key: TableKey) -> None:
        self._timeline(key).updating_until = self.clock() + self.options.table_update_seconds

    def index_created(self, key: TableKey, index_name: str) -> None:
        now = self.clock()
        self._timeline(key).index_builds[index_name] = IndexBuild(now, now + self.options.index_create_seconds)

    def index_deleted(self, key: TableKey, description: dict[str, Any]) -> None:
        until = self.clock() + self.options.index_delete_seconds
        self._timeline(key).index_tombstones[description["IndexName"]] = Tombstone(description, until)

    def ttl_changed(self, key: TableKey) -> None:
        self._timeline(key).ttl_changed_at = self.clock()

    def table_deleted(self, key: TableKey, description: dict[str, Any]) -> None:
        self.tables.pop(key, None)
        self.deleted[key] = Tombstone(description, self.clock() + self.options.table_delete_seconds)

    # -- rewriting moto's descriptions ---------------------------------------------------------

    def describe(self, key: TableKey, description: dict[str, Any]) -> dict[str, Any]:
        """moto's TableDescription as DynamoDB would show it now."""
        described = copy.deepcopy(description)
        status = self.table_status(key)
        described["TableStatus"] = status
        timeline = self.tables.get(key)
        now = self.clock()
        gsis: list[dict[str, Any]] = described.get("GlobalSecondaryIndexes") or []
        if timeline is not None:
            builds = self._live_builds(timeline)
            for index in gsis:
                build = builds.get(index.get("IndexName", ""))
                if status == "CREATING":
                    index["IndexStatus"] = "CREATING"
                    index.pop("Backfilling", None)
                elif build is not None:
                    index["IndexStatus"] = "CREATING"
                    # Backfilling starts after the index's first third, as DynamoDB first builds the
                    # empty index and only then copies the items.
                    index["Backfilling"] = now >= build.started + (build.ends - build.started) / 3
                else:
                    index["IndexStatus"] = "ACTIVE"
                    index.pop("Backfilling", None)
            present = {index.get("IndexName") for index in gsis}
            for name, tombstone in sorted(timeline.index_tombstones.items()):
                if name not in present:
                    gsis.append({**copy.deepcopy(tombstone.description), "IndexStatus": "DELETING"})
        for list_key, indexes in (
            ("GlobalSecondaryIndexes", gsis),
            ("LocalSecondaryIndexes", described.get("LocalSecondaryIndexes")),
        ):
            if indexes:
                described[list_key] = indexes
            else:
                # moto always sends empty lists; DynamoDB leaves them out.
                described.pop(list_key, None)
        return described
