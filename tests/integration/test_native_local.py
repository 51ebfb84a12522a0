"""The local server's S3 and its export, import and restore, over HTTP (both modes)."""

from __future__ import annotations

import gzip
import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError  # type: ignore[import-untyped,unused-ignore]

from ddbctl.data.exportfmt import find_exports, iter_items, read_export
from ddbctl.data.s3store import S3Store
from ddbctl.local import AwsLikeOptions
from ddbctl.local.pytest_plugin import LocalDynamoDB

from .native_helpers import BUCKET, s3_client, sample_item, scan_all, simple_table


def _wait(describe: Any, status_key: str, deadline: float = 20.0) -> dict[str, Any]:
    start = time.monotonic()
    while True:
        description: dict[str, Any] = describe()
        if description[status_key] != "IN_PROGRESS" or time.monotonic() - start > deadline:
            return description
        time.sleep(0.05)


def _export(client: Any, arn: str, prefix: str = "backups/tables/orders") -> dict[str, Any]:
    started = client.export_table_to_point_in_time(TableArn=arn, S3Bucket=BUCKET, S3Prefix=prefix)
    arn_ = started["ExportDescription"]["ExportArn"]
    return _wait(lambda: client.describe_export(ExportArn=arn_)["ExportDescription"], "ExportStatus")


def test_servers_keep_their_buckets_apart(local_server_factory: Any) -> None:
    first, second = local_server_factory(), local_server_factory()
    s3_first, s3_second = s3_client(first), s3_client(second)
    s3_first.create_bucket(Bucket=BUCKET)
    s3_second.create_bucket(Bucket=BUCKET)  # no BucketAlreadyExists: each server is its own account
    s3_first.put_object(Bucket=BUCKET, Key="only/in/first", Body=b"1")
    assert s3_second.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0
    first.server.reset()
    assert s3_first.list_buckets()["Buckets"] == []
    assert [b["Name"] for b in s3_second.list_buckets()["Buckets"]] == [BUCKET]
    with pytest.raises(ClientError, match="NoSuchBucket"):
        s3_first.get_object(Bucket=BUCKET, Key="only/in/first")


def test_export_looks_like_dynamodbs_and_ddbctls_reader_reads_it(any_dynamodb: LocalDynamoDB,
                                                                 settings_for: Any) -> None:
    client, s3 = any_dynamodb.client(), s3_client(any_dynamodb)
    s3.create_bucket(Bucket=BUCKET)
    arn = simple_table(client, "orders", items=1203)
    described = _export(client, arn)
    assert described["ExportStatus"] == "COMPLETED"
    assert described["ItemCount"] == 1203
    root = described["ExportManifest"].rsplit("/", 1)[0]
    assert root.startswith("backups/tables/orders/AWSDynamoDB/")
    keys = [entry["Key"] for entry in s3.list_objects_v2(Bucket=BUCKET)["Contents"]]
    names = sorted(key[len(root) + 1:] for key in keys)
    assert names[:2] == ["_started", "data/" + names[1][5:]]
    assert {"manifest-summary.json", "manifest-files.json", "manifest-summary.md5", "manifest-files.md5"} <= set(names)
    data_files = [name for name in names if name.startswith("data/")]
    assert len(data_files) == 2 and all(name.endswith(".json.gz") for name in data_files)
    first_line = gzip.decompress(s3.get_object(Bucket=BUCKET, Key=f"{root}/{data_files[0]}")["Body"].read())
    assert json.loads(first_line.splitlines()[0])["Item"]["blob"]["B"]  # base64 text in the file
    summary = json.loads(s3.get_object(Bucket=BUCKET, Key=described["ExportManifest"])["Body"].read())
    assert summary["itemCount"] == 1203 and summary["exportArn"] == described["ExportArn"]
    # ddbctl's own reader (exportfmt, written independently) checks every MD5 and reads every item back.
    store = S3Store(settings_for(any_dynamodb), BUCKET, "backups")
    (export_dir,) = find_exports(store, "tables/orders/")
    manifest = read_export(store, export_dir)
    assert manifest.item_count == 1203
    items = sorted((item for data_file in manifest.files for _, item in iter_items(store, data_file)),
                   key=lambda item: json.dumps(item, sort_keys=True, default=repr))
    assert items == scan_all(client, "orders")


def test_export_needs_pitr_and_reports_a_missing_bucket(dynamodb: LocalDynamoDB) -> None:
    client = dynamodb.client()
    arn = simple_table(client, "nopitr", pitr=False)
    with pytest.raises(ClientError, match="PointInTimeRecoveryUnavailableException"):
        client.export_table_to_point_in_time(TableArn=arn, S3Bucket=BUCKET)
    arn = simple_table(client, "withpitr")
    described = _export(client, arn)
    assert (described["ExportStatus"], described["FailureCode"]) == ("FAILED", "S3NoSuchBucket")


def test_aws_like_export_import_and_restore_take_time(local_server_factory: Any) -> None:
    server = local_server_factory(AwsLikeOptions(table_create_seconds=0.1, export_seconds=30, import_seconds=30,
                                                 restore_seconds=30, seed=1))
    client, s3 = server.client(), s3_client(server)
    s3.create_bucket(Bucket=BUCKET)
    arn = simple_table(client, "orders", items=3)
    export = client.export_table_to_point_in_time(TableArn=arn, S3Bucket=BUCKET, S3Prefix="p")["ExportDescription"]
    assert client.describe_export(ExportArn=export["ExportArn"])["ExportDescription"]["ExportStatus"] == "IN_PROGRESS"
    s3.put_object(Bucket=BUCKET, Key="in/data/a.json", Body=b'{"Item":{"pk":{"S":"x"}}}\n')
    started = client.import_table(
        S3BucketSource={"S3Bucket": BUCKET, "S3KeyPrefix": "in/data/"}, InputFormat="DYNAMODB_JSON",
        TableCreationParameters={"TableName": "imported", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                                 "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                                 "BillingMode": "PAY_PER_REQUEST"},
    )["ImportTableDescription"]
    assert client.describe_import(ImportArn=started["ImportArn"])["ImportTableDescription"]["ImportStatus"] == \
        "IN_PROGRESS"
    assert client.describe_table(TableName="imported")["Table"]["TableStatus"] == "CREATING"
    restored = client.restore_table_to_point_in_time(SourceTableName="orders", TargetTableName="restored",
                                                     UseLatestRestorableTime=True)
    assert restored["TableDescription"]["TableStatus"] == "CREATING"
    assert client.describe_table(TableName="restored")["Table"]["TableStatus"] == "CREATING"


def test_import_reads_gzip_json_under_a_prefix_and_counts_errors(dynamodb: LocalDynamoDB) -> None:
    client, s3 = dynamodb.client(), s3_client(dynamodb)
    s3.create_bucket(Bucket=BUCKET)
    good = "".join(json.dumps({"Item": _file_item(sample_item(n))}) + "\n" for n in range(60))
    s3.put_object(Bucket=BUCKET, Key="exp/data/one.json.gz", Body=gzip.compress(good.encode()))
    bad = '{"Item":{"other":{"S":"no key"}}}\nnot json\n{"Item":{"pk":{"S":"item-00001"},"v":{"S":"dup wins"}}}\n'
    s3.put_object(Bucket=BUCKET, Key="exp/data/two.json.gz", Body=gzip.compress(bad.encode()))
    s3.put_object(Bucket=BUCKET, Key="exp/manifest-summary.json", Body=b"{}")  # outside the data/ prefix
    started = client.import_table(
        S3BucketSource={"S3Bucket": BUCKET, "S3KeyPrefix": "exp/data/"}, InputFormat="DYNAMODB_JSON",
        InputCompressionType="GZIP",
        TableCreationParameters={"TableName": "imported", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                                 "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                                 "BillingMode": "PAY_PER_REQUEST", "SSESpecification": {"Enabled": True}},
    )["ImportTableDescription"]
    described = client.describe_import(ImportArn=started["ImportArn"])["ImportTableDescription"]
    assert described["ImportStatus"] == "COMPLETED"
    assert (described["ProcessedItemCount"], described["ImportedItemCount"], described["ErrorCount"]) == (63, 61, 2)
    assert described["CloudWatchLogGroupArn"].endswith(":log-group:/aws-dynamodb/imports:*")
    table = client.describe_table(TableName="imported")["Table"]
    assert table["SSEDescription"]["Status"] == "ENABLED"
    assert client.get_item(TableName="imported", Key={"pk": {"S": "item-00001"}})["Item"]["v"] == {"S": "dup wins"}
    assert len(scan_all(client, "imported")) == 60
    with pytest.raises(ClientError, match="ResourceInUseException"):
        client.import_table(
            S3BucketSource={"S3Bucket": BUCKET, "S3KeyPrefix": "exp/data/"}, InputFormat="DYNAMODB_JSON",
            TableCreationParameters={"TableName": "imported",
                                     "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                                     "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                                     "BillingMode": "PAY_PER_REQUEST"})


def test_restores_keep_billing_and_class_and_need_pitr(dynamodb: LocalDynamoDB) -> None:
    client = dynamodb.client()
    simple_table(client, "source", items=5)
    client.update_table(TableName="source", TableClass="STANDARD_INFREQUENT_ACCESS")
    client.restore_table_to_point_in_time(SourceTableName="source", TargetTableName="copy",
                                          UseLatestRestorableTime=True)
    table = client.describe_table(TableName="copy")["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["TableClassSummary"]["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    assert len(scan_all(client, "copy")) == 5
    backup = client.create_backup(TableName="source", BackupName="source-snap")["BackupDetails"]
    client.restore_table_from_backup(TargetTableName="fromsnap", BackupArn=backup["BackupArn"])
    assert client.describe_table(TableName="fromsnap")["Table"]["BillingModeSummary"]["BillingMode"] == \
        "PAY_PER_REQUEST"
    simple_table(client, "nopitr", pitr=False)
    with pytest.raises(ClientError, match="PointInTimeRecoveryUnavailableException"):
        client.restore_table_to_point_in_time(SourceTableName="nopitr", TargetTableName="never",
                                              UseLatestRestorableTime=True)


def _file_item(item: dict[str, Any]) -> dict[str, Any]:
    """The DynamoDB JSON of a test item as a file holds it (bytes as base64), via ddbctl's own codec."""
    from ddbctl.data.items import to_file_item  # noqa: PLC0415

    return to_file_item(item)


def test_s3_store_reads_writes_lists_and_reports(dynamodb: LocalDynamoDB, settings_for: Any, tmp_path: Any) -> None:
    from ddbctl.data.store import open_store  # noqa: PLC0415
    from ddbctl.errors import ConfigError  # noqa: PLC0415

    settings = settings_for(dynamodb)
    s3_client(dynamodb).create_bucket(Bucket=BUCKET)
    store = open_store(f"s3://{BUCKET}/dr/2026/", settings)
    assert store.describe() == f"s3://{BUCKET}/dr/2026"
    store.write_bytes("tables/a/x.bin", b"\x00\x01")
    staged = tmp_path / "staged"
    staged.write_bytes(b"file body")
    store.put_file("tables/b/y.json.gz", staged)
    assert not staged.exists()
    assert store.read_bytes("tables/a/x.bin") == b"\x00\x01"
    with store.open_read("tables/b/y.json.gz") as stream:
        assert stream.read() == b"file body"
    assert store.list("tables/") == ["tables/a/x.bin", "tables/b/y.json.gz"]
    assert store.list("tables/a/") == ["tables/a/x.bin"]
    assert store.exists("tables/a/x.bin") and not store.exists("tables/a/none")
    with pytest.raises(FileNotFoundError):
        store.read_bytes("tables/a/none")
    store.delete("tables/a/x.bin")
    assert store.list("") == ["tables/b/y.json.gz"]
    assert store.location("k") == f"s3://{BUCKET}/dr/2026/k"
    with pytest.raises(ConfigError, match="the bucket nobucket does not exist"):
        open_store("s3://nobucket/p", settings).write_bytes("k", b"")


def test_an_export_repeated_with_its_client_token_is_the_same_export(dynamodb: LocalDynamoDB) -> None:
    client = dynamodb.client()
    dynamodb.s3_client().create_bucket(Bucket=BUCKET)
    arn = simple_table(client, "orders", items=2)
    first = client.export_table_to_point_in_time(TableArn=arn, S3Bucket=BUCKET, ClientToken="run-1")
    again = client.export_table_to_point_in_time(TableArn=arn, S3Bucket=BUCKET, ClientToken="run-1")
    other = client.export_table_to_point_in_time(TableArn=arn, S3Bucket=BUCKET, ClientToken="run-2")
    assert first["ExportDescription"]["ExportArn"] == again["ExportDescription"]["ExportArn"]
    assert other["ExportDescription"]["ExportArn"] != first["ExportDescription"]["ExportArn"]
