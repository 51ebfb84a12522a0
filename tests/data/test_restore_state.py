"""A restore's state on disk: atomic checkpoints that only move forward, unwritten items kept safe."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ddbctl.data.restore_state import CHECKPOINT, RestoreState, TableStart, default_state_dir
from ddbctl.errors import ConfigError


def test_a_saved_state_is_read_back_by_the_same_source_and_target(tmp_path: Path) -> None:
    state, resumed = RestoreState.open(tmp_path / "s", "backup-1", "target")
    assert not resumed
    state.tables["companies"] = TableStart(empty_at_start=True)
    state.update({"a.json.gz": (40, False), "b.json.gz": (0, True)})
    state.update({"a.json.gz": (35, False)})  # an older snapshot never moves a file back
    state.save()

    again, resumed = RestoreState.open(tmp_path / "s", "backup-1", "target")
    assert resumed and again.tables == {"companies": TableStart(True)}
    assert again.progress("a.json.gz") == (40, False) and again.progress("b.json.gz") == (0, True)
    assert again.progress("never-seen") == (0, False)
    assert not list((tmp_path / "s").glob(".*.tmp"))  # written through a temporary file, renamed


def test_the_state_of_another_backup_is_discarded(tmp_path: Path) -> None:
    state, _ = RestoreState.open(tmp_path / "s", "backup-1", "target")
    state.update({"a.json.gz": (40, True)})
    state.save()
    other, resumed = RestoreState.open(tmp_path / "s", "backup-2", "target")
    assert not resumed and other.files == {}


def test_unwritten_items_are_kept_and_never_discarded_silently(tmp_path: Path) -> None:
    state, _ = RestoreState.open(tmp_path / "s", "backup-1", "target")
    item = {"pk": {"S": "é"}, "b": {"B": b"\x00\xff"}, "m": {"M": {"l": {"L": [{"N": "1.50"}]}}}}
    path = state.save_unwritten([("companies", item), ("works", {"pk": {"S": "x"}})])
    state.save()
    assert path.is_file() and path.name == "unwritten-0001.jsonl"
    assert list(state.read_unwritten(path.name)) == [(1, "companies", item), (2, "works", {"pk": {"S": "x"}})]
    assert state.unwritten_tables() == {"companies", "works"}
    with pytest.raises(ConfigError, match=r"unwritten-0001\.jsonl"):
        RestoreState.open(tmp_path / "s", "backup-2", "target")


def test_the_default_place_depends_on_source_and_target() -> None:
    first = default_state_dir("/backups/a", "http://x|us-east-1|p-staging-")
    assert first.parts[:2] == (".ddbctl", "restore")
    assert first != default_state_dir("/backups/a", "http://x|us-east-1|p-dev-")
    assert first != default_state_dir("/backups/b", "http://x|us-east-1|p-staging-")


def test_the_checkpoint_file_is_replaced_whole(tmp_path: Path) -> None:
    state, _ = RestoreState.open(tmp_path / "s", "backup-1", "target")
    for line in range(1, 30):
        state.update({"a.json.gz": (line, False)})
        state.save()
    document = json.loads((tmp_path / "s" / CHECKPOINT).read_text())
    assert document["files"] == {"a.json.gz": [29, False]} and document["source"] == "backup-1"
