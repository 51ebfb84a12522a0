"""moto's S3, served on the local server's port and seen through the server's own fake account.

A request is S3's when its SigV4 credential scope (header or presigned query) names the ``s3`` service.
moto keeps one global bucket namespace for the whole process (``s3_backends.bucket_accounts``), which
would let two local servers see, or collide on, each other's buckets. Each server here keeps its own
namespace and puts it in place, under one process-wide lock, for as long as one of its S3 requests
(or one of its exports or imports) runs: buckets are as isolated between servers as tables are.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request

if TYPE_CHECKING:
    from moto.s3.models import S3Backend

# moto keeps S3 per partition, not per region.
_PARTITION = "aws"
# One lock for every server of the process: the namespace swap below changes a moto global.
_NAMESPACE_LOCK = threading.RLock()


def is_s3_request(request: Request) -> bool:
    """Whether a request is signed (or presigned) for the ``s3`` service."""
    scope = request.headers.get("Authorization", "")
    if "Credential=" in scope:
        scope = scope.split("Credential=", 1)[1].split(",", 1)[0]
    else:
        scope = request.args.get("X-Amz-Credential", "")
    parts = scope.split("/")
    return len(parts) >= 5 and parts[3] == "s3"


# Bucket sub-resources (query keys) -> the IAM action of GET/PUT/DELETE on them.
_BUCKET_SUBRESOURCES: dict[str, tuple[str, str, str]] = {
    "location": ("s3:GetBucketLocation", "s3:GetBucketLocation", "s3:GetBucketLocation"),
    "versioning": ("s3:GetBucketVersioning", "s3:PutBucketVersioning", "s3:PutBucketVersioning"),
    "policy": ("s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"),
    "acl": ("s3:GetBucketAcl", "s3:PutBucketAcl", "s3:PutBucketAcl"),
    "tagging": ("s3:GetBucketTagging", "s3:PutBucketTagging", "s3:PutBucketTagging"),
    "encryption": ("s3:GetEncryptionConfiguration", "s3:PutEncryptionConfiguration",
                   "s3:PutEncryptionConfiguration"),
    "lifecycle": ("s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration", "s3:PutLifecycleConfiguration"),
    "uploads": ("s3:ListBucketMultipartUploads", "s3:ListBucketMultipartUploads", "s3:ListBucketMultipartUploads"),
    "versions": ("s3:ListBucketVersions", "s3:ListBucketVersions", "s3:ListBucketVersions"),
}


def s3_action(method: str, path: str, query: Mapping[str, str]) -> str:
    """The IAM action that authorizes an S3 request (path-style addressing: ``/BUCKET[/KEY]``).

    Objects: GET/HEAD -> ``s3:GetObject``; PUT, multipart create/parts/complete and POST -> ``s3:PutObject``;
    DELETE -> ``s3:DeleteObject``, or ``s3:AbortMultipartUpload`` with an ``uploadId``. Buckets: GET/HEAD ->
    ``s3:ListBucket`` (or the sub-resource's action, ``?location`` -> ``s3:GetBucketLocation``), PUT ->
    ``s3:CreateBucket``, DELETE -> ``s3:DeleteBucket``, POST ``?delete`` -> ``s3:DeleteObject``.
    """
    method = method.upper()
    bucket, _, key = path.lstrip("/").partition("/")
    if not bucket:
        return "s3:ListAllMyBuckets"
    if key:
        if method in ("GET", "HEAD"):
            return "s3:ListMultipartUploadParts" if "uploadId" in query else "s3:GetObject"
        if method == "DELETE":
            return "s3:AbortMultipartUpload" if "uploadId" in query else "s3:DeleteObject"
        return "s3:PutObject"  # PUT, UploadPart, CopyObject, POST ?uploads / ?uploadId=
    if method == "POST":
        return "s3:DeleteObject" if "delete" in query else "s3:PutObject"
    column = {"GET": 0, "HEAD": 0, "PUT": 1, "DELETE": 2}.get(method, 0)
    for name, actions in _BUCKET_SUBRESOURCES.items():
        if name in query:
            return actions[column]
    return ("s3:ListBucket", "s3:CreateBucket", "s3:DeleteBucket")[column]


class LocalS3:
    """The S3 of one local server: moto's S3 WSGI app, in this server's account and bucket namespace."""

    def __init__(self, account_id: str) -> None:
        self.account_id = account_id
        self._buckets: dict[str, tuple[str, str]] = {}  # this server's share of moto's bucket namespace
        self._app: Any = None

    @contextmanager
    def isolated(self) -> Iterator[S3Backend]:
        """This server's S3 backend, with moto's bucket namespace replaced by this server's meanwhile."""
        from moto.s3.models import s3_backends  # noqa: PLC0415 - heavy

        with _NAMESPACE_LOCK:
            shared = s3_backends.bucket_accounts
            s3_backends.bucket_accounts = self._buckets
            try:
                yield s3_backends[self.account_id][_PARTITION]
            finally:
                s3_backends.bucket_accounts = shared

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        """Serve one S3 request (WSGI), buffered so that it completes inside the namespace swap."""
        if self._app is None:
            from moto.moto_server.werkzeug_app import create_backend_app  # noqa: PLC0415 - heavy

            self._app = create_backend_app("s3")
        environ = {**environ, "HTTP_X_MOTO_ACCOUNT_ID": self.account_id}
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured.update(status=status, headers=headers)
            return lambda data: None

        with self.isolated():
            app_iter = self._app(environ, capture)
            try:
                body = b"".join(app_iter)
            finally:
                close = getattr(app_iter, "close", None)
                if close is not None:
                    close()
        start_response(captured["status"], captured["headers"])
        return [body]

    def reset(self) -> None:
        """Drop this server's buckets and objects, leaving other servers' alone."""
        from moto.s3.models import s3_backends  # noqa: PLC0415

        with self.isolated():
            s3_backends[self.account_id][_PARTITION].reset()
        self._buckets.clear()
