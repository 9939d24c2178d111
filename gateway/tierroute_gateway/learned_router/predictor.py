"""Evaluating a fitted learned router: P(success) per model for a prompt, then a choice.

Pure Python (no numpy, no scikit-learn) so the gateway runs it in process: the weights
become one dict from bucket to the tuple of every model's weight once per load; a prompt
costs one lookup per distinct bucket, and the per-model logits are column sums of the rows
found (`zip(*rows)`, in C), plus the bias and the length term. Cost per model: the
prompt's input tokens at the model's input price plus its expected output tokens (mean over
the fitting rows) at its output price.
"""

from __future__ import annotations

import math
from itertools import repeat
from typing import NamedTuple

from tierroute_gateway.learned_router.artefact import LearnedRouter
from tierroute_gateway.learned_router.features import Featurizer, PromptFeatures

_PER_MILLION = 1_000_000
_PER_THOUSAND = 1_000


class Prediction(NamedTuple):
    """P(success) and estimated cost in USD of each model, in the artefact's model order."""

    models: tuple[str, ...]
    success: tuple[float, ...]
    cost: tuple[float, ...]


class Predictor:
    """A loaded artefact, ready to predict (build once per artefact, call per request)."""

    __slots__ = (
        "_bias",
        "_input_price",
        "_length",
        "_output_cost",
        "_rows",
        "featurize",
        "names",
        "router",
    )

    def __init__(self, router: LearnedRouter) -> None:
        self.router = router
        self.featurize = Featurizer(router.features)
        models = router.models
        self.names = tuple(model.name for model in models)
        columns = zip(*(model.weights for model in models), strict=True)
        self._rows = {
            bucket: row for bucket, row in zip(router.buckets, columns, strict=True) if any(row)
        }
        self._bias = tuple(model.bias for model in models)
        self._length = tuple(model.length_weight for model in models)
        self._input_price = tuple(model.input_per_million / _PER_MILLION for model in models)
        self._output_cost = tuple(
            model.expected_output_tokens * model.output_per_million / _PER_MILLION
            for model in models
        )

    def predict(self, prompt: str, input_tokens: int | None = None) -> Prediction:
        """Predictions for `prompt`; `input_tokens` defaults to characters / 4."""
        return self.predict_features(
            self.featurize(prompt), input_tokens if input_tokens is not None else len(prompt) // 4
        )

    def predict_features(self, features: PromptFeatures, input_tokens: int) -> Prediction:
        """Predictions from already extracted features: one dict lookup per bucket."""
        get = self._rows.get
        rows = [row for row in map(get, features.buckets) if row is not None]
        length = features.length
        sums = map(sum, zip(*rows, strict=True)) if rows else repeat(0.0)
        success = tuple(
            _sigmoid(bias + weight * length + total)
            for bias, weight, total in zip(self._bias, self._length, sums, strict=False)
        )
        cost = tuple(
            input_tokens * price + output
            for price, output in zip(self._input_price, self._output_cost, strict=True)
        )
        return Prediction(self.names, success, cost)


def _sigmoid(value: float) -> float:
    if value >= 0:
        return 1.0 / (1.0 + math.exp(-value))
    exponential = math.exp(value)
    return exponential / (1.0 + exponential)


def choose_by_threshold(prediction: Prediction, threshold: float) -> int:
    """Index of the cheapest model with P(success) ≥ `threshold`, else the likeliest one.

    Ties: lower cost, then higher P(success), then name. Raising the threshold never picks a
    cheaper model nor one with a lower P(success).
    """
    success, cost = prediction.success, prediction.cost
    order = sorted(range(len(cost)), key=lambda i: (cost[i], -success[i], prediction.models[i]))
    for index in order:
        if success[index] >= threshold:
            return index
    return max(order, key=lambda i: (success[i], -cost[i]))


def choose_by_tradeoff(prediction: Prediction, cost_weight: float) -> int:
    """Index of the model maximizing P(success) − cost_weight × (cost in USD per 1,000 calls).

    With calibrated predictions this is the Lagrangian of "best total score within a total
    budget", so one λ is right for every prompt. Ties: lower cost, then name. Lowering the
    cost weight never picks a cheaper model.
    """
    success, cost = prediction.success, prediction.cost
    weight = cost_weight * _PER_THOUSAND
    return min(
        range(len(cost)),
        key=lambda i: (weight * cost[i] - success[i], cost[i], prediction.models[i]),
    )


def choose(prediction: Prediction, rule: str, value: float) -> int:
    """Apply the named rule (`threshold` or `tradeoff`)."""
    if rule == "threshold":
        return choose_by_threshold(prediction, value)
    return choose_by_tradeoff(prediction, value)
