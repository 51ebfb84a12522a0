"""The WSGI application a LocalServer serves: DynamoDB JSON requests in front of moto, plus the
``/_ddbctl/*`` control endpoints for clients in other processes."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from werkzeug.wrappers import Request, Response

from . import autoscaling
from .awslike import AwsLike
from .awslike_state import ControlPlane
from .capacity import with_read_capacity
from .moto_backend import MotoBackend
from .operations import known_operations
from .recording import Fault, FaultRegistry, OperationLog, Policy
from .s3 import is_s3_request, s3_action
from .wire import (
    DYNAMODB_TARGET_PREFIX,
    STREAMS_TARGET_PREFIX,
    DynamoError,
    DynamoRequest,
    WireResponse,
    error_response,
    finalize,
    json_response,
    region_from_authorization,
)

CONTROL_PREFIX = "/_ddbctl/"
_READ_PREFIXES = ("Describe", "List")
# Other services moto answers as they are, in the server's account: KMS (the keys of SSE, such as the AWS
# managed alias/aws/dynamodb), STS (GetCallerIdentity: the account a client works in), Kinesis (the streams
# of Kinesis streaming destinations) and Application Auto Scaling (scaling of DynamoDB capacity).
OTHER_SERVICES = ("kms", "sts", "kinesis", "application-autoscaling")


class DynamoDBApp:
    """Routes each request: control endpoints, the health answer, or DynamoDB (recorded, faults first)."""

    def __init__(self, backend: MotoBackend, aws_like: AwsLike | None = None) -> None:
        self.backend = backend
        self.aws_like = aws_like
        self.operations = OperationLog()
        self.faults = FaultRegistry()
        self.policy = Policy()
        # The last successful answer of each read (operation, region, tables), for "stale" faults.
        self._last_reads: dict[tuple[str, str, tuple[str, ...]], WireResponse] = {}
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
        self.policy.set(None)
        self._last_reads.clear()

    def hold(self, region: str, table: str, index: str | None) -> None:
        with self._lock:
            self._plane().hold((region, table), index)

    def release(self, region: str, table: str | None, index: str | None) -> None:
        with self._lock:
            self._plane().release((region, table) if table else None, index)

    def scale(self, region: str, resource_id: str, dimension: str, capacity: int) -> None:
        """Play Application Auto Scaling: set the capacity of a registered scalable target with an UpdateTable."""
        table_name = resource_id.split("/")[1] if resource_id.startswith("table/") else ""
        with self._lock:
            key = (region, table_name)
            table = self.backend.call("DescribeTable", {"TableName": table_name}, region)["Table"]
            account = self.backend.account_id
            update = autoscaling.scaling_update(account, region, resource_id, dimension, capacity, table)
            scaler = DynamoRequest("UpdateTable", update, region)
            if self.aws_like is not None:
                if self.aws_like.plane.table_status(key) != "ACTIVE":
                    raise ValueError(f"{table_name} is {self.aws_like.plane.table_status(key)}: the scaler waits")
                self.aws_like.handle(scaler).raise_for_error()
            else:
                self.backend.forward(scaler).raise_for_error()

    def _plane(self) -> ControlPlane:
        if self.aws_like is None:
            raise ValueError("holds need the AWS-like mode: the plain server has no transitions")
        return self.aws_like.plane

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if is_s3_request(request):
            return self._s3(request, environ, start_response)
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
        if not self.policy.allows(request.operation):
            raise self._access_denied(request)
        fault = self.faults.take(request.operation, request.tables)
        read = (request.operation, request.region, tuple(request.tables))
        if fault is not None and fault.action == "fail":
            raise DynamoError(fault.error_code, fault.message, fault.status)
        if fault is not None and fault.action == "ignore":
            with self._lock:
                return self._ignored(request)
        if fault is not None and fault.action == "stale" and read in self._last_reads:
            return self._last_reads[read]
        response = self._carried_out(request)
        if response.status == 200 and request.operation.startswith(_READ_PREFIXES):
            self._last_reads[read] = response
        return response

    def _carried_out(self, request: DynamoRequest) -> WireResponse:
        if self.aws_like is not None and self.aws_like.options.latency_ms:
            # Slept outside the lock, so concurrent clients overlap their delays as they would on AWS.
            time.sleep(self.aws_like.options.latency_ms / 1000)
        with self._lock:
            if self.aws_like is not None and request.target_prefix == DYNAMODB_TARGET_PREFIX:
                response = self.aws_like.handle(request)
            else:
                response = self.backend.forward(request)
        return with_read_capacity(request, response)

    def _ignored(self, request: DynamoRequest) -> WireResponse:
        """A success answer for a request that is not carried out (an "ignore" fault)."""
        payload, region = request.payload, request.region
        name = payload.get("TableName")
        try:
            if request.operation == "UpdateTable":
                return json_response({"TableDescription": self.backend.call("DescribeTable", {"TableName": name},
                                                                            region)["Table"]})
            if request.operation == "UpdateContinuousBackups":
                return json_response(self.backend.call("DescribeContinuousBackups", {"TableName": name}, region))
        except DynamoError:
            pass
        if request.operation == "UpdateTimeToLive":
            return json_response({"TimeToLiveSpecification": payload.get("TimeToLiveSpecification")})
        return json_response({})

    def _access_denied(self, request: DynamoRequest) -> DynamoError:
        """AWS's answer to an action the caller's policy does not allow."""
        account = self.backend.account_id
        resource = next((str(request.payload[key]) for key in ("ResourceArn", "TableArn", "BackupArn")
                         if isinstance(request.payload.get(key), str)), None)
        if resource is None:
            table = request.tables[0] if request.tables else "*"
            resource = f"arn:aws:dynamodb:{request.region}:{account}:table/{table}"
        action = f"dynamodb:{request.operation}"
        return DynamoError(
            "AccessDeniedException",
            f"User: arn:aws:iam::{account}:user/ddbctl-local is not authorized to perform: {action} on resource: "
            f"{resource} because no identity-based policy allows the {action} action",
        )

    def _s3(self, request: Request, environ: dict[str, Any], start_response: Any) -> Any:
        """Serve an S3 request, logged as the IAM action that authorizes it (``s3:PutObject``)."""
        entry = self.operations.start(s3_action(request.method, request.path, request.args), [])
        entry["resource"] = "arn:aws:s3:::" + request.path.lstrip("/")  # the bucket, or bucket/key

        def logged_start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            code = int(status.split(" ", 1)[0])
            self.operations.finish(entry, code, None if code < 400 else "error")
            return start_response(status, headers, exc_info)

        return self.backend.s3(environ, logged_start)

    def _other_service(self, request: Request) -> Response:
        service = service_of(request.headers.get("Authorization")) or ""
        body = request.get_data()
        target = request.headers.get("X-Amz-Target", "")
        operation = target.partition(".")[2] if target else request.form.get("Action", "")
        entry = self.operations.start(f"{service}:{operation or '(none)'}", [])  # kms:DescribeKey, as IAM names it
        entry["resource"] = other_service_resource(service, _parse_payload(body) or {},
                                                   region_from_authorization(request.headers.get("Authorization")),
                                                   self.backend.account_id)
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
        if route in (("POST", "holds"), ("POST", "holds/release")):
            return self._hold(request, release=route[1] == "holds/release")
        if route == ("POST", "autoscaling/scale"):
            return self._scale_request(request)
        if route == ("GET", "policy"):
            return _json({"allow": self.policy.snapshot()})
        if route == ("POST", "policy"):
            document = _parse_payload(request.get_data())
            allowed = (document or {}).get("allow")
            if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
                return _json({"error": 'the body must be {"allow": ["DescribeTable", ...]}'}, status=400)
            self.policy.set(allowed)
            return _json({"allow": self.policy.snapshot()}, status=201)
        if route == ("DELETE", "policy"):
            self.policy.set(None)
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
                error_code=str(document.get("error_code", "")),
                message=str(document.get("message", "")),
                status=int(document.get("status", 400)),
                times=document.get("times"),
                action=str(document.get("action", "fail")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            return _json({"error": f"invalid fault: {exc}"}, status=400)
        self.faults.add(fault)
        return _json({"fault": fault.to_dict()}, status=201)


    def _hold(self, request: Request, release: bool) -> Response:
        """POST /_ddbctl/holds {"table", "index"?, "region"?}: hold; POST /_ddbctl/holds/release with the
        same body (or {} for every hold): release."""
        document = _parse_payload(request.get_data())
        if document is None or (not release and not isinstance(document.get("table"), str)):
            return _json({"error": 'the body must be a JSON object with "table" (and optionally "index")'}, 400)
        region, table, index = document.get("region", "us-east-1"), document.get("table"), document.get("index")
        try:
            if release:
                self.release(str(region), table, index)
            else:
                self.hold(str(region), str(table), index)
        except ValueError as exc:
            return _json({"error": str(exc)}, status=400)
        return Response(status=204)


    def _scale_request(self, request: Request) -> Response:
        """POST /_ddbctl/autoscaling/scale {"resource_id", "dimension", "capacity", "region"?}: as scale()."""
        document = _parse_payload(request.get_data()) or {}
        try:
            self.scale(str(document.get("region", "us-east-1")), str(document["resource_id"]),
                       str(document["dimension"]), int(document["capacity"]))
        except (KeyError, TypeError, ValueError) as exc:
            return _json({"error": f"cannot scale: {exc}"}, status=400)
        except DynamoError as error:
            return _json({"error": f"{error.code}: {error.message}"}, status=409)
        return Response(status=204)


def other_service_resource(service: str, payload: dict[str, Any], region: str, account_id: str) -> str:
    """The resource ARN an IAM policy must allow for another service's call, as far as the request names it:
    a Kinesis stream (by ARN or name) or a KMS key given by ARN; ``*`` otherwise."""
    if service == "kinesis":
        if isinstance(payload.get("StreamARN"), str):
            return str(payload["StreamARN"])
        if isinstance(payload.get("StreamName"), str):
            return f"arn:aws:kinesis:{region}:{account_id}:stream/{payload['StreamName']}"
    if service == "kms" and str(payload.get("KeyId", "")).startswith("arn:"):
        return str(payload["KeyId"])
    return "*"


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
