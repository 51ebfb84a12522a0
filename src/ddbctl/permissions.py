"""The DynamoDB operations each command may send: the IAM actions (``dynamodb:<operation>``) it needs.

One table for the README, the IAM policy generator and the messages of a refused action. Tests prove
it against the local server's operation log, so it cannot drift from what the commands send.

- ``ListTables`` is the connection probe every command that connects sends first (one call, Limit 1), and
  how export/plan/apply find the environment's tables.
- ``create`` and ``add-gsi`` read DescribeTable only (the seed's scripts needed no more); ``create``
  verifies TTL and PITR with DescribeTimeToLive/DescribeContinuousBackups (``OPTIONAL``: when the policy
  refuses them, DynamoDB's success answer is taken). Creating a table with tags needs ``TagResource``.
- ``export``/``plan`` read the four descriptions of every table; ``apply`` adds the changes it may send.
"""

from __future__ import annotations

READS = frozenset({"ListTables", "DescribeTable", "DescribeTimeToLive", "DescribeContinuousBackups",
                   "ListTagsOfResource"})
# Reads that verify a change and are not needed: refused by the policy, DynamoDB's success answer is taken.
OPTIONAL = frozenset({"DescribeTimeToLive", "DescribeContinuousBackups"})
CREATE = frozenset({"ListTables", "DescribeTable", "CreateTable", "TagResource", "UpdateTimeToLive",
                    "UpdateContinuousBackups"}) | OPTIONAL

OPERATIONS: dict[str, frozenset[str]] = {
    "validate": frozenset(),
    "schema": frozenset(),
    "export": READS,
    "plan": READS,
    "apply": READS | {"CreateTable", "UpdateTable", "DeleteTable", "UpdateTimeToLive", "UpdateContinuousBackups",
                      "TagResource", "UntagResource"},
    "create": CREATE,
    "add-gsi": frozenset({"ListTables", "DescribeTable", "UpdateTable"}),
    "wait": frozenset({"ListTables", "DescribeTable"}),
}


def commands_needing(operation: str) -> list[str]:
    """The commands that send ``operation`` (``DescribeTimeToLive``), in the table's order."""
    return [command for command, operations in OPERATIONS.items() if operation in operations]
