"""Single models and the oracle, scored on outcome rows."""

from __future__ import annotations

from collections.abc import Sequence

from tierroute_bench.routing_eval.curve import Point
from tierroute_bench.routing_eval.outcomes import OutcomeRow


def score_choices(rows: Sequence[OutcomeRow], choices: Sequence[str], label: str) -> Point:
    """Total cost and mean score when row i goes to `choices[i]`."""
    cost = sum(row.outcomes[model].cost for row, model in zip(rows, choices, strict=True))
    score = sum(row.outcomes[model].score for row, model in zip(rows, choices, strict=True))
    return Point(cost=cost, score=score / len(rows) if rows else 0.0, label=label)


def single_models(rows: Sequence[OutcomeRow], models: Sequence[str]) -> list[Point]:
    """Every model alone, in `models` order."""
    return [score_choices(rows, [model] * len(rows), model) for model in models]


def best_single(singles: Sequence[Point]) -> Point:
    """Highest mean score (ties: cheaper, then name)."""
    return min(singles, key=lambda p: (-p.score, p.cost, p.label))


def cheapest_single(singles: Sequence[Point]) -> Point:
    """Lowest total cost (ties: better, then name)."""
    return min(singles, key=lambda p: (p.cost, -p.score, p.label))


def oracle_choices(rows: Sequence[OutcomeRow], models: Sequence[str]) -> list[str]:
    """Per row, the cheapest model that reaches the row's best score."""
    choices = []
    for row in rows:
        best = max(row.outcomes[model].score for model in models)
        reaching = [m for m in models if row.outcomes[m].score >= best]
        choices.append(min(reaching, key=lambda m: (row.outcomes[m].cost, m)))
    return choices


def oracle(rows: Sequence[OutcomeRow], models: Sequence[str]) -> Point:
    """The oracle's point: the ceiling of every router."""
    return score_choices(rows, oracle_choices(rows, models), "oracle")
