"""The bridge to the decision core: from a parsed request to a `Routed` request.

The decision core is pure; this module feeds it the table's index, the request's features and
hints, the budget ledger and the clock, and adds what the shell needs around a decision:
bounded metric labels, the intended tier and the chain to execute.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tierroute_gateway.decision.features import RequestFeatures, extract_features
from tierroute_gateway.decision.hints import Hints, RawHints, parse_hints
from tierroute_gateway.decision.select import Decision, decide
from tierroute_gateway.routing_table import ChainStep, Complexity, Tier
from tierroute_gateway.server.chat_request import ChatRequest
from tierroute_gateway.server.gateway import Gateway, TableState
from tierroute_gateway.server.metrics import bounded

_TIER_RANK = {Tier.PREMIUM: 0, Tier.STANDARD: 1, Tier.ECONOMY: 2}


@dataclass(frozen=True, slots=True)
class Routed:
    """A request with its decision and what accounting needs to label it."""

    request_id: str
    requested_model: str
    decision: Decision
    features: RequestFeatures
    hints: Hints
    chain: tuple[ChainStep, ...]
    category: str | None
    category_label: str
    feature_label: str
    from_tier: str

    @property
    def route(self) -> str:
        """The route (or concrete model) the client asked for."""
        return self.decision.route or self.requested_model

    @property
    def reason(self) -> str:
        """The decision's explanation."""
        return self.decision.reason


def route_request(
    gateway: Gateway,
    state: TableState,
    chat: ChatRequest,
    raw_hints: RawHints,
    *,
    request_id: str,
    now: float,
) -> Routed:
    """Decide where a request goes (raises the decision core's typed errors)."""
    features = extract_features(chat.body, max_scan_chars=state.index.max_scan_chars)
    hints = parse_hints(raw_hints)
    return _routed(gateway, state, chat.model, features, hints, request_id=request_id, now=now)


def escalate(
    gateway: Gateway, state: TableState, routed: Routed, answered_tier: Tier, now: float
) -> Routed | None:
    """The same request decided as high complexity, keeping only steps of a higher tier.

    The chain's higher-tier steps are kept even when the new decision's first model is not
    higher: a `learned` route's choice does not depend on complexity, but its chain ranks
    every eligible model, so the gate still finds the higher tiers there.
    """
    hints = dataclasses.replace(routed.hints, complexity=Complexity.HIGH)
    higher = _routed(
        gateway,
        state,
        routed.requested_model,
        routed.features,
        hints,
        request_id=routed.request_id,
        now=now,
    )
    chain = tuple(
        step
        for step in higher.chain
        if _TIER_RANK[state.models[step.model].tier] < _TIER_RANK[answered_tier]
    )
    return dataclasses.replace(higher, chain=chain) if chain else None


def _routed(
    gateway: Gateway,
    state: TableState,
    requested_model: str,
    features: RequestFeatures,
    hints: Hints,
    *,
    request_id: str,
    now: float,
) -> Routed:
    decision = decide(
        state.index,
        requested_model,
        features,
        request_id=request_id,
        now=datetime.fromtimestamp(now, UTC),
        hints=hints,
        ledger=gateway.ledger,
        unavailable=gateway.executor.unavailable(),
    )
    priority = state.index.tier_priority.get(decision.complexity)
    return Routed(
        request_id=request_id,
        requested_model=requested_model,
        decision=decision,
        features=features,
        hints=hints,
        chain=decision.chain,
        category=decision.category,
        category_label=bounded(decision.category, state.categories),
        feature_label=bounded(hints.feature, state.features),
        from_tier=priority[0].value if priority else decision.tier.value,
    )


def decision_reason_code(routed: Routed, model: str, escalated: str | None) -> str:
    """A bounded reason label for `llm_routing_decisions_total`."""
    decision = routed.decision
    if escalated is not None:
        return "quality_gate"
    if model != decision.model:
        return "fallback"
    if decision.default_model_used:
        return "default_model"
    if decision.downgraded:
        return "budget_downgrade"
    if decision.variant is not None:
        return "experiment"
    if decision.route is None:
        return "requested_model"
    if decision.learned is not None:
        return "learned"
    return "complexity"


def decision_document(routed: Routed, unavailable: frozenset[str]) -> dict[str, Any]:
    """What `/v1/route` answers: the decision, and the chain models whose breaker is open."""
    document = {"requestId": routed.request_id, **routed.decision.as_dict()}
    document["circuitOpen"] = sorted(
        step.model for step in routed.chain if step.model in unavailable
    )
    return document
