"""Global tables (version 2019.11.21): UpdateTable's ReplicaUpdates, GlobalTableWitnessUpdates and
MultiRegionConsistency, in both modes.

A replica is a real table of the same name in another region of the same server (requests are routed by
the region of their signature), created with the source's keys, indexes, billing, stream and encryption
and filled with its items. Every member then lists the others in DescribeTable (``Replicas``, never itself)
with ``GlobalTableVersion`` 2019.11.21 and ``GlobalTableSettingsReplicationMode`` ENABLED_WITH_OVERRIDES;
``MultiRegionConsistency`` appears only as STRONG, with ``GlobalTableWitnesses``. Item writes to any member
are copied to the others (at once), and so are GSI creations and deletions, capacity and billing changes,
table class and TTL changes; tags, PITR, policies, Contributor Insights and deletion protection stay
regional, as on DynamoDB. The rules and messages are DynamoDB's (see docs/local.md). In the AWS-like mode a
new replica is CREATING for ``replica_create_seconds`` (its source UPDATING meanwhile) and a removed one
DELETING for ``replica_delete_seconds``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import autoscaling
from .awslike_rules import nothing_to_update
from .replica_tables import copy_items, replica_creation, written_keys
from .surface_timing import Timing
from .wire import DynamoRequest, TableKey, constraint, raise_constraint_problems, validation_error

if TYPE_CHECKING:
    from moto.dynamodb.models.table import Table

VERSION = "2019.11.21"
SETTINGS_MODE = "ENABLED_WITH_OVERRIDES"
REPLICA_KEYS = ("ReplicaUpdates", "GlobalTableWitnessUpdates", "MultiRegionConsistency")
# Regions where multi-region strong consistency is offered (us-west-1 notably is not).
MRSC_REGIONS = frozenset({
    "us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1",
    "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
})
# UpdateTable members a group applies in every region (TTL goes through UpdateTimeToLive).
GROUP_WIDE_KEYS = ("AttributeDefinitions", "GlobalSecondaryIndexUpdates", "ProvisionedThroughput", "BillingMode",
                   "TableClass", "OnDemandThroughput")
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems",
                    "ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction"})
_INVALID = "One or more parameter values were invalid:"
_OPEN, _CLOSE = "\u2018", "\u2019"  # DynamoDB quotes the table name typographically here
_OVERRIDES = ("KMSMasterKeyId", "ProvisionedThroughputOverride", "OnDemandThroughputOverride", "TableClassOverride",
              "GlobalSecondaryIndexes")

Call = Callable[[str, dict[str, Any], str], dict[str, Any]]


@functools.cache
def supported_regions() -> tuple[str, ...]:
    """The regions global tables support: DynamoDB's commercial regions, from botocore's endpoint data."""
    import botocore.session  # type: ignore[import-untyped,unused-ignore]  # noqa: PLC0415

    return tuple(sorted(botocore.session.get_session().get_available_regions("dynamodb")))


@dataclass
class Group:
    """One replication group: its members by region (in order of creation) with their overrides."""

    name: str
    members: dict[str, dict[str, Any]]
    consistency: str = "EVENTUAL"
    witnesses: list[str] = field(default_factory=list)


class GlobalTables:
    """The replication groups of one server's account; not thread-safe (requests are serialized)."""

    def __init__(
        self, timing: Timing, account_id: str, call: Call, moto_table: Callable[[TableKey], Table | None]
    ) -> None:
        self.timing = timing
        self.account_id = account_id
        self.call = call  # one internal request (through moto and its corrections), its answer or a DynamoError
        self.moto_table = moto_table
        self._groups: dict[TableKey, Group] = {}
        self._propagating = False

    @property
    def active(self) -> bool:
        """Whether any table has replicas (only then do writes need copying)."""
        return bool(self._groups)

    def reset(self) -> None:
        self._groups.clear()

    def group(self, key: TableKey) -> Group | None:
        return self._groups.get(key)

    # -- UpdateTable ---------------------------------------------------------------------------------

    def check_update(self, request: DynamoRequest, table: dict[str, Any]) -> None:
        """ReplicaUpdates, GlobalTableWitnessUpdates and MultiRegionConsistency as DynamoDB checks them."""
        payload, key = request.payload, request.table_key
        replica_updates = payload.get("ReplicaUpdates")
        witness_updates = payload.get("GlobalTableWitnessUpdates")
        consistency = payload.get("MultiRegionConsistency")
        group = self._groups.get(key)
        others = [name for name in payload if name not in ("TableName", "AttributeDefinitions", *REPLICA_KEYS)]
        if replica_updates is None and (witness_updates is not None or consistency is not None) and not others:
            raise nothing_to_update()  # neither counts as a change on its own
        if replica_updates is None:
            if group is not None and group.consistency == "STRONG" and payload.get("StreamSpecification") is not None:
                raise validation_error("Disabling Stream is not allowed for a Global Table replica")
            return
        if others:
            rule = ("Requests that modify replicas or witnesses must not also modify other fields"
                    if witness_updates or consistency == "STRONG" else "Replica modification must be the only "
                    "operation in the request")
            raise validation_error(rule if rule.startswith("Requests") else f"{_INVALID} {rule}")
        actions = [self._action(update) for update in replica_updates]
        witnesses = self._witness_actions(witness_updates)
        for _, region, _ in [*actions, *witnesses]:
            self._check_region(region)
        local = [region for action, region, _ in actions if action in ("Create", "Delete") and region == key[0]]
        if local:
            raise validation_error(
                "Cannot add or delete the local region through ReplicaUpdates. Use CreateTable, DeleteTable, or "
                "UpdateTable as required."
            )
        if consistency is not None or any(action == "Create" for action, _, _ in witnesses):
            self._check_strong(key, table, group, consistency, actions, witnesses)
        elif group is not None and group.consistency == "STRONG":
            self._check_strong_teardown(key, group, actions, witnesses)
        else:
            creates_deletes = {(action, region) for action, region, _ in actions if action != "Update"}
            if len(creates_deletes) > 1:
                raise validation_error("Update table operation with more than one create or delete replica actions "
                                       "not allowed")
        self._check_members(key, table, group, actions)

    def _action(self, update: Any) -> tuple[str, str, dict[str, Any]]:
        present = [name for name in ("Create", "Update", "Delete") if isinstance(update, dict) and update.get(name)]
        if len(present) > 1:
            raise validation_error("Update table operation with more than one type of replica actions not allowed.")
        if not present:
            raise validation_error("There are no actions specified in the Replica Update Action of the request.")
        action: dict[str, Any] = update[present[0]]
        if present[0] == "Update" and not any(name in action for name in _OVERRIDES):
            raise validation_error("There are no actions specified in the Replica Update Action of the request.")
        return present[0], str(action.get("RegionName", "")), action

    @staticmethod
    def _witness_actions(updates: Any) -> list[tuple[str, str, dict[str, Any]]]:
        if updates is None:
            return []
        if isinstance(updates, list) and len(updates) > 1:
            raise_constraint_problems([constraint(updates, "globalTableWitnessUpdates",
                                                  "have length less than or equal to 1")])
        actions = []
        for update in updates or []:
            for name in ("Create", "Delete"):
                if isinstance(update, dict) and isinstance(update.get(name), dict):
                    actions.append((name, str(update[name].get("RegionName", "")), update[name]))
        return actions

    @staticmethod
    def _check_region(region: str) -> None:
        if region not in supported_regions():
            listed = ", ".join(supported_regions())
            raise validation_error(f"Region {region} is not supported. The latest version of global tables are only "
                                   f"supported in the following regions: [{listed}].")

    def _check_strong(
        self,
        key: TableKey,
        table: dict[str, Any],
        group: Group | None,
        consistency: Any,
        actions: list[tuple[str, str, dict[str, Any]]],
        witnesses: list[tuple[str, str, dict[str, Any]]],
    ) -> None:
        """A STRONG group is made whole in one call: the table and two new replicas, or one and a witness."""
        if group is not None and group.consistency == "STRONG":
            raise validation_error("MultiRegionConsistency parameter is unsupported on existing global table")
        if consistency != "STRONG":
            raise validation_error("MultiRegionConsistency must be set as STRONG when GlobalTableWitnessUpdates "
                                   "parameter is present.")
        if any(action != "Create" for action, _, _ in [*actions, *witnesses]):
            raise validation_error("Only Replica Create actions are supported when MultiRegionConsistency parameter "
                                   "is provided.")
        regions = [region for _, region, _ in actions]
        witness_regions = [region for _, region, _ in witnesses]
        unsupported = [region for region in [key[0], *regions, *witness_regions] if region not in MRSC_REGIONS]
        if unsupported:
            raise validation_error("Unsupported Region(s) specified for global tables with MultiRegionConsistency set "
                                   f"to STRONG: [{', '.join(dict.fromkeys(unsupported))}].")
        if set(witness_regions) & set(regions):
            raise validation_error("Cannot target multiple regions with the same action")
        if key[0] in witness_regions:
            raise validation_error("Cannot add a witness in the same region as an existing replica when creating a "
                                   "global table with MultiRegionConsistency set to STRONG.")
        existing = len(group.members) if group is not None else 1
        if existing + len(set(regions)) + len(witness_regions) != 3 or len(set(regions)) < 1:
            raise validation_error("Unsupported replica count for global tables with MultiRegionConsistency set to "
                                   "STRONG.")

    @staticmethod
    def _check_strong_teardown(
        key: TableKey,
        group: Group,
        actions: list[tuple[str, str, dict[str, Any]]],
        witnesses: list[tuple[str, str, dict[str, Any]]],
    ) -> None:
        """A STRONG group's membership is frozen: it can only be dissolved, all at once."""
        if any(action == "Create" for action, _, _ in actions):
            raise validation_error("Cannot add replicas to a global table with strong MultiRegionConsistency")
        gone = [region for _, region, _ in witnesses if region not in group.witnesses]
        if gone:
            raise validation_error("Update global table operation failed because one or more witnesses were not part "
                                   "of the global table. Please retry the request without these witnesses: "
                                   f"[{', '.join(gone)}].")
        deleted = {region for action, region, _ in actions if action == "Delete"}
        others = set(group.members) - {key[0]}
        if deleted and group.witnesses and not witnesses:
            raise validation_error("Update table delete operation does not include all witnesses.")
        if deleted and deleted != others:
            raise validation_error("Deletion of only one table replica is not supported for global tables with "
                                   "MultiRegionConsistency set to STRONG.")

    def _check_members(
        self, key: TableKey, table: dict[str, Any], group: Group | None, actions: list[tuple[str, str, dict[str, Any]]]
    ) -> None:
        members = set(group.members) if group is not None else {key[0]}
        missing = [region for action, region, _ in actions if action != "Create" and region not in members]
        if missing:
            raise validation_error("Update global table operation failed because one or more replicas were not part "
                                   "of the global table. Please retry the request without these replicas: "
                                   f"[{', '.join(dict.fromkeys(missing))}].")
        for action, region, settings in actions:
            if action == "Create" and (region in members or self.moto_table((region, key[1])) is not None):
                name = f"{_OPEN}{key[1]}{_CLOSE}"
                raise validation_error(f"Failed to create a the new replica of table with name: {name} because one or "
                                       "more replicas already existed as tables.")
            on_demand = (table.get("BillingModeSummary") or {}).get("BillingMode") == "PAY_PER_REQUEST"
            if action == "Update" and on_demand and "ProvisionedThroughputOverride" in settings:
                raise validation_error("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when "
                                       "BillingMode is PAY_PER_REQUEST")
            if action == "Create" and not on_demand:
                self._check_write_auto_scaled(key, table)

    def _check_write_auto_scaled(self, key: TableKey, table: dict[str, Any]) -> None:
        """A provisioned table needs auto scaling of its (and every GSI's) write capacity before a replica."""
        if not autoscaling.write_auto_scaled(self.account_id, key[0], autoscaling.resource_id(key[1]), False):
            raise validation_error("Table write capacity should either be Pay-Per-Request or AutoScaled")
        for index in table.get("GlobalSecondaryIndexes") or []:
            resource = autoscaling.resource_id(key[1], str(index.get("IndexName")))
            if not autoscaling.write_auto_scaled(self.account_id, key[0], resource, True):
                raise validation_error("GSI write capacity should either be Pay-Per-Request or AutoScaled")

    def apply_update(self, request: DynamoRequest, table: dict[str, Any]) -> None:
        """Carry out a checked UpdateTable's replica and witness actions."""
        key, payload = request.table_key, request.payload
        group = self._groups.get(key)
        if group is None:
            group = Group(key[1], {key[0]: {}})
        if payload.get("MultiRegionConsistency") == "STRONG":
            group.consistency = "STRONG"
        for update in payload.get("ReplicaUpdates") or []:
            action, region, settings = self._action(update)
            if action == "Create" and region not in group.members:
                self._create_replica(key, region, settings, table, group)
            elif action == "Update":
                _merge_overrides(group.members[region], settings)
            elif action == "Delete":
                self._delete_replica(key, region, group)
        for action, region, _ in self._witness_actions(payload.get("GlobalTableWitnessUpdates")):
            if action == "Create" and region not in group.witnesses:
                group.witnesses.append(region)
                if self.timing.plane is not None:
                    self.timing.plane.witness_added(key, region)
            elif action == "Delete" and region in group.witnesses:
                group.witnesses.remove(region)
                if self.timing.plane is not None:
                    self.timing.plane.replica_removed(key, region, witness=True)
        self._settle(group)

    def _create_replica(
        self, key: TableKey, region: str, settings: dict[str, Any], table: dict[str, Any], group: Group
    ) -> None:
        stream = table.get("StreamSpecification") or {}
        if not stream.get("StreamEnabled"):
            # DynamoDB turns on a NEW_AND_OLD_IMAGES stream itself (and leaves it after the last replica goes).
            self.call("UpdateTable", {"TableName": key[1], "StreamSpecification": {
                "StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}}, key[0])
        self.call("CreateTable", replica_creation(table, settings), region)
        source, replica = self.moto_table(key), self.moto_table((region, key[1]))
        if source is not None and replica is not None:
            for item in source.all_items():
                replica.put_item(item.to_json()["Attributes"], overwrite=True)
        group.members[region] = {}
        _merge_overrides(group.members[region], settings)
        self._groups[(region, key[1])] = group
        self._groups[key] = group
        if self.timing.plane is not None:
            self.timing.plane.replica_added(key, (region, key[1]))

    def _delete_replica(self, key: TableKey, region: str, group: Group) -> None:
        replica = (region, key[1])
        group.members.pop(region, None)
        self._groups.pop(replica, None)
        description = self.call("DescribeTable", {"TableName": key[1]}, region)["Table"]
        self.call("DeleteTable", {"TableName": key[1]}, region)
        if self.timing.plane is not None:
            self.timing.plane.replica_removed(key, region)
            description["TableStatus"] = "DELETING"
            self.timing.plane.table_deleted(replica, description, self.timing.seconds("replica_delete_seconds"))

    def _settle(self, group: Group) -> None:
        """A group left with one table and no witness is a regional table again."""
        if len(group.members) <= 1 and not group.witnesses:
            for region in group.members:
                self._groups.pop((region, group.name), None)

    # -- DeleteTable ---------------------------------------------------------------------------------

    def check_delete(self, key: TableKey) -> None:
        group = self._groups.get(key)
        if group is not None and group.consistency == "STRONG":
            raise validation_error("Deletion of only one table replica is not supported for global tables with "
                                   "MultiRegionConsistency set to STRONG.")

    def table_deleted(self, key: TableKey) -> None:
        """A member deleted in its own region leaves the group (the others show it DELETING a while)."""
        group = self._groups.pop(key, None)
        if group is None:
            return
        group.members.pop(key[0], None)
        if self.timing.plane is not None:
            for region in group.members:
                self.timing.plane.replica_removed((region, key[1]), key[0])
        self._settle(group)

    # -- descriptions --------------------------------------------------------------------------------

    def describe(self, key: TableKey, description: dict[str, Any]) -> None:
        """Add the group to a member's description: the other replicas, the witnesses, the consistency."""
        group = self._groups.get(key)
        if group is None:
            return
        replicas = []
        for region, overrides in group.members.items():
            if region == key[0]:
                continue
            entry: dict[str, Any] = {"RegionName": region, "ReplicaStatus": "ACTIVE"}
            entry.update(_described_overrides(overrides))
            replica = self.moto_table((region, key[1]))
            if replica is not None and isinstance(replica.warm_throughput, dict):
                entry["WarmThroughput"] = dict(replica.warm_throughput)
            entry["GlobalTableSettingsReplicationMode"] = SETTINGS_MODE
            replicas.append(entry)
        description["GlobalTableVersion"] = VERSION
        if replicas:
            description["Replicas"] = replicas
        description["GlobalTableSettingsReplicationMode"] = SETTINGS_MODE
        if group.consistency == "STRONG":
            description["MultiRegionConsistency"] = "STRONG"
        if group.witnesses:
            description["GlobalTableWitnesses"] = [{"RegionName": region, "WitnessStatus": "ACTIVE"}
                                                   for region in group.witnesses]

    # -- replication ---------------------------------------------------------------------------------

    def propagate(self, request: DynamoRequest) -> None:
        """Apply a member's group-wide change (an UpdateTable, an UpdateTimeToLive) to the other members."""
        group = self._groups.get(request.table_key)
        if group is None or self._propagating:
            return
        if request.operation == "UpdateTable":
            payload = {name: request.payload[name] for name in GROUP_WIDE_KEYS if name in request.payload}
            if set(payload) <= {"AttributeDefinitions"}:
                return
        else:
            payload = {name: value for name, value in request.payload.items() if name != "TableName"}
        self._propagating = True
        try:
            for region in group.members:
                if region != request.region:
                    self.call(request.operation, {**payload, "TableName": group.name}, region)
        finally:
            self._propagating = False

    def replicate_writes(self, request: DynamoRequest) -> None:
        """Copy the items a successful write changed to the other members of its table's group."""
        for name, keys in written_keys(request):
            key = (request.region, name)
            group = self._groups.get(key)
            source = self.moto_table(key) if group is not None else None
            if group is None or source is None:
                continue
            for region in group.members:
                replica = self.moto_table((region, name)) if region != key[0] else None
                if replica is not None:
                    copy_items(source, replica, keys)


def _merge_overrides(overrides: dict[str, Any], settings: dict[str, Any]) -> None:
    for name in _OVERRIDES:
        if name == "GlobalSecondaryIndexes":
            by_index = {index["IndexName"]: index for index in overrides.get(name, [])}
            for index in settings.get(name) or []:
                by_index[str(index.get("IndexName"))] = {**by_index.get(str(index.get("IndexName")), {}), **index}
            if by_index:
                overrides[name] = list(by_index.values())
        elif name in settings:
            overrides[name] = settings[name]


def _described_overrides(overrides: dict[str, Any]) -> dict[str, Any]:
    described: dict[str, Any] = {}
    if overrides.get("KMSMasterKeyId"):
        described["KMSMasterKeyId"] = overrides["KMSMasterKeyId"]
    for name in ("ProvisionedThroughputOverride", "OnDemandThroughputOverride"):
        if overrides.get(name):
            described[name] = dict(overrides[name])
    if overrides.get("TableClassOverride"):
        described["ReplicaTableClassSummary"] = {"TableClass": overrides["TableClassOverride"]}
    if overrides.get("GlobalSecondaryIndexes"):
        described["GlobalSecondaryIndexes"] = [dict(index) for index in overrides["GlobalSecondaryIndexes"]]
    return described
