"""The local server logs S3 requests in its operation log, by the IAM action that authorizes each."""

from __future__ import annotations

import pytest

from ddbctl.local.pytest_plugin import LocalDynamoDB
from ddbctl.local.s3 import s3_action


@pytest.mark.parametrize(("method", "path", "query", "action"), [
    ("GET", "/b/k", {}, "s3:GetObject"),
    ("HEAD", "/b/dir/k", {}, "s3:GetObject"),
    ("PUT", "/b/k", {}, "s3:PutObject"),
    ("POST", "/b/k", {"uploads": ""}, "s3:PutObject"),
    ("PUT", "/b/k", {"partNumber": "1", "uploadId": "u"}, "s3:PutObject"),
    ("POST", "/b/k", {"uploadId": "u"}, "s3:PutObject"),
    ("GET", "/b/k", {"uploadId": "u"}, "s3:ListMultipartUploadParts"),
    ("DELETE", "/b/k", {"uploadId": "u"}, "s3:AbortMultipartUpload"),
    ("DELETE", "/b/k", {}, "s3:DeleteObject"),
    ("POST", "/b", {"delete": ""}, "s3:DeleteObject"),
    ("GET", "/b", {"list-type": "2", "prefix": "p/"}, "s3:ListBucket"),
    ("HEAD", "/b", {}, "s3:ListBucket"),
    ("GET", "/b", {"location": ""}, "s3:GetBucketLocation"),
    ("GET", "/b", {"uploads": ""}, "s3:ListBucketMultipartUploads"),
    ("PUT", "/b", {}, "s3:CreateBucket"),
    ("PUT", "/b", {"versioning": ""}, "s3:PutBucketVersioning"),
    ("DELETE", "/b", {}, "s3:DeleteBucket"),
    ("GET", "/", {}, "s3:ListAllMyBuckets"),
])
def test_s3_requests_map_to_their_iam_action(method: str, path: str, query: dict[str, str], action: str) -> None:
    assert s3_action(method, path, query) == action


def test_s3_requests_are_logged_with_their_action_resource_and_status(dynamodb: LocalDynamoDB) -> None:
    s3 = dynamodb.s3_client()
    dynamodb.server.clear_operations()
    s3.create_bucket(Bucket="logged")
    s3.put_object(Bucket="logged", Key="a/b.json", Body=b"{}")
    s3.get_object(Bucket="logged", Key="a/b.json")
    s3.list_objects_v2(Bucket="logged", Prefix="a/")
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket="logged", Key="missing")
    s3.delete_object(Bucket="logged", Key="a/b.json")
    logged = [(e["operation"], e["resource"], e["status"], e["tables"]) for e in dynamodb.server.operations()]
    assert logged == [
        ("s3:CreateBucket", "arn:aws:s3:::logged", 200, []),
        ("s3:PutObject", "arn:aws:s3:::logged/a/b.json", 200, []),
        ("s3:GetObject", "arn:aws:s3:::logged/a/b.json", 200, []),
        ("s3:ListBucket", "arn:aws:s3:::logged", 200, []),
        ("s3:GetObject", "arn:aws:s3:::logged/missing", 404, []),
        ("s3:DeleteObject", "arn:aws:s3:::logged/a/b.json", 204, []),
    ]
    assert dynamodb.server.operations()[4]["error"] == "error"
