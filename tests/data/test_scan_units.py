"""Pure parts of the scan: default segments, the read-rate bucket, checkpoints as JSON."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ddbctl.data.exportfmt import DataFile
from ddbctl.data.scan import Checkpoint, ReadRate, default_segments


def test_default_segments_follow_the_table_size() -> None:
    mib = 1024 * 1024
    assert [default_segments(size) for size in (0, 100 * mib, 600 * mib, 10**12, 10**15)] == [2, 2, 5, 256, 256]


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@given(st.floats(1, 500), st.lists(st.floats(0.5, 200), min_size=1, max_size=60))
@settings(deadline=None)
def test_the_bucket_never_lets_more_than_rate_times_time_plus_one_burst_through(
    rate: float, bills: list[float]
) -> None:
    clock = FakeClock()
    bucket = ReadRate(rate, clock=clock, sleep=clock.sleep)
    spent = 0.0
    estimate = 1.0
    for bill in bills:
        bucket.reserve(estimate)
        start = clock.now  # the moment this page is sent
        assert spent <= bucket.capacity + rate * start + 1e-6
        bucket.settle(estimate, bill)
        spent += bill
        estimate = bill


def test_checkpoints_round_trip_with_binary_keys() -> None:
    checkpoint = Checkpoint(3, 8, [DataFile("d/x.json.gz", 5, "md5==", "e")], {"pk": {"B": b"\x00\xff"}},
                            False, 5, 120)
    assert Checkpoint.from_json(checkpoint.to_json()) == checkpoint
