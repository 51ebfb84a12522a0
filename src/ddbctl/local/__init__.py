"""An embedded DynamoDB-compatible server for development and tests: moto, plain or "AWS-like".

The AWS-like mode adds what moto lacks and ddbctl must cope with: tables and indexes that take time
to become ACTIVE, DynamoDB's limits and rules, and random throttling, errors and unprocessed items.
See docs/local.md.
"""

from __future__ import annotations

from .operations import DATA_OPERATIONS, MUTATING_OPERATIONS
from .options import AwsLikeOptions
from .server import LocalServer

__all__ = ["DATA_OPERATIONS", "MUTATING_OPERATIONS", "AwsLikeOptions", "LocalServer"]
