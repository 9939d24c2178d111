"""Selection invariants over random catalogs and requests (hypothesis)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.gateway.tables import NOW, chat_body, seed_model, seed_table
from tierroute_gateway.decision import defaults
from tierroute_gateway.decision.classify import classify
from tierroute_gateway.decision.cost import estimate_cost
from tierroute_gateway.decision.eligibility import build_limits, fits, refusal
from tierroute_gateway.decision.errors import NothingEligible
from tierroute_gateway.decision.features import extract_features, with_context_tokens
from tierroute_gateway.decision.hints import Hints
from tierroute_gateway.decision.index import ModelEntry, RoutingIndex, build_index
from tierroute_gateway.decision.select import decide
from tierroute_gateway.routing_table import Capability, Pricing, Tier

WORDS = ["analyze", "list", "code", "why", "image", "extract", "design", "hello", "the", "data"]
PRICES = st.sampled_from(["0", "0.05", "0.10", "0.15", "0.80", "2.00", "2.50", "3.00", "15.00"])


@st.composite
def models(draw: st.DrawFn, name: str) -> Any:
    return seed_model(
        "gpt-4o",
        name=name,
        tier=draw(st.sampled_from(list(Tier))),
        pricing=Pricing(input_per_million=draw(PRICES), output_per_million=draw(PRICES)),
        context_window=draw(st.sampled_from([4_096, 8_192, 32_000, 128_000, 1_000_000])),
        max_output_tokens=draw(st.sampled_from([1_024, 4_096, 16_384])),
        capabilities=tuple(draw(st.sets(st.sampled_from(list(Capability))))),
        latency_ms=draw(st.integers(50, 5_000)),
        quality=draw(st.sampled_from(["0.50", "0.75", "0.80", "0.92", "0.98"])),
    )


@st.composite
def indexes(draw: st.DrawFn) -> RoutingIndex:
    count = draw(st.integers(1, 8))
    catalog = [draw(models(f"m{n}")) for n in range(count)]
    providers = ["openai", "anthropic", "google"]
    catalog = [m.model_copy(update={"provider": providers[n % 3]}) for n, m in enumerate(catalog)]
    return build_index(seed_table(models=catalog))


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, int, int | None, Hints]:
    prompt = " ".join(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=8)))
    context = draw(st.integers(10, 200_000))
    max_tokens = draw(st.none() | st.integers(1, 20_000))
    hints = Hints(
        max_latency_ms=draw(st.none() | st.integers(100, 6_000)),
        min_quality=draw(st.none() | st.sampled_from([0.5, 0.8, 0.9])),
    )
    return prompt, context, max_tokens, hints


def _features(index: RoutingIndex, prompt: str, context: int, max_tokens: int | None) -> Any:
    fields = {} if max_tokens is None else {"max_tokens": max_tokens}
    body = chat_body(prompt, **fields)
    return with_context_tokens(extract_features(body, max_scan_chars=index.max_scan_chars), context)


def _cost(model: ModelEntry, context: int, max_tokens: int | None) -> float:
    wanted = max_tokens or defaults.DEFAULT_EXPECTED_OUTPUT_TOKENS
    return estimate_cost(model.prices, context, min(wanted, model.max_output_tokens))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(indexes(), requests())
def test_selected_model_meets_every_constraint_and_is_cheapest_in_its_tier(
    index: RoutingIndex, request: tuple[str, int, int | None, Hints]
) -> None:
    prompt, context, max_tokens, hints = request
    features = _features(index, prompt, context, max_tokens)
    classification = classify(index, features)
    limits = build_limits(index, features, classification, hints, downgraded=False)
    try:
        decision = decide(index, "auto", features, request_id="r", now=NOW, hints=hints)
    except NothingEligible:
        tiers = index.tier_priority[classification.complexity]
        assert not [m for m in index.models.values() if m.tier in tiers and fits(m, limits)]
        return
    chosen = index.models[decision.model]
    assert classification.capabilities <= chosen.capabilities
    assert chosen.context_window >= context + (max_tokens or 0)
    if hints.max_latency_ms is not None:
        assert chosen.latency_ms <= hints.max_latency_ms
    if hints.min_quality is not None:
        assert chosen.quality >= hints.min_quality
    same_tier = [m for m in index.models.values() if m.tier is chosen.tier and fits(m, limits)]
    cheapest = min(_cost(m, context, max_tokens) for m in same_tier)
    assert decision.estimated_cost_usd == pytest.approx(cheapest)
    assert _cost(chosen, context, max_tokens) == pytest.approx(cheapest)
    assert decision.chain[0].model == decision.model
    assert len({s.model for s in decision.chain}) == len(decision.chain)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(indexes(), requests(), st.randoms(use_true_random=False))
def test_the_decision_is_deterministic_and_ignores_catalog_order(
    index: RoutingIndex, request: tuple[str, int, int | None, Hints], shuffler: Any
) -> None:
    prompt, context, max_tokens, hints = request
    features = _features(index, prompt, context, max_tokens)
    shuffled_models = list(index.table.models)
    shuffler.shuffle(shuffled_models)
    reordered = build_index(seed_table(models=shuffled_models))

    def run(on: RoutingIndex) -> Any:
        try:
            return decide(on, "auto", features, request_id="r", now=NOW, hints=hints)
        except NothingEligible as error:
            return error.message

    first = run(index)
    assert run(index) == first
    assert run(reordered) == first


@settings(max_examples=200, deadline=None)
@given(indexes(), requests())
def test_fits_agrees_with_the_explained_refusal(
    index: RoutingIndex, request: tuple[str, int, int | None, Hints]
) -> None:
    prompt, context, max_tokens, hints = request
    features = _features(index, prompt, context, max_tokens)
    limits = build_limits(index, features, classify(index, features), hints, downgraded=False)
    route = index.routes["auto"].route
    for model in index.models.values():
        assert fits(model, limits) == (refusal(index, route, model, limits) is None)
