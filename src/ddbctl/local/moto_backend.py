"""moto's DynamoDB as a WSGI backend, seen through one fake AWS account.

moto keeps its tables in process-global state keyed by account and region. Each LocalServer gets its
own account id, sent to moto in the ``x-moto-account-id`` header (moto's documented per-request account
switch), so two servers in one process never see each other's tables and one can be reset alone.
Every request goes through :class:`~ddbctl.local.moto_fixes.MotoFixes`, which corrects what moto stores
and answers (in both modes).
"""

from __future__ import annotations

import logging
import os
import random
import threading
from typing import Any

from werkzeug.test import EnvironBuilder, run_wsgi_app

from .moto_fixes import MotoFixes
from .native import NATIVE_OPERATIONS, RESTORE_OPERATIONS, NativeJobs
from .s3 import LocalS3
from .surface import Surface
from .wire import DYNAMODB_TARGET_PREFIX, JSON_CONTENT_TYPE, DynamoError, DynamoRequest, WireResponse

logger = logging.getLogger(__name__)

# Only these request headers matter to moto's DynamoDB handler (region, caller); X-Amz-Target is set anew.
_FORWARDED_HEADERS = ("Authorization", "User-Agent", "X-Amz-Date")


def new_account_id() -> str:
    """A random 12-digit account id, distinct from moto's default 123456789012."""
    return str(random.SystemRandom().randrange(100_000_000_000, 999_999_999_999))


class MotoBackend:
    def __init__(self, account_id: str | None = None) -> None:
        self.account_id = account_id or new_account_id()
        self._apps: dict[str, Any] = {}
        self._apps_lock = threading.Lock()
        self.fixes = MotoFixes(self.account_id)
        self.s3 = LocalS3(self.account_id)
        self.native = NativeJobs(self)
        self.surface = Surface(self.account_id, self.forward, self.fixes.moto_table)
        if "MOTO_ACCOUNT_ID" in os.environ:
            # moto gives that variable priority over the header: servers would share one account.
            logger.warning("MOTO_ACCOUNT_ID is set: local servers in this process will share tables")

    def _app(self, service: str) -> Any:
        with self._apps_lock:
            if service not in self._apps:
                from moto.moto_server.werkzeug_app import create_backend_app  # noqa: PLC0415 - heavy

                self._apps[service] = create_backend_app(service)  # type: ignore[arg-type]
            return self._apps[service]

    def warm_up(self) -> None:
        """Build moto's DynamoDB app now: the first build takes a noticeable fraction of a second,
        which would otherwise land in the first request and skew short AWS-like timings."""
        self._app("dynamodb")

    def forward(self, request: DynamoRequest) -> WireResponse:
        """Send one request to moto, with MotoFixes' corrections of moto's gaps; buffer its answer.

        Exports and imports are answered by NativeJobs instead; restores are checked and corrected by it. The
        2026 table surface (vector indexes, policies, replicas, ...) is played by Surface in front of both.
        """
        if request.target_prefix == DYNAMODB_TARGET_PREFIX:
            if request.operation in NATIVE_OPERATIONS:
                return self.native.handle(request)
            if self.surface.intercepts(request.operation):
                return self.surface.handle(request, self._corrected)
        return self._corrected(request)

    def _corrected(self, request: DynamoRequest) -> WireResponse:
        """moto's answer, corrected by MotoFixes (and, for restores, checked and completed by NativeJobs)."""
        restore = request.target_prefix == DYNAMODB_TARGET_PREFIX and request.operation in RESTORE_OPERATIONS
        if restore:
            self.native.check_restore(request)
        response = self.fixes.handle(request, self._send)
        if restore and response.status == 200:
            self.native.restored(request)
        return response

    def _send(self, request: DynamoRequest) -> WireResponse:
        """Send one request to moto as it is and buffer its answer; a moto crash becomes a DynamoDB error."""
        service = "dynamodb" if request.target_prefix == DYNAMODB_TARGET_PREFIX else "dynamodbstreams"
        headers = {name: request.headers[name] for name in _FORWARDED_HEADERS if name in request.headers}
        headers["X-Amz-Target"] = f"{request.target_prefix}.{request.operation}"
        headers["x-moto-account-id"] = self.account_id
        if "Authorization" not in headers:
            # moto reads the region from the credential scope; unsigned requests get the default one.
            headers["Authorization"] = (
                f"AWS4-HMAC-SHA256 Credential=LOCAL/20200101/{request.region}/dynamodb/aws4_request, "
                "SignedHeaders=host, Signature=local"
            )
        builder = EnvironBuilder(
            method="POST", path="/", headers=list(headers.items()), data=request.body, content_type=JSON_CONTENT_TYPE
        )
        try:
            app_iter, status, response_headers = run_wsgi_app(self._app(service), builder.get_environ())
            try:
                body = b"".join(app_iter)
            finally:
                close = getattr(app_iter, "close", None)
                if close is not None:
                    close()
        except NotImplementedError:
            raise DynamoError(
                "UnknownOperationException",
                f"{request.operation} is not implemented by the local server (moto)",
            ) from None
        except Exception as exc:
            logger.exception("moto failed on %s", request.operation)
            raise DynamoError("InternalServerError", f"Internal server error: {exc}", status=500) from exc
        status_code = int(str(status).split(" ", 1)[0])
        if status_code >= 500 and not body.lstrip().startswith(b"{"):
            raise DynamoError("InternalServerError", "Internal server error", status=500)
        return WireResponse(status_code, body=body, request_id=response_headers.get("x-amzn-RequestId"))

    def forward_service(
        self, service: str, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """Send a request of another service (KMS, STS, Kinesis, Application Auto Scaling) to moto as it is, in
        this server's account."""
        sent = {name: value for name, value in headers.items() if name.lower() not in ("host", "content-length")}
        sent["x-moto-account-id"] = self.account_id
        builder = EnvironBuilder(method=method, path=path, headers=list(sent.items()), data=body)
        app_iter, status, response_headers = run_wsgi_app(self._app(service), builder.get_environ())
        try:
            answer = b"".join(app_iter)
        finally:
            close = getattr(app_iter, "close", None)
            if close is not None:
                close()
        kept = [(k, v) for k, v in response_headers.items() if k.lower() not in ("content-length", "server", "date")]
        return int(str(status).split(" ", 1)[0]), kept, answer

    def call(self, operation: str, payload: dict[str, Any], region: str) -> dict[str, Any]:
        """One internal call (not recorded, no faults): its result, or the DynamoError it answered."""
        response = self.forward(DynamoRequest(operation, payload, region))
        response.raise_for_error()
        result: dict[str, Any] = response.json()
        return result

    def reset(self) -> None:
        """Drop this account's tables, backups, streams, buckets, KMS keys (MotoFixes creates the AWS managed
        key for SSE there), Kinesis streams, scaling targets and the 2026 surface's settings, leaving other
        servers' accounts alone."""
        from moto.applicationautoscaling.models import applicationautoscaling_backends  # noqa: PLC0415
        from moto.cloudwatch.models import cloudwatch_backends  # noqa: PLC0415
        from moto.dynamodb.models import dynamodb_backends  # noqa: PLC0415
        from moto.dynamodbstreams.models import dynamodbstreams_backends  # noqa: PLC0415
        from moto.kinesis.models import kinesis_backends  # noqa: PLC0415
        from moto.kms.models import kms_backends  # noqa: PLC0415

        # Kinesis, Application Auto Scaling and CloudWatch (its alarms for scaling policies) are served too.
        for backends in (dynamodb_backends, dynamodbstreams_backends, kms_backends, kinesis_backends,
                         applicationautoscaling_backends, cloudwatch_backends):
            if self.account_id in backends:
                backends[self.account_id].reset()
        self.fixes.reset()
        self.surface.reset()
        self.native.reset()
        self.s3.reset()
