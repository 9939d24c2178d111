"""Ranking: eligible models grouped by tier in priority order, each tier in strategy order.

cost-optimized: lowest estimated cost for this request (input tokens at the input price plus
expected output tokens at the output price, plus image and audio charges; expected output is
the request's maximum, else `DEFAULT_EXPECTED_OUTPUT_TOKENS`, capped by the model's output
limit); quality-first: highest quality, then cost; latency-first: lowest declared latency,
then cost. Ties go to the name. A model penalized by automation sorts after the others of
its tier. A `learned` route ranks like a cost-optimized one: that ranking extends its learned
candidates' fallback chain, and replaces them when the learned router knows no eligible model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from tierroute_gateway.decision import defaults
from tierroute_gateway.decision.cost import estimate_cost
from tierroute_gateway.decision.eligibility import Limits, fits
from tierroute_gateway.decision.features import RequestFeatures
from tierroute_gateway.decision.index import ModelEntry
from tierroute_gateway.routing_table import Strategy, Tier

_QUALITY_FIRST = Strategy.QUALITY_FIRST
_LATENCY_FIRST = Strategy.LATENCY_FIRST


def expected_output(model: ModelEntry, features: RequestFeatures) -> int:
    """Output tokens assumed for `model`: the requested maximum or the default, capped."""
    wanted = features.max_output_tokens or defaults.DEFAULT_EXPECTED_OUTPUT_TOKENS
    return min(wanted, model.max_output_tokens)


def model_cost(model: ModelEntry, features: RequestFeatures) -> float:
    """Estimated USD of this request on `model`."""
    return estimate_cost(
        model.prices,
        features.context_tokens,
        expected_output(model, features),
        features.image_count,
        features.audio_seconds,
    )


class Ranking(NamedTuple):
    """Eligible models grouped by tier in tier order, each group in strategy order."""

    tiers: list[list[ModelEntry]]
    costs: dict[str, float]
    """Estimated USD of the request on each eligible model, by name."""

    def ordered(self) -> list[ModelEntry]:
        """Every eligible model in selection order."""
        return [model for group in self.tiers for model in group]


def _eligible_in_order(
    models: Sequence[ModelEntry],
    limits: Limits,
    strategy: Strategy,
    features: RequestFeatures,
    costs: dict[str, float],
) -> list[ModelEntry]:
    """The models of one tier that pass `limits`, in strategy order; record their costs.

    Penalized models sort last, ties go to the name. This is the hot path of ranking, so the
    cost is `model_cost` inlined (a property test holds the two equal).
    """
    tokens = features.context_tokens
    wanted = features.max_output_tokens or defaults.DEFAULT_EXPECTED_OUTPUT_TOKENS
    images, audio = features.image_count, features.audio_seconds
    keyed: list[tuple[Any, ...]] = []
    for model in models:
        if not fits(model, limits):
            continue
        prices = model.prices
        output = wanted if wanted < model.max_output_tokens else model.max_output_tokens
        cost = (
            tokens * prices.input_per_token
            + output * prices.output_per_token
            + images * prices.per_image
            + audio * prices.per_audio_second
        )
        costs[model.name] = cost
        if strategy is _QUALITY_FIRST:
            keyed.append((model.penalized, -model.quality, cost, model.name, model))
        elif strategy is _LATENCY_FIRST:
            keyed.append((model.penalized, model.latency_ms, cost, model.name, model))
        else:
            keyed.append((model.penalized, cost, model.name, model))
    keyed.sort()  # names are unique, so entries themselves are never compared
    return [key[-1] for key in keyed]


def rank(
    candidates: Mapping[Tier, Sequence[ModelEntry]],
    limits: Limits,
    tiers: Sequence[Tier],
    strategy: Strategy,
    features: RequestFeatures,
    *,
    enough: int = defaults.MAX_DERIVED_CHAIN_STEPS,
) -> Ranking | None:
    """Rank the candidates (by tier) that pass `limits` in `tiers`; None when none does.

    Tiers after the first eligible one are ranked only until `enough` models are ranked,
    as many as a derived chain can use: the rest would never be tried.
    """
    groups = []
    costs: dict[str, float] = {}
    ranked = 0
    for tier in tiers:
        group = _eligible_in_order(candidates.get(tier, ()), limits, strategy, features, costs)
        if group:
            groups.append(group)
            ranked += len(group)
            if ranked >= enough:
                break
    return Ranking(groups, costs) if groups else None


_STRATEGY_WORDS = {
    Strategy.COST_OPTIMIZED: "cheapest",
    Strategy.QUALITY_FIRST: "highest-quality",
    Strategy.LATENCY_FIRST: "fastest",
    Strategy.LEARNED: "cheapest",
}


def selection_reason(strategy: Strategy, tiers: Sequence[Tier], ranking: Ranking) -> str:
    """Why the first model of `ranking` was chosen, for the decision's reason."""
    chosen = ranking.tiers[0]
    primary = chosen[0]
    empty = tiers[: tiers.index(primary.tier)]
    skipped = f"no eligible {'/'.join(empty)} model; " if empty else ""
    return (
        f"tier order {' > '.join(tiers)}; {skipped}{primary.name} is the "
        f"{_STRATEGY_WORDS[strategy]} of {len(chosen)} eligible {primary.tier} models "
        f"(est. ${ranking.costs[primary.name]:.6f})"
    )
