"""What each ddbctl command sends to AWS: the one table the IAM policy generator reads.

Keyed by CLI command name; values are API operation names as sent (DynamoDB's without a prefix,
S3's prefixed ``s3:``). ``tests/generate/test_iam_proof.py`` runs every command against the local
server and proves each entry against the server's operation log: a command sends every operation
listed for it (in some run) and nothing else. A command that sends nothing to AWS maps to an empty set.
"""

from __future__ import annotations

_READ_TABLES = frozenset(
    {"ListTables", "DescribeTable", "DescribeTimeToLive", "DescribeContinuousBackups", "ListTagsOfResource"}
)

OPERATIONS: dict[str, frozenset[str]] = {
    "validate": frozenset(),
    # The generators read spec files only.
    "generate cloudformation": frozenset(),
    "generate terraform": frozenset(),
    "generate iam-policy": frozenset(),
    "generate table-config": frozenset(),
    "export": _READ_TABLES,
    "plan": _READ_TABLES,
    "create": _READ_TABLES | {"CreateTable", "UpdateTimeToLive", "UpdateContinuousBackups"},
    "apply": _READ_TABLES | {
        "CreateTable", "UpdateTable", "DeleteTable", "UpdateTimeToLive", "UpdateContinuousBackups",
        "TagResource", "UntagResource",
    },
    "add-gsi": _READ_TABLES | {"UpdateTable"},
    "wait": frozenset({"ListTables", "DescribeTable"}),
    "adopt": _READ_TABLES | {"TagResource"},
    "envs": _READ_TABLES,
    "diff": _READ_TABLES,
    "destroy": _READ_TABLES | {"DeleteTable"},
}
