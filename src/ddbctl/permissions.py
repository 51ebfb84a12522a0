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

# Sent for information only, and never an error when refused: the account in the target header
# (when no table ARN named it) and whether an SSE key is AWS managed or has an alias (export).
# A policy need not grant them; the local server logs them with their service prefix.
INFORMATIONAL = frozenset({"sts:GetCallerIdentity", "kms:DescribeKey", "kms:ListAliases"})

OPERATIONS: dict[str, frozenset[str]] = {
    "validate": frozenset(),
    "export": _READ_TABLES,
    "plan": _READ_TABLES,
    "create": _READ_TABLES | {"CreateTable", "UpdateTimeToLive", "UpdateContinuousBackups"},
    "apply": _READ_TABLES | {
        "CreateTable", "UpdateTable", "DeleteTable", "UpdateTimeToLive", "UpdateContinuousBackups",
        "TagResource", "UntagResource",
    },
    "add-gsi": _READ_TABLES | {"UpdateTable"},
    "wait": frozenset({"ListTables", "DescribeTable"}),
}
