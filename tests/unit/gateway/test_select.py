"""Selection: the seed's examples, every filter, strategies, budget, concrete models, 503s."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.gateway.tables import (
    DEFAULT_STEP,
    NOW,
    adjustment,
    features_for,
    seed_budget,
    seed_index,
    seed_model,
    seed_table,
)
from tierroute_gateway.decision.budget import BudgetLedger
from tierroute_gateway.decision.errors import (
    BudgetExhausted,
    InvalidHint,
    NothingEligible,
    UnknownRoute,
)
from tierroute_gateway.decision.features import extract_features
from tierroute_gateway.decision.hints import Hints
from tierroute_gateway.decision.index import RoutingIndex, build_index
from tierroute_gateway.decision.select import Decision, decide
from tierroute_gateway.routing_table import (
    Capability,
    Complexity,
    Constraints,
    Fallback,
    Pricing,
    Route,
    Strategy,
    Tier,
)

SEED_INDEX = seed_index()
CLASSIFY = "Classify this text as positive or negative: 'Great product!'"
ARCHITECTURE = "Analyze this codebase architecture and suggest improvements for scalability"


def route(
    prompt: str = "hello",
    index: RoutingIndex = SEED_INDEX,
    *,
    model: str = "auto",
    context_tokens: int | None = None,
    hints: Hints | None = None,
    **fields: Any,
) -> Decision:
    return decide(
        index,
        model,
        features_for(index, prompt, context_tokens, **fields),
        request_id="req-1",
        now=NOW,
        hints=hints or Hints(),
    )


def with_route(**fields: Any) -> Route:
    return Route(**{"name": "auto", "category": "standard", "strategy": "cost-optimized", **fields})


# The seed's own examples


def test_seed_example_classification_goes_to_llama_in_economy() -> None:
    decision = route(CLASSIFY, context_tokens=100)
    assert (decision.model, decision.tier, decision.complexity) == (
        "llama-3-70b",
        Tier.ECONOMY,
        Complexity.LOW,
    )


def test_seed_example_architecture_goes_to_gpt_4o_in_premium() -> None:
    decision = route(ARCHITECTURE, context_tokens=50_000, hints=Hints(min_quality=0.85))
    assert (decision.model, decision.tier, decision.complexity) == (
        "gpt-4o",
        Tier.PREMIUM,
        Complexity.HIGH,
    )


def test_reason_is_human_readable_and_names_the_choice() -> None:
    decision = route(CLASSIFY, context_tokens=100)
    assert decision.reason.startswith("route auto; complexity low")
    assert "llama-3-70b is the cheapest of 2 eligible economy models" in decision.reason


# Routes and models


def test_unknown_model_names_the_value_and_the_routes() -> None:
    with pytest.raises(UnknownRoute) as raised:
        route(model="gpt-5")
    assert "'gpt-5'" in raised.value.message
    assert "auto" in raised.value.message
    assert (raised.value.status, raised.value.param) == (404, "model")


# Eligibility filters


def test_vision_requests_go_to_a_vision_model() -> None:
    body = {
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "what is this"},
                    {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
                ],
            }
        ]
    }
    features = extract_features(body, max_scan_chars=SEED_INDEX.max_scan_chars)
    decision = decide(SEED_INDEX, "auto", features, request_id="r", now=NOW)
    assert Capability.VISION in SEED_INDEX.models[decision.model].capabilities
    assert decision.capabilities == (Capability.VISION,)


def test_context_window_counts_requested_output_when_given() -> None:
    assert route(CLASSIFY, context_tokens=8_000).model == "llama-3-70b"
    assert route(CLASSIFY, context_tokens=8_000, max_tokens=500).model == "mistral-large"


def test_output_limit_excludes_models_that_cannot_write_that_much() -> None:
    assert route(CLASSIFY, max_tokens=5_000).model == "mistral-large"  # llama stops at 4,096


def test_latency_takes_the_stricter_of_policy_and_header() -> None:
    index = seed_index(constraints=Constraints(max_latency_ms=500))
    assert route("extract it", index, hints=Hints(max_latency_ms=900)).model == "llama-3-70b"
    decision = route(ARCHITECTURE, index, hints=Hints(max_latency_ms=300))
    assert SEED_INDEX.models[decision.model].latency_ms <= 300
    decision = route(ARCHITECTURE, index, hints=Hints(max_latency_ms=5_000))
    assert SEED_INDEX.models[decision.model].latency_ms <= 500


def test_quality_takes_the_stricter_of_policy_and_header() -> None:
    index = seed_index(constraints=Constraints(min_quality="0.80"))
    assert route("extract it", index, hints=Hints(min_quality=0.5)).model == "gpt-4o-mini"
    assert route("extract it", index, hints=Hints(min_quality=0.93)).model == "claude-3-5-sonnet"


def test_preferred_providers_and_the_provider_header_restrict_providers() -> None:
    index = seed_index(constraints=Constraints(preferred_providers=("anthropic", "openai")))
    assert route("extract it", index).model == "gpt-4o-mini"
    assert route("extract it", index, hints=Hints(provider="anthropic")).model == (
        "claude-3-5-haiku"
    )


def test_an_unknown_provider_header_is_refused() -> None:
    with pytest.raises(InvalidHint, match="x-tierroute-provider: 'azure'"):
        route(hints=Hints(provider="azure"))


def test_allow_and_deny_lists_of_policy_and_route_apply() -> None:
    index = seed_index(
        routes=(with_route(allow_models=("mistral-large", "gpt-4o-mini", "gemini-2-flash")),),
        constraints=Constraints(deny_models=("gemini-2-flash",)),
    )
    assert route("extract it", index).model == "mistral-large"
    assert route("hello", index).model == "gpt-4o-mini"


def test_a_disabled_model_is_skipped() -> None:
    index = seed_index(adjustments=(adjustment("disable-model", "llama-3-70b"),))
    assert route(CLASSIFY, index).model == "mistral-large"


def test_a_model_with_an_open_breaker_leaves_selection_and_the_chain() -> None:
    healthy = route(CLASSIFY)
    broken = healthy.model
    decision = decide(
        SEED_INDEX,
        "auto",
        features_for(SEED_INDEX, CLASSIFY, None),
        request_id="req-1",
        now=NOW,
        unavailable=frozenset({broken}),
    )
    assert decision.model != broken
    assert broken not in {step.model for step in decision.chain}
    assert decision.model == healthy.chain[1].model
    assert f"circuit breaker open: {broken}" in decision.reason


def test_when_every_breaker_is_open_the_503_names_the_breakers() -> None:
    with pytest.raises(NothingEligible, match="circuit breaker"):
        decide(
            SEED_INDEX,
            "auto",
            features_for(SEED_INDEX, CLASSIFY, None),
            request_id="req-1",
            now=NOW,
            unavailable=frozenset(model.name for model in seed_table().models),
        )


def test_a_penalized_model_moves_to_the_end_of_its_tier() -> None:
    index = seed_index(adjustments=(adjustment("penalize-model", "gemini-2-flash"),))
    decision = route("hello", index)
    assert decision.model == "gpt-4o-mini"
    assert [step.model for step in decision.chain][:3] == [
        "gpt-4o-mini",
        "claude-3-5-haiku",
        "gemini-2-flash",
    ]


# Strategies


def test_cost_optimized_uses_the_estimated_cost_of_this_request() -> None:
    # cheaper input but dearer output than gemini-2-flash: the seed (input price) picks it
    lopsided = seed_model(
        "gpt-4o-mini",
        name="lopsided",
        pricing=Pricing(input_per_million="0.05", output_per_million="5.00"),
    )
    index = build_index(seed_table(models=(lopsided, seed_model("gemini-2-flash"))))
    assert route("hello", index, max_tokens=1_000).model == "gemini-2-flash"
    assert route("hello", index, context_tokens=30_000, max_tokens=10).model == "lopsided"


def test_equal_costs_are_broken_by_name() -> None:
    twin = seed_model("gpt-4o-mini", name="a-twin")
    index = build_index(seed_table(models=(seed_model("gpt-4o-mini"), twin)))
    assert route("hello", index).model == "a-twin"


def test_quality_first_and_latency_first_order_the_tier() -> None:
    quality = seed_index(routes=(with_route(strategy=Strategy.QUALITY_FIRST),))
    latency = seed_index(routes=(with_route(strategy=Strategy.LATENCY_FIRST),))
    assert route("hello", quality).model == "gpt-4o-mini"  # 0.82, the best standard model
    assert route("hello", latency).model == "gemini-2-flash"  # 250 ms
    assert route(ARCHITECTURE, quality).model == "o1"
    assert "highest-quality" in route(ARCHITECTURE, quality).reason


def test_complexity_header_changes_the_tier_order() -> None:
    assert route(CLASSIFY, hints=Hints(complexity=Complexity.HIGH)).tier is Tier.PREMIUM


# Budget


def budget_index(spent: str, action: str, **changes: Any) -> RoutingIndex:
    return seed_index(
        budget=seed_budget(spent={"standard": spent}, when_exhausted={"standard": action}),
        **changes,
    )


def test_an_exhausted_reject_category_answers_429_naming_it() -> None:
    with pytest.raises(BudgetExhausted) as raised:
        route("hello", budget_index("3500.00", "reject"))
    assert "'standard'" in raised.value.message
    assert raised.value.status == 429
    assert raised.value.code == "budget_exhausted"


def test_an_exhausted_downgrade_category_goes_to_economy() -> None:
    decision = route(ARCHITECTURE, budget_index("3500.00", "downgrade"))
    assert decision.tier is Tier.ECONOMY
    assert decision.downgraded
    assert "downgraded" in decision.reason
    assert all(SEED_INDEX.models[s.model].tier is not Tier.PREMIUM for s in decision.chain)


def test_a_downgrade_uses_standard_when_no_economy_model_can_serve() -> None:
    decision = route("describe the picture", budget_index("3500.00", "downgrade"))
    assert decision.tier is Tier.STANDARD


def test_a_downgrade_that_only_premium_could_serve_answers_429() -> None:
    with pytest.raises(BudgetExhausted, match="only premium models could"):
        route("hello", budget_index("3500.00", "downgrade"), hints=Hints(min_quality=0.9))


def test_an_exhausted_allow_category_passes_with_a_note() -> None:
    decision = route(ARCHITECTURE, budget_index("3500.00", "allow"))
    assert decision.tier is Tier.PREMIUM
    assert not decision.downgraded
    assert "allowed" in decision.reason


def test_a_category_in_warning_is_reported() -> None:
    decision = route("hello", budget_index("3000.00", "reject"))
    assert decision.budget_status is not None
    assert decision.budget_status.value == "warning"


def test_automation_can_downgrade_a_category_with_budget_left() -> None:
    index = budget_index("0", "reject", adjustments=(adjustment("downgrade-category", "standard"),))
    decision = route(ARCHITECTURE, index)
    assert decision.tier is Tier.ECONOMY
    assert decision.downgraded


def test_the_category_header_picks_the_budget_category() -> None:
    index = seed_index(
        budget=seed_budget(spent={"batch": "2500.00"}, when_exhausted={"batch": "reject"})
    )
    assert route("hello", index).category == "standard"
    with pytest.raises(BudgetExhausted, match="'batch'"):
        route("hello", index, hints=Hints(category="batch"))


def test_an_unknown_category_header_is_refused() -> None:
    with pytest.raises(InvalidHint, match="x-tierroute-category: 'gold'"):
        route("hello", budget_index("0", "reject"), hints=Hints(category="gold"))


def test_a_ledger_adds_local_spend_to_the_snapshot() -> None:
    index = budget_index("3400.00", "reject")
    assert index.table.budget is not None
    ledger = BudgetLedger.from_snapshot(index.table.budget)
    features = features_for(index, "hello")
    decide(index, "auto", features, request_id="r", now=NOW, ledger=ledger)
    ledger.record("standard", 100.0, NOW)
    with pytest.raises(BudgetExhausted):
        decide(index, "auto", features, request_id="r", now=NOW, ledger=ledger)


# Concrete model requests


def test_a_concrete_model_request_goes_to_that_model() -> None:
    decision = route(CLASSIFY, model="o1")
    assert decision.model == "o1"
    assert decision.route is None
    assert [step.model for step in decision.chain] == ["o1"]


def test_a_concrete_model_request_is_subject_to_budget_reject() -> None:
    with pytest.raises(BudgetExhausted):
        route("hello", budget_index("3500.00", "reject"), model="llama-3-70b")


def test_a_downgraded_budget_refuses_a_concrete_premium_model_suggesting_a_route() -> None:
    index = budget_index("3500.00", "downgrade")
    with pytest.raises(BudgetExhausted, match="send model 'auto'"):
        route("hello", index, model="gpt-4o")
    assert route("hello", index, model="llama-3-70b").model == "llama-3-70b"


def test_a_denied_or_disabled_concrete_model_is_not_used() -> None:
    index = seed_index(
        constraints=Constraints(deny_models=("o1",)),
        adjustments=(adjustment("disable-model", "gpt-4o"),),
    )
    with pytest.raises(NothingEligible, match=r"'o1'.*denied"):
        route(model="o1", index=index)
    with pytest.raises(NothingEligible, match=r"'gpt-4o'.*disabled by automation"):
        route(model="gpt-4o", index=index)


# Nothing eligible


def test_nothing_eligible_explains_per_filter_what_it_removed() -> None:
    with pytest.raises(NothingEligible) as raised:
        route("write a function", hints=Hints(max_latency_ms=150), context_tokens=10_000)
    message = raised.value.message
    assert raised.value.status == 503
    assert "among 8" in message
    assert "capabilities removed 1 (e.g. gemini-2-flash: lacks coding)" in message
    assert "context window removed 1 (e.g. llama-3-70b" in message
    assert "max latency removed 6" in message


def test_nothing_eligible_names_a_capability_no_model_has() -> None:
    body = {
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "write code for this"},
                    {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}},
                ],
            }
        ]
    }
    features = extract_features(body, max_scan_chars=SEED_INDEX.max_scan_chars)
    with pytest.raises(NothingEligible, match=r"no model has capabilities \[audio, coding\]"):
        decide(SEED_INDEX, "auto", features, request_id="r", now=NOW)


def test_the_policy_default_model_serves_when_nothing_is_eligible() -> None:
    index = seed_index(fallback=Fallback(defaults=DEFAULT_STEP, default_model="claude-3-5-sonnet"))
    decision = route("hello", index, hints=Hints(max_latency_ms=10))
    assert decision.model == "claude-3-5-sonnet"
    assert decision.default_model_used
    assert "using the policy's default model claude-3-5-sonnet" in decision.reason
    assert "max latency removed 8" in decision.reason


def test_tier_priority_that_omits_a_tier_never_uses_it() -> None:
    priority = {
        Complexity.HIGH: (Tier.PREMIUM,),
        Complexity.MEDIUM: (Tier.STANDARD,),
        Complexity.LOW: (Tier.ECONOMY,),
    }
    index = seed_index(tier_priority=priority)
    with pytest.raises(NothingEligible, match="tier order removed"):
        route("extract the picture", index)  # low complexity, no economy model has vision


# Output


def test_the_same_input_gives_the_same_decision() -> None:
    first = route(ARCHITECTURE, context_tokens=50_000)
    second = route(ARCHITECTURE, context_tokens=50_000)
    assert first == second
    assert first.as_dict() == second.as_dict()


def test_the_decision_as_a_document_has_the_explain_fields() -> None:
    document = route(CLASSIFY, context_tokens=100).as_dict()
    assert document["model"] == "llama-3-70b"
    assert document["tier"] == "economy"
    assert document["complexity"] == "low"
    assert document["estimatedCostUsd"] > 0
    assert document["chain"][0]["model"] == "llama-3-70b"
    assert set(document["chain"][0]) == {"model", "maxRetries", "timeoutMs", "retryOn"}
