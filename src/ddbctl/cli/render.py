"""Plans, requests and reports as people (rich) or programs (JSON) read them."""

from __future__ import annotations

import json
from typing import Any

from ..changes import is_destructive
from ..execute import Outcome, Report, TableResult, describe_requests
from ..plan import Plan, Status, TablePlan
from .state import CliState

_STATUS_MARK = {Status.CREATE: "[green]+[/]", Status.UPDATE: "[yellow]~[/]", Status.UNCHANGED: "[dim]=[/]",
                Status.EXISTS: "[dim]=[/]", Status.UNMANAGED: "[magenta]?[/]", Status.REFUSED: "[red]![/]",
                Status.DELETE: "[red]-[/]", Status.NOT_OWNED: "[dim]?[/]"}


def plan_data(plan: Plan) -> dict[str, Any]:
    return {
        "environment": plan.environment,
        "changes": len(plan.changes),
        "converged": plan.converged,
        "counts": plan_counts(plan),
        "tables": [
            {
                "table": t.logical,
                "physical_name": t.physical,
                "status": t.status.value,
                "changes": [
                    {"kind": c.kind, "summary": c.summary(), "destructive": is_destructive(c),
                     "requests": [{"operation": r.operation, "params": r.params} for r in c.requests()]}
                    for c in t.changes
                ],
                "held": [{"kind": c.kind, "summary": c.summary(), "destructive": is_destructive(c)} for c in t.held],
                "drift": list(t.drift),
                "reason": t.reason,
            }
            for t in plan.tables
        ],
    }


def plan_counts(plan: Plan) -> dict[str, int]:
    tables = plan.tables
    return {
        "create": sum(1 for t in tables if t.status is Status.CREATE),
        "update": sum(1 for t in tables if t.status is Status.UPDATE and t.changes),
        "delete": sum(1 for t in tables if t.status is Status.DELETE),
        "unchanged": sum(1 for t in tables if t.status is Status.UNCHANGED),
        "changes": len(plan.changes),
        "destructive": sum(1 for c in plan.changes if is_destructive(c)),
        "held": len(plan.held),
        "refused": len(plan.refused),
        "unmanaged": sum(1 for t in tables if t.status is Status.UNMANAGED),
        "not_owned": sum(1 for t in tables if t.status is Status.NOT_OWNED),
    }


_LABELS = {
    Status.EXISTS: "exists",
    Status.UNMANAGED: "live table with no spec file: left alone",
    Status.REFUSED: "refused",
}
_NOT_OWNED_HEADING = ("Not owned by this environment (never changed; adopt with `ddbctl adopt --table NAME`, "
                      "or delete by hand):")


def print_plan(state: CliState, plan: Plan, *, show_unchanged: bool = False) -> None:
    """Per table, each step in the order it runs; held and refused steps with the reason."""
    out = state.out
    for table in plan.tables:
        if table.status in (Status.UNCHANGED, Status.EXISTS, Status.NOT_OWNED) and not (table.drift or show_unchanged):
            continue
        label = _LABELS.get(table.status, table.status.value)
        out.print(f"{_STATUS_MARK[table.status]} [bold]{table.physical}[/] [dim]({label})[/]", highlight=False)
        for number, change in enumerate(table.changes, 1):
            warn = " [red](destructive)[/]" if is_destructive(change) else ""
            out.print(f"    {number}. {change.summary()}{warn}", highlight=False)
        for change in table.held:
            why = "destructive: needs --allow-destroy" if is_destructive(change) else "waits for a held step"
            out.print(f"    [yellow]held:[/] {change.summary()} ({why})", highlight=False)
        for line in table.drift:
            out.print(f"    [yellow]differs from file:[/] {line}", highlight=False)
        if table.reason:
            out.print(f"    [red]refused:[/] {table.reason}", highlight=False)
    print_not_owned(state, plan)


def print_not_owned(state: CliState, plan: Plan) -> None:
    """The tables under the environment's names that it does not own: a section of their own, never changes."""
    not_owned = [t for t in plan.tables if t.status is Status.NOT_OWNED]
    if not_owned:
        state.out.print(_NOT_OWNED_HEADING, highlight=False, markup=False)
    for table in not_owned:
        state.out.print(f"  {table.physical}: {table.reason}", highlight=False, markup=False)


def plan_summary(plan: Plan) -> str:
    """One line: what the plan does, holds and refuses."""
    counts = plan_counts(plan)
    left = [f"{counts['unmanaged']} live table(s) without a spec file left alone"] if counts["unmanaged"] else []
    if counts["not_owned"]:
        left.append(f"{counts['not_owned']} table(s) not owned left alone")
    if plan.converged:
        extra = f" ({'; '.join(left)})" if left else ""
        return f"No changes: the live tables match the spec files{extra}."
    deletes = f"{counts['delete']} to delete, " if counts["delete"] else ""
    parts = [f"{counts['create']} to create, {counts['update']} to update, {deletes}{counts['changes']} change(s)"
             + (f" ({counts['destructive']} destructive)" if counts["destructive"] else "")]
    if counts["held"]:
        parts.append(f"{counts['held']} held (destructive or waiting for one: rerun with --allow-destroy)")
    if counts["refused"]:
        parts.append(f"{counts['refused']} table(s) refused")
    if counts["unmanaged"]:
        parts.append(f"{counts['unmanaged']} live table(s) without a spec file left alone (--prune deletes them)")
    if counts["not_owned"]:
        parts.append(f"{counts['not_owned']} table(s) not owned left alone")
    return "Plan: " + "; ".join(parts) + "."


def print_requests(state: CliState, plan: Plan) -> None:
    """The exact requests a real run sends: what --dry-run shows."""
    requests = describe_requests(plan)
    if state.json:
        state.emit_json({"dry_run": True, "requests": requests, "plan": plan_data(plan)})
        return
    for number, request in enumerate(requests, 1):
        state.out.print(f"[bold]{number}. {request['operation']}[/]", highlight=False)
        state.out.print(json.dumps(request["params"], indent=2, sort_keys=True), highlight=False, markup=False)
    state.err.print(f"dry run: {len(requests)} request(s) shown, none sent", highlight=False)


def report_data(report: Report) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "tables": [
            {"table": r.logical, "physical_name": r.physical, "outcome": r.outcome.value,
             "done": [c.summary() for c in r.done], "error": r.error.message if r.error else None,
             "hint": r.error.hint if r.error else None, "note": r.note}
            for r in report.results
        ],
        "counts": {outcome.value: len(report.by(outcome)) for outcome in Outcome},
    }


def print_report(state: CliState, report: Report, plan: Plan | None = None) -> None:
    """One line per table (``outcome  name: details``), then the counts; plain lines read well in logs."""
    if state.json:
        data = report_data(report)
        if plan is not None:
            data["plan"] = plan_data(plan)
        state.emit_json(data)
        return
    planned = {t.logical: t for t in plan.tables} if plan else {}
    width = max(len(o.value) for o in Outcome)
    for result in report.results:
        details = _details(result, planned.get(result.logical))
        line = f"{_outcome_text(result.outcome, width)} {result.physical}{': ' + details if details else ''}"
        state.out.print(line, highlight=False)
    counts = ", ".join(f"{len(report.by(o))} {o.value}" for o in Outcome if report.by(o))
    state.out.print(counts or "nothing to do", highlight=False)


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


def _outcome_text(outcome: Outcome, width: int) -> str:
    style = {Outcome.FAILED: "bold red", Outcome.CREATED: "green", Outcome.UPDATED: "green", Outcome.DELETED: "red",
             Outcome.SKIPPED: "yellow"}.get(outcome, "dim")
    return f"[{style}]{outcome.value.ljust(width)}[/]"
