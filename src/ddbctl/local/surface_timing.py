"""How long the 2026 table surface's transitions last: not at all in plain mode, AwsLikeOptions' durations
(and the control plane's holds) in the AWS-like mode."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .awslike_state import ControlPlane
from .options import AwsLikeOptions
from .wire import TableKey


@dataclass
class Timing:
    """The durations, clocks and holds the surface's stores read. AwsLike attaches its options and plane."""

    options: AwsLikeOptions | None = None
    plane: ControlPlane | None = None
    clock: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], float] = field(default=time.time)

    def seconds(self, option: str) -> float:
        """An AwsLikeOptions duration; 0 in plain mode, where every change is over at once."""
        return float(getattr(self.options, option)) if self.options is not None else 0.0

    def now(self) -> float:
        return self.plane.clock() if self.plane is not None else self.clock()

    def pending(self, key: TableKey, index: str | None, until: float) -> bool:
        """Whether a transition of the table (or index) ending at ``until`` is still going (or held)."""
        if self.plane is not None:
            return self.plane.pending(key, index, until)
        return self.clock() < until

    def status(self, key: TableKey, index: str | None = None) -> str:
        """The table's (or index's) status in the AWS-like timeline; ACTIVE in plain mode."""
        if self.plane is None:
            return "ACTIVE"
        return self.plane.index_status(key, index) if index else self.plane.table_status(key)

