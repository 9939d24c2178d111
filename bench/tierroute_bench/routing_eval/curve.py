"""Cost–quality points and curves, and the headline figures read off them.

A router's operating points (total cost, mean score) are reduced to their Pareto frontier
(no other point is both cheaper and better), sorted by cost. Between two adjacent frontier
points the curve is the straight line joining them: routing a fraction of requests with one
operating point and the rest with the other (by a hash of the request id) realizes every
point of that line, so linear interpolation is achievable, not optimistic. Below the
cheapest point and above the best one the curve does not extend.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise


@dataclass(frozen=True, slots=True)
class Point:
    """One operating point: total USD over the rows and mean score."""

    cost: float
    score: float
    label: str


def frontier(points: Sequence[Point]) -> list[Point]:
    """The Pareto frontier, cheapest first (ties: better score, then label)."""
    ordered = sorted(points, key=lambda p: (p.cost, -p.score, p.label))
    kept: list[Point] = []
    for point in ordered:
        if not kept or point.score > kept[-1].score:
            kept.append(point)
    return kept


def cost_at_score(curve: Sequence[Point], target: float) -> float | None:
    """Lowest cost at which the interpolated frontier reaches `target`; None if never."""
    line = frontier(curve)
    if not line or line[-1].score < target:
        return None
    if line[0].score >= target:
        return line[0].cost
    for low, high in pairwise(line):
        if high.score >= target:
            share = (target - low.score) / (high.score - low.score)
            return low.cost + share * (high.cost - low.cost)
    return None  # unreachable: the last point reaches the target


def score_at_cost(curve: Sequence[Point], budget: float) -> float | None:
    """Best score of the interpolated frontier at cost ≤ `budget`; None if nothing fits."""
    line = frontier(curve)
    if not line or line[0].cost > budget:
        return None
    best = line[0].score
    for low, high in pairwise(line):
        if high.cost <= budget:
            best = high.score
            continue
        share = (budget - low.cost) / (high.cost - low.cost)
        return low.score + share * (high.score - low.score)
    return best


@dataclass(frozen=True, slots=True)
class Headline:
    """The two headline figures of a curve against the best single model."""

    cost_ratio_at_95: float | None
    score_ratio_at_25: float | None


def headline(curve: Sequence[Point], best: Point) -> Headline:
    """Cost / best's cost at 95 % of best's score; score / best's score at 25 % of its cost."""
    cost = cost_at_score(curve, 0.95 * best.score)
    score = score_at_cost(curve, 0.25 * best.cost)
    return Headline(
        cost_ratio_at_95=cost / best.cost if cost is not None and best.cost else None,
        score_ratio_at_25=score / best.score if score is not None and best.score else None,
    )
