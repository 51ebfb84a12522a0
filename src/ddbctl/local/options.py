"""Settings of the AWS-like mode."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class AwsLikeOptions:
    """How closely, and how slowly, the local server imitates DynamoDB's control plane.

    All durations are in seconds and all rates in 0..1 (the share of calls that fail or come back
    partly unprocessed). ``seed`` makes the random faults reproducible.
    """

    table_create_seconds: float = 2.0
    table_update_seconds: float = 0.5
    table_delete_seconds: float = 0.5
    # CREATING with Backfilling false for the first third, then true, then ACTIVE.
    index_create_seconds: float = 3.0
    index_delete_seconds: float = 0.5
    ttl_cooldown_seconds: float = 3600.0
    # UpdateContinuousBackups answers ContinuousBackupsUnavailableException for this long after a table
    # becomes ACTIVE, as DynamoDB sometimes does right after creation. Off by default.
    pitr_unavailable_seconds: float = 0.0
    # ExportTableToPointInTime shows IN_PROGRESS, ImportTable IN_PROGRESS (its table CREATING) and a
    # restored table CREATING for this long.
    export_seconds: float = 2.0
    import_seconds: float = 2.0
    restore_seconds: float = 2.0
    # The 2026 table surface (docs/local.md). A vector index added by UpdateTable is CREATING (Backfilling
    # false, then true) this long, sharing the one-index-build-at-a-time rule with GSIs; it is deleted in
    # index_delete_seconds. DynamoDB takes minutes for both; these defaults stay short.
    vector_index_create_seconds: float = 3.0
    # A raised WarmThroughput (table or GSI) shows Status UPDATING this long; TableStatus stays ACTIVE.
    warm_throughput_seconds: float = 2.0
    # A replica added by UpdateTable ReplicaUpdates is CREATING this long (its table CREATING in its own
    # region, the source UPDATING); a removed one DELETING for replica_delete_seconds.
    replica_create_seconds: float = 3.0
    replica_delete_seconds: float = 1.0
    # After a resource policy changes, another change of it is refused this long: ResourceInUseException
    # for the first 2/15 (DynamoDB: about 2 s of 15), then ThrottlingException. DynamoDB's window is 15 s.
    resource_policy_lock_seconds: float = 1.0
    # Contributor Insights ENABLING/DISABLING, and a Kinesis streaming destination ENABLING, DISABLING or
    # UPDATING, last this long.
    contributor_insights_seconds: float = 1.0
    kinesis_destination_seconds: float = 1.0
    unprocessed_rate: float = 0.0
    throttle_rate: float = 0.0
    error_rate: float = 0.0
    latency_ms: int = 0
    seed: int | None = None
    # For tests that watch an index build: each phase (CREATING, then CREATING with Backfilling, then
    # ACTIVE) lasts at least until a DescribeTable has shown it, however late the caller looks.
    show_every_phase: bool = False

    def __post_init__(self) -> None:
        for option in fields(self):
            value = getattr(self, option.name)
            if option.name.endswith("_rate") and not 0.0 <= value <= 1.0:
                raise ValueError(f"{option.name} must be between 0 and 1, got {value}")
            if option.name.endswith(("_seconds", "_ms")) and value < 0:
                raise ValueError(f"{option.name} must be 0 or more, got {value}")
