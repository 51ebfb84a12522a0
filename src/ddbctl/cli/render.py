"""Plans, requests and reports as people (rich) or programs (JSON) read them."""

from __future__ import annotations

import json
from typing import Any

from rich.markup import escape

from ..changes import (
    DeleteIndex,
    UntagTable,
    UpdateDeletionProtection,
    UpdatePITR,
    UpdateStream,
    UpdateTTL,
    is_destructive,
)
from ..config import Settings
from ..execute import Outcome, Report, TableResult
from ..hints import command
from ..ops.export import ExportResult
from ..ops.session import Context
from ..ops.summary import render_summary_wrapped
from ..ops.target import Target, resolve_target
from ..plan import Plan, Status, TablePlan
from .documents import (
    in_progress,
    outcome_of,
    plan_counts,
    plan_data,
    report_counts,
    report_data,
    requests_data,
    table_kind,
    target_data,
)
from .state import EXIT_WAITING, CliState, CommandFailed

SUMMARY_WIDTH = 100


_KIND_MARK = {"create": "[green]+[/]", "update": "[yellow]~[/]", "delete": "[red]-[/]", "held": "[yellow]~[/]",
              "refused": "[red]![/]", "unmanaged": "[magenta]?[/]", "unchanged": "[dim]=[/]", "exists": "[dim]=[/]",
              "not_owned": "[dim]?[/]"}
_KIND_LABEL = { "unmanaged": "live table with no spec file: left alone"}


_NOT_OWNED_HEADING = ("Not owned by this environment (never changed; adopt with `ddbctl adopt --table NAME`, "
                      "or delete by hand):")


def print_plan(state: CliState, plan: Plan, *, show_unchanged: bool = False) -> None:
    """Per table, each step in the order it runs; held and refused steps with the reason."""
    out = state.out
    for table in plan.tables:
        kind = table_kind(table)
        if kind == "not_owned" or (kind in ("unchanged", "exists") and not (table.drift or show_unchanged
                                                                              or state.verbose)):
            continue
        label = _KIND_LABEL.get(kind, kind)
        out.print(f"{_KIND_MARK[kind]} [bold]{escape(table.physical)}[/] [dim]({label})[/]", highlight=False)
        for number, change in enumerate(table.changes, 1):
            warn = " [red](destructive)[/]" if is_destructive(change) else ""
            out.print(f"    {number}. {escape(change.summary())}{warn}", highlight=False)
        for change in table.held:
            why = "destructive: needs --allow-destroy" if is_destructive(change) else "waits for a held step"
            out.print(f"    [yellow]held:[/] {escape(change.summary())} ({why})", highlight=False)
        for line in table.drift:
            out.print(f"    [yellow]differs from file:[/] {escape(line)}", highlight=False)
        if table.reason:
            out.print(f"    [red]refused:[/] {escape(table.reason)}", highlight=False)
    print_not_owned(state, plan)


_DRIFT_NOTE = (
    "Changes to existing tables undo whatever differs from the files, including changes made outside them. "
    "To keep such a live change instead, write it into the files: ddbctl export --dir DIR."
)


def show_plan(state: CliState, plan: Plan) -> None:
    """The plan, its summary line, and the drift note when a step undoes a live change (plan, apply)."""
    print_plan(state, plan)
    state.out.print(plan_summary(plan), highlight=False)
    if any(undoes_live_state(t) for t in plan.tables):
        state.note(_DRIFT_NOTE)


def print_not_owned(state: CliState, plan: Plan) -> None:
    """The tables under the environment's names that it does not own: a section of their own, never changes."""
    not_owned = [t for t in plan.tables if t.status is Status.NOT_OWNED]
    if not_owned:
        state.out.print(_NOT_OWNED_HEADING, highlight=False, markup=False)
    for table in not_owned:
        state.out.print(f"  {table.physical}: {table.reason}", highlight=False, markup=False)


def plan_summary(plan: Plan) -> str:
    """One line: the tables created, updated, deleted, held and refused (as the body marks them), the steps."""
    counts = plan_counts(plan)
    left = [f"{counts['unmanaged']} live table(s) without a spec file left alone"] if counts["unmanaged"] else []
    if counts["not_owned"]:
        left.append(f"{counts['not_owned']} table(s) not owned left alone")
    if plan.converged:
        left = [f"{counts['unmanaged']} live table(s) without a spec file left alone"] if counts["unmanaged"] else []
        left += [f"{counts['not_owned']} table(s) not owned left alone"] if counts["not_owned"] else []
        extra = f" ({'; '.join(left)})" if left else ""
        return f"No changes: the live tables match the spec files{extra}."
    tables = (f"{counts['create']} to create, {counts['update']} to update, {counts['delete']} to delete, "
              f"{counts['held_tables']} held, {counts['refused']} refused")
    parts = [f"{tables}; {counts['changes']} change(s)"
             + (f" ({counts['destructive']} destructive)" if counts["destructive"] else "")]
    if counts["held"]:
        parts.append(f"{counts['held']} step(s) held (destructive or waiting for one: rerun with --allow-destroy)")
    if counts["unmanaged"]:
        parts.append(f"{counts['unmanaged']} live table(s) without a spec file left alone (--prune deletes them)")
    if counts["not_owned"]:
        parts.append(f"{counts['not_owned']} table(s) not owned left alone")
    return "Plan: " + "; ".join(parts) + "."


def undoes_live_state(table: TablePlan) -> bool:
    """Whether the plan for an existing table removes or switches off something the live table has and
    its file does not ask for: an index, a tag, TTL, PITR, a stream, deletion protection (drift)."""
    if table.before is None:
        return False
    steps = (*table.changes, *table.held)
    enabled_later = {type(c) for c in steps if isinstance(c, (UpdateTTL, UpdateStream)) and _enables(c)}
    for change in steps:
        if isinstance(change, DeleteIndex) and not change.recreate:
            return True
        if isinstance(change, UntagTable):
            return True
        if isinstance(change, (UpdateTTL, UpdateStream)) and not _enables(change) and type(change) not in enabled_later:
            return True
        if isinstance(change, UpdatePITR) and not change.pitr.point_in_time_recovery_enabled:
            return True
        if isinstance(change, UpdateDeletionProtection) and not change.enabled:
            return True
    return False


def _enables(change: UpdateTTL | UpdateStream) -> bool:
    return change.enabled if isinstance(change, UpdateTTL) else bool(change.stream.stream_enabled)


def print_requests(state: CliState, plan: Plan, *, extra: dict[str, Any] | None = None) -> None:
    """The exact requests a real run sends: what --dry-run shows."""
    data = requests_data(plan)
    if state.json:
        state.emit_json({**(extra or {}), **data})
        return
    requests = data["requests"]
    for number, request in enumerate(requests, 1):
        state.out.print(f"[bold]{number}. {request['operation']}[/]", highlight=False)
        state.out.print(json.dumps(request["params"], indent=2, sort_keys=True), highlight=False, markup=False)
    state.err.print(f"dry run: {len(requests)} request(s) shown, none sent", highlight=False)


def print_report(state: CliState, report: Report, plan: Plan | None = None, *,
                 extra: dict[str, Any] | None = None) -> None:
    """The tables that changed, failed or were held (``outcome  name: details``), then the counts.

    Unchanged and skipped tables are only counted, unless -v/--verbose. Plain lines read well in logs.
    In JSON mode, the whole report (every table) plus ``extra`` (such as the target).
    """
    if state.json:
        data = {**(extra or {}), **report_data(report)}
        if plan is not None:
            data["plan"] = plan_data(plan)
        state.emit_json(data)
        return
    planned = {t.logical: t for t in plan.tables} if plan else {}
    width = max(len(outcome.value) for outcome in Outcome)
    listed = 0
    for result in report.results:
        details = _details(result, planned.get(result.logical))
        if not (state.verbose or _worth_a_line(result, planned.get(result.logical))):
            continue
        listed += 1
        text = f"{escape(result.physical)}: {escape(details)}" if details else escape(result.physical)
        state.out.print(f"{_outcome_text(result, width)} {text}", highlight=False)
    counts = ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in report_counts(report).items() if count)
    unlisted = len(report.results) - listed
    hint = f" ({unlisted} not listed: -v lists every table)" if unlisted else ""
    state.out.print((counts + hint) if counts else "nothing to do", highlight=False)


def report_failure(report: Report, settings: Settings, *rerun: str) -> CommandFailed | None:
    """How a command whose report is out ends: None when every table is done; exit 3 (``WaitTimeout``) when
    the only trouble is waits past --max-wait, naming each table and what is still in progress; else exit 1.
    ``rerun`` is the command to suggest running again (``apply --yes``)."""
    failed = report.by(Outcome.FAILED)
    waiting = [result for result in failed if in_progress(result)]
    again = command(settings, *rerun)
    if len(failed) > len(waiting):
        return CommandFailed(f"{len(failed) - len(waiting)} table(s) failed", code="TablesFailed",
                             hint=f"see each failed table's error; run {again} again once fixed")
    if not waiting:
        return None
    states = "; ".join(result.error.message for result in waiting if result.error is not None)
    hints = [result.error.hint for result in waiting if result.error is not None and result.error.hint]
    hint = hints[0] if len(hints) == 1 else f"run {again} again later: it picks up where this run stopped"
    return CommandFailed(f"{len(waiting)} table(s) still in progress past --max-wait: {states}", code="WaitTimeout",
                         exit_code=EXIT_WAITING, hint=hint, quiet=False)


def _worth_a_line(result: TableResult, planned: TablePlan | None) -> bool:
    """Changed, deleted, failed, held, not owned or differing from its file: the tables a report names."""
    if result.outcome in (Outcome.CREATED, Outcome.UPDATED, Outcome.DELETED, Outcome.FAILED) or result.done:
        return True
    return planned is not None and bool(planned.held or planned.drift or planned.status is Status.NOT_OWNED)


def print_summary(state: CliState, exported: ExportResult, environment: str, *, wide: bool = False) -> None:
    """The exported tables' summary: a block per table within 100 columns, or table-summary.txt's rows."""
    if wide:
        text = exported.summary.read_text(encoding="utf-8")
    else:
        text = render_summary_wrapped(exported.live.tables, environment, width=SUMMARY_WIDTH)
    state.out.print(text, highlight=False, markup=False, end="")


def target_lines(target: Target) -> list[str]:
    """The header: environment and prefix, then account, region and endpoint (when not AWS's)."""
    where = [f"account {target.account or 'unknown'}", f"region {target.region}"]
    if target.endpoint:
        where.append(f"endpoint {target.endpoint}")
    return [f"Target: environment {target.environment}, prefix {target.prefix}", "        " + ", ".join(where)]


def show_target(state: CliState, context: Context) -> dict[str, Any]:
    """Print the header first (once per command, text mode) and return the ``"target"`` JSON object.

    For destroy, restore and any command that changes tables: call it before the first output.
    """
    if state.target is None:
        target = resolve_target(context)
        state.target = target_data(target)
        print_target(state, target)
    return state.target


def print_target(state: CliState, target: Target) -> None:
    """The header, on stderr (text mode only): every command that changes tables prints it first."""
    for line in target_lines(target):
        state.note(f"[bold]{escape(line)}[/]" if line.startswith("Target") else escape(line))


def _details(result: TableResult, planned: TablePlan | None) -> str:
    if result.error:
        return result.error.message + (f" (hint: {result.error.hint})" if result.error.hint else "")
    if planned is not None and planned.drift:
        return f"exists but differs from its file ({len(planned.drift)} change(s)): run `ddbctl plan` to see them"
    if planned is not None and planned.status is Status.EXISTS:
        return "exists"
    if planned is not None and planned.held:
        held = ", ".join(change.summary() for change in planned.held)
        return f"held: {held} (destructive: rerun with --allow-destroy)"
    return result.note or ""


def _outcome_text(result: TableResult, width: int) -> str:
    """The outcome word, ``in progress`` for a table whose wait ran past --max-wait."""
    if in_progress(result):
        return f"[yellow]{'in progress'.ljust(width)}[/]"
    style = {Outcome.FAILED: "bold red", Outcome.CREATED: "green", Outcome.UPDATED: "green", Outcome.DELETED: "red",
             Outcome.SKIPPED: "yellow"}.get(result.outcome, "dim")
    return f"[{style}]{outcome_of(result).ljust(width)}[/]"
