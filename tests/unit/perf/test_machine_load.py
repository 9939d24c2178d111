"""Slow episodes found in the episode meter's samples (perf/machine_load.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from hypothesis import given
from hypothesis import strategies as st


def _machine_load() -> ModuleType:
    path = Path(__file__).resolve().parents[3] / "perf" / "machine_load.py"
    spec = importlib.util.spec_from_file_location("perf_machine_load", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


machine_load = _machine_load()


def _samples(times_us: list[float], start: float = 1000.0) -> list[tuple[float, float]]:
    """A sample every 5 ms from `start`, each taking the given microseconds."""
    return [(start + number * 0.005, took) for number, took in enumerate(times_us)]


def test_slow_samples_close_together_make_one_episode() -> None:
    times = [100.0] * 20 + [900.0, 150.0, 700.0] + [100.0] * 20 + [500.0] + [100.0] * 10
    episodes = machine_load.slow_episodes(_samples(times))
    assert episodes.median_us == 100.0
    # 900 and 700 are 10 ms apart (under the 20 ms gap): one episode; 500 stands alone.
    assert len(episodes.intervals) == 2
    first, second = episodes.intervals
    assert first[0] == 1000.0 + 20 * 0.005
    assert first[1] == 1000.0 + 22 * 0.005 + 700.0 / 1e6
    assert second[0] == 1000.0 + 43 * 0.005
    assert episodes.worst == 9.0


def test_touches_counts_the_margin_on_both_sides() -> None:
    times = [100.0] * 20 + [1000.0] + [100.0] * 20
    episodes = machine_load.slow_episodes(_samples(times))
    (start, end) = episodes.intervals[0]
    assert episodes.touches(start - 0.010, start - 0.001, margin=0.005)
    assert not episodes.touches(start - 0.010, start - 0.006, margin=0.005)
    assert episodes.touches(end + 0.004, end + 0.1, margin=0.005)
    assert not episodes.touches(end + 0.006, end + 0.1, margin=0.005)


def test_no_samples_no_episodes() -> None:
    episodes = machine_load.slow_episodes([])
    assert episodes.intervals == []
    assert episodes.share == 0.0


@given(st.lists(st.floats(min_value=1.0, max_value=10_000.0), min_size=1, max_size=200))
def test_episodes_are_ordered_disjoint_and_cover_every_slow_sample(times: list[float]) -> None:
    samples = _samples(times)
    episodes = machine_load.slow_episodes(samples)
    intervals = episodes.intervals
    assert all(start < end for start, end in intervals)
    assert all(intervals[n][1] <= intervals[n + 1][0] for n in range(len(intervals) - 1))
    assert 0.0 <= episodes.share <= 1.0
    for started, took in samples:
        slow = took > 2.0 * episodes.median_us
        assert episodes.touches(started, started + took / 1e6, margin=0.0) or not slow
