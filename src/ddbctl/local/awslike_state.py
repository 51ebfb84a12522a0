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
    kind: str = "GlobalSecondaryIndexes"  # an index's list in the description: GSIs or VectorIndexes


# The index lists whose entries have an IndexStatus (GSIs and vector indexes share one name space and
# the one-build-at-a-time rule).
TIMED_INDEX_LISTS = ("GlobalSecondaryIndexes", "VectorIndexes")
# A replica or witness being added or removed: (RegionName, until, status shown meanwhile).
ReplicaChange = tuple[str, float, str]


@dataclass
class TableTimeline:
    active_at: float
    updating_until: float = 0.0
    ttl_changed_at: float | None = None
    # Finished builds and expired tombstones stay until the table goes: reads compare with the clock.
    index_builds: dict[str, IndexBuild] = field(default_factory=dict)
    index_tombstones: dict[str, Tombstone] = field(default_factory=dict)
    # When a raised WarmThroughput settles, by index name (None: the table's own).
    warm_until: dict[str | None, float] = field(default_factory=dict)
    # Replicas (tables in other regions) this table is UPDATING for while they are being created.
    replica_waits: set[TableKey] = field(default_factory=set)
    # Replicas being removed and witnesses being added or removed, by region.
    replica_changes: dict[str, ReplicaChange] = field(default_factory=dict)
    witness_changes: dict[str, ReplicaChange] = field(default_factory=dict)

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

    def held(self, key: TableKey, index: str | None, ends: float) -> bool:
        """Whether a transition ending at ``ends`` is held: one that was still going when the hold was placed."""
        placed = self.holds.get((key, index))
        return placed is not None and ends > placed

    def pending(self, key: TableKey, index: str | None, ends: float) -> bool:
        """Whether a transition of the table (or index) ending at ``ends`` is still going, or held."""
        return self.clock() < ends or self.held(key, index, ends)

    # -- reading -------------------------------------------------------------------------------

    def deleting(self, key: TableKey) -> Tombstone | None:
        tombstone = self.deleted.get(key)
        if tombstone and tombstone.until <= self.clock() and not self.held(key, None, tombstone.until):
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
        if now < timeline.active_at or self.held(key, None, timeline.active_at):
            return "CREATING"
        if now < timeline.updating_until or self.held(key, None, timeline.updating_until):
            return "UPDATING"
        if self._replicas_busy(key, timeline):
            return "UPDATING"  # DynamoDB keeps the table UPDATING while a replica is added or removed
        return "ACTIVE"

    def _replicas_busy(self, key: TableKey, timeline: TableTimeline) -> bool:
        waiting = any(self._being_created(replica) for replica in timeline.replica_waits)
        changing = [*timeline.replica_changes.values(), *timeline.witness_changes.values()]
        return waiting or any(self.pending(key, None, until) for _, until, _ in changing)

    def _being_created(self, key: TableKey) -> bool:
        # Only the table's own creation: a replica's status never depends on its source's (no cycles).
        timeline = self.tables.get(key)
        return timeline is not None and self.pending(key, None, timeline.active_at)

    def replica_status(self, key: TableKey, region: str) -> str:
        """A replica's ReplicaStatus as ``key``'s description shows it: its own table's creation, or its removal."""
        timeline = self.tables.get(key)
        change = timeline.replica_changes.get(region) if timeline else None
        if change is not None and self.pending(key, None, change[1]):
            return change[2]
        status = self.table_status((region, key[1]))
        return status if status in ("CREATING", "DELETING") else "ACTIVE"

    def index_status(self, key: TableKey, index_name: str) -> str:
        timeline = self.tables.get(key)
        if timeline is None:
            return "ACTIVE"
        if index_name in self._deleting_indexes(key, timeline):
            return "DELETING"
        return self._index_state(key, timeline, index_name)[0]

    def warm_pending(self, key: TableKey, index: str | None) -> bool:
        timeline = self.tables.get(key)
        until = timeline.warm_until.get(index) if timeline else None
        return until is not None and self.pending(key, index, until)

    def index_change_in_progress(self, key: TableKey) -> bool:
        timeline = self.tables.get(key)
        if timeline is None:
            return False
        building = any(self._index_state(key, timeline, name)[0] == "CREATING" for name in timeline.index_builds)
        return building or bool(self._deleting_indexes(key, timeline))

    def _deleting_indexes(self, key: TableKey, timeline: TableTimeline) -> dict[str, Tombstone]:
        deleting = timeline.deleting_indexes(self.clock())
        held = {name: t for name, t in timeline.index_tombstones.items() if self.held(key, name, t.until)}
        return {**held, **deleting}

    def _index_state(self, key: TableKey, timeline: TableTimeline, index_name: str) -> tuple[str, bool | None]:
        """A GSI's IndexStatus and Backfilling (None: not shown), tombstones aside."""
        now = self.clock()
        if now < timeline.active_at or self.held(key, None, timeline.active_at):
            return "CREATING", None  # the table's own indexes are built with it, without backfilling
        build = timeline.index_builds.get(index_name)
        if build is None:
            return "ACTIVE", None
        phase = "ACTIVE" if now >= build.ends else "backfilling" if now >= build.backfilling_at else "CREATING"
        if phase == "ACTIVE" and self.held(key, index_name, build.ends):
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

    def index_created(self, key: TableKey, index_name: str, seconds: float | None = None) -> None:
        """A new index (GSI, or vector index with ``seconds``), CREATING then backfilling then ACTIVE."""
        now = self.clock()
        seconds = self.options.index_create_seconds if seconds is None else seconds
        self._timeline(key).index_builds[index_name] = IndexBuild(backfilling_at=now + seconds / 3, ends=now + seconds)

    def index_deleted(self, key: TableKey, description: dict[str, Any], kind: str = "GlobalSecondaryIndexes") -> None:
        until = self.clock() + self.options.index_delete_seconds
        self._timeline(key).index_tombstones[description["IndexName"]] = Tombstone(description, until, kind)

    def warm_raised(self, key: TableKey, index: str | None) -> None:
        """A WarmThroughput change of the table (or of its GSI ``index``): Status UPDATING for a while."""
        self._timeline(key).warm_until[index] = self.clock() + self.options.warm_throughput_seconds

    def replica_added(self, key: TableKey, replica: TableKey) -> None:
        """``replica`` (the same table in another region) is being created: CREATING there, ``key`` UPDATING."""
        self.created(replica, self.options.replica_create_seconds)
        self._timeline(key).replica_waits.add(replica)

    def replica_removed(self, key: TableKey, region: str, witness: bool = False) -> None:
        """A replica (or witness) of ``key`` in ``region`` is being removed: DELETING for a while."""
        until = self.clock() + self.options.replica_delete_seconds
        changes = self._timeline(key).witness_changes if witness else self._timeline(key).replica_changes
        changes[region] = (region, until, "DELETING")

    def witness_added(self, key: TableKey, region: str) -> None:
        until = self.clock() + self.options.replica_create_seconds
        self._timeline(key).witness_changes[region] = (region, until, "CREATING")

    def ttl_changed(self, key: TableKey) -> None:
        self._timeline(key).ttl_changed_at = self.clock()

    def table_deleted(self, key: TableKey, description: dict[str, Any], seconds: float | None = None) -> None:
        """A deleted table, DELETING for ``seconds`` (default: table_delete_seconds)."""
        self.tables.pop(key, None)
        seconds = self.options.table_delete_seconds if seconds is None else seconds
        self.deleted[key] = Tombstone(description, self.clock() + seconds)

    # -- rewriting moto's descriptions ---------------------------------------------------------

    def describe(self, key: TableKey, description: dict[str, Any], shown: bool = False) -> None:
        """Rewrite moto's TableDescription, in place, as DynamoDB would show it now.

        ``shown``: the description answers a DescribeTable, so each index build's phase counts as seen.
        """
        description["TableStatus"] = self.table_status(key)
        timeline = self.tables.get(key)
        lists: dict[str, list[dict[str, Any]]] = {name: description.get(name) or [] for name in TIMED_INDEX_LISTS}
        if timeline is not None:
            for list_key, indexes in lists.items():
                self._describe_indexes(key, timeline, indexes, list_key, shown)
            self._describe_warm(key, description)
            self._describe_replicas(key, timeline, description)
        lists["LocalSecondaryIndexes"] = description.get("LocalSecondaryIndexes") or []
        for list_key, indexes in lists.items():
            if indexes:
                description[list_key] = indexes
            else:
                # moto always sends empty lists; DynamoDB leaves them out.
                description.pop(list_key, None)

    def _describe_indexes(
        self, key: TableKey, timeline: TableTimeline, indexes: list[dict[str, Any]], kind: str, shown: bool
    ) -> None:
        for index in indexes:
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
        present = {index.get("IndexName") for index in indexes}
        for name, tombstone in sorted(self._deleting_indexes(key, timeline).items()):
            if name not in present and tombstone.kind == kind:  # moto has forgotten it already
                indexes.append({**tombstone.description, "IndexStatus": "DELETING"})

    def _describe_warm(self, key: TableKey, description: dict[str, Any]) -> None:
        """WarmThroughput.Status UPDATING while a raise settles (the table and its indexes stay ACTIVE)."""
        warm = description.get("WarmThroughput")
        if isinstance(warm, dict) and self.warm_pending(key, None):
            warm["Status"] = "UPDATING"
        for index in description.get("GlobalSecondaryIndexes") or []:
            index_warm = index.get("WarmThroughput")
            if isinstance(index_warm, dict) and self.warm_pending(key, str(index.get("IndexName"))):
                index_warm["Status"] = "UPDATING"

    def _describe_replicas(self, key: TableKey, timeline: TableTimeline, description: dict[str, Any]) -> None:
        """ReplicaStatus and WitnessStatus from the replicas' own tables and the removals still going on."""
        replicas: list[dict[str, Any]] = description.get("Replicas") or []
        for replica in replicas:
            replica["ReplicaStatus"] = self.replica_status(key, str(replica.get("RegionName")))
        listed = {replica.get("RegionName") for replica in replicas}
        for region, until, status in timeline.replica_changes.values():
            if region not in listed and self.pending(key, None, until):
                replicas.append({"RegionName": region, "ReplicaStatus": status})
        witnesses: list[dict[str, Any]] = description.get("GlobalTableWitnesses") or []
        for witness in witnesses:
            change = timeline.witness_changes.get(str(witness.get("RegionName")))
            witness["WitnessStatus"] = change[2] if change and self.pending(key, None, change[1]) else "ACTIVE"
        listed = {witness.get("RegionName") for witness in witnesses}
        for region, until, status in timeline.witness_changes.values():
            if region not in listed and self.pending(key, None, until):
                witnesses.append({"RegionName": region, "WitnessStatus": status})
        for list_key, entries in (("Replicas", replicas), ("GlobalTableWitnesses", witnesses)):
            if entries:
                description[list_key] = entries
        if replicas and "GlobalTableVersion" not in description:
            description["GlobalTableVersion"] = "2019.11.21"  # a group being dissolved still shows it

