"""Server settings shared by several test modules."""

from __future__ import annotations

from ddbctl.local import AwsLikeOptions

# Index builds slow enough (1.5 s, the first 0.5 s before backfilling) to start another build meanwhile.
SLOW_INDEX = AwsLikeOptions(table_create_seconds=0.1, table_update_seconds=0.1, index_create_seconds=1.5, seed=7)
# Another build in progress: long enough that ddbctl, however slowly a loaded machine starts it, sees it running.
BUILD_IN_PROGRESS_SECONDS = 4.0
