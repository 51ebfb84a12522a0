"""pytest fixtures for tests that need a DynamoDB: a plain moto server and an AWS-like one.

Enable with ``pytest_plugins = ["ddbctl.local.pytest_plugin"]`` in a conftest. The servers are
session-scoped (starting moto takes a moment) and reset before each test by the function-scoped
fixtures, so every test starts with no tables, no recorded operations and no faults.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from .options import AwsLikeOptions
from .server import LocalServer

REGION = "us-east-1"

# Fast enough for a test suite, slow enough that a caller that does not wait sees CREATING/UPDATING.
FAST_AWS_LIKE = AwsLikeOptions(
    table_create_seconds=0.3,
    table_update_seconds=0.2,
    table_delete_seconds=0.2,
    index_create_seconds=0.6,
    index_delete_seconds=0.2,
    ttl_cooldown_seconds=3600.0,
    export_seconds=0.5,
    import_seconds=0.5,
    restore_seconds=0.5,
    vector_index_create_seconds=0.6,
    warm_throughput_seconds=0.3,
    replica_create_seconds=0.6,
    replica_delete_seconds=0.3,
    resource_policy_lock_seconds=0.3,
    contributor_insights_seconds=0.2,
    kinesis_destination_seconds=0.2,
    seed=1234,
)


@dataclass(frozen=True)
class LocalDynamoDB:
    """What a test gets: where the server is, the server itself, and ready-made settings."""

    endpoint_url: str
    server: LocalServer
    region: str = REGION
    env: dict[str, str] = field(default_factory=dict)

    def client(self, max_attempts: int = 1, **kwargs: Any) -> Any:
        """A boto3 DynamoDB client for this server: standard retry mode, ``max_attempts`` attempts in all.

        (botocore reads ``retries={"max_attempts": n}`` as n *retries*; ``total_max_attempts`` is the
        total, which is what a test expecting an error to surface wants.)
        """
        # Imported here: a test helper; the library itself imports boto3 only in ddbctl.aws.
        import boto3  # type: ignore[import-untyped,unused-ignore]  # noqa: PLC0415
        from botocore.config import Config  # type: ignore[import-untyped,unused-ignore]  # noqa: PLC0415

        config = Config(retries={"mode": "standard", "total_max_attempts": max_attempts})
        settings: dict[str, Any] = {
            "endpoint_url": self.endpoint_url,
            "region_name": self.region,
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
            "config": config,
        }
        return boto3.client("dynamodb", **{**settings, **kwargs})

    def s3_client(self, **kwargs: Any) -> Any:
        """A boto3 S3 client for this server (the same port serves S3), path-style, one attempt."""
        from botocore.config import Config  # type: ignore[import-untyped,unused-ignore]  # noqa: PLC0415

        config = Config(s3={"addressing_style": "path"}, retries={"mode": "standard", "total_max_attempts": 1})
        return self.service_client("s3", **{"config": config, **kwargs})

    def service_client(self, service: str, **kwargs: Any) -> Any:
        """A boto3 client of another service the same port serves (``kinesis``, ``application-autoscaling``,
        ``kms``, ``sts``, ``s3``), one attempt."""
        import boto3  # type: ignore[import-untyped,unused-ignore]  # noqa: PLC0415
        from botocore.config import Config  # type: ignore[import-untyped,unused-ignore]  # noqa: PLC0415

        settings: dict[str, Any] = {
            "endpoint_url": self.endpoint_url,
            "region_name": self.region,
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
            "config": Config(retries={"mode": "standard", "total_max_attempts": 1}),
        }
        return boto3.client(service, **{**settings, **kwargs})


def local_dynamodb(server: LocalServer) -> LocalDynamoDB:
    env = {
        "AWS_ENDPOINT_URL_DYNAMODB": server.endpoint_url,
        # The same port serves Kinesis and Application Auto Scaling (the 2026 table surface's other services).
        "AWS_ENDPOINT_URL_KINESIS": server.endpoint_url,
        "AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING": server.endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
    }
    return LocalDynamoDB(endpoint_url=server.endpoint_url, server=server, env=env)


class ServerPool:
    """One server per mode (plain, or each AwsLikeOptions) for the whole session, emptied when handed out.

    Starting moto takes a moment; resetting a running server is instant.
    """

    def __init__(self, stack: contextlib.ExitStack) -> None:
        self._stack = stack
        self._servers: dict[AwsLikeOptions | None, LocalServer] = {}

    def fresh(self, aws_like: AwsLikeOptions | None = None) -> LocalDynamoDB:
        """The server of this mode, with no tables, recorded operations or faults."""
        server = self._servers.get(aws_like)
        if server is None:
            server = self._servers[aws_like] = self._stack.enter_context(LocalServer(aws_like=aws_like))
        else:
            server.reset()
        return local_dynamodb(server)


@pytest.fixture(scope="session")
def local_servers() -> Iterator[ServerPool]:
    """The session's servers; ``local_servers.fresh(AwsLikeOptions(...))`` gives an emptied one of that mode."""
    with contextlib.ExitStack() as stack:
        yield ServerPool(stack)


@pytest.fixture
def dynamodb(local_servers: ServerPool) -> LocalDynamoDB:
    """The plain server, emptied for this test."""
    return local_servers.fresh()


@pytest.fixture
def awslike_dynamodb(local_servers: ServerPool) -> LocalDynamoDB:
    """The AWS-like server with short delays (FAST_AWS_LIKE), emptied for this test."""
    return local_servers.fresh(FAST_AWS_LIKE)


@pytest.fixture
def local_server_factory() -> Iterator[Callable[..., LocalDynamoDB]]:
    """Start servers with custom options (e.g. ``aws_like=AwsLikeOptions(ttl_cooldown_seconds=0)``);
    each is stopped when the test ends."""
    # An ExitStack stops every server even when stopping one of them fails: no port outlives its test.
    with contextlib.ExitStack() as servers:

        def start(aws_like: AwsLikeOptions | None = None) -> LocalDynamoDB:
            return local_dynamodb(servers.enter_context(LocalServer(aws_like=aws_like)))

        yield start
