"""The learned router's curve: its decision rule swept over a grid of parameter values."""

from __future__ import annotations

from collections.abc import Sequence

from tierroute_bench.routing_eval.baselines import score_choices
from tierroute_bench.routing_eval.curve import Point
from tierroute_bench.routing_eval.outcomes import OutcomeRow
from tierroute_gateway.learned_router import Prediction, Predictor, choose

THRESHOLDS: tuple[float, ...] = tuple(round(i / 80, 4) for i in range(81))
"""Threshold rule: P(success) from 0 to 1 in steps of 0.0125."""

COST_WEIGHTS: tuple[float, ...] = (
    0.0,
    *(float(f"{0.0001 * 10 ** (i / 20):.4g}") for i in range(141)),
)
"""Trade-off rule (score per USD per 1,000 calls): λ = 0 and 141 values from 1e-4 to 1e3,
evenly spaced in log."""

GRIDS = {"threshold": THRESHOLDS, "tradeoff": COST_WEIGHTS}


def predict_rows(predictor: Predictor, rows: Sequence[OutcomeRow]) -> list[Prediction]:
    """Predictions for every row; input tokens from the row (the first model's count)."""
    predictions = []
    for row in rows:
        tokens = next(iter(row.outcomes.values())).prompt_tokens
        predictions.append(predictor.predict(row.prompt, tokens))
    return predictions


def sweep(
    rows: Sequence[OutcomeRow],
    predictions: Sequence[Prediction],
    rule: str,
    values: Sequence[float] | None = None,
    *,
    label: str = "learned",
) -> list[Point]:
    """One point per parameter value: the rows routed by `rule` at that value."""
    points = []
    for value in values if values is not None else GRIDS[rule]:
        choices = [p.models[choose(p, rule, value)] for p in predictions]
        points.append(score_choices(rows, choices, f"{label} {rule}={value:g}"))
    return points
