"""Eligibility: which models may serve a request, and why the others may not.

The static filters (allow/deny lists of the policy and the route, models disabled by
automation, the policy's preferred providers) are applied once per table load to each
route's candidates (`RouteEntry.candidates`). Per request `fits` applies the rest in one
pass: required capabilities, context window (estimated input plus the requested maximum
output, or the input alone when the request sets no maximum), the model's output limit,
latency (the stricter of policy and header), quality (the stricter of policy and header),
the provider header and the tiers a budget downgrade leaves. `refusal` says why one model
fails, and `explain_nothing_eligible` counts per filter what it removed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

from tierroute_gateway.decision.classify import ClassificationResult
from tierroute_gateway.decision.features import RequestFeatures
from tierroute_gateway.decision.hints import Hints
from tierroute_gateway.decision.index import ModelEntry, RoutingIndex, route_refusal
from tierroute_gateway.routing_table import Capability, Complexity, Route, Tier

DOWNGRADE_TIERS: tuple[Tier, ...] = (Tier.ECONOMY, Tier.STANDARD)
"""Tiers an exhausted `downgrade` category may use, cheapest first: never premium."""


class Limits(NamedTuple):
    """The per-request filters, with policy and hints already combined."""

    required: frozenset[Capability]
    needed_context: int
    max_output_tokens: int | None
    max_latency_ms: int | None
    min_quality: float | None
    provider: str | None
    allowed_tiers: frozenset[Tier] | None
    unavailable: frozenset[str]
    """Models this replica cannot call now (open circuit breakers)."""


def _stricter_max(first: int | None, second: int | None) -> int | None:
    if first is None:
        return second
    return first if second is None else min(first, second)


def _stricter_min(first: float | None, second: float | None) -> float | None:
    if first is None:
        return second
    return first if second is None else max(first, second)


def build_limits(
    index: RoutingIndex,
    features: RequestFeatures,
    classification: ClassificationResult,
    hints: Hints,
    *,
    downgraded: bool,
    unavailable: frozenset[str] = frozenset(),
) -> Limits:
    """Combine the policy's constraints, the request's hints and its size into filters."""
    return Limits(
        required=classification.capabilities,
        needed_context=features.context_tokens + (features.max_output_tokens or 0),
        max_output_tokens=features.max_output_tokens,
        max_latency_ms=_stricter_max(index.max_latency_ms, hints.max_latency_ms),
        min_quality=_stricter_min(index.min_quality, hints.min_quality),
        provider=hints.provider,
        allowed_tiers=frozenset(DOWNGRADE_TIERS) if downgraded else None,
        unavailable=unavailable,
    )


def fits(model: ModelEntry, limits: Limits) -> bool:
    """Whether `model` passes the per-request filters (the hot path; `refusal` explains)."""
    return (
        limits.required <= model.capabilities
        and model.context_window >= limits.needed_context
        and (
            limits.max_output_tokens is None or model.max_output_tokens >= limits.max_output_tokens
        )
        and (limits.max_latency_ms is None or model.latency_ms <= limits.max_latency_ms)
        and (limits.min_quality is None or model.quality >= limits.min_quality)
        and (limits.provider is None or model.provider == limits.provider)
        and (limits.allowed_tiers is None or model.tier in limits.allowed_tiers)
        and model.name not in limits.unavailable
    )


def _capabilities(model: ModelEntry, limits: Limits) -> str | None:
    missing = sorted(limits.required - model.capabilities)
    return f"lacks {', '.join(missing)}" if missing else None


def _context(model: ModelEntry, limits: Limits) -> str | None:
    if model.context_window >= limits.needed_context:
        return None
    return f"context window {model.context_window:,} < {limits.needed_context:,} tokens needed"


def _output(model: ModelEntry, limits: Limits) -> str | None:
    wanted = limits.max_output_tokens
    if wanted is None or model.max_output_tokens >= wanted:
        return None
    return f"max output {model.max_output_tokens:,} < {wanted:,} tokens requested"


def _latency(model: ModelEntry, limits: Limits) -> str | None:
    ceiling = limits.max_latency_ms
    if ceiling is None or model.latency_ms <= ceiling:
        return None
    return f"latency {model.latency_ms} ms > {ceiling} ms"


def _quality(model: ModelEntry, limits: Limits) -> str | None:
    floor = limits.min_quality
    if floor is None or model.quality >= floor:
        return None
    return f"quality {model.spec.quality} < {floor:g}"


def _provider(model: ModelEntry, limits: Limits) -> str | None:
    if limits.provider is None or model.provider == limits.provider:
        return None
    return f"provider {model.provider} is not {limits.provider} (x-tierroute-provider)"


def _tier(model: ModelEntry, limits: Limits) -> str | None:
    if limits.allowed_tiers is None or model.tier in limits.allowed_tiers:
        return None
    return f"{model.tier.value} tier is closed by the budget downgrade"


def _breaker(model: ModelEntry, limits: Limits) -> str | None:
    return "circuit breaker open in this replica" if model.name in limits.unavailable else None


_REQUEST_FILTERS: tuple[tuple[str, Callable[[ModelEntry, Limits], str | None]], ...] = (
    ("capabilities", _capabilities),
    ("context window", _context),
    ("output limit", _output),
    ("max latency", _latency),
    ("min quality", _quality),
    ("provider header", _provider),
    ("budget downgrade", _tier),
    ("circuit breaker", _breaker),
)


def _static_refusal(index: RoutingIndex, route: Route | None, model: ModelEntry) -> str | None:
    refused = route_refusal(route, model) if route is not None else model.policy_refusal
    if refused is not None:
        return refused
    if model.disabled_reason is not None:
        return f"disabled by automation ({model.disabled_reason})"
    preferred = index.preferred_providers
    if route is not None and preferred and model.provider not in preferred:
        return f"provider {model.provider} is not among the policy's preferredProviders"
    return None


def refusal(
    index: RoutingIndex, route: Route | None, model: ModelEntry, limits: Limits
) -> str | None:
    """Why `model` may not serve this request on `route` (None: it may)."""
    refused = _static_refusal(index, route, model)
    if refused is not None:
        return refused
    for _, check in _REQUEST_FILTERS:
        refused = check(model, limits)
        if refused is not None:
            return refused
    return None


def explain_nothing_eligible(
    index: RoutingIndex,
    route: Route | None,
    limits: Limits,
    complexity: Complexity,
    tiers: Sequence[Tier],
) -> str:
    """Per filter, how many models it removed and an example; for the 503 answer."""
    remaining = list(index.models.values())
    total = len(remaining)
    parts: list[str] = []
    if limits.required and not any(limits.required <= m.capabilities for m in remaining):
        parts.append(f"no model has capabilities [{', '.join(sorted(limits.required))}]")

    def static(model: ModelEntry, _: Limits) -> str | None:
        return _static_refusal(index, route, model)

    def tier_order(model: ModelEntry, _: Limits) -> str | None:
        if model.tier in tiers:
            return None
        return f"{model.tier.value} is not in the tier order for {complexity.value} complexity"

    checks = (("policy, route and automation", static), *_REQUEST_FILTERS)
    for label, check in (*checks, ("tier order", tier_order)):
        removed = [(model, check(model, limits)) for model in remaining]
        removed = [(model, why) for model, why in removed if why is not None]
        if removed:
            model, why = removed[0]
            parts.append(f"{label} removed {len(removed)} (e.g. {model.name}: {why})")
            gone = {model.name for model, _ in removed}
            remaining = [model for model in remaining if model.name not in gone]
    where = f"route {route.name!r}" if route is not None else "this request"
    return f"no model is eligible for {where} among {total}: " + "; ".join(parts)
