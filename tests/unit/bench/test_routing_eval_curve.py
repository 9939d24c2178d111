"""Frontier, interpolation and headline figures on hand-computed curves."""

from __future__ import annotations

import pytest

from tierroute_bench.routing_eval.curve import (
    Point,
    cost_at_score,
    frontier,
    headline,
    score_at_cost,
)

CURVE = [Point(1.0, 0.5, "a"), Point(2.0, 0.4, "dominated"), Point(3.0, 0.9, "b")]


def test_frontier_drops_dominated_points_and_sorts_by_cost() -> None:
    assert [p.label for p in frontier(CURVE)] == ["a", "b"]


def test_cost_at_score_interpolates_linearly_between_frontier_points() -> None:
    assert cost_at_score(CURVE, 0.7) == pytest.approx(2.0)
    assert cost_at_score(CURVE, 0.3) == 1.0
    assert cost_at_score(CURVE, 0.95) is None


def test_score_at_cost_interpolates_and_stops_at_the_ends() -> None:
    assert score_at_cost(CURVE, 2.0) == pytest.approx(0.7)
    assert score_at_cost(CURVE, 10.0) == pytest.approx(0.9)
    assert score_at_cost(CURVE, 0.5) is None


def test_headline_is_relative_to_the_best_single_model() -> None:
    best = Point(4.0, 0.9, "best")
    figures = headline([Point(0.5, 0.6, "x"), Point(1.5, 0.9, "y")], best)
    target = 0.95 * 0.9
    expected_cost = 0.5 + (target - 0.6) / 0.3 * 1.0
    assert figures.cost_ratio_at_95 == pytest.approx(expected_cost / 4.0)
    assert figures.score_ratio_at_25 == pytest.approx((0.6 + 0.5 * 0.3) / 0.9)
