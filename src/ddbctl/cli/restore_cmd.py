"""``ddbctl restore``: a backup (ddbctl, a native export or a dynamodump dump) into the environment; with
--native, --point-in-time or --snapshot, DynamoDB creates the tables instead (see ``native``)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import click

from ..naming import Namespace
from ..ops.restore import RestoreOptions, RestoreResult, restore
from ..ops.session import connect
from .base import DdbctlCommand
from .documents import restore_data
from .native import run_native_restore
from .options import dir_option, given_options, max_wait_option, refuse_inapplicable
from .progress import Progress
from .render import show_target
from .state import CliState, CommandFailed, reported_errors

# The options of each variant: the others are refused (refuse_inapplicable).
_COMMON = {"tables", "directory", "concurrency", "max_wait"}
_CLIENT = _COMMON | {"source", "overwrite", "verify", "write_rate", "state_dir"}
_NATIVE = _COMMON | {"source", "native"}
_FROM_DYNAMODB = _COMMON | {"point_in_time", "snapshot", "from_environment"}


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


@click.command("restore", cls=DdbctlCommand)
@click.option("--from", "source", metavar="DIR",
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
@click.option("--native", is_flag=True, default=False,
              help="Create each table with DynamoDB's ImportTable from --from s3://BUCKET/PREFIX (a native or "
              "client backup), then converge its settings. Only new tables; no local secondary indexes.")
@click.option("--point-in-time", "point_in_time", metavar="TIME|latest", default=None,
              help="RestoreTableToPointInTime of every table of --from-environment into this environment's "
              "names (TIME in ISO 8601 UTC), then converge their settings from --dir's spec files.")
@click.option("--snapshot", metavar="NAME|latest", default=None,
              help="RestoreTableFromBackup of --from-environment's snapshots: latest, a time stamp "
              "(20261201T083000Z: that `ddbctl snapshot` run) or one backup's name; then converge.")
@click.option("--from-environment", "from_environment", metavar="ENV", default=None,
              help="With --point-in-time/--snapshot: the environment restored from [default: production].")
@click.pass_context
def restore_command(ctx: click.Context, source: str | None, tables: tuple[str, ...], directory: Path | None,
                    overwrite: bool, verify: bool, write_rate: float | None, concurrency: int, state_dir: Path | None,
                    max_wait: float, native: bool, point_in_time: str | None, snapshot: str | None,
                    from_environment: str | None) -> None:
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
    state = ctx.ensure_object(CliState)
    given = given_options(ctx)
    chosen = [flag for flag, name in (("--native", "native"), ("--point-in-time", "point_in_time"),
                                      ("--snapshot", "snapshot")) if name in given]
    if len(chosen) > 1:
        raise click.UsageError(f"{' and '.join(chosen)} exclude each other")
    variant = chosen[0] if chosen else None
    if variant is None:
        refuse_inapplicable(given, _CLIENT, "restore from a backup folder (--from DIR)")
        if not source:
            raise click.UsageError("Missing option '--from'.")
    elif variant == "--native":
        refuse_inapplicable(given, _NATIVE, "restore --native")
        if not source:
            raise click.UsageError("--native needs --from s3://BUCKET/PREFIX")
    else:
        refuse_inapplicable(given, _FROM_DYNAMODB, f"restore {variant}")
    if variant is not None:
        run_native_restore(state, variant, source=source, tables=tables, directory=directory,
                                  concurrency=concurrency, max_wait=max_wait if "max_wait" in given else None,
                                  point_in_time=point_in_time, snapshot=snapshot,
                                  from_environment=from_environment)
        return
    assert source is not None
    with reported_errors(state):
        settings = state.settings()
        options = RestoreOptions(tables=tables, spec_dir=directory, overwrite=overwrite, verify=verify,
                                 write_rate=write_rate, concurrency=concurrency, max_wait=max_wait,
                                 state_dir=state_dir)
        context = connect(settings, concurrency=concurrency)  # connects on first use: files are checked first
        with Progress(state, header=lambda: show_target(state, context)) as progress:
            result = restore(settings, source, options, events=progress,
                             on_written=_Rows(progress, settings.namespace), context=context)
        _report(state, result, show_target(state, context))
        if not result.ok:
            raise CommandFailed("the restored tables do not match the backup", code="RestoreMismatch",
                                hint="see each table's line; run the same command again to continue")


def _report(state: CliState, result: RestoreResult, target: dict[str, Any]) -> None:
    if state.json:
        state.emit_json({"target": target, **restore_data(result)})
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
