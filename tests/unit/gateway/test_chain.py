"""Fallback chains: declared by the route, declared for the model, or derived; skips explained."""

from __future__ import annotations

from typing import Any

from tests.unit.gateway.tables import DEFAULT_STEP, NOW, features_for, seed_index
from tierroute_gateway.decision import defaults
from tierroute_gateway.decision.hints import Hints
from tierroute_gateway.decision.select import Decision, decide
from tierroute_gateway.routing_table import Chain, ChainStep, ErrorClass, Fallback, Route

ARCHITECTURE = "Analyze this codebase architecture and suggest improvements for scalability"


def step(model: str, retries: int = 1, timeout_ms: int = 5_000) -> ChainStep:
    return ChainStep(
        model=model, max_retries=retries, timeout_ms=timeout_ms, retry_on=(ErrorClass.TIMEOUT,)
    )


def route(prompt: str, index: Any, *, model: str = "auto", **hints: Any) -> Decision:
    return decide(
        index, model, features_for(index, prompt), request_id="r", now=NOW, hints=Hints(**hints)
    )


def test_derived_chain_is_the_rest_of_the_tier_then_the_next_tiers_capped() -> None:
    decision = route("hello", seed_index())  # medium: standard > premium > economy
    assert [s.model for s in decision.chain] == [
        "gemini-2-flash",
        "gpt-4o-mini",
        "claude-3-5-haiku",
    ]
    assert len(decision.chain) == defaults.MAX_DERIVED_CHAIN_STEPS
    assert all(s.max_retries == DEFAULT_STEP.max_retries for s in decision.chain)
    assert all(s.timeout_ms == DEFAULT_STEP.timeout_ms for s in decision.chain)


def test_derived_chain_crosses_into_the_next_tier_in_priority_order() -> None:
    decision = route(ARCHITECTURE, seed_index(), min_quality=0.9)  # high: premium first
    assert [s.model for s in decision.chain] == ["gpt-4o", "claude-3-5-sonnet", "o1"]
    decision = route("extract it", seed_index(), max_latency_ms=250)  # low: economy first
    assert [s.model for s in decision.chain] == ["llama-3-70b", "gemini-2-flash"]


def test_a_routes_declared_chain_follows_the_selected_model_skipping_ineligible_steps() -> None:
    chain = Chain(
        name="chat",
        steps=(step("claude-3-5-haiku"), step("gemini-2-flash", retries=3), step("gpt-4o-mini")),
    )
    index = seed_index(
        routes=(
            Route(
                name="auto", category="standard", strategy="cost-optimized", fallback_chain="chat"
            ),
        ),
        fallback=Fallback(defaults=DEFAULT_STEP, chains=(chain,)),
    )
    decision = route("write a function", index)  # coding: gemini-2-flash cannot
    assert [s.model for s in decision.chain] == ["gpt-4o-mini", "claude-3-5-haiku"]
    assert decision.chain[0] == chain.steps[2]  # the selected model keeps its own rules
    assert decision.notes == ("chain 'chat' step 1 (gemini-2-flash) skipped: lacks coding",)


def test_a_declared_chain_that_starts_with_the_selected_model_is_used() -> None:
    chain = Chain(name="flash-first", steps=(step("gemini-2-flash", retries=4), step("o1")))
    index = seed_index(fallback=Fallback(defaults=DEFAULT_STEP, chains=(chain,)))
    decision = route("hello", index)
    assert decision.chain == chain.steps


def test_a_concrete_model_uses_its_declared_chain_or_stands_alone() -> None:
    chain = Chain(name="o1-first", steps=(step("o1"), step("gpt-4o"), step("llama-3-70b")))
    index = seed_index(fallback=Fallback(defaults=DEFAULT_STEP, chains=(chain,)))
    decision = route("hello", index, model="o1", max_latency_ms=900)
    assert [s.model for s in decision.chain] == ["o1", "gpt-4o", "llama-3-70b"]
    assert [s.model for s in route("hello", index, model="gpt-4o").chain] == ["gpt-4o"]


def test_chain_skips_name_the_filter() -> None:
    chain = Chain(name="c", steps=(step("gpt-4o-mini"), step("o1"), step("gemini-2-flash")))
    index = seed_index(fallback=Fallback(defaults=DEFAULT_STEP, chains=(chain,)))
    decision = route("hello", index, model="gpt-4o-mini", max_latency_ms=1_000)
    assert [s.model for s in decision.chain] == ["gpt-4o-mini", "gemini-2-flash"]
    assert decision.notes == ("chain 'c' step 1 (o1) skipped: latency 15000 ms > 1000 ms",)
