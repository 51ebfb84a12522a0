"""The only module that talks to AWS: one DynamoDB client with explicit retries, and error translation.

Everything else calls DynamoDB through ``Dynamo.call(operation, params)`` (or the readers below), and
gets ddbctl's typed errors instead of botocore's.
"""

from __future__ import annotations

import re
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
import botocore
import botocore.exceptions as bx
import orjson
from botocore import xform_name
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.parsers import ResponseParserError

from .config import Settings
from .errors import (
    AccessDenied,
    AwsError,
    ConfigError,
    CredentialsError,
    DdbctlError,
    EndpointError,
    MissingCredentials,
    TableNotFound,
)
from .permissions import commands_needing

Json = dict[str, Any]

# botocore's standard mode retries throttling (incl. LimitExceededException), 5xx and connection errors
# with jittered exponential backoff; legacy mode would not retry LimitExceededException.
MAX_ATTEMPTS = 8
CONNECT_TIMEOUT = 3
READ_TIMEOUT = 30
# The probe fails fast: an unreachable endpoint or missing credentials are reported within seconds.
PROBE_ATTEMPTS = 2

# Tables handled at once by default: enough that the 13 tables of a typical project are created in one wave
# (DynamoDB accepts ~500 concurrent control-plane operations per account, 250 for tables with indexes; the
# CLI's --concurrency stays at most 64). Each worker sends one request at a time: the connection pool
# holds two per worker (a request and a wait's read), see ``pool_size``.
DEFAULT_CONCURRENCY = 32

LOCAL_CREDENTIALS = {"aws_access_key_id": "ddbctl-local", "aws_secret_access_key": "ddbctl-local"}

_PERMISSION_CODES = {"AccessDeniedException"}
_CREDENTIAL_CODES = {"UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException"}


def pool_size(concurrency: int) -> int:
    """botocore's max_pool_connections for ``concurrency`` workers sharing one client."""
    return max(10, concurrency * 2)


@dataclass(frozen=True)
class LiveTable:
    """What DynamoDB says about one table: DescribeTable, DescribeTimeToLive, DescribeContinuousBackups, tags."""

    physical_name: str
    table: Json
    ttl: Json | None  # None: not read (a command that needs only DescribeTable)
    backups: Json | None
    tags: tuple[Json, ...] | None

    @property
    def status(self) -> str:
        return str(self.table.get("TableStatus", "UNKNOWN"))


class Dynamo:
    """A DynamoDB client for one region and endpoint, safe to share between threads."""

    def __init__(self, settings: Settings, *, max_attempts: int = MAX_ATTEMPTS, pool_size: int = 16,
                 read_timeout: float = READ_TIMEOUT, validate_params: bool = True) -> None:
        """``validate_params=False`` skips botocore's client-side check of each request's parameters: only
        for callers whose requests are already checked (restore's items, by ``items.from_file_item``),
        where that second walk of every attribute is about half of the CPU time."""
        self.settings = settings
        self._session = _session(settings)
        self._read_timeout = read_timeout
        self._validate_params = validate_params
        self.client = self._client(max_attempts, CONNECT_TIMEOUT, pool_size)
        self._calls: list[str] = []
        self._lock = threading.Lock()
        self._account: str | None = None
        self.client.meta.events.register("before-call.dynamodb", self._count)
        self._raw = threading.local()
        self.client.meta.events.register("before-parse.dynamodb.Scan", self._take_body)

    # -- generic ---------------------------------------------------------------------------------------

    def call(self, operation: str, params: Json) -> Json:
        """Send one API call by its DynamoDB name (``CreateTable``); ddbctl errors on failure."""
        with translated(operation, _subject(params)):
            method: Callable[..., Json] = getattr(self.client, _snake(operation))
            return method(**params)

    def scan_body(self, params: Json) -> bytes:
        """One Scan page's response body as the server sent it: DynamoDB JSON with binary values as base64
        text (the export file form). botocore signs, sends, retries and translates errors as for any call,
        but its shape parser never sees a successful page: it would decode every value in Python, only for
        a backup to encode it again (most of a backup's CPU time)."""
        self._raw.body = None
        self._raw.active = True
        try:
            self.call("Scan", params)
        finally:
            self._raw.active = False
        body, self._raw.body = self._raw.body, None
        if not isinstance(body, bytes):
            raise EndpointError(f"Scan {params.get('TableName')}: the endpoint's answer had no body")
        return body

    def _take_body(self, response_dict: Json, **_: Any) -> None:
        """botocore's before-parse hook: keep a successful Scan answer's body, hand the parser an empty one."""
        if not getattr(self._raw, "active", False) or response_dict.get("status_code") != 200:
            return
        self._raw.body = response_dict["body"]
        response_dict["body"] = b"{}"

    def post_json(self, operation: str, body: bytes) -> Json:
        """One call of DynamoDB's JSON protocol whose request body the caller built (restore's writers
        splice each item's JSON text into BatchWriteItem), for the cost of one HTTP request: signed by
        botocore's SigV4 signer with the session's credential chain (refreshed as botocore refreshes them),
        for the client's endpoint, region and signing name, sent over the client's connection pool, and the
        answer parsed with orjson. One attempt: retrying is the caller's. Errors are ddbctl's typed ones,
        as from ``call`` (a connection failure or a damaged answer is an EndpointError)."""
        with self._lock:
            self._calls.append(operation)
        meta = self.client.meta
        request = AWSRequest(method="POST", url=meta.endpoint_url.rstrip("/") + "/", data=body, headers={
            "X-Amz-Target": f"DynamoDB_20120810.{operation}", "Content-Type": "application/x-amz-json-1.0",
            "User-Agent": f"ddbctl botocore/{botocore.__version__}"})
        with translated(operation, None):
            credentials = self._session.get_credentials()
            if credentials is None:
                raise bx.NoCredentialsError()
            SigV4Auth(credentials.get_frozen_credentials(), meta.service_model.signing_name,
                      meta.region_name).add_auth(request)
            try:
                response = self.client._endpoint.http_session.send(request.prepare())
            except (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ConnectionClosedError,
                    bx.ReadTimeoutError):
                raise
            except bx.HTTPClientError as exc:
                raise EndpointError(f"{operation}: the connection to {meta.endpoint_url} failed: {exc}") from exc
        content: bytes = response.content
        expected_crc = response.headers.get("x-amz-crc32")
        if expected_crc is not None and str(zlib.crc32(content)) != expected_crc:
            raise EndpointError(f"{operation}: the answer from {meta.endpoint_url} was damaged (CRC32 mismatch)")
        try:
            document = orjson.loads(content) if content else {}
        except orjson.JSONDecodeError:
            document = None
        if response.status_code != 200:
            raise _refusal(operation, response.status_code, document)
        if not isinstance(document, dict):
            raise EndpointError(f"{operation}: the answer from {meta.endpoint_url} is not a JSON object")
        return document

    @property
    def calls(self) -> list[str]:
        """Operation names sent so far by this client, in order (retries not counted)."""
        with self._lock:
            return list(self._calls)

    def probe(self) -> None:
        """One cheap read (ListTables, Limit 1) with few retries: fail fast on credentials or endpoint."""
        client = self._client(PROBE_ATTEMPTS, 2, 1)
        with translated("ListTables", None):
            client.list_tables(Limit=1)

    # -- readers ---------------------------------------------------------------------------------------

    def list_table_names(self) -> list[str]:
        with translated("ListTables", None):
            pages = self.client.get_paginator("list_tables").paginate()
            return [name for page in pages for name in page.get("TableNames", [])]

    def describe_table(self, physical_name: str) -> Json | None:
        """DescribeTable's ``Table``, or None when the table does not exist."""
        try:
            table: Json = self.call("DescribeTable", {"TableName": physical_name})["Table"]
        except TableNotFound:
            return None
        self._note_account(table.get("TableArn"))
        return table

    def describe_live(self, physical_name: str, *, full: bool = True) -> LiveTable | None:
        """Everything a spec needs about a table, in at most four calls (plus tag pages); None if missing.

        Without ``full``, DescribeTable only (TTL, PITR and tags stay unknown): commands that change only
        what DescribeTable shows (add-gsi, create) need no other read permission.
        """
        table = self.describe_table(physical_name)
        if table is None:
            return None
        if not full:
            return LiveTable(physical_name, table, None, None, None)
        ttl = self.call("DescribeTimeToLive", {"TableName": physical_name}).get("TimeToLiveDescription", {})
        backups = self.call("DescribeContinuousBackups", {"TableName": physical_name}).get(
            "ContinuousBackupsDescription", {}
        )
        return LiveTable(physical_name, table, ttl, backups, tuple(self.list_tags(table["TableArn"])))

    def list_tags(self, arn: str) -> list[Json]:
        with translated("ListTagsOfResource", arn):
            pages = self.client.get_paginator("list_tags_of_resource").paginate(ResourceArn=arn)
            return [tag for page in pages for tag in page.get("Tags", [])]

    # -- the account, and other services ----------------------------------------------------------------

    def account(self) -> str | None:
        """The AWS account: from a table ARN seen in a response, else STS GetCallerIdentity; None if unknown.

        Never raises: a refused or unanswered STS call (a local endpoint may not have STS) means None.
        """
        with self._lock:
            if self._account is not None:
                return self._account
        identity = self._optional_call("sts", "get_caller_identity")
        account = identity.get("Account") if identity else None
        return str(account) if account else None

    def describe_key(self, key_id: str) -> Json | None:
        """KMS DescribeKey's ``KeyMetadata``; None when refused or unanswered."""
        answer = self._optional_call("kms", "describe_key", KeyId=key_id)
        metadata = answer.get("KeyMetadata") if answer else None
        return metadata if isinstance(metadata, dict) else None

    def key_aliases(self, key_id: str) -> list[str] | None:
        """The alias names of a KMS key (KMS ListAliases); None when refused or unanswered."""
        answer = self._optional_call("kms", "list_aliases", KeyId=key_id)
        if answer is None:
            return None
        return sorted(str(a["AliasName"]) for a in answer.get("Aliases", []) if a.get("AliasName"))

    def _optional_call(self, service: str, method: str, **params: Any) -> Json | None:
        """One call to another service, for information only: one attempt, None on any failure.

        With a custom endpoint the call goes to that endpoint (never to AWS with local credentials).
        """
        config = Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=2,
                        read_timeout=5, user_agent_extra="ddbctl")
        try:
            client = self._session.client(service, endpoint_url=self.settings.endpoint_url, config=config)
            answer: Json = getattr(client, method)(**params)
        except (bx.BotoCoreError, bx.ClientError, ResponseParserError, ValueError):
            return None  # refused, unreachable, or an endpoint that does not speak this service
        return answer

    def _note_account(self, arn: object) -> None:
        parts = str(arn or "").split(":")
        if len(parts) > 4 and parts[0] == "arn" and parts[4].isdigit():
            with self._lock:
                self._account = parts[4]

    # -- internals -------------------------------------------------------------------------------------

    def _client(self, max_attempts: int, connect_timeout: float, pool_size: int) -> Any:
        config = Config(
            retries={"mode": "standard", "total_max_attempts": max_attempts},  # attempts, not retries
            connect_timeout=connect_timeout,
            read_timeout=self._read_timeout,
            max_pool_connections=pool_size,
            user_agent_extra="ddbctl",
            parameter_validation=self._validate_params,
        )
        with translated("connect", None):
            return self._session.client("dynamodb", endpoint_url=self.settings.endpoint_url, config=config)

    def _count(self, model: Any, **_: Any) -> None:
        with self._lock:
            self._calls.append(model.name)


def _subject(params: Json) -> str | None:
    """The table a request is about, for its error messages: its name, or its ARN where the API takes one
    (ExportTableToPointInTime, ListImports, the tagging calls). Restores and imports name none: their
    errors may be about the source, not the table they would create."""
    for field in ("TableName", "TableArn", "ResourceArn"):
        if isinstance(params.get(field), str):
            return str(params[field])
    return None


def _session(settings: Settings) -> boto3.session.Session:
    try:
        session = boto3.session.Session(profile_name=settings.profile, region_name=settings.region)
    except bx.ProfileNotFound as exc:
        raise ConfigError(f"AWS profile {settings.profile!r} not found", hint="check AWS_PROFILE/--profile") from exc
    if settings.endpoint_url is None:
        check_region(session, settings.region)
    if settings.local and session.get_credentials() is None:
        # The local server accepts any credentials; do not make users invent some.
        session = boto3.session.Session(region_name=settings.region, **LOCAL_CREDENTIALS)
    return session


def check_region(session: boto3.session.Session, region: str) -> None:
    """ConfigError unless botocore's endpoint data knows ``region`` (or its partition's pattern fits it).

    Only for AWS's own endpoints: with a custom endpoint the region is just a name to sign with.
    """
    partitions = session.get_available_partitions()
    if any(region in session.get_available_regions("dynamodb", partition_name=p) for p in partitions):
        return
    data = session._session.get_data("endpoints")  # botocore's endpoints.json: each partition's region pattern
    if any(re.fullmatch(p.get("regionRegex", "^$"), region) for p in data.get("partitions", [])):
        return
    raise ConfigError(
        f"unknown AWS region {region!r}: DynamoDB has no such region",
        hint="set --region or AWS_REGION to an AWS region such as us-east-1 or eu-west-1; with --endpoint-url "
        "(a local or other DynamoDB-compatible server) any region name is accepted",
    )


@contextmanager
def translated(operation: str, table: str | None) -> Iterator[None]:
    """Turn botocore's exceptions raised inside the block into ddbctl's typed errors."""
    try:
        yield
    except DdbctlError:
        raise
    except bx.ClientError as exc:
        raise client_error(exc, operation, table) from exc
    except (bx.NoCredentialsError, bx.PartialCredentialsError) as exc:
        raise MissingCredentials(
            "no AWS credentials found",
            hint="configure them (aws configure, AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), "
            "or use --local for the local endpoint",
        ) from exc
    except (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ConnectionClosedError) as exc:
        raise EndpointError(
            f"cannot reach DynamoDB at {getattr(exc, 'kwargs', {}).get('endpoint_url') or 'the endpoint'}",
            hint="check --endpoint-url / AWS_ENDPOINT_URL_DYNAMODB and your network; for the local server "
            "start `ddbctl local` first",
        ) from exc
    except bx.ReadTimeoutError as exc:
        raise EndpointError(f"DynamoDB did not answer {operation} in {READ_TIMEOUT}s") from exc
    except bx.NoRegionError as exc:
        raise ConfigError("no AWS region set", hint="set AWS_REGION or --region") from exc


_WITHOUT_RESOURCE = frozenset({"ListTables", "ListBackups", "ListImports", "ListExports"})


def client_error(exc: bx.ClientError, operation: str, table: str | None) -> AwsError:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", "Unknown"))
    message = str(error.get("Message", "")).strip()
    where = f" {table}" if table else ""
    if code in {"ResourceNotFoundException", "ResourceNotFound"} and table and operation != "ListTagsOfResource":
        return TableNotFound(table)
    if code in _CREDENTIAL_CODES:
        return CredentialsError(
            f"dynamodb:{operation}{where}: the AWS credentials were refused ({code}: {message})",
            hint="check the access key, secret and session token (aws configure, AWS_PROFILE)",
        )
    if code in _PERMISSION_CODES:
        resource = _refused_resource(message) or table or "*"
        needed = ", ".join(commands_needing(operation)) or "ddbctl"
        # These actions have no resource-level permissions: AWS names a table ARN but only "*" grants them.
        grant_on = '"*"' if operation in _WITHOUT_RESOURCE else resource
        return AccessDenied(
            f"access denied: this identity may not call dynamodb:{operation} on {resource} ({code}); "
            f"ddbctl sends it for: {needed}",
            hint=f"grant dynamodb:{operation} on {grant_on} to this identity (docs/iam.md)",
            code=code, action=f"dynamodb:{operation}", resource=resource,
        )
    return AwsError(f"{operation}{where} failed: {code}: {message}", code=code)


def _refusal(operation: str, status: int, document: object) -> AwsError:
    """The error of a refused ``post_json`` call, as ``client_error`` makes it from botocore's."""
    fields = document if isinstance(document, dict) else {}
    code = str(fields.get("__type") or fields.get("code") or "").rsplit("#", 1)[-1]
    if not code:
        code = "InternalServerError" if status >= 500 else str(status)
    message = str(fields.get("message") or fields.get("Message") or "")
    error = bx.ClientError({"Error": {"Code": code, "Message": message},
                            "ResponseMetadata": {"HTTPStatusCode": status}}, operation)
    return client_error(error, operation, None)


def _refused_resource(message: str) -> str | None:
    """The ARN in AWS's "... is not authorized to perform: dynamodb:X on resource: <arn> ..." message."""
    _, found, rest = message.partition(" on resource: ")
    return rest.split()[0].rstrip(".,") if found and rest.split() else None


def _snake(operation: str) -> str:
    return str(xform_name(operation))


# -- S3 (backups) --------------------------------------------------------------------------------------

_S3_MISSING = {"NoSuchKey", "404", "NotFound"}
_S3_PERMISSIONS = {"GetObject": "s3:GetObject", "PutObject": "s3:PutObject", "HeadObject": "s3:GetObject",
                   "ListObjectsV2": "s3:ListBucket", "DeleteObject": "s3:DeleteObject"}


class S3:
    """An S3 client for backups: the same explicit retries as Dynamo, ddbctl's errors on failure.

    Its endpoint is ``settings.s3_endpoint_url``: AWS_ENDPOINT_URL_S3, else the DynamoDB endpoint when one
    is set (``--local`` or ``--endpoint-url``: the local server serves both), else AWS's. Paths address the
    bucket on a custom endpoint (``http://host:port/bucket/key``), as local S3 servers expect.
    """

    def __init__(self, settings: Settings, *, max_attempts: int = MAX_ATTEMPTS, pool_size: int = 16) -> None:
        self.settings = settings
        endpoint = settings.s3_endpoint_url
        config = Config(
            retries={"mode": "standard", "total_max_attempts": max_attempts},
            connect_timeout=CONNECT_TIMEOUT,
            read_timeout=READ_TIMEOUT,
            max_pool_connections=pool_size,
            user_agent_extra="ddbctl",
            s3={"addressing_style": "path"} if endpoint else None,
        )
        with translated("connect", None):
            self.client = _session(settings).client("s3", endpoint_url=endpoint, config=config)

    def put(self, bucket: str, key: str, data: bytes) -> None:
        """One PUT: S3 makes the object visible whole or not at all."""
        with _s3_translated("PutObject", bucket, key):
            self.client.put_object(Bucket=bucket, Key=key, Body=data)

    def upload(self, bucket: str, key: str, path: str) -> None:
        """A local file, in parts when large (S3 shows the object only once every part is in)."""
        with _s3_translated("PutObject", bucket, key):
            self.client.upload_file(path, bucket, key)

    def get(self, bucket: str, key: str) -> bytes:
        """The object's bytes; FileNotFoundError when there is no such key."""
        with _s3_translated("GetObject", bucket, key):
            return self.client.get_object(Bucket=bucket, Key=key)["Body"].read()  # type: ignore[no-any-return]

    def open(self, bucket: str, key: str) -> Any:
        """A stream of the object (``read``, ``close``); FileNotFoundError when there is no such key."""
        with _s3_translated("GetObject", bucket, key):
            return self.client.get_object(Bucket=bucket, Key=key)["Body"]

    def exists(self, bucket: str, key: str) -> bool:
        try:
            with _s3_translated("HeadObject", bucket, key):
                self.client.head_object(Bucket=bucket, Key=key)
        except FileNotFoundError:
            return False
        return True

    def list_keys(self, bucket: str, prefix: str) -> list[str]:
        with _s3_translated("ListObjectsV2", bucket, prefix):
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            return [str(entry["Key"]) for page in pages for entry in page.get("Contents", [])]

    def delete(self, bucket: str, key: str) -> None:
        with _s3_translated("DeleteObject", bucket, key):
            self.client.delete_object(Bucket=bucket, Key=key)


@contextmanager
def _s3_translated(operation: str, bucket: str, key: str) -> Iterator[None]:
    """S3's errors as ddbctl's: a missing key is FileNotFoundError, a missing bucket or a refusal an AwsError."""
    where = f"s3://{bucket}/{key}"
    try:
        with translated(operation, None):
            yield
    except AwsError as exc:
        if exc.code in _S3_MISSING:
            raise FileNotFoundError(where) from exc
        cause = exc.__cause__
        message = str(cause.response.get("Error", {}).get("Message", "")) if isinstance(cause, bx.ClientError) else ""
        if exc.code == "NoSuchBucket":  # bad input (exit 2), not a failure of S3
            raise ConfigError(f"{operation} {where}: the bucket {bucket} does not exist",
                              hint="create it first (aws s3 mb) or check the s3:// URL and the region") from exc
        if exc.code in ("AccessDenied", "AllAccessDisabled", "403"):
            raise AwsError(f"{operation} {where}: access denied", code=exc.code,
                           hint=f"grant {_S3_PERMISSIONS.get(operation, 's3:*')} on arn:aws:s3:::{bucket}"
                           f"{'/*' if operation != 'ListObjectsV2' else ''} to this identity") from exc
        if message and not isinstance(exc, CredentialsError):
            raise AwsError(f"{operation} {where} failed: {exc.code}: {message}", code=exc.code) from exc
        raise
