"""Backups written for restore tests: a ddbctl backup, a bare native export, a dynamodump dump."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ddbctl.data.exportfmt import (
    DataFileWriter,
    data_file_key,
    export_dir_key,
    start_export,
    summary_document,
    write_manifests,
)
from ddbctl.data.items import Item, dumps_line
from ddbctl.data.store import LocalStore

TIME = "2026-01-01T00:00:00.000Z"


def simple_spec(logical: str, sort_key: bool = False, key_type: str = "S") -> dict[str, Any]:
    """A spec file document: partition key ``pk`` (and sort key ``sk``)."""
    attributes = [{"AttributeName": "pk", "AttributeType": key_type}]
    keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
    if sort_key:
        attributes.append({"AttributeName": "sk", "AttributeType": "N"})
        keys.append({"AttributeName": "sk", "KeyType": "RANGE"})
    return {"TableName": logical, "AttributeDefinitions": attributes, "KeySchema": keys,
            "BillingMode": "PAY_PER_REQUEST"}


def write_export(store: LocalStore, scratch: Path, table_dir: str, files: Sequence[Sequence[Item]],
                 table_arn: str | None = None) -> tuple[str, list[dict[str, Any]]]:
    """An export folder under ``table_dir`` with one data file per entry of ``files``."""
    scratch.mkdir(parents=True, exist_ok=True)
    export_dir = export_dir_key(table_dir, "01700000000000-0000abcd")
    start_export(store, export_dir)
    data_files = []
    for number, items in enumerate(files):
        writer = DataFileWriter(scratch / f"{table_dir.replace('/', '_')}-{number}.json.gz")
        writer.write_lines(b"".join(dumps_line(item) for item in items), len(items))
        key = data_file_key(export_dir, f"part-{number:03d}")
        written = writer.close()
        store.put_file(key, written.path)
        data_files.append(written.data_file(key))
    summary = summary_document(export_dir=export_dir, item_count=sum(map(len, files)), start_time=TIME,
                               end_time=TIME, table_arn=table_arn)
    write_manifests(store, export_dir, data_files, summary)
    entries = [{"key": f.key, "itemCount": f.item_count, "md5Checksum": f.md5} for f in data_files]
    return export_dir, entries


def write_backup(root: Path, tables: Mapping[str, tuple[dict[str, Any], Sequence[Sequence[Item]]]],
                 environment: str = "production", prefix: str = "construction-expenses") -> Path:
    """A ddbctl backup of ``tables``: {logical: (spec document, [items of file 1, items of file 2, ...])}."""
    store = LocalStore(root)
    manifest: dict[str, Any] = {"format": "ddbctl-backup/1", "kind": "scan", "environment": environment,
                                "prefix": prefix, "region": "us-east-1", "started": TIME, "completed": TIME,
                                "tables": {}}
    for logical, (spec, files) in tables.items():
        store.write_bytes(f"schemas/{logical}.json", json.dumps(spec, indent=2).encode())
        physical = f"{prefix}-{logical}" if environment == "production" else f"{prefix}-{environment}-{logical}"
        export_dir, entries = write_export(store, root.parent / "scratch", f"tables/{logical}", files,
                                           f"arn:aws:dynamodb:us-east-1:123456789012:table/{physical}")
        manifest["tables"][logical] = {"physical": physical, "spec": f"schemas/{logical}.json",
                                       "export": export_dir, "itemCount": sum(map(len, files)), "files": entries}
    store.write_bytes("ddbctl-backup.json", json.dumps(manifest, indent=2).encode())
    return root


def write_dynamodump(root: Path, physical: str, described: dict[str, Any], pages: Sequence[Sequence[Item]]) -> Path:
    """A dump as dynamodump writes it: schema.json (DescribeTable output) and data/0001.json... Scan pages,
    every binary value as base64 text (its JSON encoder's rule for bytes), indented by 2."""
    folder = root / physical
    (folder / "data").mkdir(parents=True, exist_ok=True)
    (folder / "schema.json").write_text(json.dumps(described, indent=2, default=str))
    for number, items in enumerate(pages, start=1):
        page = {"Items": [_dump_item(item) for item in items], "Count": len(items), "ScannedCount": len(items)}
        (folder / "data" / f"{str(number).zfill(4)}.json").write_text(json.dumps(page, indent=2))
    return root


def _dump_item(item: Item) -> Any:
    return json.loads(json.dumps(item, default=lambda value: base64.b64encode(value).decode()))


def scan_all(client: Any, table: str) -> list[Item]:
    """Every item of a table (wire form), sorted by key for comparison."""
    items: list[Item] = []
    params: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        page = client.scan(**params)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return sorted(items, key=lambda item: json.dumps(item, sort_keys=True, default=repr))
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]
