"""A route's strategy applied: the eligible models in selection order, with costs and why.

Cost-optimized, quality-first and latency-first routes rank by tier (`ranking`). A `learned`
route takes the learned router's candidates in its order of preference (`learned`), followed
by the cost ranking's models it does not know, which extend the derived fallback chain; when
the learned router knows none of the eligible models, the cost ranking alone decides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from tierroute_gateway.decision.defaults import MAX_DERIVED_CHAIN_STEPS
from tierroute_gateway.decision.eligibility import Limits
from tierroute_gateway.decision.features import RequestFeatures
from tierroute_gateway.decision.index import ModelEntry, RouteEntry, RoutingIndex
from tierroute_gateway.decision.learned import FALLBACK_NOTE, LearnedChoice, choose_learned
from tierroute_gateway.decision.ranking import rank, selection_reason
from tierroute_gateway.routing_table import Strategy, Tier


class Selection(NamedTuple):
    """The eligible models in selection order (the first is selected), costs and reason."""

    ordered: list[ModelEntry]
    costs: Mapping[str, float]
    """Estimated USD of this request on the models whose cost was estimated, by name."""
    reason: str
    learned: LearnedChoice | None


def select_models(
    index: RoutingIndex,
    entry: RouteEntry,
    limits: Limits,
    tiers: Sequence[Tier],
    features: RequestFeatures,
) -> Selection | None:
    """Apply the route's strategy to its candidates; None when no candidate is eligible."""
    strategy = entry.route.strategy
    learned = _learned(index, entry, limits, features)
    if learned is not None and len(learned.ordered) >= MAX_DERIVED_CHAIN_STEPS:
        return Selection(list(learned.ordered), learned.costs, learned.reason, learned)
    ranking = rank(entry.candidates_by_tier, limits, tiers, strategy, features)
    if learned is not None:
        ranked = ranking.ordered() if ranking is not None else []
        ordered = [*learned.ordered, *(m for m in ranked if m.name not in learned.costs)]
        return Selection(ordered, learned.costs, learned.reason, learned)
    if ranking is None:
        return None
    reason = selection_reason(strategy, tiers, ranking)
    if strategy is Strategy.LEARNED:
        reason = f"{FALLBACK_NOTE}; {reason}"
    return Selection(ranking.ordered(), ranking.costs, reason, None)


def _learned(
    index: RoutingIndex, entry: RouteEntry, limits: Limits, features: RequestFeatures
) -> LearnedChoice | None:
    """The learned router's choice on a `learned` route; None elsewhere or if it knows none."""
    if entry.route.strategy is not Strategy.LEARNED or index.learned is None:
        return None
    return choose_learned(index.learned, entry.route.name, limits, features)
