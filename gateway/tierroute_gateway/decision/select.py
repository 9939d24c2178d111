"""Selection: from a classified request to a `Decision` (model, chain, cost, reason).

A route request: eligibility filters (see `eligibility`), then tiers in the order
`tierPriority[complexity]`, and within the first tier that has an eligible model, the
route's strategy: cost-optimized (lowest estimated cost for this request), quality-first
(highest quality, then cost) or latency-first (lowest latency, then cost); ties go to the
name. A model penalized by automation goes to the end of its tier. A `learned` route lets
the table's learned router choose among the eligible models it knows, in every tier the
budget allows (see `learned`). An experiment that applies replaces the selected model with
its variant's model when that model is eligible.

Budget: a category in `reject` that is exhausted answers 429; `downgrade` (exhausted, or
downgraded by automation) restricts selection to the economy tier, then standard, never
premium, and answers 429 when no such model can serve the request while a premium one
could; `allow` lets the request pass. A concrete model request (`model` is a catalog model)
goes to that model, subject to the policy's allow/deny lists, automation's disabling and the
budget (downgrade answers 429 for a premium model, suggesting a route).

When nothing is eligible: the policy's `fallback.defaultModel` if it names one, otherwise
`NothingEligible` with a per-filter explanation.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from tierroute_gateway.decision.budget import BudgetLedger, BudgetStatus
from tierroute_gateway.decision.chain import build_chain
from tierroute_gateway.decision.classify import ClassificationResult, classify
from tierroute_gateway.decision.eligibility import (
    DOWNGRADE_TIERS,
    Limits,
    build_limits,
    explain_nothing_eligible,
    refusal,
)
from tierroute_gateway.decision.errors import (
    BudgetExhausted,
    InvalidHint,
    NothingEligible,
    UnknownRoute,
)
from tierroute_gateway.decision.experiments import Assignment, experiment_assignment
from tierroute_gateway.decision.features import RequestFeatures
from tierroute_gateway.decision.hints import NO_HINTS, PROVIDER_HEADER, Hints
from tierroute_gateway.decision.index import ModelEntry, RouteEntry, RoutingIndex
from tierroute_gateway.decision.learned import LearnedNote
from tierroute_gateway.decision.ranking import expected_output, model_cost, rank
from tierroute_gateway.decision.standing import Standing, budget_standing
from tierroute_gateway.decision.strategy import select_models
from tierroute_gateway.routing_table import (
    Capability,
    ChainStep,
    Complexity,
    Route,
    Tier,
)


class Decision(NamedTuple):
    """Where a request goes, why, what it should cost and what to try when it fails."""

    model: str
    provider: str
    tier: Tier
    route: str | None
    category: str | None
    complexity: Complexity
    capabilities: tuple[Capability, ...]
    reason: str
    estimated_cost_usd: float
    estimated_input_tokens: int
    expected_output_tokens: int
    chain: tuple[ChainStep, ...]
    notes: tuple[str, ...] = ()
    experiment: str | None = None
    variant: str | None = None
    budget_status: BudgetStatus | None = None
    downgraded: bool = False
    default_model_used: bool = False
    learned: LearnedNote | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values, for `/v1/route` and `tierroute explain`."""
        return {
            "model": self.model,
            "provider": self.provider,
            "tier": self.tier.value,
            "route": self.route,
            "category": self.category,
            "complexity": self.complexity.value,
            "capabilities": [c.value for c in self.capabilities],
            "reason": self.reason,
            "estimatedCostUsd": self.estimated_cost_usd,
            "estimatedInputTokens": self.estimated_input_tokens,
            "expectedOutputTokens": self.expected_output_tokens,
            "chain": [step.model_dump(mode="json", by_alias=True) for step in self.chain],
            "notes": list(self.notes),
            "experiment": self.experiment,
            "variant": self.variant,
            "budgetStatus": self.budget_status.value if self.budget_status else None,
            "downgraded": self.downgraded,
            "defaultModelUsed": self.default_model_used,
            "learnedRouter": self.learned.as_dict() if self.learned else None,
        }


def decide(
    index: RoutingIndex,
    requested_model: str,
    features: RequestFeatures,
    *,
    request_id: str,
    now: datetime,
    hints: Hints = NO_HINTS,
    ledger: BudgetLedger | None = None,
    unavailable: frozenset[str] = frozenset(),
) -> Decision:
    """Decide where a request goes. Same arguments (and ledger state) → same decision.

    `unavailable` names models this replica cannot call now (open circuit breakers): they are
    left out of selection and of the derived chain, like models disabled by automation.

    `requested_model` is the body's `model`: a route or a catalog model. `now` (aware) is
    used only for the budget period; without a `ledger` the table's snapshot alone counts.
    """
    if hints.provider is not None and hints.provider not in index.providers:
        known = ", ".join(sorted(index.providers))
        raise InvalidHint(
            f"{PROVIDER_HEADER}: {hints.provider!r} is not a provider of this policy "
            f"(providers: {known})",
            param=PROVIDER_HEADER,
        )
    entry = index.routes.get(requested_model)
    if entry is not None:
        return _decide_for_route(
            index,
            entry,
            features,
            hints=hints,
            request_id=request_id,
            ledger=ledger,
            now=now,
            unavailable=unavailable,
        )
    model = index.models.get(requested_model)
    if model is None:
        routes = ", ".join(sorted(index.routes)) or "none"
        raise UnknownRoute(
            f"model {requested_model!r} is neither a route nor a catalog model "
            f"(routes: {routes}; GET /v1/models lists every name)",
            param="model",
        )
    return _decide_for_model(
        index, model, features, hints=hints, ledger=ledger, now=now, unavailable=unavailable
    )


def _decide_for_route(
    index: RoutingIndex,
    entry: RouteEntry,
    features: RequestFeatures,
    *,
    hints: Hints,
    request_id: str,
    ledger: BudgetLedger | None,
    now: datetime,
    unavailable: frozenset[str],
) -> Decision:
    route = entry.route
    classification = classify(index, features, hints.complexity)
    standing = budget_standing(index, hints, route.category, ledger=ledger, now=now)
    limits = build_limits(
        index,
        features,
        classification,
        hints,
        downgraded=standing.downgraded,
        unavailable=unavailable,
    )
    tiers = _tiers(index, classification.complexity, standing.downgraded)
    selection = select_models(index, entry, limits, tiers, features)
    if selection is None:
        return _nothing_eligible(
            index,
            entry,
            features,
            classification=classification,
            limits=limits,
            standing=standing,
        )
    parts = [f"route {route.name}", classification.reason]
    parts += [standing.note] if standing.note else []
    if unavailable:
        broken = sorted(m.name for m in entry.candidates if m.name in unavailable)
        parts += [f"circuit breaker open: {', '.join(broken)}"] if broken else []
    parts.append(selection.reason)
    primary = selection.ordered[0]
    user = hints.user or features.user
    assignment = experiment_assignment(
        index, entry, limits, standing.category, user=user, request_id=request_id
    )
    if assignment is not None:
        parts.append(assignment.note)
        primary = assignment.model or primary
    learned = selection.learned
    return _decision(
        index,
        primary,
        features,
        route=route,
        classification=classification,
        standing=standing,
        limits=limits,
        derived=selection.ordered,
        reason="; ".join(parts),
        assignment=assignment if assignment is not None and assignment.model else None,
        cost=selection.costs.get(primary.name),
        output_tokens=learned.output_tokens.get(primary.name) if learned else None,
        learned=learned.note if learned else None,
    )


def _decide_for_model(
    index: RoutingIndex,
    model: ModelEntry,
    features: RequestFeatures,
    *,
    hints: Hints,
    ledger: BudgetLedger | None,
    now: datetime,
    unavailable: frozenset[str],
) -> Decision:
    classification = classify(index, features, hints.complexity)
    default_route = index.routes[index.default_route].route if index.default_route else None
    default_category = default_route.category if default_route else None
    standing = budget_standing(index, hints, default_category, ledger=ledger, now=now)
    suggestion = (
        f"; send model {default_route.name!r} to let the gateway choose" if default_route else ""
    )
    refused = model.policy_refusal or (
        f"disabled by automation ({model.disabled_reason})" if model.disabled_reason else None
    )
    if refused is not None:
        raise NothingEligible(f"model {model.name!r} may not be used: {refused}{suggestion}")
    if standing.downgraded and model.tier not in DOWNGRADE_TIERS:
        raise BudgetExhausted(
            f"budget category {standing.category!r} is downgraded to economy and standard "
            f"models and model {model.name!r} is {model.tier.value}{suggestion}"
        )
    limits = build_limits(
        index,
        features,
        classification,
        hints,
        downgraded=standing.downgraded,
        unavailable=unavailable,
    )
    parts = [f"model {model.name} requested by name", classification.reason]
    parts += [standing.note] if standing.note else []
    return _decision(
        index,
        model,
        features,
        route=None,
        classification=classification,
        standing=standing,
        limits=limits,
        derived=(),
        reason="; ".join(parts),
    )


def _decision(
    index: RoutingIndex,
    primary: ModelEntry,
    features: RequestFeatures,
    *,
    route: Route | None,
    classification: ClassificationResult,
    standing: Standing,
    limits: Limits,
    derived: Sequence[ModelEntry],
    reason: str,
    assignment: Assignment | None = None,
    default_model_used: bool = False,
    cost: float | None = None,
    output_tokens: int | None = None,
    learned: LearnedNote | None = None,
) -> Decision:
    chain, notes = build_chain(
        index, route, primary, derived, lambda model: refusal(index, route, model, limits)
    )
    if output_tokens is None:
        output_tokens = expected_output(primary, features)
    return Decision(
        model=primary.name,
        provider=primary.provider,
        tier=primary.tier,
        route=route.name if route is not None else None,
        category=standing.category,
        complexity=classification.complexity,
        capabilities=classification.sorted_capabilities,
        reason=reason,
        estimated_cost_usd=cost if cost is not None else model_cost(primary, features),
        estimated_input_tokens=features.context_tokens,
        expected_output_tokens=output_tokens,
        chain=chain,
        notes=notes,
        experiment=assignment.experiment if assignment else None,
        variant=assignment.variant if assignment else None,
        budget_status=standing.state.status if standing.state else None,
        downgraded=standing.downgraded,
        default_model_used=default_model_used,
        learned=learned,
    )


def _nothing_eligible(
    index: RoutingIndex,
    entry: RouteEntry,
    features: RequestFeatures,
    *,
    classification: ClassificationResult,
    limits: Limits,
    standing: Standing,
) -> Decision:
    route, complexity = entry.route, classification.complexity
    if standing.downgraded:
        open_limits = limits._replace(allowed_tiers=None)
        open_tiers = index.tier_priority[complexity]
        candidates = entry.candidates_by_tier
        if rank(candidates, open_limits, open_tiers, route.strategy, features) is not None:
            raise BudgetExhausted(
                f"budget category {standing.category!r} is downgraded to economy and "
                f"standard models, and none of them can serve this request "
                f"({classification.reason}); only premium models could"
            )
    tiers = _tiers(index, complexity, standing.downgraded)
    explanation = explain_nothing_eligible(index, route, limits, complexity, tiers)
    default = index.default_model
    if default is None:
        raise NothingEligible(f"{explanation} ({classification.reason})")
    if standing.downgraded and default.tier not in DOWNGRADE_TIERS:
        raise BudgetExhausted(
            f"{explanation}; the default model {default.name!r} is {default.tier.value} and "
            f"budget category {standing.category!r} is downgraded to economy and standard"
        )
    reason = (
        f"route {route.name}; {classification.reason}; {explanation}; "
        f"using the policy's default model {default.name} (fallback.defaultModel)"
    )
    return _decision(
        index,
        default,
        features,
        route=route,
        classification=classification,
        standing=standing,
        limits=limits,
        derived=(),
        reason=reason,
        default_model_used=True,
    )


def _tiers(index: RoutingIndex, complexity: Complexity, downgraded: bool) -> Sequence[Tier]:
    return DOWNGRADE_TIERS if downgraded else index.tier_priority[complexity]
