"""Evaluating a fitted learned router: P(success) per model for a prompt, then a choice.

Pure Python (no numpy, no scikit-learn) so the gateway runs it in process: each model's
weights become a dict from bucket to weight once per load, and a prompt's logit is the sum
of the weights of its distinct buckets (`sum(map(dict.get, …))`, in C), the bias and the
length term. Cost per model: the prompt's input tokens at the model's input price plus its
expected output tokens (mean over the fitting rows) at its output price.
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


class _Scorer(NamedTuple):
    name: str
    weights: dict[int, float]
    bias: float
    length_weight: float
    input_per_token: float
    output_cost: float


class Predictor:
    """A loaded artefact, ready to predict (build once per artefact, call per request)."""

    __slots__ = ("_scorers", "featurize", "names", "router")

    def __init__(self, router: LearnedRouter) -> None:
        self.router = router
        self.featurize = Featurizer(router.features)
        self.names = tuple(model.name for model in router.models)
        self._scorers = tuple(
            _Scorer(
                name=model.name,
                weights={b: w for b, w in zip(router.buckets, model.weights, strict=True) if w},
                bias=model.bias,
                length_weight=model.length_weight,
                input_per_token=model.input_per_million / _PER_MILLION,
                output_cost=model.expected_output_tokens * model.output_per_million / _PER_MILLION,
            )
            for model in router.models
        )

    def predict(self, prompt: str, input_tokens: int | None = None) -> Prediction:
        """Predictions for `prompt`; `input_tokens` defaults to characters / 4."""
        return self.predict_features(
            self.featurize(prompt), input_tokens if input_tokens is not None else len(prompt) // 4
        )

    def predict_features(self, features: PromptFeatures, input_tokens: int) -> Prediction:
        """Predictions from already extracted features."""
        buckets = features.buckets
        zeros = repeat(0.0)
        success = []
        cost = []
        for scorer in self._scorers:
            logit = scorer.bias + scorer.length_weight * features.length
            logit += sum(map(scorer.weights.get, buckets, zeros))
            success.append(_sigmoid(logit))
            cost.append(input_tokens * scorer.input_per_token + scorer.output_cost)
        return Prediction(self.names, tuple(success), tuple(cost))


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
