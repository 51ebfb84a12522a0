"""``ddbctl add-gsi``: a global secondary index added to a live table, waited for until ACTIVE."""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from ..config import Settings
from ..execute import describe_requests
from ..naming import Namespace
from ..ops.gsi import GsiResult, IndexOutcome, IndexResult, add_gsi, wait_command
from ..ops.gsi_input import GsiInput, IndexRequest, request_from_input, requests_from_spec
from ..ops.session import connect
from .base import DdbctlCommand
from .documents import index_data, plan_data, table_ref
from .options import concurrency_option, dir_option, max_wait_option, refuse_inapplicable
from .progress import Progress
from .render import print_requests, show_target
from .state import CliState, CommandFailed, pass_state, reported_errors


@click.command("add-gsi", cls=DdbctlCommand)
@click.option("--table", metavar="NAME",
              help="Table: logical name (companies) or physical name in the environment [env TABLE_NAME].")
@click.option("--index", "index_name", metavar="NAME", help="Index name [env INDEX_NAME].")
@click.option("--partition-key", metavar="NAME:TYPE",
              help="Partition key attribute and its type S, N or B [env PARTITION_KEY, PARTITION_KEY_TYPE].")
@click.option("--sort-key", metavar="NAME:TYPE", help="Optional sort key and its type [env SORT_KEY, SORT_KEY_TYPE].")
@click.option("--projection", metavar="ALL|KEYS_ONLY|INCLUDE",
              help="Attributes the index holds besides the keys [env PROJECTION_TYPE; default ALL].")
@click.option("--attributes", metavar="A,B",
              help="With INCLUDE: the attributes to project [env PROJECTION_ATTRIBUTES].")
@click.option("--read-capacity", type=click.IntRange(min=1), metavar="N",
              help="Index read capacity units: required on a PROVISIONED table, refused on an on-demand one.")
@click.option("--write-capacity", type=click.IntRange(min=1), metavar="N",
              help="Index write capacity units: required on a PROVISIONED table, refused on an on-demand one.")
@click.option("--from-spec", type=click.Path(path_type=Path, exists=True), metavar="FILE_OR_DIR",
              help="Add every index a spec file (or each file of a directory) has and its live table lacks.")
@dir_option("Also add the new index to the table's spec file <table>.json in this directory (a missing file "
            "is reported, never created).")
@click.option("--dry-run", is_flag=True, help="Print the exact UpdateTable request(s); change nothing.")
@click.option("--no-wait", is_flag=True,
              help="Return once DynamoDB accepted the request (a table's indexes still go one after another).")
@max_wait_option
@concurrency_option
@pass_state
def add_gsi_command(
    state: CliState, table: str | None, index_name: str | None, partition_key: str | None, sort_key: str | None,
    projection: str | None, attributes: str | None, read_capacity: int | None, write_capacity: int | None,
    from_spec: Path | None, directory: Path | None, dry_run: bool, no_wait: bool, max_wait: float,
    concurrency: int,
) -> None:
    """Add a global secondary index to a live table and wait until it is ACTIVE.

    The index comes from the flags, or from the seed script's environment variables TABLE_NAME,
    INDEX_NAME, PARTITION_KEY, PARTITION_KEY_TYPE, SORT_KEY, SORT_KEY_TYPE, PROJECTION_TYPE,
    PROJECTION_ATTRIBUTES and MAX_WAIT. Flags win; the key flags replace all four key variables and
    the projection flags both projection variables. Key types are required: email:S, createdAt:N.

    An index of that name that exists already is skipped (exit 0), saying whether it matches.
    Everything checkable is checked before anything is changed. If another index is being built on
    the table, add-gsi waits for it first (DynamoDB builds one per table at a time); several indexes
    of one table are built one after another, of different tables in parallel.

    Exit codes: 0 done or skipped; 1 failed; 2 bad input; 3 --max-wait ran out (the build goes on in
    DynamoDB: resume with `ddbctl wait --table T --index I`).
    """
    with reported_errors(state):
        flags = GsiInput(table, index_name, partition_key, sort_key, projection, attributes, read_capacity,
                         write_capacity)
        settings = state.settings()
        requests = _requests(flags, from_spec, settings)
        context = connect(settings, concurrency=concurrency)
        with Progress(state, header=lambda: show_target(state, context)) as progress:
            result = add_gsi(settings, requests, max_wait=max_wait,
                             wait=not no_wait, events=progress, dry_run=dry_run, directory=directory,
                             concurrency=concurrency, context=context)
        target = show_target(state, context)
        if state.json:
            data = _dry_run_data(result) if dry_run else _result_data(result, settings.namespace)
            state.emit_json({"target": target, **data})
        else:
            _print_result(state, result, settings.namespace, dry_run)
        if result.error is not None:
            raise result.error
        differing = [item for item in result.indexes if item.differences]
        if differing:
            raise _differs(differing)


def _differs(items: list[IndexResult]) -> CommandFailed:
    names = ", ".join(f"{item.index_name} on {item.physical}" for item in items)
    return CommandFailed(
        f"index {names} already exists but differs from the request: nothing was changed", code="IndexDiffers",
        hint="DynamoDB cannot change an index in place: to replace it, put the new definition in the table's "
        "spec file, review with `ddbctl plan`, then run `ddbctl apply --allow-destroy` (it deletes the old index "
        "and builds the new one); or add the new index under another --index name",
        quiet=False)


def _requests(flags: GsiInput, from_spec: Path | None, settings: Settings) -> list[IndexRequest]:
    if from_spec is None:
        return [request_from_input(flags, os.environ)]
    # GsiInput has one field per index flag, named like it (read_capacity: --read-capacity).
    given = {name: value for name, value in asdict(flags).items() if value is not None}
    refuse_inapplicable(given, set(), "add-gsi --from-spec (it takes the indexes from the files)")
    return requests_from_spec(from_spec, settings.namespace)


# -- text -----------------------------------------------------------------------------------------------


def _print_result(state: CliState, result: GsiResult, namespace: Namespace, dry_run: bool) -> None:
    for item in result.indexes:
        line = _line(item, result, namespace)
        if line is not None:
            state.out.print(line, highlight=False)
    if dry_run:
        print_requests(state, result.plan)
    for update in result.files:
        if update.changed:
            state.out.print(f"updated spec file {escape(str(update.path))}", highlight=False)
        else:
            state.out.print(f"spec file {escape(str(update.path))} not changed: {escape(update.note or '')}",
                            highlight=False)


def _line(item: IndexResult, result: GsiResult, namespace: Namespace) -> str | None:
    where = f"index {item.index_name} on {item.physical}"
    resume = wait_command(item.physical, item.index_name, namespace)
    if item.outcome is IndexOutcome.CREATED:
        return f"[green]created[/] {where} (ACTIVE after {item.elapsed or 0:.1f}s)"
    if item.outcome is IndexOutcome.REQUESTED:
        return f"[green]requested[/] {where}: DynamoDB is building it; follow it with: {resume}"
    if item.outcome is IndexOutcome.SKIPPED:
        return f"[yellow]skipped[/] {where}: " + escape(_skip_reason(item, resume))
    if item.outcome is IndexOutcome.NOT_SENT:
        return f"[red]not sent[/] {where}: {escape(item.note or '')}"
    if item.outcome is IndexOutcome.FAILED and item.error is not result.error:
        return f"[red]failed[/] {where}: {escape(str(item.error))}"
    return None  # planned (the dry run prints the requests), or the failure reported as the error


def _skip_reason(item: IndexResult, resume: str) -> str:
    if item.differences:
        return "it already exists but differs from the request: " + "; ".join(item.differences)
    text = "it already exists and matches the request"
    if item.status not in (None, "ACTIVE"):
        text += f" (still {item.status}: follow it with: {resume})"
    return text


# -- JSON -----------------------------------------------------------------------------------------------


def _resume(item: IndexResult, namespace: Namespace) -> str | None:
    """The command that follows a requested or timed-out build."""
    if item.outcome in (IndexOutcome.REQUESTED, IndexOutcome.FAILED):
        return wait_command(item.physical, item.index_name, namespace)
    return None


def _result_data(result: GsiResult, namespace: Namespace) -> dict[str, Any]:
    return {
        "ok": result.ok,
        "indexes": [index_data(item, _resume(item, namespace)) for item in result.indexes],
        "files": [{"path": str(u.path), "changed": u.changed, "note": u.note} for u in result.files],
    }


def _dry_run_data(result: GsiResult) -> dict[str, Any]:
    skipped = [item for item in result.indexes if item.outcome is IndexOutcome.SKIPPED]
    return {
        "dry_run": True,
        "requests": describe_requests(result.plan),
        "plan": plan_data(result.plan),
        "skipped": [{**table_ref(i.logical, i.physical), "index": i.index_name, "matches": i.matches,
                     "differences": list(i.differences)} for i in skipped],
    }
