"""exportfmt and store: DynamoDB's export layout written and read back; damaged exports named precisely."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ddbctl.data.exportfmt import (
    DataFile,
    DataFileWriter,
    data_file_key,
    export_dir_key,
    find_exports,
    iter_items,
    new_export_id,
    read_export,
    start_export,
    summary_document,
    write_manifests,
)
from ddbctl.data.items import dumps_line
from ddbctl.data.store import LocalStore, open_store
from ddbctl.errors import BackupError, ConfigError

from .strategies import ITEMS

ITEMS_A = [{"id": {"S": f"a{i}"}, "n": {"N": str(i)}, "b": {"B": bytes([i % 256])}} for i in range(30)]


def write_export(store: LocalStore, tmp: Path, batches: list[list[dict[str, Any]]], table_dir: str = "tables/t") -> str:
    export_dir = export_dir_key(table_dir, new_export_id())
    start_export(store, export_dir)
    files = []
    for number, batch in enumerate(batches):
        writer = DataFileWriter(tmp / f"part{number}.json.gz")
        writer.write_lines(b"".join(dumps_line(item) for item in batch), len(batch))
        written = writer.close()
        key = data_file_key(export_dir, f"part{number}")
        store.put_file(key, written.path)
        files.append(written.data_file(key))
    summary = summary_document(export_dir=export_dir, item_count=sum(map(len, batches)),
                               start_time="2026-01-01T00:00:00.000Z", end_time="2026-01-01T00:00:01.000Z")
    write_manifests(store, export_dir, files, summary)
    return export_dir


def read_all(store: LocalStore, export_dir: str) -> list[dict[str, Any]]:
    manifest = read_export(store, export_dir)
    return [item for data_file in manifest.files for _, item in iter_items(store, data_file)]


def test_the_layout_is_dynamodbs(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "backup")
    export_dir = write_export(store, tmp_path, [ITEMS_A[:10], ITEMS_A[10:]])
    names = {key.removeprefix(export_dir + "/") for key in store.list(export_dir + "/")}
    assert names == {"_started", "manifest-summary.json", "manifest-summary.md5", "manifest-summary.checksum",
                     "manifest-files.json", "manifest-files.md5", "manifest-files.checksum",
                     "data/part0.json.gz", "data/part1.json.gz"}
    lines = store.read_bytes(f"{export_dir}/manifest-files.json").decode().splitlines()
    first = json.loads(lines[0])
    data = store.read_bytes(first["dataFileS3Key"])
    assert first["md5Checksum"] == __import__("base64").b64encode(hashlib.md5(data).digest()).decode()
    assert first["etag"] == hashlib.md5(data).hexdigest() and first["itemCount"] == 10
    assert gzip.decompress(data).decode().splitlines()[0].startswith('{"Item":{')
    summary = json.loads(store.read_bytes(f"{export_dir}/manifest-summary.json"))
    assert summary["itemCount"] == 30 and summary["outputFormat"] == "DYNAMODB_JSON"
    assert summary["manifestFilesS3Key"] == f"{export_dir}/manifest-files.json"
    assert find_exports(store, "tables/") == [export_dir]
    assert read_export(store, export_dir).item_count == 30


@given(st.lists(st.lists(ITEMS, max_size=3), min_size=1, max_size=2))
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
def test_items_written_are_the_items_read(tmp_path: Path, batches: list[list[dict[str, Any]]]) -> None:
    store = LocalStore(tmp_path / new_export_id())
    export_dir = write_export(store, tmp_path, batches)
    assert read_all(store, export_dir) == [item for batch in batches for item in batch]


def test_an_export_written_by_dynamodb_with_a_prefix_is_read(tmp_path: Path) -> None:
    """DynamoDB's keys are relative to the bucket and include the export prefix; the store may start anywhere."""
    store = LocalStore(tmp_path / "bucket")
    export_dir = "exports/2026/AWSDynamoDB/01700000000000-abcd1234"
    body = gzip.compress(b"".join(dumps_line(item) for item in ITEMS_A[:3]))
    store.write_bytes(f"{export_dir}/data/xyz.json.gz", body)
    md5 = hashlib.md5(body)
    line = {"itemCount": 3, "md5Checksum": __import__("base64").b64encode(md5.digest()).decode(),
            "etag": md5.hexdigest(), "dataFileS3Key": f"{export_dir}/data/xyz.json.gz"}
    store.write_bytes(f"{export_dir}/manifest-files.json", (json.dumps(line) + "\n").encode())
    store.write_bytes(f"{export_dir}/manifest-summary.json", json.dumps({"itemCount": 3}).encode())
    inner = LocalStore(tmp_path / "bucket" / "exports" / "2026")
    assert read_all(inner, "AWSDynamoDB/01700000000000-abcd1234") == ITEMS_A[:3]
    assert read_all(store, export_dir) == ITEMS_A[:3]


# -- damaged exports -----------------------------------------------------------------------------------


def damaged(tmp_path: Path, damage: str) -> tuple[LocalStore, str]:
    store = LocalStore(tmp_path / "backup")
    export_dir = write_export(store, tmp_path, [ITEMS_A])
    data_key = f"{export_dir}/data/part0.json.gz"
    path = store.path(data_key)
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:-40])
        _fix_md5(store, export_dir, path)
    elif damage == "md5":
        raw = bytearray(path.read_bytes())
        raw[len(raw) // 2] ^= 0xFF
        path.write_bytes(bytes(raw))
    elif damage == "malformed":
        lines = gzip.decompress(path.read_bytes()).splitlines(keepends=True)
        lines[6] = b'{"Item": {"id": {"N": "one"}}}\n'
        path.write_bytes(gzip.compress(b"".join(lines)))
        _fix_md5(store, export_dir, path)
    elif damage == "count":
        lines = gzip.decompress(path.read_bytes()).splitlines(keepends=True)
        path.write_bytes(gzip.compress(b"".join(lines[:-1])))
        _fix_md5(store, export_dir, path)
    elif damage == "no-summary":
        store.delete(f"{export_dir}/manifest-summary.json")
    elif damage == "manifest-md5":
        manifest = store.path(f"{export_dir}/manifest-files.json")
        manifest.write_bytes(manifest.read_bytes().replace(b'"itemCount": 30', b'"itemCount": 31'))
    elif damage == "missing-file":
        path.unlink()
    return store, export_dir


def _fix_md5(store: LocalStore, export_dir: str, path: Path) -> None:
    """Damage the content but keep the manifest consistent, so only the content check can catch it."""
    md5 = hashlib.md5(path.read_bytes())
    key = f"{export_dir}/manifest-files.json"
    line = json.loads(store.read_bytes(key))
    line.update(md5Checksum=__import__("base64").b64encode(md5.digest()).decode(), etag=md5.hexdigest())
    text = (json.dumps(line) + "\n").encode()
    store.write_bytes(key, text)
    for suffix in (".md5", ".checksum"):
        store.write_bytes(key.removesuffix(".json") + suffix, hashlib.md5(text).hexdigest().encode())


@pytest.mark.parametrize(("damage", "where", "reason"), [
    ("truncated", "part0.json.gz", "gzip"),
    ("md5", "part0.json.gz", "MD5 mismatch"),
    ("malformed", "part0.json.gz:7", "N value 'one' is not a number"),
    ("count", "part0.json.gz", "holds 29 items, manifest-files.json says 30"),
    ("no-summary", "manifest-summary.json", "missing manifest"),
    ("manifest-md5", "manifest-files.json", "MD5 mismatch"),
    ("missing-file", "part0.json.gz", "data file missing"),
])
def test_a_damaged_export_is_refused_naming_file_and_line(tmp_path: Path, damage: str, where: str, reason: str) -> None:
    store, export_dir = damaged(tmp_path, damage)
    with pytest.raises(BackupError) as caught:
        read_all(store, export_dir)
    assert where in str(caught.value) and reason in str(caught.value)
    assert caught.value.exit_code == 2


def test_a_damaged_file_yields_nothing_when_checked_first(tmp_path: Path) -> None:
    store, export_dir = damaged(tmp_path, "md5")
    data_file = read_export(store, export_dir).files[0]
    items = iter_items(store, data_file)
    with pytest.raises(BackupError):
        next(items)


# -- store ---------------------------------------------------------------------------------------------


def test_local_store_writes_atomically_and_lists_by_prefix(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.write_bytes("a/b/c.json", b"1")
    store.write_bytes("a/b/c.json", b"2")
    store.write_bytes("a/x.json", b"3")
    assert store.read_bytes("a/b/c.json") == b"2"
    assert store.list("a/") == ["a/b/c.json", "a/x.json"]
    assert store.list("a/b") == ["a/b/c.json"]
    assert store.list("nothing/") == []
    assert sorted(p.name for p in (tmp_path / "a" / "b").iterdir()) == ["c.json"], "no temporary file left"
    store.delete("a/x.json")
    store.delete("a/x.json")
    assert not store.exists("a/x.json")
    with pytest.raises(FileNotFoundError):
        store.read_bytes("a/x.json")


@pytest.mark.parametrize("key", ["../escape", "/abs", ""])
def test_local_store_refuses_keys_outside_its_root(tmp_path: Path, key: str) -> None:
    with pytest.raises(ConfigError):
        LocalStore(tmp_path).write_bytes(key, b"")


def test_open_store_dispatches_on_the_url(tmp_path: Path) -> None:
    store = open_store(str(tmp_path))
    assert isinstance(store, LocalStore) and store.root == tmp_path
    with pytest.raises(ConfigError, match="unsupported"):
        open_store("ftp://host/x")
    with pytest.raises(ConfigError, match="s3://BUCKET"):
        open_store("s3://")


def test_data_file_manifest_line_fills_the_etag() -> None:
    line = DataFile("k", 1, "1B2M2Y8AsgTpgAmY7PhCfg==").manifest_line()
    assert line["etag"] == "d41d8cd98f00b204e9800998ecf8427e"
