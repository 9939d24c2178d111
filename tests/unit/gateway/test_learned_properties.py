"""Invariants of `learned` routes through the whole `decide()`, over random catalogs (hypothesis).

Each example draws a catalog, an artefact knowing some of its models (random weights on a few
words, random biases and length weights), a prompt from those words and the limits of a
request: context size, output maximum, open breakers, a budget downgrade.
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers.learned_router import learned_router, learned_routing
from tests.unit.gateway.tables import NOW, chat_body, seed_budget, seed_model, seed_table
from tierroute_gateway.decision.errors import BudgetExhausted, NothingEligible
from tierroute_gateway.decision.features import extract_features, with_context_tokens
from tierroute_gateway.decision.index import RoutingIndex, build_index
from tierroute_gateway.decision.select import Decision, decide
from tierroute_gateway.routing_table import Capability, Pricing, Route, Strategy, Tier

WORDS = ["proof", "integral", "code", "why", "image", "hello", "list", "analyze", "poem"]
PRICES = st.sampled_from(["0", "0.05", "0.15", "0.80", "2.50", "15.00"])
WEIGHTS = st.floats(min_value=-4, max_value=4)


@st.composite
def catalog_models(draw: st.DrawFn, name: str) -> Any:
    return seed_model(
        "gpt-4o",
        name=name,
        tier=draw(st.sampled_from(list(Tier))),
        pricing=Pricing(input_per_million=draw(PRICES), output_per_million=draw(PRICES)),
        context_window=draw(st.sampled_from([4_096, 32_000, 128_000])),
        max_output_tokens=draw(st.sampled_from([1_024, 16_384])),
        capabilities=tuple(draw(st.sets(st.sampled_from(list(Capability))))),
    )


class Scenario(NamedTuple):
    index: RoutingIndex
    prompt: str
    context: int
    max_tokens: int | None
    unavailable: frozenset[str]


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    count = draw(st.integers(1, 6))
    catalog = [draw(catalog_models(f"m{n}")) for n in range(count)]
    names = [model.name for model in catalog]
    known = sorted(draw(st.sets(st.sampled_from(names), min_size=1)))
    router = learned_router(
        {name: {word: draw(WEIGHTS) for word in WORDS[:4]} for name in known},
        bias={name: draw(WEIGHTS) for name in known},
        expected_output_tokens=draw(st.sampled_from([10.0, 250.0, 2_000.0])),
    )
    downgraded = draw(st.booleans())
    table = seed_table(
        models=catalog,
        routes=(Route(name="auto", category="standard", strategy=Strategy.LEARNED),),
        learned_router=learned_routing(router, "threshold", "0.5"),
        budget=seed_budget(spent={"standard": "3500.00"}) if downgraded else seed_budget(),
    )
    return Scenario(
        index=build_index(table),
        prompt=" ".join(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=8))),
        context=draw(st.integers(10, 30_000)),
        max_tokens=draw(st.none() | st.integers(1, 20_000)),
        unavailable=frozenset(draw(st.sets(st.sampled_from(names)))),
    )


def decide_or_none(scenario: Scenario, index: RoutingIndex | None = None) -> Decision | None:
    """The decision, or None when the request cannot be served (503 or 429)."""
    index = index or scenario.index
    fields = {} if scenario.max_tokens is None else {"max_tokens": scenario.max_tokens}
    features = extract_features(
        chat_body(scenario.prompt, **fields), max_scan_chars=index.max_scan_chars
    )
    try:
        return decide(
            index,
            "auto",
            with_context_tokens(features, scenario.context),
            request_id="req-1",
            now=NOW,
            unavailable=scenario.unavailable,
        )
    except (NothingEligible, BudgetExhausted):
        return None


def with_threshold(index: RoutingIndex, threshold: float) -> RoutingIndex:
    assert index.learned is not None
    return dataclasses.replace(index, learned=dataclasses.replace(index.learned, value=threshold))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.floats(0, 1), st.floats(0, 1))
def test_raising_the_threshold_never_picks_a_cheaper_or_less_likely_model(
    scenario: Scenario, first: float, second: float
) -> None:
    low, high = min(first, second), max(first, second)
    before = decide_or_none(scenario, with_threshold(scenario.index, low))
    after = decide_or_none(scenario, with_threshold(scenario.index, high))
    if before is None or after is None or before.learned is None or after.learned is None:
        assert (before is None) == (after is None)
        assert before is None or after is None or before.model == after.model
        return
    assert after.estimated_cost_usd >= before.estimated_cost_usd
    assert after.learned.success >= before.learned.success


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_a_learned_decision_never_selects_an_ineligible_model(scenario: Scenario) -> None:
    decision = decide_or_none(scenario)
    if decision is None:
        return
    needed = scenario.context + (scenario.max_tokens or 0)
    for step in decision.chain:
        model = scenario.index.models[step.model].spec
        assert set(decision.capabilities) <= set(model.capabilities), step.model
        assert model.context_window >= needed, step.model
        assert scenario.max_tokens is None or model.max_output_tokens >= scenario.max_tokens
        assert not (decision.downgraded and model.tier is Tier.PREMIUM), step.model
        assert step.model not in scenario.unavailable, step.model
    assert decision.chain[0].model == decision.model
