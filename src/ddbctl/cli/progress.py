"""Progress on the terminal (stderr) for the executor's events; silent in JSON mode."""

from __future__ import annotations

import threading

from ..changes import Change, Request
from ..execute import Events, Outcome, TableResult, TableState
from ..plan import TablePlan
from .state import CliState

_STYLE = {Outcome.CREATED: "green", Outcome.UPDATED: "green", Outcome.DELETED: "red", Outcome.FAILED: "bold red",
          Outcome.SKIPPED: "yellow", Outcome.UNCHANGED: "dim"}


class ConsoleEvents(Events):
    def __init__(self, state: CliState) -> None:
        self.state = state
        self._last: dict[str, str] = {}
        self._lock = threading.Lock()

    def request_sent(self, table: TablePlan, change: Change, request: Request) -> None:
        self.state.note(f"[cyan]→[/] {table.physical}: {change.summary()} [dim]({request.operation})[/]")

    def waiting(self, physical: str, state: TableState) -> None:
        text = describe(state)
        with self._lock:
            if self._last.get(physical) == text:
                return
            self._last[physical] = text
        self.state.note(f"  [dim]…[/] {physical}: {text} [dim]{state.elapsed:.1f}s[/]")

    def table_finished(self, result: TableResult) -> None:
        if result.outcome in (Outcome.UNCHANGED, Outcome.SKIPPED) and not result.done:
            return
        style = _STYLE[result.outcome]
        detail = f": {result.error.message}" if result.error else ""
        self.state.note(f"[{style}]{result.outcome.value}[/] {result.physical}{detail}")


def describe(state: TableState) -> str:
    parts = [state.status]
    for name, status, backfilling in state.indexes:
        if status != "ACTIVE":
            parts.append(f"index {name} {status}{' backfilling' if backfilling else ''}")
    if state.item_count:
        parts.append(f"{state.item_count} items")
    return ", ".join(parts)
