"""exportfmt details: ids, keys and manifests exactly as DynamoDB writes them, every manifest problem
named with file, line and reason, MD5s checked whichever way the file is read. Written against mutants
of data/exportfmt.py that tests/data/test_exportfmt.py let live (tools/mutation)."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
from pathlib import Path

import pytest

from ddbctl.data.exportfmt import (
    DataFile,
    DataFileWriter,
    ExportManifest,
    count_items,
    data_file_key,
    export_dir_key,
    file_md5,
    find_exports,
    iter_items,
    new_export_id,
    read_export,
    start_export,
    summary_document,
    write_manifests,
)
from ddbctl.data.items import dumps_line
from ddbctl.data.store import LocalStore
from ddbctl.errors import BackupError

ITEMS = [{"id": {"S": f"k{i}"}, "n": {"N": str(i)}} for i in range(5)]
EXPORT = "tables/t/AWSDynamoDB/01700000000000-abcd1234"


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def put_data(store: LocalStore, key: str, body: bytes, count: int) -> DataFile:
    store.write_bytes(key, body)
    return DataFile(key, count, md5_b64(body))


def refusal(caught: pytest.ExceptionInfo[BackupError]) -> tuple[str, int | None, str]:
    return caught.value.path, caught.value.line, caught.value.reason


# -- naming --------------------------------------------------------------------------------------------


def test_an_export_id_is_14_digits_of_milliseconds_a_dash_and_8_hex_digits() -> None:
    assert re.fullmatch(r"01700000000123-[0-9a-f]{8}", new_export_id(1_700_000_000.123))
    assert re.fullmatch(r"00000000000000-[0-9a-f]{8}", new_export_id(0))
    assert re.fullmatch(r"\d{14}-[0-9a-f]{8}", new_export_id())
    assert new_export_id(1.0) != new_export_id(1.0), "the random part tells two exports of one millisecond apart"


def test_keys_are_joined_without_doubled_slashes() -> None:
    assert export_dir_key("tables/t/", "01700000000000-abcd1234") == EXPORT
    assert data_file_key(EXPORT, "part-1") == f"{EXPORT}/data/part-1.json.gz"
    assert data_file_key(EXPORT, "part-1.json.gz") == f"{EXPORT}/data/part-1.json.gz"


def test_exports_are_found_by_their_summary_only(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    for key in (f"{EXPORT}/manifest-summary.json", "b/AWSDynamoDB/02/manifest-summary.json",
                "AWSDynamoDB/03/manifest-summary.json", "c/AWSDynamoDB/04/manifest-files.json",
                "d/other/05/manifest-summary.json", "e/AWSDynamoDB/06/data/manifest-summary.json",
                "manifest-summary.json"):
        store.write_bytes(key, b"{}")
    assert find_exports(store) == ["AWSDynamoDB/03", "b/AWSDynamoDB/02", EXPORT]
    assert find_exports(store, "tables/") == [EXPORT]


def test_an_export_id_is_the_last_part_of_its_folder() -> None:
    manifest = ExportManifest(EXPORT + "/", {}, (DataFile("a", 2, "x"), DataFile("b", 3, "y")))
    assert manifest.export_id == "01700000000000-abcd1234"
    assert manifest.item_count == 5


# -- writing -------------------------------------------------------------------------------------------


def test_a_data_file_is_a_deterministic_gzip_with_its_counts_and_md5s(tmp_path: Path) -> None:
    lines = b"".join(dumps_line(item) for item in ITEMS)
    written = []
    for name in ("a.json.gz", "b.json.gz"):
        writer = DataFileWriter(tmp_path / name)
        writer.write_lines(lines[: len(dumps_line(ITEMS[0]))], 1)
        writer.write_lines(lines[len(dumps_line(ITEMS[0])):], 4)
        written.append(writer.close())
    first, second = written
    assert second == first.__class__(tmp_path / "b.json.gz", 5, first.size, first.md5, first.etag, first.raw_bytes)
    body = (tmp_path / "a.json.gz").read_bytes()
    assert body == (tmp_path / "b.json.gz").read_bytes(), "the same lines give the same bytes"
    assert gzip.decompress(body) == lines
    assert (first.item_count, first.size, first.raw_bytes) == (5, len(body), len(lines))
    assert first.md5 == md5_b64(body) and first.etag == hashlib.md5(body).hexdigest()
    assert first.data_file("k") == DataFile("k", 5, first.md5, first.etag)


def test_an_aborted_data_file_is_removed(tmp_path: Path) -> None:
    writer = DataFileWriter(tmp_path / "part.json.gz")
    writer.write_lines(dumps_line(ITEMS[0]), 1)
    writer.abort()
    assert list(tmp_path.iterdir()) == []
    writer.abort()  # twice: nothing left to remove, no error


def test_the_summary_has_dynamodbs_keys() -> None:
    summary = summary_document(export_dir=EXPORT, item_count=7, start_time="S", end_time="E", table_arn="arn",
                               billed_size_bytes=12, s3_bucket="bucket", s3_prefix="p", ddbctlVersion="1")
    assert summary == {
        "version": "2020-06-30", "exportArn": None, "startTime": "S", "endTime": "E", "tableArn": "arn",
        "tableId": None, "exportTime": "S", "s3Bucket": "bucket", "s3Prefix": "p", "s3SseAlgorithm": None,
        "s3SseKmsKeyId": None, "manifestFilesS3Key": f"{EXPORT}/manifest-files.json", "billedSizeBytes": 12,
        "itemCount": 7, "outputFormat": "DYNAMODB_JSON", "exportType": "FULL_EXPORT", "ddbctlVersion": "1"}
    assert summary_document(export_dir=EXPORT, item_count=0, start_time="S", end_time="E",
                            export_time="T")["exportTime"] == "T"


def test_manifests_and_their_md5_files(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    files = [DataFile(f"{EXPORT}/data/a.json.gz", 2, md5_b64(b"a")),
             DataFile(f"{EXPORT}/data/b.json.gz", 3, md5_b64(b"b"), "etag-b")]
    write_manifests(store, EXPORT, files, {"itemCount": 5})
    files_text = store.read_bytes(f"{EXPORT}/manifest-files.json")
    etag_a, md5_a, md5_b = hashlib.md5(b"a").hexdigest(), md5_b64(b"a"), md5_b64(b"b")
    assert files_text == (
        f'{{"dataFileS3Key": "{EXPORT}/data/a.json.gz", "etag": "{etag_a}", "itemCount": 2, '
        f'"md5Checksum": "{md5_a}"}}\n'
        f'{{"dataFileS3Key": "{EXPORT}/data/b.json.gz", "etag": "etag-b", "itemCount": 3, '
        f'"md5Checksum": "{md5_b}"}}\n'
    ).encode()
    summary_text = store.read_bytes(f"{EXPORT}/manifest-summary.json")
    assert summary_text == b'{\n  "itemCount": 5\n}\n'
    for stem, text in (("manifest-files", files_text), ("manifest-summary", summary_text)):
        for suffix in (".md5", ".checksum"):
            assert store.read_bytes(f"{EXPORT}/{stem}{suffix}") == hashlib.md5(text).hexdigest().encode()


# -- reading manifests ---------------------------------------------------------------------------------


def export_with(tmp_path: Path, lines: list[str], summary: bytes = b'{"itemCount": 0}') -> LocalStore:
    store = LocalStore(tmp_path)
    store.write_bytes(f"{EXPORT}/manifest-summary.json", summary)
    store.write_bytes(f"{EXPORT}/manifest-files.json", "".join(line + "\n" for line in lines).encode())
    return store


def read_refusal(store: LocalStore, export_dir: str = EXPORT) -> tuple[str, int | None, str]:
    with pytest.raises(BackupError) as caught:
        read_export(store, export_dir)
    return refusal(caught)


def test_manifest_lines_are_read_whatever_the_key_s_prefix(tmp_path: Path) -> None:
    good = {"itemCount": 2, "md5Checksum": "m", "etag": "e"}
    store = export_with(tmp_path, [
        json.dumps({**good, "dataFileS3Key": f"backups/{EXPORT}/data/a.json.gz"}),
        "",
        json.dumps({**good, "dataFileS3Key": "elsewhere/b.json.gz", "etag": 7}),
    ])
    manifest = read_export(store, EXPORT + "/")
    assert manifest.export_dir == EXPORT and manifest.summary == {"itemCount": 0}
    assert manifest.files == (DataFile(f"{EXPORT}/data/a.json.gz", 2, "m", "e"),
                              DataFile(f"{EXPORT}/data/b.json.gz", 2, "m", None))


@pytest.mark.parametrize(("line", "reason"), [
    ("[1]", "each line must be a JSON object"),
    ('{"itemCount": true, "md5Checksum": "m", "dataFileS3Key": "k"}', "itemCount must be a whole number, got True"),
    ('{"itemCount": -1, "md5Checksum": "m", "dataFileS3Key": "k"}', "itemCount must be a whole number, got -1"),
    ('{"itemCount": "2", "md5Checksum": "m", "dataFileS3Key": "k"}', "itemCount must be a whole number, got '2'"),
    ('{"md5Checksum": "m", "dataFileS3Key": "k"}', "itemCount must be a whole number, got None"),
    ('{"itemCount": 0, "md5Checksum": 5, "dataFileS3Key": "k"}', "md5Checksum and dataFileS3Key must be strings"),
    ('{"itemCount": 0, "md5Checksum": "m", "dataFileS3Key": 5}', "md5Checksum and dataFileS3Key must be strings"),
    ('{"itemCount": 0, "md5Checksum": "m", "dataFileS3Key": ""}', "md5Checksum and dataFileS3Key must be strings"),
])
def test_a_bad_manifest_line_is_named_by_its_number(tmp_path: Path, line: str, reason: str) -> None:
    good = '{"itemCount": 0, "md5Checksum": "m", "dataFileS3Key": "k"}'
    store = export_with(tmp_path, [good, line])
    assert read_refusal(store) == (str(tmp_path / EXPORT / "manifest-files.json"), 2, reason)


def test_a_manifest_line_that_is_no_json(tmp_path: Path) -> None:
    store = export_with(tmp_path, ["{"])
    where, line, reason = read_refusal(store)
    assert (where, line) == (str(tmp_path / EXPORT / "manifest-files.json"), 1)
    assert reason.startswith("invalid JSON: Expecting property name")


@pytest.mark.parametrize(("summary", "reason"), [(b"[]", "must be a JSON object"),
                                                 (b"{", "invalid JSON: Expecting property name")])
def test_a_summary_that_is_no_object(tmp_path: Path, summary: bytes, reason: str) -> None:
    store = export_with(tmp_path, [], summary)
    where, line, found = read_refusal(store)
    assert (where, line) == (str(tmp_path / EXPORT / "manifest-summary.json"), None) and found.startswith(reason)


def test_a_missing_manifest_says_the_export_is_incomplete(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.write_bytes(f"{EXPORT}/manifest-summary.json", b"{}")
    with pytest.raises(BackupError) as caught:
        read_export(store, EXPORT)
    assert refusal(caught) == (str(tmp_path / EXPORT / "manifest-files.json"), None,
                               "missing manifest: the export is incomplete or not an export")
    assert caught.value.hint == "point at a complete backup or export folder (AWSDynamoDB/<id>/)"


def test_manifest_checksums_are_hex_or_base64_in_md5_or_checksum_files(tmp_path: Path) -> None:
    summary = b'{"itemCount": 0}'
    store = export_with(tmp_path, [], summary)
    digest = hashlib.md5(summary)
    key = f"{EXPORT}/manifest-summary"
    for name, text in ((".md5", digest.hexdigest()), (".md5", base64.b64encode(digest.digest()).decode() + "\n"),
                       (".checksum", digest.hexdigest()), (".md5", "")):
        store.delete(key + ".md5")
        store.delete(key + ".checksum")
        store.write_bytes(key + name, text.encode())
        assert read_export(store, EXPORT).summary == {"itemCount": 0}
    store.write_bytes(key + ".md5", b"")
    store.write_bytes(key + ".checksum", b"0" * 32)  # the .md5 file is the one read when both exist
    assert read_export(store, EXPORT).summary == {"itemCount": 0}


def test_a_manifest_checksum_mismatch_names_both_digests(tmp_path: Path) -> None:
    summary = b'{"itemCount": 0}'
    store = export_with(tmp_path, [], summary)
    store.write_bytes(f"{EXPORT}/manifest-summary.checksum", b"0" * 32)
    assert read_refusal(store) == (
        str(tmp_path / EXPORT / "manifest-summary.json"), None,
        f"MD5 mismatch: manifest-summary.checksum says {'0' * 32}, the file's is {hashlib.md5(summary).hexdigest()}")


# -- reading data files --------------------------------------------------------------------------------


def test_md5_of_a_stored_file(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.write_bytes("k", b"x" * (3 << 20))
    assert file_md5(store, "k") == md5_b64(b"x" * (3 << 20))


@pytest.mark.parametrize("check_first", [True, False])
def test_a_data_file_is_read_line_by_line(tmp_path: Path, check_first: bool) -> None:
    store = LocalStore(tmp_path)
    lines = [dumps_line(item) for item in ITEMS]
    body = gzip.compress(lines[0] + b"\n" + b"".join(lines[1:]).rstrip(b"\n"))  # a blank line, no final newline
    data_file = put_data(store, f"{EXPORT}/data/a.json.gz", body, 5)
    assert list(iter_items(store, data_file, check_first=check_first)) == [
        (1, ITEMS[0]), (3, ITEMS[1]), (4, ITEMS[2]), (5, ITEMS[3]), (6, ITEMS[4])]
    assert count_items(store, data_file) == 5


def test_a_file_whose_md5_differs_is_refused_after_reading_when_not_checked_first(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    body = gzip.compress(dumps_line(ITEMS[0]))
    data_file = DataFile(f"{EXPORT}/data/a.json.gz", 1, md5_b64(b"other"))
    store.write_bytes(data_file.key, body)
    with pytest.raises(BackupError) as caught:
        list(iter_items(store, data_file, check_first=False))
    assert refusal(caught) == (str(tmp_path / data_file.key), None,
                               f"MD5 mismatch: manifest-files.json says {md5_b64(b'other')}, the file's is "
                               f"{md5_b64(body)}")


def test_a_cut_last_line_is_refused_with_its_number(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    data_file = put_data(store, f"{EXPORT}/data/a.json.gz",
                         gzip.compress(dumps_line(ITEMS[0]) + dumps_line(ITEMS[1])[:-9]), 2)
    with pytest.raises(BackupError) as caught:
        list(iter_items(store, data_file))
    assert refusal(caught) == (str(tmp_path / data_file.key), 2, "incomplete last line: the file is truncated")


def test_a_bad_line_is_refused_with_its_number_and_reason(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    data_file = put_data(store, f"{EXPORT}/data/a.json.gz",
                         gzip.compress(dumps_line(ITEMS[0]) + b'{"Item": {"n": {"N": "x"}}}\n'), 2)
    with pytest.raises(BackupError) as caught:
        list(iter_items(store, data_file))
    assert refusal(caught) == (str(tmp_path / data_file.key), 2, "n: N value 'x' is not a number")


def test_a_file_that_is_no_gzip_is_refused(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    data_file = put_data(store, f"{EXPORT}/data/a.json.gz", b"plain text, not gzip\n", 1)
    with pytest.raises(BackupError) as caught:
        list(iter_items(store, data_file))
    where, line, reason = refusal(caught)
    assert (where, line) == (str(tmp_path / data_file.key), None)
    assert reason.startswith("not a complete gzip file (") and reason.endswith("): damaged or truncated")


def test_a_gzip_cut_after_some_lines_names_the_next_line(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    body = gzip.compress(b"".join(dumps_line(item) for item in ITEMS * 200))
    data_file = put_data(store, f"{EXPORT}/data/a.json.gz", body[: len(body) // 2], 1000)
    read = []
    with pytest.raises(BackupError) as caught:
        read.extend(number for number, _ in iter_items(store, data_file))
    assert len(read) > 1 and read == list(range(1, len(read) + 1))
    assert refusal(caught) == (str(tmp_path / data_file.key), len(read) + 1,
                               "not a complete gzip file (Compressed file ended before the end-of-stream marker was "
                               "reached): damaged or truncated")


@pytest.mark.parametrize("check_first", [True, False])
def test_a_missing_data_file_is_named(tmp_path: Path, check_first: bool) -> None:
    store = LocalStore(tmp_path)
    data_file = DataFile(f"{EXPORT}/data/gone.json.gz", 1, md5_b64(b""))
    with pytest.raises(BackupError) as caught:
        list(iter_items(store, data_file, check_first=check_first))
    assert refusal(caught) == (str(tmp_path / data_file.key), None,
                               "data file missing (listed in manifest-files.json)")


def test_a_data_file_s_gzip_header_holds_no_name_and_no_time(tmp_path: Path) -> None:
    writer = DataFileWriter(tmp_path / "part.json.gz")
    writer.write_lines(dumps_line(ITEMS[0]), 1)
    writer.close()
    header = (tmp_path / "part.json.gz").read_bytes()[:10]
    assert header[:3] == b"\x1f\x8b\x08" and header[3] == 0, "no FNAME (nor any other optional field)"
    assert header[4:8] == b"\0\0\0\0", "mtime 0: the same lines always give the same bytes"
    assert header[8] == 0, "compression level 3: neither the fastest (4) nor the best (2)"


def test_the_compression_level_is_the_callers(tmp_path: Path) -> None:
    lines = b"".join(dumps_line({"id": {"S": f"k{i % 7}"}, "text": {"S": "abc" * (i % 50)}}) for i in range(3000))
    sizes = {}
    for level in (1, 9):
        writer = DataFileWriter(tmp_path / f"l{level}.json.gz", compresslevel=level)
        writer.write_lines(lines, 3000)
        sizes[level] = writer.close().size
    assert sizes[9] < sizes[1]


def test_the_started_marker_is_empty_and_the_summary_sorted(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    start_export(store, EXPORT)
    assert store.read_bytes(f"{EXPORT}/_started") == b""
    write_manifests(store, EXPORT, [], {"b": 1, "a": 2})
    assert store.read_bytes(f"{EXPORT}/manifest-summary.json") == b'{\n  "a": 2,\n  "b": 1\n}\n'
    assert store.read_bytes(f"{EXPORT}/manifest-files.json") == b""
    summary = summary_document(export_dir=EXPORT, item_count=0, start_time="S", end_time="E")
    assert summary["billedSizeBytes"] == 0 and summary["tableArn"] is None
