"""Server settings shared by several test modules."""

from __future__ import annotations

from ddbctl.local import AwsLikeOptions

# Index builds slow enough (1.5 s, the first 0.5 s before backfilling) to start another build meanwhile;
# each phase lasts until a DescribeTable has shown it, so a watcher sees all three however loaded the
# machine. A test that needs a build to outlast something holds it (server.hold(table, index)).
SLOW_INDEX = AwsLikeOptions(table_create_seconds=0.1, table_update_seconds=0.1, index_create_seconds=1.5, seed=7,
                            show_every_phase=True)
# Another build in progress: it stays CREATING until ddbctl has seen it (show_every_phase), and lasts this long.
BUILD_IN_PROGRESS_SECONDS = 2.0
