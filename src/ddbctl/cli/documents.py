"""The pieces of every ``-o json`` document, built in one place so that every command speaks one vocabulary.

- A table is named by ``"table"`` (its logical name, as in the spec files) and ``"physical_name"`` (the
  name in DynamoDB): :func:`table_ref`. Lists of tables are lists of objects, never maps keyed by name.
- Keys are snake_case; times are ISO 8601; durations are seconds (``elapsed``, ``seconds``).
- ``"target"`` is the header's data (:func:`target_data`); a failure adds ``"error"`` (``state.error_data``).

Each function turns one library result into plain data; commands add ``"target"`` and emit the document.
"""

from __future__ import annotations

from typing import Any

from ..changes import DeleteTable, is_destructive
from ..errors import WaitTimeout
from ..execute import Outcome, Report, TableResult, TableState, describe_requests
from ..ops.backup import BackupResult
from ..ops.backup_verify import VerifyResult
from ..ops.environments import EnvironmentRow
from ..ops.gsi import IndexResult, WaitResult
from ..ops.native import JobResult, NativeResult
from ..ops.restore import RestoreResult
from ..ops.snapshots import Snapshot
from ..ops.target import Target
from ..plan import Plan, Status, TablePlan

IN_PROGRESS = "in_progress"  # a table whose wait ran past --max-wait: not failed, still going on in DynamoDB


def table_ref(logical: str, physical: str) -> dict[str, Any]:
    """``{"table": logical, "physical_name": physical}``: how every document names a table."""
    return {"table": logical, "physical_name": physical}


def target_data(target: Target) -> dict[str, Any]:
    """The ``"target"`` object of JSON documents."""
    return {"account": target.account, "region": target.region, "endpoint": target.endpoint,
            "environment": target.environment, "prefix": target.prefix}


# -- plans ---------------------------------------------------------------------------------------------


def table_kind(table: TablePlan) -> str:
    """What the plan does to one table, as its mark, its label and the footer's counts all say it."""
    if table.status is Status.REFUSED:
        return "refused"
    if table.status is Status.CREATE:
        return "create"
    if table.status is Status.NOT_OWNED:  # a table under the environment's names it does not own
        return "not_owned"
    if table.status is Status.DELETE or any(isinstance(c, DeleteTable) for c in table.changes):
        return "delete"
    if table.changes:
        return "update"
    if table.held:
        return "held"
    if table.status is Status.UNMANAGED:
        return "unmanaged"
    return "exists" if table.status is Status.EXISTS else "unchanged"


def plan_counts(plan: Plan) -> dict[str, int]:
    kinds = [table_kind(t) for t in plan.tables]
    return {
        "create": kinds.count("create"),
        "update": kinds.count("update"),
        "delete": kinds.count("delete"),
        "held_tables": kinds.count("held"),
        "refused": kinds.count("refused"),
        "unchanged": kinds.count("unchanged") + kinds.count("exists"),
        "unmanaged": kinds.count("unmanaged"),
        "not_owned": kinds.count("not_owned"),
        "changes": len(plan.changes),
        "destructive": sum(1 for c in plan.changes if is_destructive(c)),
        "held": len(plan.held),
    }


def plan_data(plan: Plan) -> dict[str, Any]:
    return {
        "environment": plan.environment,
        "changes": len(plan.changes),
        "converged": plan.converged,
        "counts": plan_counts(plan),
        "tables": [
            {
                **table_ref(t.logical, t.physical),
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


def requests_data(plan: Plan) -> dict[str, Any]:
    """What --dry-run shows: the exact requests a real run sends, and the plan."""
    return {"dry_run": True, "requests": describe_requests(plan), "plan": plan_data(plan)}


# -- reports -------------------------------------------------------------------------------------------


def in_progress(result: TableResult) -> bool:
    """Whether the table's only trouble is a wait past --max-wait (it goes on in DynamoDB: exit 3)."""
    return result.outcome is Outcome.FAILED and isinstance(result.error, WaitTimeout)


def outcome_of(result: TableResult) -> str:
    """The table's outcome as reports show it: ``in_progress`` for a wait past --max-wait."""
    return IN_PROGRESS if in_progress(result) else result.outcome.value


def report_counts(report: Report) -> dict[str, int]:
    outcomes = [outcome_of(result) for result in report.results]
    return {name: outcomes.count(name) for name in (*(o.value for o in Outcome), IN_PROGRESS)}


def report_data(report: Report) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "tables": [
            {**table_ref(r.logical, r.physical), "outcome": outcome_of(r), "done": [c.summary() for c in r.done],
             "error": r.error.message if r.error else None, "hint": r.error.hint if r.error else None,
             "note": r.note}
            for r in report.results
        ],
        "counts": report_counts(report),
    }


# -- indexes and waits ---------------------------------------------------------------------------------


def index_data(item: IndexResult, resume: str | None) -> dict[str, Any]:
    error = item.error
    return {
        **table_ref(item.logical, item.physical), "index": item.index_name,
        "outcome": item.outcome.value, "matches": item.matches, "differences": list(item.differences),
        "status": item.status, "elapsed": None if item.elapsed is None else round(item.elapsed, 3),
        "error": error.message if error else None, "hint": error.hint if error else None, "note": item.note,
        "resume": resume,
    }


def table_state_data(state: TableState) -> dict[str, Any]:
    return {"status": state.status,
            "indexes": [{"index": name, "status": status, "backfilling": backfilling}
                        for name, status, backfilling in state.indexes],
            "item_count": state.item_count, "size_bytes": state.size_bytes}


def wait_data(logical: str, result: WaitResult) -> dict[str, Any]:
    return {**table_ref(logical, result.physical), "index": result.index_name, **table_state_data(result.state),
            "elapsed": round(result.elapsed, 3)}


# -- environments --------------------------------------------------------------------------------------


def environment_row_data(row: EnvironmentRow) -> dict[str, Any]:
    return {"environment": row.environment, "tables": list(row.tables), "table_count": len(row.tables),
            "owned": row.owned, "not_owned": row.not_owned, "other_tag": row.other_tag,
            "files_match": row.files_match, "differences": row.differences}


# -- data: backup, restore, native jobs, snapshots -----------------------------------------------------


def backup_data(result: BackupResult, manifest_name: str | None) -> dict[str, Any]:
    return {
        "location": result.location,
        "complete": result.complete,
        "already_complete": result.already_complete,
        "manifest": manifest_name if result.complete else None,
        "tables": [{**table_ref(t.logical, t.physical), "export": t.export_dir, "items": t.items, "bytes": t.bytes,
                    "files": len(t.files), "segments": t.segments, "consumed_read_units": t.consumed_units,
                    "seconds": round(t.seconds, 3)} for t in result.tables],
        "failed": [{"table": logical, "error": error.message} for logical, error in result.failed],
    }


def verify_data(result: VerifyResult) -> dict[str, Any]:
    return {"valid": True, "location": result.location, "items": result.items,
            "tables": [{"table": t.logical, "items": t.items, "files": t.files} for t in result.tables]}


def restore_data(result: RestoreResult) -> dict[str, Any]:
    return {
        "source": result.source,
        "kind": result.kind,
        "ok": result.ok,
        "resumed": result.resumed,
        "state_dir": str(result.state_dir),
        "tables": [{**table_ref(t.logical, t.physical), "created": t.created, "expected": t.expected,
                    "count": t.count, "written": t.written, "empty_at_start": t.empty_at_start,
                    "checksums_match": t.checksums_match} for t in result.tables],
    }


# A native export's details are its manifest entry: the names and files are said elsewhere in the document.
_MANIFEST_ONLY = frozenset({"physical", "spec", "files", "itemCount"})


def job_data(job: JobResult) -> dict[str, Any]:
    """One table's native job (export, import, restore, snapshot); its details in snake_case."""
    details = {_snake(key): value for key, value in job.extra.items() if key not in _MANIFEST_ONLY}
    return {**table_ref(job.logical, job.physical), "ok": job.ok, "detail": job.detail, "arn": job.arn,
            "item_count": job.item_count, **details}


def native_data(result: NativeResult) -> dict[str, Any]:
    converge = None if result.report is None else report_data(result.report)
    return {"location": result.location, "ok": result.ok, "tables": [job_data(job) for job in result.jobs],
            "converge": converge}


def snapshot_data(snapshot: Snapshot) -> dict[str, Any]:
    return {**table_ref(snapshot.logical, snapshot.physical), "name": snapshot.name, "arn": snapshot.arn,
            "status": snapshot.status, "created": None if snapshot.created is None else snapshot.created.isoformat(),
            "size_bytes": snapshot.size_bytes, "type": snapshot.backup_type}


def _snake(key: str) -> str:
    """``backupName`` -> ``backup_name``."""
    return "".join(f"_{char.lower()}" if char.isupper() else char for char in key).lstrip("_")
