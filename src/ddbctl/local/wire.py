"""DynamoDB's JSON wire format: requests as parsed here, responses and errors as clients expect them.

Errors carry DynamoDB's exact shape (``__type`` + ``message`` with content type
``application/x-amz-json-1.0``) so boto3 and the AWS CLI parse them as they parse the real service's.
"""

from __future__ import annotations

import json
import uuid
import zlib
from dataclasses import dataclass, field
from typing import Any

JSON_CONTENT_TYPE = "application/x-amz-json-1.0"
DYNAMODB_TARGET_PREFIX = "DynamoDB_20120810"
STREAMS_TARGET_PREFIX = "DynamoDBStreams_20120810"

# DynamoDB answers protocol and validation errors from its "coral" framework, the rest from the service
# namespace; botocore only reads the part after '#', but we mirror the real prefixes for fidelity.
_CORAL_TYPES = {
    "ValidationException": "com.amazon.coral.validate#",
    "SerializationException": "com.amazon.coral.service#",
    "UnknownOperationException": "com.amazon.coral.service#",
}
_SERVICE_PREFIX = "com.amazonaws.dynamodb.v20120810#"


class DynamoError(Exception):
    """A DynamoDB error to answer with: raised by the rules, turned into a wire response at the edge."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def validation_error(message: str) -> DynamoError:
    return DynamoError("ValidationException", message)


def resource_in_use(message: str) -> DynamoError:
    return DynamoError("ResourceInUseException", message)


def resource_not_found(message: str = "Requested resource not found") -> DynamoError:
    return DynamoError("ResourceNotFoundException", message)


@dataclass
class WireResponse:
    """One HTTP response, buffered: small enough for DynamoDB payloads and easy to rewrite."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body) if self.body else {}

    @property
    def error_code(self) -> str | None:
        """The DynamoDB error code of an error response, e.g. ``ValidationException``; None on success."""
        if self.status < 400:
            return None
        try:
            error_type = self.json().get("__type", "")
        except (ValueError, AttributeError):
            return "InternalServerError"
        return str(error_type).rsplit("#", 1)[-1] or None


def json_response(payload: Any, status: int = 200) -> WireResponse:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return WireResponse(status=status, body=body, headers={"Content-Type": JSON_CONTENT_TYPE})


def error_response(error: DynamoError) -> WireResponse:
    prefix = _CORAL_TYPES.get(error.code, _SERVICE_PREFIX)
    return json_response({"__type": prefix + error.code, "message": error.message}, status=error.status)


def finalize(response: WireResponse) -> list[tuple[str, str]]:
    """Headers to send: a request id, and a CRC32 that matches the (possibly rewritten) body.

    boto3 verifies ``x-amz-crc32`` on DynamoDB responses, so a stale one from moto would make every
    rewritten response fail as a checksum error.
    """
    skip = {"content-length", "x-amz-crc32", "x-amzn-requestid", "connection", "status", "server", "date"}
    headers = [(name, value) for name, value in response.headers.items() if name.lower() not in skip]
    request_id = response.headers.get("x-amzn-requestid") or uuid.uuid4().hex.upper()
    headers += [
        ("x-amzn-RequestId", request_id),
        ("x-amz-crc32", str(zlib.crc32(response.body) & 0xFFFFFFFF)),
        ("Content-Length", str(len(response.body))),
    ]
    return headers


@dataclass
class DynamoRequest:
    """A DynamoDB JSON request, parsed once at the edge and passed through the rules."""

    operation: str
    payload: dict[str, Any]
    region: str
    target_prefix: str
    headers: dict[str, str]

    def with_payload(self, payload: dict[str, Any]) -> DynamoRequest:
        return DynamoRequest(self.operation, payload, self.region, self.target_prefix, self.headers)

    @property
    def body(self) -> bytes:
        return json.dumps(self.payload).encode()


def region_from_authorization(authorization: str | None, default: str = "us-east-1") -> str:
    """The region of a SigV4 ``Authorization`` header's credential scope (``KEY/date/REGION/svc/...``)."""
    if not authorization or "Credential=" not in authorization:
        return default
    scope = authorization.split("Credential=", 1)[1].split(",", 1)[0].split("/")
    return scope[2] if len(scope) >= 4 and scope[2] else default
