from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ddbctl.waiting import MAX_DELAY, MIN_DELAY, Expired, poll

from ..clocks import FakeClock


@given(ready_at=st.floats(min_value=0, max_value=7200))
def test_a_wait_overshoots_by_at_most_a_tenth_or_the_minimum_pause(ready_at: float) -> None:
    fake = FakeClock()
    result = poll(lambda: fake.time, lambda t: t >= ready_at, max_wait=10_000, clock=fake.clock)
    assert result >= ready_at
    assert result - ready_at <= max(MIN_DELAY, min(MAX_DELAY, ready_at * 0.1)) + 1e-9


def test_pauses_grow_from_the_minimum_to_the_maximum() -> None:
    fake = FakeClock()
    poll(lambda: fake.time, lambda t: t >= 600, max_wait=10_000, clock=fake.clock)
    assert fake.sleeps[0] == MIN_DELAY
    assert fake.sleeps == sorted(fake.sleeps)
    assert max(fake.sleeps) == MAX_DELAY
    assert len(fake.sleeps) < 200, "an hour-long wait does not hammer DescribeTable"


def test_the_deadline_is_kept_and_the_last_value_reported() -> None:
    fake = FakeClock()
    seen: list[float] = []
    with pytest.raises(Expired) as caught:
        poll(lambda: "CREATING", lambda s: s == "ACTIVE", max_wait=30, clock=fake.clock,
             on_poll=lambda _, elapsed: seen.append(elapsed))
    assert caught.value.last == "CREATING"
    assert caught.value.elapsed == pytest.approx(30)
    assert fake.time == pytest.approx(30), "never sleeps past the deadline"
    assert seen[-1] == pytest.approx(30)
