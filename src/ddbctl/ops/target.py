"""The target of a command: account, region, endpoint, environment and prefix, shown before anything else."""

from __future__ import annotations

from dataclasses import dataclass

from .session import Context


@dataclass(frozen=True)
class Target:
    account: str | None  # None: unknown (no table ARN seen, STS refused or not answered)
    region: str
    endpoint: str | None  # None: AWS's own endpoint
    environment: str
    prefix: str


def resolve_target(context: Context) -> Target:
    """Where ``context`` works. The account comes from a table ARN the client has seen, else from STS
    GetCallerIdentity (one call, never an error)."""
    settings = context.settings
    return Target(context.dynamo.account(), settings.region, settings.endpoint_url, settings.environment,
                  settings.prefix)
