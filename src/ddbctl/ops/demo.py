"""``demo``: the main job end to end on an embedded local DynamoDB, in one process, no AWS account."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..config import Settings
from ..errors import ConfigError

EXAMPLE_SCHEMAS = Path(__file__).resolve().parents[1] / "examples" / "construction-expenses" / "schemas"


@contextmanager
def embedded_dynamodb(settings: Settings, *, aws_like: bool) -> Iterator[Settings]:
    """Start the embedded server; yield ``settings`` pointing at it (local credentials)."""
    try:
        from ..local import AwsLikeOptions, LocalServer  # noqa: PLC0415 - moto is the optional extra [local]
    except ImportError as exc:
        raise ConfigError(
            "the embedded DynamoDB needs moto", hint="pip install 'ddbctl[local]'"
        ) from exc
    options = AwsLikeOptions(table_create_seconds=2.0, seed=1) if aws_like else None
    with LocalServer(aws_like=options) as server:
        yield settings.with_changes(endpoint_url=server.endpoint_url, local=True)
