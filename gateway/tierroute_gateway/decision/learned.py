"""Selection by the learned router, for routes with strategy `learned`.

Candidates: the route's models that the artefact knows and that pass the request's limits
(capabilities, context window, constraints, open breakers, the tiers a budget downgrade
leaves), in every tier: the complexity's tier priority does not restrict them. The artefact
predicts each one's P(success) from the prompt (the tail of the last user message and its
length); the cost is this request's, at the catalog's current prices: its input tokens, the
artefact's expected completion tokens for the model (or the request's maximum when smaller)
and any image or audio charges. The table's rule chooses:

- `threshold` t: the cheapest candidate with P(success) ≥ t, else the likeliest;
- `tradeoff` λ: the candidate maximizing P(success) − λ × (USD per 1,000 such calls).

The rest of the candidates follow in the rule's order of preference (the order in which the
rule would pick them were the earlier ones gone), models penalized by automation last; they
head the derived fallback chain. `None` when the artefact knows none of the eligible models:
the route then ranks by cost, tier by tier, like a cost-optimized one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from tierroute_gateway.decision.cost import estimate_cost
from tierroute_gateway.decision.eligibility import Limits, fits
from tierroute_gateway.decision.features import RequestFeatures
from tierroute_gateway.decision.index import ModelEntry
from tierroute_gateway.decision.learned_index import LearnedIndex
from tierroute_gateway.learned_router import Prediction

CALLS_PER_COST_UNIT = 1_000
"""λ weighs the cost of this many calls (as `choose_by_tradeoff` does)."""

FALLBACK_NOTE = "learned router knows none of the eligible models: ranked by cost instead"
"""What the reason says when a `learned` route falls back to cost-optimized ranking."""


class LearnedNote(NamedTuple):
    """What the learned router did, for the decision's document."""

    artefact_hash: str
    rule: str
    value: float
    model: str
    success: float
    candidates: int

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values."""
        return {
            "artefactHash": self.artefact_hash,
            "rule": self.rule,
            "value": self.value,
            "model": self.model,
            "successProbability": self.success,
            "candidates": self.candidates,
        }


class LearnedChoice(NamedTuple):
    """The learned router's choice: every candidate in order of preference, the chosen first."""

    ordered: tuple[ModelEntry, ...]
    costs: Mapping[str, float]
    """Estimated USD of this request on each candidate."""
    output_tokens: Mapping[str, int]
    """Completion tokens assumed for each candidate's estimate."""
    reason: str
    note: LearnedNote


def choose_learned(
    learned: LearnedIndex, route: str, limits: Limits, features: RequestFeatures
) -> LearnedChoice | None:
    """The learned router's choice among `route`'s eligible candidates; None if it knows none."""
    eligible = [model for model in learned.routes.get(route, ()) if fits(model, limits)]
    if not eligible:
        return None
    predictor = learned.predictor
    prompt = predictor.featurize.of_tail(features.tail_text, features.prompt_chars)
    success = predictor.predict_features(prompt, features.context_tokens).success
    columns = learned.columns
    outputs = {model.name: _output_tokens(learned, model, features) for model in eligible}
    prediction = Prediction(
        tuple(outputs),
        tuple(success[columns[name]] for name in outputs),
        tuple(_cost(model, features, outputs[model.name]) for model in eligible),
    )
    order = preference_order(prediction, learned.rule, learned.value)
    fresh = [i for i in order if not eligible[i].penalized]
    order = fresh + [i for i in order if eligible[i].penalized]
    chosen = order[0]
    note = LearnedNote(
        learned.artefact_hash,
        learned.rule,
        learned.value,
        eligible[chosen].name,
        prediction.success[chosen],
        len(eligible),
    )
    return LearnedChoice(
        ordered=tuple(eligible[i] for i in order),
        costs=dict(zip(prediction.models, prediction.cost, strict=True)),
        output_tokens=outputs,
        reason=_reason(learned, prediction, order),
        note=note,
    )


def preference_order(prediction: Prediction, rule: str, value: float) -> list[int]:
    """Indexes of `prediction` in the order `rule` prefers them; the first is its choice.

    Consistent with `choose_by_threshold` and `choose_by_tradeoff` (ties included): the first
    index is what they choose, and each next one is what they would choose without the
    earlier ones.
    """
    success, cost, names = prediction.success, prediction.cost, prediction.models
    indexes = range(len(cost))
    if rule == "threshold":
        passing = sorted(
            (i for i in indexes if success[i] >= value),
            key=lambda i: (cost[i], -success[i], names[i]),
        )
        failing = sorted(
            (i for i in indexes if success[i] < value),
            key=lambda i: (-success[i], cost[i], names[i]),
        )
        return passing + failing
    weight = value * CALLS_PER_COST_UNIT
    return sorted(indexes, key=lambda i: (weight * cost[i] - success[i], cost[i], names[i]))


def _output_tokens(learned: LearnedIndex, model: ModelEntry, features: RequestFeatures) -> int:
    """The artefact's expected completion tokens, capped by the request's and model's limits."""
    tokens = min(learned.output_tokens[model.name], model.max_output_tokens)
    wanted = features.max_output_tokens
    return wanted if wanted is not None and wanted < tokens else tokens


def _cost(model: ModelEntry, features: RequestFeatures, output_tokens: int) -> float:
    return estimate_cost(
        model.prices,
        features.context_tokens,
        output_tokens,
        features.image_count,
        features.audio_seconds,
    )


def _reason(learned: LearnedIndex, prediction: Prediction, order: list[int]) -> str:
    """One bounded sentence: the rule, the choice and the best alternative."""
    names, success, cost = prediction.models, prediction.success, prediction.cost
    chosen = order[0]
    if learned.rule == "threshold":
        rule = f"threshold {learned.value:g}"
        passes = success[chosen] >= learned.value
        why = "" if passes else f", the likeliest (none reaches {learned.value:g})"
    else:
        rule = f"tradeoff lambda={learned.value:g}"
        why = ""
    text = (
        f"learned router ({rule}) chose {names[chosen]} of {len(order)} known eligible "
        f"models{why}: P(success) {success[chosen]:.2f}, est. ${cost[chosen]:.6f}"
    )
    if len(order) > 1:
        other = order[1]
        text += (
            f"; best alternative {names[other]}: P(success) {success[other]:.2f}, "
            f"est. ${cost[other]:.6f}"
        )
    return text
