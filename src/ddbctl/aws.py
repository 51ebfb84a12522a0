"""The only module that talks to AWS: one DynamoDB client with explicit retries, and error translation.

Everything else calls DynamoDB through ``Dynamo.call(operation, params)`` (or the readers below), and
gets ddbctl's typed errors instead of botocore's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.exceptions as bx
from botocore import xform_name
from botocore.config import Config

from .config import Settings
from .errors import AwsError, ConfigError, CredentialsError, DdbctlError, EndpointError, TableNotFound

Json = dict[str, Any]

# botocore's standard mode retries throttling (incl. LimitExceededException), 5xx and connection errors
# with jittered exponential backoff; legacy mode would not retry LimitExceededException.
MAX_ATTEMPTS = 8
CONNECT_TIMEOUT = 3
READ_TIMEOUT = 30
# The probe fails fast: an unreachable endpoint or missing credentials are reported within seconds.
PROBE_ATTEMPTS = 2

LOCAL_CREDENTIALS = {"aws_access_key_id": "ddbctl-local", "aws_secret_access_key": "ddbctl-local"}

_PERMISSION_CODES = {"AccessDeniedException", "UnrecognizedClientException", "InvalidSignatureException"}
_CREDENTIAL_CODES = {"UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException"}


@dataclass(frozen=True)
class LiveTable:
    """What DynamoDB says about one table: DescribeTable, DescribeTimeToLive, DescribeContinuousBackups, tags."""

    physical_name: str
    table: Json
    ttl: Json
    backups: Json
    tags: tuple[Json, ...]

    @property
    def status(self) -> str:
        return str(self.table.get("TableStatus", "UNKNOWN"))


class Dynamo:
    """A DynamoDB client for one region and endpoint, safe to share between threads."""

    def __init__(self, settings: Settings, *, max_attempts: int = MAX_ATTEMPTS, pool_size: int = 16,
                 read_timeout: float = READ_TIMEOUT) -> None:
        self.settings = settings
        self._session = _session(settings)
        self._read_timeout = read_timeout
        self.client = self._client(max_attempts, CONNECT_TIMEOUT, pool_size)
        self._calls: list[str] = []
        self._lock = threading.Lock()
        self.client.meta.events.register("before-call.dynamodb", self._count)

    # -- generic ---------------------------------------------------------------------------------------

    def call(self, operation: str, params: Json) -> Json:
        """Send one API call by its DynamoDB name (``CreateTable``); ddbctl errors on failure."""
        with translated(operation, params.get("TableName")):
            method: Callable[..., Json] = getattr(self.client, _snake(operation))
            return method(**params)

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
            return self.call("DescribeTable", {"TableName": physical_name})["Table"]  # type: ignore[no-any-return]
        except TableNotFound:
            return None

    def describe_live(self, physical_name: str) -> LiveTable | None:
        """Everything a spec needs about a table, in at most four calls (plus tag pages); None if missing."""
        table = self.describe_table(physical_name)
        if table is None:
            return None
        ttl = self.call("DescribeTimeToLive", {"TableName": physical_name}).get("TimeToLiveDescription", {})
        backups = self.call("DescribeContinuousBackups", {"TableName": physical_name}).get(
            "ContinuousBackupsDescription", {}
        )
        return LiveTable(physical_name, table, ttl, backups, tuple(self.list_tags(table["TableArn"])))

    def list_tags(self, arn: str) -> list[Json]:
        with translated("ListTagsOfResource", arn):
            pages = self.client.get_paginator("list_tags_of_resource").paginate(ResourceArn=arn)
            return [tag for page in pages for tag in page.get("Tags", [])]

    # -- internals -------------------------------------------------------------------------------------

    def _client(self, max_attempts: int, connect_timeout: float, pool_size: int) -> Any:
        config = Config(
            retries={"mode": "standard", "total_max_attempts": max_attempts},  # attempts, not retries
            connect_timeout=connect_timeout,
            read_timeout=self._read_timeout,
            max_pool_connections=pool_size,
            user_agent_extra="ddbctl",
        )
        with translated("connect", None):
            return self._session.client("dynamodb", endpoint_url=self.settings.endpoint_url, config=config)

    def _count(self, model: Any, **_: Any) -> None:
        with self._lock:
            self._calls.append(model.name)


def _session(settings: Settings) -> boto3.session.Session:
    try:
        session = boto3.session.Session(profile_name=settings.profile, region_name=settings.region)
    except bx.ProfileNotFound as exc:
        raise ConfigError(f"AWS profile {settings.profile!r} not found", hint="check AWS_PROFILE/--profile") from exc
    if settings.local and session.get_credentials() is None:
        # The local server accepts any credentials; do not make users invent some.
        session = boto3.session.Session(region_name=settings.region, **LOCAL_CREDENTIALS)
    return session


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
        raise CredentialsError(
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


def client_error(exc: bx.ClientError, operation: str, table: str | None) -> AwsError:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", "Unknown"))
    message = str(error.get("Message", "")).strip()
    where = f" {table}" if table else ""
    if code in {"ResourceNotFoundException", "ResourceNotFound"} and table and operation != "ListTagsOfResource":
        return TableNotFound(table)
    if code in _CREDENTIAL_CODES:
        return CredentialsError(
            f"{operation}{where}: the AWS credentials were refused ({code}: {message})",
            hint="check the access key, secret and session token (aws configure, AWS_PROFILE)",
        )
    hint = None
    if code in _PERMISSION_CODES:
        hint = f"grant dynamodb:{operation} on the table to this identity (README: Required IAM permissions)"
    return AwsError(f"{operation}{where} failed: {code}: {message}", hint=hint, code=code)


def _snake(operation: str) -> str:
    return str(xform_name(operation))
