"""Polling with a deadline; the clock and sleep are injected so tests never sleep for real.

The pause between two polls grows with the time already waited (a tenth of it, between 0.2 s and
5 s): a wait overshoots the moment DynamoDB is done by at most ~10 % (or 0.2 s), small tables and the
local server settle fast, and an index build of an hour costs a DescribeTable every 5 s, not more.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

MIN_DELAY = 0.2
MAX_DELAY = 5.0
PROPORTION = 0.1


@dataclass(frozen=True)
class Clock:
    now: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


SYSTEM_CLOCK = Clock()


class Expired(Exception):
    """The deadline passed; ``last`` is the last value seen."""

    def __init__(self, last: object, elapsed: float) -> None:
        super().__init__(f"deadline passed after {elapsed:.0f}s")
        self.last = last
        self.elapsed = elapsed


def next_delay(elapsed: float) -> float:
    """Seconds to pause after ``elapsed`` seconds of waiting."""
    return min(MAX_DELAY, max(MIN_DELAY, elapsed * PROPORTION))


def poll(
    fetch: Callable[[], T],
    done: Callable[[T], bool],
    *,
    max_wait: float,
    clock: Clock = SYSTEM_CLOCK,
    on_poll: Callable[[T, float], None] | None = None,
) -> T:
    """Call ``fetch`` until ``done`` holds for its value; raise Expired after ``max_wait`` seconds."""
    start = clock.now()
    while True:
        value = fetch()
        elapsed = clock.now() - start
        if on_poll is not None:
            on_poll(value, elapsed)
        if done(value):
            return value
        if elapsed >= max_wait:
            raise Expired(value, elapsed)
        clock.sleep(min(next_delay(elapsed), max_wait - elapsed))
