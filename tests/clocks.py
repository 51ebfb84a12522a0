"""A clock for tests: time passes only when the code under test sleeps, and every pause asked for is kept."""

from __future__ import annotations

from ddbctl.waiting import Clock


class FakeClock:
    def __init__(self, start: float = 0.0) -> None:
        self.time = start
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.time += seconds

    @property
    def clock(self) -> Clock:
        return Clock(now=self.now, sleep=self.sleep)
