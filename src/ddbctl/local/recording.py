"""The operation log and the targeted faults a server keeps, both safe to use from any thread."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

MAX_ENTRIES = 100_000


class OperationLog:
    """The DynamoDB requests a server received, in arrival order, with their outcome once known.

    Only the last MAX_ENTRIES are kept, so a `ddbctl local` left running for days does not grow forever.
    """

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._lock = threading.Lock()
        self._entries: deque[dict[str, Any]] = deque(maxlen=max_entries)

    def start(self, operation: str, tables: list[str]) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "operation": operation,
            "table": tables[0] if tables else None,
            "tables": tables,
            "time": time.time(),
            "status": None,
            "error": None,
        }
        with self._lock:
            self._entries.append(entry)
        return entry

    def finish(self, entry: dict[str, Any], status: int, error: str | None) -> None:
        with self._lock:
            entry["status"] = status
            entry["error"] = error

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{**entry, "tables": list(entry["tables"])} for entry in self._entries]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


# What a fault does to a matching call: answer an error; answer success without doing anything; or answer
# what the same read answered last time (a read that does not show the latest change yet).
FAULT_ACTIONS = ("fail", "ignore", "stale")


@dataclass
class Fault:
    """Make the next ``times`` calls (None: every call) of ``operation`` on ``table`` fail (``action``
    "fail", with ``error_code``), be acknowledged but ignored ("ignore"), or see stale data ("stale")."""

    operation: str
    table: str | None
    error_code: str = ""
    message: str = ""
    status: int = 400
    times: int | None = None
    action: str = "fail"

    def __post_init__(self) -> None:
        if self.action not in FAULT_ACTIONS:
            raise ValueError(f"action must be one of {', '.join(FAULT_ACTIONS)}")
        if not self.operation or (self.action == "fail" and not self.error_code):
            raise ValueError("a fault needs an operation, and a failing one an error_code")
        if self.times is not None and self.times < 1:
            raise ValueError("times must be 1 or more, or None for every call")
        if not 400 <= self.status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Policy:
    """An IAM policy of the caller, simulated: an allow-list of DynamoDB actions (None: everything allowed)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._allowed: frozenset[str] | None = None

    def set(self, allowed: Iterable[str] | None) -> None:
        with self._lock:
            self._allowed = None if allowed is None else frozenset(allowed)

    def allows(self, operation: str) -> bool:
        with self._lock:
            return self._allowed is None or operation in self._allowed

    def snapshot(self) -> list[str] | None:
        with self._lock:
            return None if self._allowed is None else sorted(self._allowed)


class FaultRegistry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def take(self, operation: str, tables: list[str]) -> Fault | None:
        """The first fault matching this call, used up by one if it is counted."""
        with self._lock:
            for fault in self._faults:
                if fault.operation == operation and (fault.table is None or fault.table in tables):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times == 0:
                            self._faults.remove(fault)
                    return fault
        return None

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [fault.to_dict() for fault in self._faults]

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
