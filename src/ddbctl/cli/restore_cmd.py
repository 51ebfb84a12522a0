"""``ddbctl restore``: a backup (ddbctl, a native export or a dynamodump dump) into the environment."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import click

from ..naming import Namespace
from ..ops.restore import RestoreOptions, RestoreResult, restore
from ..ops.session import connect
from .progress import Progress
from .render import show_target
from .state import (
    DEFAULT_MAX_WAIT,
    EXIT_FAILED,
    CliState,
    dir_option,
    max_wait_option,
    pass_state,
    reported_errors,
)


class _Rows:
    """Items written per table, as rows of the live progress display (items and items/s); not on a
    terminal, a line when a table starts being written and a heartbeat."""

    def __init__(self, progress: Progress, namespace: Namespace) -> None:
        self.progress = progress
        self.namespace = namespace
        self.written: dict[str, int] = {}
        self._lock = threading.Lock()

    def __call__(self, table: str, count: int) -> None:
        with self._lock:
            self.written[table] = self.written.get(table, 0) + count
            total = self.written[table]
        self.progress.row(self.namespace.physical(table)).update(step="write items", items=total)


@click.command("restore")
@click.option("--from", "source", required=True, metavar="DIR",
              help="The backup: a ddbctl backup, a native export folder (AWSDynamoDB/<id>/) or a dynamodump dump; "
              "a directory or s3://bucket/prefix.")
@click.option("--table", "tables", multiple=True, metavar="NAME",
              help="Restore only this table (logical or physical name); repeatable. For a bare export of one "
              "table it names the target table.")
@dir_option("Spec files to create missing tables from (the team's current schema wins over the backup's).")
@click.option("--overwrite", is_flag=True, help="Write into tables that already hold items (puts over them; "
              "nothing is deleted).")
@click.option("--verify", is_flag=True, help="Also re-read every table and compare each item's checksum.")
@click.option("--write-rate", type=click.FloatRange(min=1), default=None, metavar="WCU",
              help="Cap the write units per second, all tables together.")
@click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Parallel writers (and tables created at once).")
@click.option("--state-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Where progress is kept for a re-run [default: .ddbctl/restore/<digest of source and target>].")
@max_wait_option
@pass_state
def restore_command(state: CliState, source: str, tables: tuple[str, ...], directory: Path | None, overwrite: bool,
                    verify: bool, write_rate: float | None, concurrency: int, state_dir: Path | None,
                    max_wait: float | None) -> None:
    """Restore a backup's tables into the selected environment (-e staging: a production backup into staging).

    Missing tables are created first (from --dir's spec files, else the backup's). Every file is checked
    (MD5, gzip, JSON, key attributes) before the first write: a bad backup exits 2 with the file and
    line, nothing written. A table that holds items is refused unless --overwrite; nothing is ever
    deleted. Items are written with BatchWriteItem by parallel writers; unprocessed and throttled items
    are retried without limit until --max-wait passes for one of them: then what is not written is saved
    in the state directory, the command exits 1, and the same command run again writes them first.
    Interrupted (Ctrl-C, kill), the same command continues where it stopped. At the end each table's item
    count is checked against the backup (exit 1 on a mismatch).
    """
    with reported_errors(state):
        settings = state.settings()
        options = RestoreOptions(tables=tables, spec_dir=directory, overwrite=overwrite, verify=verify,
                                 write_rate=write_rate, concurrency=concurrency,
                                 max_wait=max_wait or DEFAULT_MAX_WAIT, state_dir=state_dir)
        context = connect(settings, concurrency=concurrency)  # connects on first use: files are checked first
        with Progress(state, header=lambda: show_target(state, context)) as progress:
            result = restore(settings, source, options, events=progress,
                             on_written=_Rows(progress, settings.namespace), context=context)
        _report(state, result, show_target(state, context))
        if not result.ok:
            raise SystemExit(EXIT_FAILED)


def _report(state: CliState, result: RestoreResult, target: dict[str, Any]) -> None:
    if state.json:
        state.emit_json({"target": target, **_data(result)})
        return
    if result.resumed:
        state.note(f"continued the restore kept in {result.state_dir}")
    for table in result.tables:
        verdict = "[green]ok[/]" if table.count_ok and table.checksums_match is not False else "[bold red]MISMATCH[/]"
        checks = f", checksums {'match' if table.checksums_match else 'DIFFER'}" if table.checksums_match is not None \
            else ""
        created = " (created)" if table.created else ""
        state.out.print(f"{verdict} {table.physical}{created}: {table.count} items in the table, {table.expected} in "
                        f"the backup{checks}; {table.written} written now", highlight=False)


def _data(result: RestoreResult) -> dict[str, Any]:
    return {
        "source": result.source,
        "kind": result.kind,
        "ok": result.ok,
        "resumed": result.resumed,
        "state_dir": str(result.state_dir),
        "tables": [{"table": t.logical, "physical_name": t.physical, "created": t.created, "expected": t.expected,
                    "count": t.count, "written": t.written, "empty_at_start": t.empty_at_start,
                    "checksums_match": t.checksums_match} for t in result.tables],
    }
