"""What each ddbctl command sends to AWS: the one table the IAM policy generator, docs/iam.md and the
messages of a refused action read.

Keyed by CLI command name; values are API operation names as sent (DynamoDB's without a prefix, S3's
prefixed ``s3:``). ``tests/generate/test_iam_proof.py`` runs every command against the local server and
proves each entry against the server's operation log: a command sends every operation listed for it (in
some run) and nothing else. A command that sends nothing to AWS maps to an empty set.

- ``ListTables`` is the connection probe every command that connects sends first (one call, Limit 1), and
  how export/plan/apply find the environment's tables.
- ``create`` and ``add-gsi`` read DescribeTable and the tags that prove ownership; ``create`` verifies TTL
  and PITR with DescribeTimeToLive/DescribeContinuousBackups. Those reads are ``OPTIONAL``: when the policy
  refuses them, DynamoDB's success answer is taken and ownership goes by the naming rule alone (these
  commands only add). Creating a table with tags also needs ``dynamodb:TagResource`` (implied by CreateTable
  in ``generate.iam``).
- ``export``/``plan`` read the four descriptions of every table; ``apply`` adds the changes it may send.
- Flag variants that send other operations have their own rows (``backup --native``, ``restore --snapshot``,
  ``apply --snapshot-first``); ``generate iam-policy --for "restore --snapshot"`` selects one. A restore
  reads one environment and writes another: generate the policy for both (``-e production`` and ``-e dr``).
"""

from __future__ import annotations

READS = frozenset({"ListTables", "DescribeTable", "DescribeTimeToLive", "DescribeContinuousBackups",
                   "ListTagsOfResource"})
# Reads a command can do without: refused by the policy, it takes DynamoDB's success answer (TTL, PITR) or
# goes by the naming rule (tags) — only in commands that add and never destroy.
OPTIONAL = frozenset({"DescribeTimeToLive", "DescribeContinuousBackups", "ListTagsOfResource"})
CREATE = frozenset({"ListTables", "DescribeTable", "CreateTable", "UpdateTimeToLive",
                    "UpdateContinuousBackups"}) | OPTIONAL

# What converging a table to its spec file may change (after a native restore: TTL, PITR, streams, tags...).
CONVERGE = frozenset({"UpdateTable", "UpdateTimeToLive", "UpdateContinuousBackups", "TagResource",
                      "UntagResource"})
APPLY = READS | CONVERGE | {"CreateTable", "DeleteTable"}
# What converging a table a restore or import just made can send: it comes back with no tags, so no untagging.
RESTORED = CONVERGE - {"UntagResource"}

# Sent for information only, and never an error when refused: the account in the target header
# (when no table ARN named it) and whether an SSE key is AWS managed or has an alias (export).
# A policy need not grant them; the local server logs them with their service prefix.
INFORMATIONAL = frozenset({"sts:GetCallerIdentity", "kms:DescribeKey", "kms:ListAliases"})

OPERATIONS: dict[str, frozenset[str]] = {
    "validate": frozenset(),
    "schema": frozenset(),
    # The generators read spec files only.
    "generate cloudformation": frozenset(),
    "generate terraform": frozenset(),
    "generate iam-policy": frozenset(),
    "generate table-config": frozenset(),
    "export": READS,
    "plan": READS,
    "apply": APPLY,
    "create": CREATE,
    "add-gsi": frozenset({"ListTables", "DescribeTable", "ListTagsOfResource", "UpdateTable"}),
    "wait": frozenset({"ListTables", "DescribeTable"}),
    "adopt": READS | {"TagResource"},
    "envs": READS,
    "diff": READS,
    "destroy": READS | {"DeleteTable"},
    # Data and disaster recovery. A client backup scans and, to s3://, writes (and on a re-run reads and
    # replaces) its files; a native backup is DynamoDB's export, whose files DynamoDB writes itself.
    "backup": READS | {"Scan", "s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"},
    "backup verify": frozenset(),
    "backup --native": READS | {"ExportTableToPointInTime", "DescribeExport", "s3:GetObject", "s3:PutObject",
                                "s3:DeleteObject"},
    "snapshot": READS | {"CreateBackup", "DescribeBackup"},
    "snapshots": READS | {"ListBackups"},
    # Restores read the source (and, with --verify, re-read the target) and create the missing tables.
    "restore": READS | {"CreateTable", "UpdateTimeToLive", "UpdateContinuousBackups", "Scan", "BatchWriteItem",
                        "BatchGetItem", "s3:GetObject"},
    "restore --native": READS | RESTORED | {"ImportTable", "DescribeImport", "ListImports", "s3:GetObject"},
    "restore --point-in-time": READS | RESTORED | {"RestoreTableToPointInTime"},
    "restore --snapshot": READS | RESTORED | {"ListBackups", "RestoreTableFromBackup"},
    "apply --snapshot-first": APPLY | {"CreateBackup", "DescribeBackup"},
}


def commands_needing(operation: str) -> list[str]:
    """The commands that send ``operation`` (``DescribeTimeToLive``), in the table's order; a flag variant
    (``apply --snapshot-first``) only where its command itself does not send it."""
    names = [command for command, operations in OPERATIONS.items() if operation in operations]
    return [name for name in names if name.split(" --")[0] == name or name.split(" --")[0] not in names]
