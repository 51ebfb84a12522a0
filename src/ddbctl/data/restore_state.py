"""A restore's progress on local disk: which tables it started, and per data file the lines written.

The state lives in a directory of its own (the backup may be read-only or in S3): by default
``.ddbctl/restore/<digest of source and target>`` under the working directory, or ``--state-dir``.
``checkpoint.json`` is replaced atomically (write, fsync, rename, fsync the directory) and only ever
claims lines whose writes DynamoDB acknowledged, or that were saved durably to an ``unwritten-*.jsonl``
file of the same directory, which a re-run writes first.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .items import Item, dumps_line, loads_line

STATE_FORMAT = "ddbctl-restore-state/1"
CHECKPOINT = "checkpoint.json"
DEFAULT_STATE_ROOT = Path(".ddbctl") / "restore"


def default_state_dir(source: str, target: str) -> Path:
    digest = hashlib.sha256(f"{source}\0{target}".encode()).hexdigest()[:16]
    return DEFAULT_STATE_ROOT / digest


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves either the old or the new file, whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


@dataclass
class TableStart:
    """Recorded before the first write into a table: whether it was empty (then counts must match exactly)."""

    empty_at_start: bool


@dataclass
class RestoreState:
    directory: Path
    source: str  # the backup's fingerprint: a state of another backup is discarded
    target: str
    tables: dict[str, TableStart] = field(default_factory=dict)
    files: dict[str, tuple[int, bool]] = field(default_factory=dict)  # key -> (done through line, complete)
    unwritten: list[str] = field(default_factory=list)  # unwritten-*.jsonl files, oldest first

    @classmethod
    def open(cls, directory: Path, source: str, target: str) -> tuple[RestoreState, bool]:
        """The saved state (and True), or a fresh one when there is none or it belongs to another backup."""
        path = directory / CHECKPOINT
        try:
            document = json.loads(path.read_bytes())
        except (OSError, ValueError):
            return cls(directory, source, target), False
        if not isinstance(document, dict) or document.get("format") != STATE_FORMAT:
            return cls(directory, source, target), False
        if document.get("source") != source or document.get("target") != target:
            if document.get("unwritten"):
                raise ConfigError(
                    f"{directory} holds items a restore of another backup or target could not write "
                    f"({', '.join(document['unwritten'])})",
                    hint="finish that restore first (the same command as then), or pass another --state-dir")
            return cls(directory, source, target), False
        tables = {name: TableStart(bool(entry.get("emptyAtStart"))) for name, entry in document["tables"].items()}
        files = {key: (int(done), bool(complete)) for key, (done, complete) in document["files"].items()}
        return cls(directory, source, target, tables, files, list(document.get("unwritten", []))), True

    def progress(self, key: str) -> tuple[int, bool]:
        return self.files.get(key, (0, False))

    def update(self, progress: Mapping[str, tuple[int, bool]]) -> None:
        for key, (done, complete) in progress.items():
            old_done, old_complete = self.files.get(key, (0, False))
            self.files[key] = (max(done, old_done), complete or old_complete)

    def save(self) -> None:
        document: dict[str, Any] = {
            "format": STATE_FORMAT,
            "source": self.source,
            "target": self.target,
            "tables": {name: {"emptyAtStart": start.empty_at_start} for name, start in sorted(self.tables.items())},
            "files": {key: list(value) for key, value in sorted(self.files.items())},
            "unwritten": self.unwritten,
        }
        write_atomically(self.directory / CHECKPOINT, json.dumps(document, indent=1).encode())

    # -- items that could not be written by the deadline ----------------------------------------

    def save_unwritten(self, items: Sequence[tuple[str, Item]]) -> Path:
        """Write (table, item) pairs to a new unwritten-*.jsonl file, durably, and list it in the state."""
        name = f"unwritten-{len(self.unwritten) + 1:04d}.jsonl"
        lines = b"".join(_unwritten_line(table, item) for table, item in items)
        write_atomically(self.directory / name, lines)
        self.unwritten.append(name)
        return self.directory / name

    def read_unwritten(self, name: str) -> Iterator[tuple[int, str, Item]]:
        """(line, logical table, item) of one unwritten file."""
        with open(self.directory / name, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                table, _, line = raw.partition(b"\t")
                yield number, table.decode(), loads_line(line)

    def unwritten_tables(self) -> set[str]:
        """The tables of the items saved in unwritten files not yet complete."""
        return {table for name in self.unwritten if not self.progress(name)[1]
                for _, table, _ in self.read_unwritten(name)}

    def remove(self) -> None:
        """Forget the restore: it is complete and verified."""
        shutil.rmtree(self.directory, ignore_errors=True)


def _unwritten_line(table: str, item: Item) -> bytes:
    return table.encode() + b"\t" + dumps_line(item)
