"""Routing tables for the decision core's tests: the seed's 8-model catalog, built directly.

Prices, context windows, capabilities, latencies and quality scores are the seed's
(multi-model-cost-strategy.md); output limits and providers' URLs are realistic stand-ins.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from tierroute_gateway.decision import defaults
from tierroute_gateway.decision.features import (
    RequestFeatures,
    extract_features,
    with_context_tokens,
)
from tierroute_gateway.decision.index import RoutingIndex, build_index
from tierroute_gateway.routing_table import (
    Adjustment,
    BudgetCategory,
    BudgetSnapshot,
    Capability,
    ChainStep,
    Classification,
    Constraints,
    CredentialRef,
    Fallback,
    Model,
    Pricing,
    Provider,
    QualityGate,
    Route,
    RoutingTable,
    Source,
    Strategy,
    Tier,
    WireApi,
)

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
"""A moment inside the test budget's period."""

_C = Capability
# name: provider, tier, input $/1M, output $/1M, context window, max output, capabilities,
# latency ms, quality
SEED_MODELS: Mapping[str, tuple[Any, ...]] = {
    "gpt-4o": (
        "openai", Tier.PREMIUM, "2.50", "10.00", 128_000, 16_384,
        (_C.REASONING, _C.CODING, _C.VISION, _C.LONG_CONTEXT), 800, "0.92",
    ),
    "claude-3-5-sonnet": (
        "anthropic", Tier.PREMIUM, "3.00", "15.00", 200_000, 8_192,
        (_C.REASONING, _C.CODING, _C.LONG_CONTEXT), 1000, "0.94",
    ),
    "o1": (
        "openai", Tier.PREMIUM, "15.00", "60.00", 200_000, 100_000,
        (_C.REASONING, _C.CODING), 15000, "0.98",
    ),
    "gpt-4o-mini": (
        "openai", Tier.STANDARD, "0.15", "0.60", 128_000, 16_384,
        (_C.REASONING, _C.CODING, _C.VISION), 400, "0.82",
    ),
    "claude-3-5-haiku": (
        "anthropic", Tier.STANDARD, "0.80", "4.00", 200_000, 8_192,
        (_C.REASONING, _C.CODING), 300, "0.80",
    ),
    "gemini-2-flash": (
        "google", Tier.STANDARD, "0.10", "0.40", 1_000_000, 8_192,
        (_C.REASONING, _C.LONG_CONTEXT, _C.VISION), 250, "0.78",
    ),
    "llama-3-70b": (
        "self-hosted", Tier.ECONOMY, "0.05", "0.05", 8_192, 4_096,
        (_C.REASONING, _C.CODING), 200, "0.75",
    ),
    "mistral-large": (
        "mistral", Tier.ECONOMY, "2.00", "6.00", 128_000, 8_192,
        (_C.REASONING, _C.CODING, _C.MULTILINGUAL), 500, "0.76",
    ),
}  # fmt: skip

_PROVIDERS = {
    "openai": (WireApi.OPENAI, "https://api.openai.com/v1"),
    "anthropic": (WireApi.ANTHROPIC, "https://api.anthropic.com/v1"),
    "google": (WireApi.OPENAI, "https://generativelanguage.googleapis.com/v1beta/openai"),
    "self-hosted": (WireApi.OPENAI, "http://llama.inference.svc:8000/v1"),
    "mistral": (WireApi.OPENAI, "https://api.mistral.ai/v1"),
}


def seed_model(name: str, /, **changes: Any) -> Model:
    """One model of the seed's catalog, with `changes` applied (a new `name` too)."""
    provider, tier, price_in, price_out, window, max_out, caps, latency, quality = SEED_MODELS[name]
    fields: dict[str, Any] = {
        "name": name,
        "provider": provider,
        "provider_model": name,
        "tier": tier,
        "pricing": Pricing(input_per_million=price_in, output_per_million=price_out),
        "context_window": window,
        "max_output_tokens": max_out,
        "capabilities": caps,
        "latency_ms": latency,
        "quality": quality,
        "tokens_per_image": 765,
    }
    fields.update(changes)
    return Model(**fields)


def seed_providers() -> tuple[Provider, ...]:
    """The five providers the seed's models use."""
    return tuple(
        Provider(
            name=name,
            api=api,
            base_url=url,
            credential=CredentialRef(key=name, env=f"{name.upper().replace('-', '_')}_API_KEY"),
            timeout_ms=60_000,
            connect_timeout_ms=2_000,
        )
        for name, (api, url) in _PROVIDERS.items()
    )


def default_classification(**changes: Any) -> Classification:
    """The built-in classification rules, with `changes` applied."""
    fields: dict[str, Any] = {
        "complex_patterns": defaults.COMPLEX_PATTERNS,
        "simple_patterns": defaults.SIMPLE_PATTERNS,
        "capability_patterns": dict(defaults.CAPABILITY_PATTERNS),
        "high_complexity_context_tokens": defaults.HIGH_COMPLEXITY_CONTEXT_TOKENS,
        "long_context_tokens": defaults.LONG_CONTEXT_TOKENS,
        "max_scan_chars": defaults.MAX_SCAN_CHARS,
    }
    fields.update(changes)
    return Classification(**fields)


DEFAULT_STEP = ChainStep(
    model="",
    max_retries=defaults.DEFAULT_MAX_RETRIES,
    timeout_ms=defaults.DEFAULT_STEP_TIMEOUT_MS,
    retry_on=defaults.DEFAULT_RETRY_ON,
)


def seed_budget(
    spent: Mapping[str, str] | None = None,
    when_exhausted: Mapping[str, str] | None = None,
) -> BudgetSnapshot:
    """The seed's budget: 10,000 USD a month, critical 40 %, standard 35 %, batch 25 %."""
    spent = spent or {}
    when_exhausted = when_exhausted or {}
    allocation = {"critical": "4000.00", "standard": "3500.00", "batch": "2500.00"}
    return BudgetSnapshot(
        name="monthly",
        currency="USD",
        period_start="2026-11-01T00:00:00Z",
        period_end="2026-12-01T00:00:00Z",
        categories=tuple(
            BudgetCategory(
                name=name,
                allocated=allocated,
                spent=spent.get(name, "0"),
                when_exhausted=when_exhausted.get(name, "downgrade"),
            )
            for name, allocated in allocation.items()
        ),
    )


def seed_table(
    *,
    models: Sequence[Model] | None = None,
    routes: Sequence[Route] | None = None,
    **changes: Any,
) -> RoutingTable:
    """The seed's catalog with one cost-optimized route `auto` (category standard)."""
    fields: dict[str, Any] = {
        "schema_version": 1,
        "source": Source(namespace="default", policy="default", catalog="seed"),
        "providers": seed_providers(),
        "models": tuple(models) if models is not None else tuple(map(seed_model, SEED_MODELS)),
        "routes": tuple(routes)
        if routes is not None
        else (Route(name="auto", category="standard", strategy=Strategy.COST_OPTIMIZED),),
        "classification": default_classification(),
        "tier_priority": dict(defaults.TIER_PRIORITY),
        "constraints": Constraints(),
        "fallback": Fallback(defaults=DEFAULT_STEP),
        "quality_gate": QualityGate(enabled=False, escalate_on=()),
    }
    fields.update(changes)
    return RoutingTable(**fields)


def seed_index(**changes: Any) -> RoutingIndex:
    """`build_index(seed_table(**changes))`."""
    return build_index(seed_table(**changes))


def adjustment(kind: str, target: str, value: str | None = None) -> Adjustment:
    """An automatic adjustment in force since the start of the test month."""
    return Adjustment(
        kind=kind,
        target=target,
        reason=f"test {kind}",
        since="2026-11-01T00:00:00Z",
        value=value,
    )


def chat_body(prompt: str, **fields: Any) -> dict[str, Any]:
    """A chat-completions body with one user message."""
    return {"model": "auto", "messages": [{"role": "user", "content": prompt}], **fields}


def features_for(
    index: RoutingIndex,
    prompt: str,
    context_tokens: int | None = None,
    **fields: Any,
) -> RequestFeatures:
    """Features of a one-message body; `context_tokens` states the context size, as the seed."""
    features = extract_features(chat_body(prompt, **fields), max_scan_chars=index.max_scan_chars)
    return features if context_tokens is None else with_context_tokens(features, context_tokens)
