"""DynamoDB's JSON wire format: requests as parsed here, responses and errors as clients expect them.

Errors carry DynamoDB's exact shape (``__type`` + ``message`` with content type
``application/x-amz-json-1.0``) so boto3 and the AWS CLI parse them as they parse the real service's.
"""

from __future__ import annotations

import functools
import json
import uuid
import zlib
from dataclasses import dataclass, field, replace
from typing import Any

from .operations import tables_of

JSON_CONTENT_TYPE = "application/x-amz-json-1.0"
DYNAMODB_TARGET_PREFIX = "DynamoDB_20120810"
STREAMS_TARGET_PREFIX = "DynamoDBStreams_20120810"
DEFAULT_REGION = "us-east-1"

TableKey = tuple[str, str]  # (region, table name): moto keeps one namespace per region

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


def table_not_found(name: object) -> DynamoError:
    """DynamoDB's answer for a table that does not exist, on the calls that name the table."""
    return resource_not_found(f"Requested resource not found: Table: {name} not found")


def index_not_found(name: object) -> DynamoError:
    """DynamoDB's answer for a GSI update or delete naming an index the table does not have."""
    return resource_not_found(f"Requested resource not found: Index: {name} not found")


def constraint(value: Any, member: str, rule: str) -> str:
    """One problem of a request member, worded as DynamoDB's (coral's) input validation words it."""
    return f"Value '{value}' at '{member}' failed to satisfy constraint: Member must {rule}"


def raise_constraint_problems(problems: list[str]) -> None:
    """DynamoDB reports every constraint problem of a request in one ValidationException."""
    if problems:
        noun = "error" if len(problems) == 1 else "errors"
        raise validation_error(f"{len(problems)} validation {noun} detected: " + "; ".join(problems))


_UNPARSED: Any = object()


class WireResponse:
    """One buffered HTTP response with a JSON body, held as bytes, as a parsed document, or both.

    Each form is made from the other at most once, so a response that moto answered and two layers
    rewrite is parsed once and serialized once. A layer that changes the document answers with a new
    ``json_response(document)``: once a response's body exists, changing its document does not change it.
    """

    __slots__ = ("_body", "_document", "request_id", "status")

    def __init__(
        self, status: int, body: bytes | None = None, document: Any = _UNPARSED, request_id: str | None = None
    ) -> None:
        if body is None and document is _UNPARSED:
            raise ValueError("a response needs a body or a document")
        self.status = status
        self.request_id = request_id
        self._body = body
        self._document = document

    @property
    def body(self) -> bytes:
        if self._body is None:
            self._body = json.dumps(self._document, separators=(",", ":")).encode()
        return self._body

    def json(self) -> Any:
        if self._document is _UNPARSED:
            self._document = json.loads(self.body) if self.body else {}
        return self._document

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

    def raise_for_error(self) -> None:
        """Raise an error response as the DynamoError it carries, so callers handle errors in one way."""
        if self.status < 400:
            return
        try:
            message = str(self.json().get("message", ""))
        except (ValueError, AttributeError):
            message = ""
        raise DynamoError(self.error_code or "InternalServerError", message, self.status)


def json_response(document: Any, status: int = 200, request_id: str | None = None) -> WireResponse:
    return WireResponse(status, document=document, request_id=request_id)


def error_response(error: DynamoError) -> WireResponse:
    prefix = _CORAL_TYPES.get(error.code, _SERVICE_PREFIX)
    return json_response({"__type": prefix + error.code, "message": error.message}, status=error.status)


def table_description(document: Any) -> dict[str, Any] | None:
    """The table description in an answer: ``Table`` (DescribeTable) or ``TableDescription`` (the rest)."""
    if not isinstance(document, dict):
        return None
    for key in ("Table", "TableDescription"):
        description = document.get(key)
        if isinstance(description, dict) and "TableName" in description:
            return description
    return None


def finalize(response: WireResponse) -> list[tuple[str, str]]:
    """Headers to send: a request id, and a CRC32 that matches the (possibly rewritten) body.

    boto3 verifies ``x-amz-crc32`` on DynamoDB responses, so a stale one from moto would make every
    rewritten response fail as a checksum error.
    """
    body = response.body
    return [
        ("Content-Type", JSON_CONTENT_TYPE),
        ("x-amzn-RequestId", response.request_id or uuid.uuid4().hex.upper()),
        ("x-amz-crc32", str(zlib.crc32(body) & 0xFFFFFFFF)),
        ("Content-Length", str(len(body))),
    ]


@dataclass
class DynamoRequest:
    """A DynamoDB JSON request, parsed once at the edge and passed through the rules.

    ``payload`` is never changed in place: a layer that rewrites a request makes a new one with
    ``with_payload``. That is what lets an unchanged request go to moto as the bytes that arrived.
    """

    operation: str
    payload: dict[str, Any]
    region: str = DEFAULT_REGION
    target_prefix: str = DYNAMODB_TARGET_PREFIX
    headers: dict[str, str] = field(default_factory=dict)
    raw_body: bytes | None = None  # the body as received, None once the payload was replaced

    def with_payload(self, payload: dict[str, Any]) -> DynamoRequest:
        return replace(self, payload=payload, raw_body=None)

    @property
    def body(self) -> bytes:
        return self.raw_body if self.raw_body is not None else json.dumps(self.payload).encode()

    @property
    def table_key(self) -> TableKey:
        """The (region, TableName) this request is about."""
        return (self.region, str(self.payload.get("TableName")))

    @functools.cached_property
    def tables(self) -> list[str]:
        """Every table the request names, in order (looked up by the log, the faults and the rules)."""
        return tables_of(self.payload)


def region_from_authorization(authorization: str | None, default: str = DEFAULT_REGION) -> str:
    """The region of a SigV4 ``Authorization`` header's credential scope (``KEY/date/REGION/svc/...``)."""
    if not authorization or "Credential=" not in authorization:
        return default
    scope = authorization.split("Credential=", 1)[1].split(",", 1)[0].split("/")
    return scope[2] if len(scope) >= 4 and scope[2] else default
