"""LocalServer: the DynamoDB-compatible server, served by werkzeug from a background thread."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterable
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .awslike import AwsLike
from .middleware import DynamoDBApp
from .moto_backend import MotoBackend
from .operations import known_operations
from .options import AwsLikeOptions
from .recording import Fault

logger = logging.getLogger(__name__)


class _QuietRequestHandler(WSGIRequestHandler):
    """werkzeug logs each request to stderr by default; keep that at DEBUG in our logger instead."""

    def log(self, type: str, message: str, *args: Any) -> None:
        logger.debug("%s " + message, self.address_string(), *args)


def _bind(host: str, port: int) -> socket.socket:
    """A listening socket, bound here so that a busy port raises OSError: werkzeug's own binding
    prints to stderr and calls sys.exit(1), which a library must not do."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(128)
    except OSError:
        listener.close()
        raise
    return listener


class LocalServer:
    """A moto-backed DynamoDB on ``host:port`` (port 0: any free port), plain or AWS-like.

    Use it as a context manager, or call start() and stop(). Each instance has its own fake AWS
    account, so several servers in one process do not see each other's tables.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, aws_like: AwsLikeOptions | None = None) -> None:
        self.host = host
        self.port = port
        backend = MotoBackend()
        self._app = DynamoDBApp(backend, AwsLike(aws_like, backend) if aws_like else None)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def aws_like(self) -> AwsLikeOptions | None:
        """The AWS-like mode's options; None in plain mode."""
        return self._app.aws_like.options if self._app.aws_like else None

    @property
    def account_id(self) -> str:
        return self._app.backend.account_id

    @property
    def endpoint_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the local server is not started")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._server.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> LocalServer:
        if self._server is not None:
            return self
        self._app.backend.warm_up()
        known_operations()  # botocore's service model: loaded now rather than in the first request
        listener = _bind(self.host, self.port)
        try:
            server = make_server(
                self.host,
                self.port,
                self._app,
                threaded=True,
                request_handler=_QuietRequestHandler,
                fd=listener.fileno(),
            )
        finally:
            listener.close()  # werkzeug serves a duplicate of this descriptor
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="ddbctl-local", daemon=True
        )
        self._thread.start()
        logger.info("local DynamoDB listening on %s", self.endpoint_url)
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- recording, faults, reset --------------------------------------------------------------

    def operations(self) -> list[dict[str, Any]]:
        """Every DynamoDB request received, in order: operation, table (first named), tables, time
        (epoch seconds), status (HTTP) and error (DynamoDB error code or None)."""
        return self._app.operations.snapshot()

    def clear_operations(self) -> None:
        self._app.operations.clear()

    def inject_fault(
        self,
        operation: str,
        table: str | None,
        error_code: str = "",
        message: str = "",
        status: int = 400,
        times: int | None = None,
        action: str = "fail",
    ) -> None:
        """Make the next ``times`` calls (None: every call) of ``operation`` on ``table`` (None: any
        table) fail with that DynamoDB error (``action="fail"``); be answered with success but not
        carried out (``"ignore"``); or, for a read, be answered as the same read was last time
        (``"stale"``: an eventually consistent read). Works in plain and AWS-like mode."""
        self._app.faults.add(Fault(operation, table, error_code, message, status, times, action))

    def set_policy(self, allowed: Iterable[str] | None) -> None:
        """Simulate the caller's IAM policy: only these DynamoDB actions (``DescribeTable``, ...) are
        allowed, every other one answers AccessDeniedException as AWS does; None allows everything."""
        self._app.policy.set(allowed)

    def faults(self) -> list[dict[str, Any]]:
        return self._app.faults.snapshot()

    def clear_faults(self) -> None:
        self._app.faults.clear()

    def reset(self) -> None:
        """Drop every table, backup, timeline, hold, recorded operation and fault of this server."""
        self._app.reset()

    def scale(self, resource_id: str, dimension: str, capacity: int, region: str = "us-east-1") -> None:
        """Play Application Auto Scaling: set ``dimension`` (``dynamodb:table:ReadCapacityUnits``, ...) of
        ``resource_id`` (``table/T`` or ``table/T/index/I``) to ``capacity`` with an UpdateTable, as the scaler
        does. The target must be registered (RegisterScalableTarget) and ``capacity`` within its bounds, else
        ValueError; in the AWS-like mode the table must be ACTIVE, and it is UPDATING afterwards."""
        self._app.scale(region, resource_id, dimension, capacity)

    def hold(self, table: str, index: str | None = None, region: str = "us-east-1") -> None:
        """AWS-like mode: keep ``table``'s (or its ``index``'s) current or next transition from finishing
        until ``release``: a CREATING, UPDATING or DELETING table or a CREATING or DELETING index stays so,
        however long a test takes to look. May be placed before the table or index exists."""
        self._app.hold(region, table, index)

    def release(self, table: str | None = None, index: str | None = None, region: str = "us-east-1") -> None:
        """End the hold on ``table`` (or its ``index``), or every hold; what is overdue finishes at once."""
        self._app.release(region, table, index)
