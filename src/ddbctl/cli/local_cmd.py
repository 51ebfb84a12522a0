"""``ddbctl local``: run the embedded DynamoDB in the foreground until Ctrl-C or SIGTERM."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

import click

from ..config import LOCAL_ENDPOINT
from .options import given_options, refuse_inapplicable

_SECONDS = click.FloatRange(min=0)
_RATE = click.FloatRange(0, 1)


@click.command("local")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port to listen on (0: any free port).",
)
@click.option("--aws-like", is_flag=True, help="Imitate DynamoDB's delays, rules and faults (see docs/local.md).")
@click.option(
    "--table-create-seconds", type=_SECONDS, default=2.0, show_default=True, help="How long a new table stays CREATING."
)
@click.option(
    "--index-create-seconds", type=_SECONDS, default=3.0, show_default=True, help="How long a new GSI stays CREATING."
)
@click.option(
    "--table-update-seconds", type=_SECONDS, default=0.5, show_default=True, help="How long a table stays UPDATING."
)
@click.option(
    "--ttl-cooldown-seconds",
    type=_SECONDS,
    default=3600.0,
    show_default=True,
    help="Minimum time between two TTL changes of a table.",
)
@click.option(
    "--export-seconds", type=_SECONDS, default=2.0, show_default=True, help="How long an export stays IN_PROGRESS."
)
@click.option(
    "--import-seconds",
    type=_SECONDS,
    default=2.0,
    show_default=True,
    help="How long an import stays IN_PROGRESS (its table CREATING).",
)
@click.option(
    "--restore-seconds", type=_SECONDS, default=2.0, show_default=True, help="How long a restored table stays CREATING."
)
@click.option(
    "--unprocessed-rate",
    type=_RATE,
    default=0.0,
    show_default=True,
    help="Share of BatchWriteItem requests returned as UnprocessedItems.",
)
@click.option(
    "--throttle-rate",
    type=_RATE,
    default=0.0,
    show_default=True,
    help="Share of calls answered with ThrottlingException.",
)
@click.option(
    "--error-rate",
    type=_RATE,
    default=0.0,
    show_default=True,
    help="Share of calls answered with HTTP 500 InternalServerError.",
)
@click.option(
    "--latency-ms", type=click.IntRange(min=0), default=0, show_default=True, help="Delay added to every call."
)
@click.option("--seed", type=int, default=None, help="Seed for the random faults, to reproduce a run.")
@click.pass_context
def local(ctx: click.Context, /, host: str, port: int, aws_like: bool, **tuning: Any) -> None:
    """Run a local DynamoDB-compatible server (moto) until Ctrl-C."""
    if not aws_like:  # every option but --host, --port and --aws-like tunes the AWS-like mode
        refuse_inapplicable(given_options(ctx, tuning), set(), "local without --aws-like")
    try:
        from ddbctl.local import AwsLikeOptions, LocalServer  # noqa: PLC0415 - moto is an optional extra
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise click.ClickException(f"the local server needs moto: pip install 'ddbctl[local]' ({exc})") from exc

    options = AwsLikeOptions(**tuning) if aws_like else None
    server = LocalServer(host=host, port=port, aws_like=options)
    try:
        server.start()
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    try:
        _announce(server.endpoint_url, aws_like)
        _wait_for_stop_signal()
    finally:
        server.stop()
    click.echo("stopped", err=True)


def _announce(endpoint_url: str, aws_like: bool) -> None:
    mode = "AWS-like" if aws_like else "plain"
    click.echo(f"ddbctl local DynamoDB and S3 ({mode}) listening on {endpoint_url}")
    click.echo("Use it from another shell with:")
    click.echo(f"  export AWS_ENDPOINT_URL_DYNAMODB={endpoint_url} AWS_ENDPOINT_URL_S3={endpoint_url}")
    click.echo("  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing")
    click.echo("  export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1")
    # --local means the default port only; any other server is named by its URL.
    option = "--local" if endpoint_url == LOCAL_ENDPOINT else f"--endpoint-url {endpoint_url}"
    click.echo(f"or run ddbctl with {option}. Press Ctrl-C to stop.")


def _wait_for_stop_signal() -> None:
    """Block until SIGINT or SIGTERM, then restore the previous handlers."""
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        # A short timed wait rather than one long wait: on Windows a blocked wait is not interrupted
        # by Ctrl-C, so the handler would never run.
        while not stop.wait(0.2):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
