"""Aggregates: Wilson interval, percentiles, Pareto frontier, per model and modality."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tierroute_bench.results import Outcome, ResultRecord
from tierroute_bench.summary import (
    Point,
    pareto_frontier,
    percentile,
    summarize,
    tag_accuracy,
    wilson_interval,
)


def test_wilson_interval_hand_checked() -> None:
    low, high = wilson_interval(8, 10)
    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)
    assert wilson_interval(0, 0) == (0.0, 0.0)
    assert wilson_interval(10, 10)[1] == 1.0


@given(st.integers(min_value=1, max_value=10_000), st.data())
def test_wilson_interval_holds_the_observed_share(trials: int, data: st.DataObject) -> None:
    successes = data.draw(st.integers(min_value=0, max_value=trials))
    low, high = wilson_interval(successes, trials)
    assert 0.0 <= low <= successes / trials <= high <= 1.0


def test_percentile_interpolates_between_ranks() -> None:
    assert percentile([10.0, 20.0, 30.0, 40.0], 0.5) == 25.0
    assert percentile([5.0], 0.95) == 5.0
    assert percentile(list(map(float, range(101))), 0.95) == 95.0
    assert percentile([], 0.5) is None


def test_pareto_frontier_drops_dominated_models() -> None:
    points = [
        Point("cheap", 0.05, 0.80),
        Point("mid", 2.0, 0.90),
        Point("dear-but-worse", 5.0, 0.60),
        Point("premium", 12.0, 1.00),
        Point("tie-costlier", 2.5, 0.90),
    ]
    assert [p.name for p in pareto_frontier(points)] == ["cheap", "mid", "premium"]


def record(model: str, modality: str, *, correct: bool, outcome: Outcome = Outcome.OK,
           latency: float = 100.0, cost: str | None = "0.002", tags: tuple[str, ...] = ()
           ) -> ResultRecord:  # fmt: skip
    return ResultRecord(
        model=model, task_id=f"{model}-{modality}-{latency}", modality=modality, tags=tags,
        outcome=outcome, scorer="exact", correct=correct, score=float(correct),
        latency_ms=latency if outcome == Outcome.OK else None, input_tokens=500,
        output_tokens=10, cost_usd=cost if outcome == Outcome.OK else None,
    )  # fmt: skip


def test_summaries_per_model_and_modality_with_errors_counted_wrong() -> None:
    records = [
        record("a", "vision", correct=True, latency=100, tags=("ocr",)),
        record("a", "vision", correct=False, latency=300, tags=("ocr",)),
        record("a", "text", correct=True, latency=200),
        record("a", "text", correct=False, outcome=Outcome.TIMEOUT),
        record("b", "vision", correct=True, cost=None),
    ]
    groups = {(g.model, g.modality): g for g in summarize(records)}
    assert list(groups) == [("a", "all"), ("a", "vision"), ("a", "text"), ("b", "all"),
                            ("b", "vision")]  # fmt: skip
    overall = groups[("a", "all")]
    assert (overall.tasks, overall.correct, overall.errors) == (4, 2, 1)
    assert overall.accuracy == 0.5
    assert overall.latency_p50_ms == 200.0
    assert overall.total_cost == Decimal("0.006")
    assert overall.cost_per_1k_tasks == Decimal("1.5")  # 0.006 over 4 tasks, × 1000
    assert groups[("b", "all")].cost_per_1k_tasks is None
    assert tag_accuracy(records) == {("a", "ocr"): (1, 2)}


@pytest.mark.parametrize("share", [0.0, 0.25, 0.5, 0.95, 1.0])
def test_percentile_stays_within_the_values(share: float) -> None:
    values = [3.0, 1.0, 2.0, 10.0]
    result = percentile(values, share)
    assert result is not None
    assert min(values) <= result <= max(values)
