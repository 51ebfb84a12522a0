"""Polling with backoff and a deadline; the clock and sleep are injected so tests never sleep for real."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

FIRST_DELAY = 0.2  # under a second: local and small tables settle fast
BACKOFF = 1.5
MAX_DELAY = 5.0


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
    delay = FIRST_DELAY
    while True:
        value = fetch()
        elapsed = clock.now() - start
        if on_poll is not None:
            on_poll(value, elapsed)
        if done(value):
            return value
        if elapsed >= max_wait:
            raise Expired(value, elapsed)
        clock.sleep(min(delay, max(max_wait - elapsed, 0.0)))
        delay = min(delay * BACKOFF, MAX_DELAY)
