"""Progress of long operations, fed by the executor's events or by any command's own rows.

- On a terminal: one live display (rich) on stderr with a row per table: step, state, a ticking
  elapsed time, and for data work items, items/s and an ETA. It disappears when the command ends,
  replaced by the report (so no line appears twice).
- Not on a terminal (CI logs): a line per change of step or state, plus a heartbeat line at least
  every ``heartbeat`` seconds for each table still at work.
- With ``-o json``: nothing.

Use it as a context manager around the work::

    with Progress(state) as progress:
        report = execute(plan, dynamo, options, events=progress)      # the executor's Events

    with Progress(state) as progress:                                   # data work
        row = progress.row("construction-expenses-companies", step="scan")
        row.update(items=1200, total=50000, state="segment 3/8")
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType

from rich.console import Group, RenderableType
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from ..changes import Change, Request
from ..execute import Outcome, TableResult, TableState
from ..ops.native import JobResult, NativeEvents
from ..plan import TablePlan
from .state import CliState

HEARTBEAT_SECONDS = 30.0
REFRESH_PER_SECOND = 4
MAX_WIDTH = 100

_OUTCOME_STYLE = {Outcome.CREATED: "green", Outcome.UPDATED: "green", Outcome.DELETED: "red",
                  Outcome.FAILED: "bold red",
                  Outcome.SKIPPED: "yellow", Outcome.UNCHANGED: "dim"}


def elapsed_text(seconds: float) -> str:
    """``7s``, ``2m05s``, ``1h02m``: short, and changing every second during the first hour."""
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


@dataclass
class Row:
    """One table's line of progress. ``update`` it from any thread."""

    name: str
    progress: Progress = field(repr=False)
    step: str = ""
    state: str = ""
    items: int | None = None
    total: int | None = None
    started: float = 0.0
    finished: float | None = None
    outcome: str | None = None
    style: str = ""
    last_line: float = 0.0  # when a line was last printed for this row (not on a terminal)

    def update(self, *, step: str | None = None, state: str | None = None, items: int | None = None,
               total: int | None = None) -> None:
        """Change what the row shows; not on a terminal, a changed step or state prints a line."""
        self.progress._update(self, step, state, items, total)

    def finish(self, outcome: str, style: str = "green") -> None:
        """The row's work is done (``created``, ``failed``, ``done``): its time stops."""
        self.progress._finish(self, outcome, style)

    def elapsed(self, now: float) -> float:
        return (self.finished if self.finished is not None else now) - self.started

    def rate(self, now: float) -> float | None:
        elapsed = self.elapsed(now)
        return self.items / elapsed if self.items is not None and elapsed > 0 else None

    def eta(self, now: float) -> float | None:
        rate = self.rate(now)
        if rate is None or rate <= 0 or self.total is None or self.items is None or self.finished is not None:
            return None
        return max(self.total - self.items, 0) / rate


class Progress(NativeEvents):
    """The executor's events (and any command's rows) as progress on stderr; see the module docstring."""

    def __init__(self, state: CliState, *, header: Callable[[], object] | None = None,
                 heartbeat: float = HEARTBEAT_SECONDS, clock: Callable[[], float] = time.monotonic,
                 live: bool | None = None) -> None:
        self.state = state
        self.quiet = state.json
        self._terminal = (state.err.is_terminal if live is None else live) and not self.quiet
        self.live = False  # a live display only inside ``with``: outside, lines as in a log
        self.heartbeat = heartbeat
        self.clock = clock
        self.rows: dict[str, Row] = {}
        self._header = header
        self._header_lock = threading.Lock()
        self._lock = threading.RLock()
        self._live: Live | None = None
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._jobs: dict[str, str] = {}  # native jobs: logical name -> the row's name

    # -- lifetime ----------------------------------------------------------------------------------

    def __enter__(self) -> Progress:
        if self.quiet:
            return self
        self.live = self._terminal
        if self.live:
            self._live = Live(self, console=self.state.err, refresh_per_second=REFRESH_PER_SECOND, transient=True)
            self._live.start()
        else:
            self._ticker = threading.Thread(target=self._beat, name="ddbctl-heartbeat", daemon=True)
            self._ticker.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._stop.set()
        self.live = False
        if self._live is not None:
            self._live.stop()
            self._live = None
        if self._ticker is not None:
            self._ticker.join(timeout=2)
            self._ticker = None

    # -- rows (data commands feed these directly) --------------------------------------------------

    def row(self, name: str, *, step: str = "", state: str = "") -> Row:
        """The row of ``name``, made on first use."""
        self._show_header()
        with self._lock:
            row = self.rows.get(name)
            if row is None:
                now = self.clock()
                row = self.rows[name] = Row(name, self, started=now, last_line=now)
        if step or state:
            row.update(step=step or None, state=state or None)
        return row

    def _update(self, row: Row, step: str | None, state: str | None, items: int | None, total: int | None) -> None:
        with self._lock:
            new_step = step is not None and step != row.step
            new_state = state is not None and state != row.state
            row.step = row.step if step is None else step
            row.state = row.state if state is None else state
            row.items = row.items if items is None else items
            row.total = row.total if total is None else total
        if new_step:
            self._line(row, f"→ {row.name}: {row.step}")
        if new_state:
            self._state_line(row)

    def _finish(self, row: Row, outcome: str, style: str) -> None:
        with self._lock:
            row.finished = self.clock()
            row.outcome = outcome
            row.style = style

    # -- the executor's events ---------------------------------------------------------------------

    def table_started(self, table: TablePlan) -> None:
        row = self.row(table.physical)
        with self._lock:
            row.step = row.step or "starting"  # shown live; not worth a line in a log

    def request_sent(self, table: TablePlan, change: Change, request: Request) -> None:
        self.row(table.physical).update(step=f"{change.summary()} ({request.operation})")

    def waiting(self, physical: str, state: TableState) -> None:
        self.row(physical).update(state=describe(state))

    def table_finished(self, result: TableResult) -> None:
        if result.physical in self.rows:
            self.rows[result.physical].finish(result.outcome.value, _OUTCOME_STYLE.get(result.outcome, "red"))

    # -- native jobs (exports, imports, restores, snapshots) ---------------------------------------------

    def job_started(self, logical: str, physical: str, what: str) -> None:
        self._jobs[logical] = physical
        self.row(physical).update(step=what)

    def job_waiting(self, logical: str, status: str, elapsed: float) -> None:
        self.row(self._jobs.get(logical, logical)).update(state=status)

    def job_finished(self, result: JobResult) -> None:
        row = self.row(result.physical)
        row.finish("done" if result.ok else "failed", "green" if result.ok else "bold red")

    # -- output ------------------------------------------------------------------------------------

    def _show_header(self) -> None:
        """The command's header, once, before the first row or line (other threads wait for it)."""
        with self._header_lock:
            header, self._header = self._header, None
            if header is not None and not self.quiet:
                header()

    def _state_line(self, row: Row, *, still: bool = False) -> None:
        now = self.clock()
        items = f", {row.items} of {row.total} items" if row.items is not None and row.total is not None else ""
        self._line(row, f"  … {row.name}: {'still ' if still else ''}{row.state}{items} {row.elapsed(now):.1f}s")

    def _line(self, row: Row, text: str) -> None:
        """Not on a terminal: one line of the log (a new step, a new state, a heartbeat)."""
        if self.quiet or self.live:
            return
        self._show_header()
        with self._lock:
            row.last_line = self.clock()
        self.state.err.print(text, highlight=False, markup=False, soft_wrap=True)

    def tick(self) -> None:
        """Not on a terminal: a heartbeat line for each row at work and silent for ``heartbeat`` seconds."""
        now = self.clock()
        with self._lock:
            due = [row for row in self.rows.values()
                   if row.finished is None and now - row.last_line >= self.heartbeat]
        for row in due:
            self._state_line(row, still=True)

    def _beat(self) -> None:
        while not self._stop.wait(min(1.0, self.heartbeat)):
            self.tick()

    def __rich__(self) -> RenderableType:
        """The live display: a row per table."""
        now = self.clock()
        with self._lock:
            rows = list(self.rows.values())
        data = any(row.items is not None and row.total is not None for row in rows)
        table = Table(box=None, show_header=True, header_style="dim", pad_edge=False, width=None)
        table.add_column("table", overflow="ellipsis", no_wrap=True, max_width=40)
        table.add_column("step", overflow="ellipsis", no_wrap=True, max_width=30)
        table.add_column("state", overflow="ellipsis", no_wrap=True, max_width=30)
        table.add_column("elapsed", justify="right", no_wrap=True)
        if data:
            for name in ("items", "items/s", "ETA"):
                table.add_column(name, justify="right", no_wrap=True)
        for row in rows:
            state = f"[{row.style}]{row.outcome}[/]" if row.outcome else escape(row.state)
            cells = [escape(row.name), escape(row.step), state, elapsed_text(row.elapsed(now))]
            if data:
                rate, eta = row.rate(now), row.eta(now)
                cells += ["" if row.items is None else f"{row.items}" + (f"/{row.total}" if row.total else ""),
                          "" if rate is None else f"{rate:.0f}", "" if eta is None else elapsed_text(eta)]
            table.add_row(*cells)
        return Group(table) if rows else Group()


def describe(state: TableState) -> str:
    """A table's state as a progress row shows it: the table's status and each index not ACTIVE."""
    parts = [state.status]
    for name, status, backfilling in state.indexes:
        if status != "ACTIVE":
            parts.append(f"index {name} {status}{' backfilling' if backfilling else ''}")
    if state.item_count:
        parts.append(f"{state.item_count} items")
    return ", ".join(parts)
