"""The WSGI application a LocalServer serves: DynamoDB JSON requests in front of moto, plus the
``/_ddbctl/*`` control endpoints for clients in other processes."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from werkzeug.wrappers import Request, Response

from .awslike import AwsLike
from .moto_backend import MotoBackend
from .operations import known_operations
from .recording import Fault, FaultRegistry, OperationLog
from .wire import (
    DYNAMODB_TARGET_PREFIX,
    STREAMS_TARGET_PREFIX,
    DynamoError,
    DynamoRequest,
    WireResponse,
    error_response,
    finalize,
    region_from_authorization,
)

CONTROL_PREFIX = "/_ddbctl/"
# Other services moto answers as they are, in the server's account: KMS (the keys of SSE, such as the AWS
# managed alias/aws/dynamodb) and STS (GetCallerIdentity: the account a client works in).
OTHER_SERVICES = ("kms", "sts")


class DynamoDBApp:
    """Routes each request: control endpoints, the health answer, or DynamoDB (recorded, faults first)."""

    def __init__(self, backend: MotoBackend, aws_like: AwsLike | None = None) -> None:
        self.backend = backend
        self.aws_like = aws_like
        self.operations = OperationLog()
        self.faults = FaultRegistry()
        # moto is not thread-safe, and the AWS-like timeline is read-modify-write: werkzeug serves each
        # request in its own thread, so the moto part of each request runs alone. One lock per server
        # is enough: servers use different moto accounts, and moto locks the creation of those itself.
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self.backend.reset()
            if self.aws_like is not None:
                self.aws_like.reset()
        self.operations.clear()
        self.faults.clear()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.path.startswith(CONTROL_PREFIX):
            response = self._control(request)
        elif service_of(request.headers.get("Authorization")) in OTHER_SERVICES:
            response = self._other_service(request)
        elif "X-Amz-Target" not in request.headers and request.method in ("GET", "HEAD"):
            # DynamoDB answers a plain GET with a health line; load balancers and scripts probe it.
            response = Response("healthy: ddbctl local DynamoDB\n", mimetype="text/plain")
        else:
            response = self._dynamodb(request)
        return response(environ, start_response)

    # -- DynamoDB requests ---------------------------------------------------------------------

    def _dynamodb(self, request: Request) -> Response:
        target = request.headers.get("X-Amz-Target", "")
        prefix, _, operation = target.partition(".")
        body = request.get_data()
        payload = _parse_payload(body)
        dynamo_request = DynamoRequest(
            operation=operation,
            payload=payload or {},
            region=region_from_authorization(request.headers.get("Authorization")),
            target_prefix=prefix,
            headers=dict(request.headers.items()),
            raw_body=body or None,
        )
        entry = self.operations.start(operation or target or "(none)", dynamo_request.tables)
        try:
            if not _known(prefix, operation):
                raise DynamoError("UnknownOperationException", f"Unknown operation: {prefix}.{operation}".rstrip("."))
            if payload is None:
                raise DynamoError("SerializationException", "The request body is not a JSON object")
            wire = self._answer(dynamo_request)
        except DynamoError as error:
            wire = error_response(error)
        self.operations.finish(entry, wire.status, wire.error_code)
        return Response(wire.body, status=wire.status, headers=finalize(wire))

    def _answer(self, request: DynamoRequest) -> WireResponse:
        fault = self.faults.take(request.operation, request.tables)
        if fault is not None:
            raise DynamoError(fault.error_code, fault.message, fault.status)
        if self.aws_like is not None and self.aws_like.options.latency_ms:
            # Slept outside the lock, so concurrent clients overlap their delays as they would on AWS.
            time.sleep(self.aws_like.options.latency_ms / 1000)
        with self._lock:
            if self.aws_like is not None and request.target_prefix == DYNAMODB_TARGET_PREFIX:
                return self.aws_like.handle(request)
            return self.backend.forward(request)

    def _other_service(self, request: Request) -> Response:
        service = service_of(request.headers.get("Authorization")) or ""
        body = request.get_data()
        target = request.headers.get("X-Amz-Target", "")
        operation = target.partition(".")[2] if target else request.form.get("Action", "")
        entry = self.operations.start(f"{service}:{operation or '(none)'}", [])  # kms:DescribeKey, as IAM names it
        with self._lock:
            status, headers, answer = self.backend.forward_service(
                service, request.method, request.path, dict(request.headers.items()), body)
        self.operations.finish(entry, status, None if status < 400 else "error")
        return Response(answer, status=status, headers=headers)

    # -- control endpoints ---------------------------------------------------------------------

    def _control(self, request: Request) -> Response:
        route = (request.method, request.path[len(CONTROL_PREFIX) :].strip("/"))
        if route == ("GET", "operations"):
            return _json({"operations": self.operations.snapshot()})
        if route == ("DELETE", "operations"):
            self.operations.clear()
            return Response(status=204)
        if route == ("GET", "faults"):
            return _json({"faults": self.faults.snapshot()})
        if route == ("POST", "faults"):
            return self._add_fault(request)
        if route == ("DELETE", "faults"):
            self.faults.clear()
            return Response(status=204)
        if route == ("POST", "reset"):
            self.reset()
            return Response(status=204)
        if route == ("GET", "info"):
            options = self.aws_like.options if self.aws_like else None
            return _json(
                {
                    "mode": "aws-like" if options else "plain",
                    "account_id": self.backend.account_id,
                    "options": vars(options) if options else None,
                }
            )
        return _json({"error": f"no control endpoint {route[0]} {request.path}"}, status=404)

    def _add_fault(self, request: Request) -> Response:
        document = _parse_payload(request.get_data())
        if document is None:
            return _json({"error": "the body must be a JSON object"}, status=400)
        try:
            fault = Fault(
                operation=str(document["operation"]),
                table=document.get("table"),
                error_code=str(document["error_code"]),
                message=str(document.get("message", "")),
                status=int(document.get("status", 400)),
                times=document.get("times"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            return _json({"error": f"invalid fault: {exc}"}, status=400)
        self.faults.add(fault)
        return _json({"fault": fault.to_dict()}, status=201)


def service_of(authorization: str | None) -> str | None:
    """The service of a SigV4 ``Authorization`` header's credential scope (``KEY/date/region/SERVICE/...``)."""
    if not authorization or "Credential=" not in authorization:
        return None
    scope = authorization.split("Credential=", 1)[1].split(",", 1)[0].split("/")
    return scope[3] if len(scope) >= 5 else None


def _known(prefix: str, operation: str) -> bool:
    # DynamoDB Streams requests go to moto as they are: it answers the ones it implements.
    return prefix == STREAMS_TARGET_PREFIX or (prefix == DYNAMODB_TARGET_PREFIX and operation in known_operations())


def _parse_payload(body: bytes) -> dict[str, Any] | None:
    try:
        document = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return None
    return document if isinstance(document, dict) else None


def _json(document: Any, status: int = 200) -> Response:
    return Response(json.dumps(document), status=status, mimetype="application/json")
