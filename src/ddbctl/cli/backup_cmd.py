"""``backup`` (a scan backup of the environment's tables, or with --native DynamoDB's export) and
``backup verify`` (an offline check)."""

from __future__ import annotations

import click

from ..data.scan import FILE_BYTES
from ..data.store import open_store
from ..errors import BackupError
from ..ops.backup import MANIFEST, BackupEvents, BackupOptions, BackupResult, TableProgress, backup, backup_context
from ..ops.backup_verify import verify_backup
from .base import DdbctlGroup
from .documents import backup_data, verify_data
from .native import run_native_backup
from .options import given_options, refuse_inapplicable
from .progress import Progress
from .render import show_target
from .state import CliState, CommandFailed, pass_state, reported_errors

_MB = 1024 * 1024
# What a native backup (DynamoDB's export) takes; the scan options do not apply to it.
_NATIVE = {"location", "tables", "concurrency", "native", "incremental_since", "bucket_owner"}
_NATIVE_ONLY = {"incremental_since", "bucket_owner"}


class BackupRows(BackupEvents):
    """Each table a row of the live progress display (items, items/s and an ETA from DescribeTable's
    ItemCount; not on a terminal, a line per change and a heartbeat), and one line when it ends."""

    def __init__(self, state: CliState, progress: Progress) -> None:
        self.state = state
        self.progress = progress

    def table_started(self, table: TableProgress) -> None:
        self.progress.row(table.physical).update(step=f"scan ({table.segments} segment(s))", state="reading",
                                                 items=0, total=table.expected_items or None)

    def table_progress(self, table: TableProgress) -> None:
        self.progress.row(table.physical).update(items=table.items)

    def table_finished(self, table: TableProgress) -> None:
        row = self.progress.row(table.physical)
        row.update(items=table.items)
        if table.error is not None:
            row.finish("failed", "bold red")
            self.state.note(f"[bold red]failed[/] {table.physical}: {table.error.message}")
            return
        row.finish("backed up")
        self.state.note(f"[green]backed up[/] {table.physical}: {table.items} items, {table.bytes / _MB:.1f} MB "
                        f"in {table.elapsed:.1f}s ({table.items_per_second:.0f} items/s)")


@click.group("backup", cls=DdbctlGroup, invoke_without_command=True)
@click.option("--to", "location", metavar="DIR", help="Backup folder: a directory or s3://BUCKET/PREFIX.")
@click.option("--table", "tables", multiple=True, metavar="NAME",
              help="Back up only this table (logical or physical name); repeatable.")
@click.option("--segments", type=click.IntRange(1, 1_000_000), default=None,
              help="Parallel scan segments per table [default: one per 128 MiB of the table, 2 to 256].")
@click.option("--consistent", is_flag=True, help="Strongly consistent reads (twice the read units).")
@click.option("--read-rate", type=click.FloatRange(0, min_open=True), default=None, metavar="RCU",
              help="Cap the read capacity units per second spent on each table.")
@click.option("--concurrency", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Tables backed up at once.")
@click.option("--page-size", type=click.IntRange(1), default=None, metavar="N",
              help="Items per Scan request (Limit) [default: DynamoDB's pages of up to 1 MB].")
@click.option("--file-bytes", type=click.IntRange(1), default=FILE_BYTES, hidden=True,
              help="Uncompressed bytes after which a data file is rolled.")
@click.option("--native", is_flag=True, default=False,
              help="DynamoDB's own export (ExportTableToPointInTime, needs PITR, uses no read capacity) to "
              "--to s3://BUCKET/PREFIX, instead of a scan.")
@click.option("--incremental-since", metavar="TIME", default=None,
              help="With --native: an INCREMENTAL export of the changes since TIME (ISO 8601 UTC) until now.")
@click.option("--bucket-owner", metavar="ACCOUNT", default=None,
              help="With --native: the account that owns the bucket (S3BucketOwner), for another account's bucket.")
@click.pass_context
def backup_command(ctx: click.Context, location: str | None, tables: tuple[str, ...], segments: int | None,
                   consistent: bool, read_rate: float | None, concurrency: int, page_size: int | None,
                   file_bytes: int, native: bool, incremental_since: str | None, bucket_owner: str | None) -> None:
    """Back up the environment's tables: spec files plus data in DynamoDB's S3 export layout.

    Read-only on DynamoDB (DescribeTable & co., Scan). Several tables at once, each scanned in parallel
    segments. Interrupted (Ctrl-C, kill)? Run the same command again: it continues from the
    checkpoints, and the result is exact. A complete backup is left as it is (use a new directory).

    A scan backup is not a point-in-time snapshot: items written while it runs may or may not be in it.
    With --native, DynamoDB exports each table instead (the scan options do not apply).

    \b
    ddbctl backup verify DIR   checks a backup offline.
    """
    if ctx.invoked_subcommand is not None:
        return
    state = ctx.ensure_object(CliState)
    given = given_options(ctx)
    if native:
        refuse_inapplicable(given, _NATIVE, "backup --native")
    else:
        refuse_inapplicable({name: value for name, value in given.items() if name in _NATIVE_ONLY}, set(),
                            "backup without --native")
    if location is None:
        raise click.UsageError("--to DIR is required (a directory or s3://BUCKET/PREFIX)")
    if native:
        run_native_backup(state, location, tables, concurrency, incremental_since, bucket_owner)
        return
    with reported_errors(state, interrupted=f"interrupted: run the same command again to continue from the "
                         f"checkpoints in {location}"):
        settings = state.settings()
        options = BackupOptions(tables=tables or None, segments=segments, consistent=consistent,
                                read_rate=read_rate, concurrency=concurrency, page_limit=page_size,
                                file_bytes=file_bytes)
        context = backup_context(settings, options)
        with Progress(state, header=lambda: show_target(state, context)) as progress:
            result = backup(settings, location, options, None if state.json else BackupRows(state, progress),
                            context=context)
        _report(state, result, show_target(state, context))


def _report(state: CliState, result: BackupResult, target: dict[str, object]) -> None:
    if state.json:
        state.emit_json({"target": target, **backup_data(result, MANIFEST)})
    elif result.already_complete:
        tables = result.manifest.get("tables", {})
        state.out.print(f"The backup in {result.location} is already complete ({len(tables)} table(s), "
                        f"completed {result.manifest.get('completed')}); nothing to do. "
                        "Use another directory for a new backup.", highlight=False)
    elif result.complete:
        items = sum(t.items for t in result.tables)
        state.out.print(f"Backed up {len(result.tables)} table(s), {items} items, to {result.location}",
                        highlight=False)
    if result.failed:
        errors = "; ".join(f"{logical}: {error.message}" for logical, error in result.failed)
        raise CommandFailed(f"{len(result.failed)} table(s) failed: {errors}", code="TablesFailed",
                            hint="run the same command again to continue from the checkpoints", quiet=False)


@backup_command.command("verify")
@click.argument("location", metavar="DIR")
@pass_state
def verify_command(state: CliState, location: str) -> None:
    """Check a backup offline: manifests, every file's MD5, every line, item counts, key attributes.

    DIR is a directory or s3://BUCKET/PREFIX. Exit 2 with each problem (file and line) if any. Sends
    nothing to DynamoDB (an S3 backup is read from S3).
    """
    with reported_errors(state):
        try:
            store = open_store(location, state.settings() if location.startswith("s3://") else None)
            result = verify_backup(location, store)
        except BackupError as error:
            state.emit_json({"valid": False, "problems": [
                {"file": p.path, "line": p.line, "reason": p.reason} for p in error.problems]})
            raise
        state.emit_json(verify_data(result))
        if not state.json:
            state.out.print(f"Backup {result.location} is valid: {len(result.tables)} table(s), {result.items} "
                            "items", highlight=False)
