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
