"""DynamoDB's own export, import and restore machinery, as the local server plays it (both modes).

moto's versions fall short of what a client of the real service relies on: its export writes one
``.gz`` file and no manifests, its import runs in a thread outside the server's lock and ignores SSE,
its restores drop the billing mode, SSE and table class and never check PITR. This module answers
ExportTableToPointInTime, DescribeExport, ListExports, ImportTable, DescribeImport and ListImports
itself, writing and reading S3 through the server's own (isolated) moto S3, and corrects moto's
restores. The export layout is written here independently of ddbctl's own reader, as AWS writes it:
``<prefix>/AWSDynamoDB/<id>/`` with ``_started``, ``manifest-summary.json``, ``manifest-files.json``,
their ``.md5`` files and ``data/<random>.json.gz`` files of ``{"Item": ...}`` lines.

Jobs finish at once; in the AWS-like mode they are *shown* IN_PROGRESS for ``export_seconds`` /
``import_seconds`` (the imported table stays CREATING as long: see ``awslike``).
"""

from __future__ import annotations

import base64
import copy
import gzip
import hashlib
import json
import random
import string
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .operations import table_from_arn
from .wire import DynamoError, DynamoRequest, WireResponse, json_response, resource_in_use, validation_error

if TYPE_CHECKING:
    from .moto_backend import MotoBackend

NATIVE_OPERATIONS = frozenset(
    {"ExportTableToPointInTime", "DescribeExport", "ListExports", "ImportTable", "DescribeImport", "ListImports"}
)
RESTORE_OPERATIONS = frozenset({"RestoreTableToPointInTime", "RestoreTableFromBackup"})
ITEMS_PER_DATA_FILE = 1000  # DynamoDB writes at least one file per partition; a file per 1,000 items here
_BATCH = 25
_TYPES = frozenset({"S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"})
_PARTITION = "aws"


def _job_id(now: float) -> str:
    """An export/import id as DynamoDB's look: 14 digits of epoch milliseconds, a dash, 8 hex digits."""
    return f"{int(now * 1000):014d}-{uuid.uuid4().hex[:8]}"


def iso_time(epoch: float) -> str:
    """``2026-10-09T00:29:34.602Z``: the ISO form with milliseconds DynamoDB writes into files and messages."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _md5(data: bytes) -> tuple[str, str]:
    """(base64 MD5, hex MD5 = the S3 ETag of a single-part upload)."""
    digest = hashlib.md5(data, usedforsecurity=False)
    return base64.b64encode(digest.digest()).decode(), digest.hexdigest()


@dataclass
class Job:
    """One export or import: its description, and when it is shown finished."""

    description: dict[str, Any]
    status: str  # the final status, shown once ``ready_at`` has passed
    ready_at: float
    status_key: str

    def describe(self, now: float) -> dict[str, Any]:
        description = copy.deepcopy(self.description)
        if now < self.ready_at:
            description[self.status_key] = "IN_PROGRESS"
            for key in ("EndTime", "FailureCode", "FailureMessage"):
                description.pop(key, None)
        else:
            description[self.status_key] = self.status
        return description


@dataclass
class NativeJobs:
    """The exports and imports of one server's account; not thread-safe (the server serializes requests)."""

    backend: MotoBackend
    export_seconds: float = 0.0
    import_seconds: float = 0.0
    clock: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], float] = time.time
    exports: dict[str, Job] = field(default_factory=dict)
    imports: dict[str, Job] = field(default_factory=dict)

    def reset(self) -> None:
        self.exports.clear()
        self.imports.clear()

    def handle(self, request: DynamoRequest) -> WireResponse:
        handlers: dict[str, Callable[[DynamoRequest], dict[str, Any]]] = {
            "ExportTableToPointInTime": self._export,
            "DescribeExport": self._describe_export,
            "ListExports": self._list_exports,
            "ImportTable": self._import,
            "DescribeImport": self._describe_import,
            "ListImports": self._list_imports,
        }
        return json_response(handlers[request.operation](request))

    # -- exports -----------------------------------------------------------------------------------

    def _export(self, request: DynamoRequest) -> dict[str, Any]:
        payload, region = request.payload, request.region
        table_arn = str(payload.get("TableArn") or "")
        name = table_from_arn(table_arn)
        table = self._describe_table(name, region) if name else None
        if table is None or table.get("TableArn") != table_arn:
            raise DynamoError("TableNotFoundException", f"Table not found: {table_arn}")
        assert name is not None
        backups = self.backend.call("DescribeContinuousBackups", {"TableName": name}, region)
        pitr = backups["ContinuousBackupsDescription"].get("PointInTimeRecoveryDescription") or {}
        if pitr.get("PointInTimeRecoveryStatus") != "ENABLED":
            raise DynamoError(
                "PointInTimeRecoveryUnavailableException", f"Point in time recovery is not enabled for table '{name}'"
            )
        token = payload.get("ClientToken")
        for job in self.exports.values():  # a repeated request (same token, same table): the same export
            if token and job.description.get("ClientToken") == token and job.description["TableArn"] == table_arn:
                return {"ExportDescription": job.describe(self.clock())}
        export_format = payload.get("ExportFormat") or "DYNAMODB_JSON"
        if export_format != "DYNAMODB_JSON":
            raise validation_error(f"ExportFormat {export_format} is not supported by the local server")
        export_type = payload.get("ExportType") or "FULL_EXPORT"
        incremental = payload.get("IncrementalExportSpecification") or {}
        if export_type == "INCREMENTAL_EXPORT" and not incremental.get("ExportFromTime"):
            raise validation_error("IncrementalExportSpecification.ExportFromTime is required for INCREMENTAL_EXPORT")
        started = self.wall_clock()
        export_id = _job_id(started)
        bucket = str(payload.get("S3Bucket") or "")
        prefix = str(payload.get("S3Prefix") or "").strip("/")
        root = f"{prefix}/AWSDynamoDB/{export_id}" if prefix else f"AWSDynamoDB/{export_id}"
        export_time = float(payload.get("ExportTime") or started)
        description: dict[str, Any] = {
            "ExportArn": f"{table_arn}/export/{export_id}",
            "TableArn": table_arn,
            "TableId": table.get("TableId"),
            "StartTime": started,
            "ExportTime": export_time,
            "S3Bucket": bucket,
            "S3BucketOwner": payload.get("S3BucketOwner") or self.backend.account_id,
            "S3Prefix": prefix,
            "S3SseAlgorithm": payload.get("S3SseAlgorithm") or "AES256",
            "ExportFormat": export_format,
            "ExportType": export_type,
        }
        if payload.get("S3SseKmsKeyId"):
            description["S3SseKmsKeyId"] = payload["S3SseKmsKeyId"]
        if export_type == "INCREMENTAL_EXPORT":
            description["IncrementalExportSpecification"] = {
                "ExportViewType": "NEW_AND_OLD_IMAGES", **incremental, "ExportToTime": incremental.get("ExportToTime")
                or started,
            }
        if payload.get("ClientToken"):
            description["ClientToken"] = payload["ClientToken"]
        status = "COMPLETED"
        try:
            description.update(self._write_export(table, region, bucket, root, description))
        except DynamoError as error:
            status = "FAILED"
            description.update(FailureCode=error.code, FailureMessage=error.message)
        description["EndTime"] = self.wall_clock()
        job = Job(description, status, self.clock() + self.export_seconds, "ExportStatus")
        self.exports[description["ExportArn"]] = job
        return {"ExportDescription": job.describe(self.clock())}

    def _write_export(
        self, table: dict[str, Any], region: str, bucket: str, root: str, description: dict[str, Any]
    ) -> dict[str, Any]:
        incremental = description["ExportType"] == "INCREMENTAL_EXPORT"
        keys = [element["AttributeName"] for element in table["KeySchema"]]
        with self.backend.s3.isolated() as s3:
            if bucket not in s3.buckets:
                raise DynamoError("S3NoSuchBucket", "The specified bucket does not exist")
            s3.put_object(bucket, f"{root}/_started", b"")
            manifest_lines: list[str] = []
            item_count = billed = 0
            for lines in _chunks(self._scan(table["TableName"], region), ITEMS_PER_DATA_FILE):
                text = "".join(_export_line(item, keys, incremental) for item in lines)
                data = gzip.compress(text.encode(), mtime=0)
                key = f"{root}/data/{_random_name()}.json.gz"
                s3.put_object(bucket, key, data)
                md5_b64, etag = _md5(data)
                manifest_lines.append(json.dumps(
                    {"itemCount": len(lines), "md5Checksum": md5_b64, "etag": etag, "dataFileS3Key": key}
                ))
                item_count += len(lines)
                billed += len(text)
            files_manifest = "".join(line + "\n" for line in manifest_lines).encode()
            s3.put_object(bucket, f"{root}/manifest-files.json", files_manifest)
            s3.put_object(bucket, f"{root}/manifest-files.md5", _md5(files_manifest)[0].encode())
            summary = {
                "version": "2020-06-30",
                "exportArn": description["ExportArn"],
                "startTime": iso_time(description["StartTime"]),
                "endTime": iso_time(self.wall_clock()),
                "tableArn": description["TableArn"],
                "tableId": description["TableId"],
                "exportTime": iso_time(description["ExportTime"]),
                "s3Bucket": bucket,
                "s3Prefix": description["S3Prefix"] or None,
                "s3SseAlgorithm": description["S3SseAlgorithm"],
                "s3SseKmsKeyId": description.get("S3SseKmsKeyId"),
                "manifestFilesS3Key": f"{root}/manifest-files.json",
                "billedSizeBytes": billed,
                "itemCount": item_count,
                "outputFormat": "DYNAMODB_JSON",
                "exportType": description["ExportType"],
            }
            summary_bytes = json.dumps(summary).encode()
            s3.put_object(bucket, f"{root}/manifest-summary.json", summary_bytes)
            s3.put_object(bucket, f"{root}/manifest-summary.md5", _md5(summary_bytes)[0].encode())
        return {"ExportManifest": f"{root}/manifest-summary.json", "ItemCount": item_count, "BilledSizeBytes": billed}

    def _describe_export(self, request: DynamoRequest) -> dict[str, Any]:
        arn = str(request.payload.get("ExportArn") or "")
        job = self.exports.get(arn)
        if job is None:
            raise DynamoError("ExportNotFoundException", f"Export not found: {arn}")
        return {"ExportDescription": job.describe(self.clock())}

    def _list_exports(self, request: DynamoRequest) -> dict[str, Any]:
        table_arn = request.payload.get("TableArn")
        now = self.clock()
        summaries = [
            {"ExportArn": arn, "ExportStatus": job.describe(now)["ExportStatus"],
             "ExportType": job.description["ExportType"]}
            for arn, job in self.exports.items()
            if not table_arn or job.description["TableArn"] == table_arn
        ]
        return {"ExportSummaries": summaries}

    # -- imports -----------------------------------------------------------------------------------

    def _import(self, request: DynamoRequest) -> dict[str, Any]:
        payload, region = request.payload, request.region
        source = payload.get("S3BucketSource") or {}
        creation = dict(payload.get("TableCreationParameters") or {})
        name = str(creation.get("TableName") or "")
        input_format = payload.get("InputFormat") or "DYNAMODB_JSON"
        compression = payload.get("InputCompressionType") or "NONE"
        if input_format != "DYNAMODB_JSON":
            raise validation_error(f"InputFormat {input_format} is not supported by the local server")
        if compression not in ("GZIP", "NONE"):
            raise validation_error(f"InputCompressionType {compression} is not supported by the local server")
        if not source.get("S3Bucket"):
            raise validation_error("S3BucketSource.S3Bucket is required")
        if self._describe_table(name, region) is not None:
            raise resource_in_use(f"Table already exists: {name}")
        started = self.wall_clock()
        account = self.backend.account_id
        table_arn = f"arn:aws:dynamodb:{region}:{account}:table/{name}"
        description: dict[str, Any] = {
            "ImportArn": f"{table_arn}/import/{_job_id(started)}",
            "TableArn": table_arn,
            "S3BucketSource": dict(source),
            "CloudWatchLogGroupArn": f"arn:aws:logs:{region}:{account}:log-group:/aws-dynamodb/imports:*",
            "InputFormat": input_format,
            "InputCompressionType": compression,
            "TableCreationParameters": creation,
            "StartTime": started,
        }
        if payload.get("ClientToken"):
            description["ClientToken"] = payload["ClientToken"]
        with self.backend.s3.isolated() as s3:
            bucket = s3.buckets.get(str(source["S3Bucket"]))
            contents = [] if bucket is None else _objects(bucket, str(source.get("S3KeyPrefix") or ""))
        status = "COMPLETED"
        if bucket is None:
            status = "FAILED"
            description.update(FailureCode="S3NoSuchBucket", FailureMessage="The specified bucket does not exist")
        else:
            # TableCreationParameters are checked like CreateTable's, and refused at once.
            created = self.backend.call("CreateTable", creation, region)["TableDescription"]
            description["TableId"] = created.get("TableId")
            description.update(self._load(name, region, created["KeySchema"], contents, compression == "GZIP"))
        description["EndTime"] = self.wall_clock()
        job = Job(description, status, self.clock() + self.import_seconds, "ImportStatus")
        self.imports[description["ImportArn"]] = job
        return {"ImportTableDescription": job.describe(self.clock())}

    def _load(
        self, name: str, region: str, key_schema: list[dict[str, Any]], objects: list[tuple[str, bytes]], gzipped: bool
    ) -> dict[str, Any]:
        """Write every valid item of the objects; count (and skip) what DynamoDB would log as an error."""
        key_types = self._key_types(name, region, key_schema)
        processed = imported = errors = size = 0
        failure: str | None = None
        batch: list[dict[str, Any]] = []
        for key, value in objects:
            try:
                text = (gzip.decompress(value) if gzipped and value else value).decode()
            except (OSError, EOFError, UnicodeDecodeError) as exc:
                errors += 1
                failure = f"{key}: cannot be read: {exc}"
                continue
            size += len(value)
            for number, line in enumerate(text.splitlines(), start=1):
                if not line.strip():
                    continue
                processed += 1
                problem, item = _import_item(line, key_types)
                if problem:
                    errors += 1
                    failure = f"{key} line {number}: {problem}"
                    continue
                batch.append(item)
                if len(batch) == _BATCH:
                    imported += self._write(name, region, batch, key_types)
                    batch = []
        if batch:
            imported += self._write(name, region, batch, key_types)
        errors += processed - imported - errors
        result: dict[str, Any] = {
            "ProcessedItemCount": processed,
            "ImportedItemCount": imported,
            "ErrorCount": errors,
            "ProcessedSizeBytes": size,
        }
        if failure:
            result["FailureMessage"] = failure
        return result

    def _write(self, name: str, region: str, items: list[dict[str, Any]], key_types: dict[str, str]) -> int:
        """Put the items (a later duplicate key overwrites, as ImportTable does); how many were written."""
        unique = {json.dumps([item[k] for k in key_types], sort_keys=True): item for item in items}
        requests = [{"PutRequest": {"Item": item}} for item in unique.values()]
        try:
            self.backend.call("BatchWriteItem", {"RequestItems": {name: requests}}, region)
            return len(items)
        except DynamoError:
            written = 0
            for item in items:  # one bad item refuses the batch: put them one by one
                try:
                    self.backend.call("PutItem", {"TableName": name, "Item": item}, region)
                    written += 1
                except DynamoError:
                    pass
            return written

    def _key_types(self, name: str, region: str, key_schema: list[dict[str, Any]]) -> dict[str, str]:
        table = self._describe_table(name, region) or {}
        types = {d["AttributeName"]: d["AttributeType"] for d in table.get("AttributeDefinitions") or []}
        return {element["AttributeName"]: types.get(element["AttributeName"], "S") for element in key_schema}

    def _describe_import(self, request: DynamoRequest) -> dict[str, Any]:
        arn = str(request.payload.get("ImportArn") or "")
        job = self.imports.get(arn)
        if job is None:
            raise DynamoError("ImportNotFoundException", f"Import not found: {arn}")
        return {"ImportTableDescription": job.describe(self.clock())}

    def _list_imports(self, request: DynamoRequest) -> dict[str, Any]:
        table_arn = request.payload.get("TableArn")
        now = self.clock()
        summaries = []
        for job in self.imports.values():
            if table_arn and job.description["TableArn"] != table_arn:
                continue
            described = job.describe(now)
            summaries.append({key: described[key] for key in (
                "ImportArn", "ImportStatus", "TableArn", "S3BucketSource", "CloudWatchLogGroupArn", "InputFormat",
                "StartTime") if key in described})
        return {"ImportSummaryList": summaries}

    # -- restores ----------------------------------------------------------------------------------

    def check_restore(self, request: DynamoRequest) -> None:
        """Before moto restores: DynamoDB's refusals moto does not make (PITR off on the source)."""
        if request.operation != "RestoreTableToPointInTime":
            return
        source = request.payload.get("SourceTableName") or table_from_arn(str(request.payload.get("SourceTableArn")))
        if not source or self._describe_table(str(source), request.region) is None:
            raise DynamoError("SourceTableNotFoundException", f"Source table not found: {source}")
        backups = self.backend.call("DescribeContinuousBackups", {"TableName": source}, request.region)
        pitr = backups["ContinuousBackupsDescription"].get("PointInTimeRecoveryDescription") or {}
        if pitr.get("PointInTimeRecoveryStatus") != "ENABLED":
            raise DynamoError(
                "PointInTimeRecoveryUnavailableException", f"Point in time recovery is not enabled for table '{source}'"
            )

    def restored(self, request: DynamoRequest) -> None:
        """After moto restored a table: what DynamoDB keeps and moto drops (billing mode, SSE, table class)."""
        from moto.dynamodb.models import dynamodb_backends  # noqa: PLC0415 - heavy

        tables = dynamodb_backends[self.backend.account_id][request.region].tables
        target = tables.get(str(request.payload.get("TargetTableName")))
        if target is None:
            return
        source_table = getattr(target, "source_table_arn", None)
        backup_arn = getattr(target, "source_backup_arn", None)
        origin: Any = None
        if backup_arn:
            backup = dynamodb_backends[self.backend.account_id][request.region].backups.get(backup_arn)
            origin = backup.table if backup is not None else None
        elif source_table:
            origin = tables.get(str(table_from_arn(source_table)))
        if origin is None:
            return
        target.billing_mode = origin.billing_mode
        target.sse_specification = copy.deepcopy(origin.sse_specification)
        self.backend.fixes.copy_settings((request.region, origin.name), (request.region, target.name))

    # -- helpers -----------------------------------------------------------------------------------

    def _describe_table(self, name: str, region: str) -> dict[str, Any] | None:
        try:
            table: dict[str, Any] = self.backend.call("DescribeTable", {"TableName": name}, region)["Table"]
        except DynamoError as error:
            if error.code in ("ResourceNotFoundException", "ResourceNotFound"):
                return None
            raise
        return table

    def _scan(self, name: str, region: str) -> Iterator[dict[str, Any]]:
        start: dict[str, Any] | None = None
        while True:
            page = self.backend.call(
                "Scan", {"TableName": name, **({"ExclusiveStartKey": start} if start else {})}, region
            )
            yield from page.get("Items", [])
            start = page.get("LastEvaluatedKey")
            if not start:
                return


def _chunks(items: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    """Lists of up to ``size`` items; one empty list for no items (DynamoDB writes empty files too)."""
    chunk: list[dict[str, Any]] = []
    sent = False
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            sent = True
            chunk = []
    if chunk or not sent:
        yield chunk


def _export_line(item: dict[str, Any], keys: list[str], incremental: bool) -> str:
    if not incremental:
        return json.dumps({"Item": item}, separators=(",", ":")) + "\n"
    # The local server keeps no history: an incremental export shows every current item as new.
    micros = {"N": str(int(time.time() * 1_000_000))}
    line = {"Metadata": {"WriteTimestampMicros": micros}, "Keys": {k: item[k] for k in keys}, "NewImage": item}
    return json.dumps(line, separators=(",", ":")) + "\n"


def _random_name() -> str:
    alphabet = string.ascii_lowercase + "234567"
    return "".join(random.choice(alphabet) for _ in range(26))


def _objects(bucket: Any, prefix: str) -> list[tuple[str, bytes]]:
    """The objects of a moto bucket under ``prefix`` (folder markers left out), in key order."""
    return [
        (name, bytes(key.value))
        for name, key in sorted(bucket.keys.items())
        if name.startswith(prefix) and not name.endswith("/")
    ]


def _import_item(line: str, key_types: dict[str, str]) -> tuple[str | None, dict[str, Any]]:
    """The item of one DYNAMODB_JSON line, or why DynamoDB's import would log it as an error."""
    try:
        document = json.loads(line)
    except ValueError:
        return "not valid JSON", {}
    item = document.get("Item") if isinstance(document, dict) else None
    if not isinstance(item, dict):
        return 'not an {"Item": {...}} object', {}
    for name, value in item.items():
        if not (isinstance(value, dict) and len(value) == 1 and next(iter(value)) in _TYPES):
            return f"attribute {name} has no valid type descriptor", {}
    for name, key_type in key_types.items():
        value = item.get(name)
        if not isinstance(value, dict) or key_type not in value:
            return f"key attribute {name} is missing or not of type {key_type}", {}
    return None, item
