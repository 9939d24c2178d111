"""The routing index: precomputed once, refusing tables whose references do not resolve."""

from __future__ import annotations

import pytest

from tests.unit.gateway.tables import (
    DEFAULT_STEP,
    adjustment,
    default_classification,
    seed_budget,
    seed_index,
    seed_table,
)
from tierroute_gateway.decision.index import build_index
from tierroute_gateway.routing_table import (
    Chain,
    ChainStep,
    Constraints,
    Experiment,
    Fallback,
    Route,
    RoutingTableError,
    Strategy,
    Variant,
)


def step(model: str) -> ChainStep:
    return DEFAULT_STEP.model_copy(update={"model": model})


def test_prices_and_quality_are_floats_ready_for_arithmetic() -> None:
    entry = seed_index().models["gpt-4o"]
    assert entry.prices.input_per_token == pytest.approx(2.50 / 1_000_000)
    assert entry.quality == pytest.approx(0.92)
    assert entry.default_step.model == "gpt-4o"


def test_route_candidates_apply_allow_deny_lists_disabling_and_preferred_providers() -> None:
    index = seed_index(
        routes=(
            Route(
                name="auto",
                category="standard",
                strategy=Strategy.COST_OPTIMIZED,
                deny_models=("o1",),
            ),
        ),
        constraints=Constraints(
            deny_models=("mistral-large",), preferred_providers=("openai", "anthropic", "google")
        ),
        adjustments=(adjustment("disable-model", "claude-3-5-haiku"),),
    )
    names = {model.name for model in index.routes["auto"].candidates}
    assert names == {"gpt-4o", "claude-3-5-sonnet", "gpt-4o-mini", "gemini-2-flash"}


def test_chains_are_indexed_by_name_and_first_model() -> None:
    chains = (
        Chain(name="b-chain", steps=(step("gpt-4o"), step("claude-3-5-sonnet"))),
        Chain(name="a-chain", steps=(step("gpt-4o"), step("o1"))),
    )
    index = seed_index(fallback=Fallback(defaults=DEFAULT_STEP, chains=chains))
    assert set(index.chains) == {"a-chain", "b-chain"}
    assert index.chains_by_first_model["gpt-4o"].name == "a-chain"


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        (
            {
                "fallback": Fallback(
                    defaults=DEFAULT_STEP, chains=(Chain(name="c", steps=(step("gpt-5"),)),)
                )
            },
            "fallback.chains[0].steps[0].model: 'gpt-5'",
        ),
        (
            {"fallback": Fallback(defaults=DEFAULT_STEP, default_model="gpt-5")},
            "fallback.defaultModel: 'gpt-5'",
        ),
        (
            {
                "routes": (
                    Route(
                        name="auto",
                        category="standard",
                        strategy=Strategy.COST_OPTIMIZED,
                        fallback_chain="nope",
                    ),
                )
            },
            "routes[0].fallbackChain: 'nope'",
        ),
        (
            {
                "experiments": (
                    Experiment(
                        name="x",
                        variants=(
                            Variant(name="a", model="gpt-4o", weight=1),
                            Variant(name="b", model="gpt-5", weight=1),
                        ),
                        stickiness="user",
                    ),
                )
            },
            "experiments[0].variants[1].model: 'gpt-5'",
        ),
        (
            {
                "budget": seed_budget(),
                "routes": (Route(name="auto", category="gold", strategy=Strategy.COST_OPTIMIZED),),
            },
            "routes[0].category: 'gold'",
        ),
        (
            {"classification": default_classification(complex_patterns=("a(?=b)",))},
            "'a(?=b)'",
        ),
    ],
)
def test_dangling_references_are_refused_with_their_path(
    changes: dict[str, object], path: str
) -> None:
    with pytest.raises(RoutingTableError) as raised:
        build_index(seed_table(**changes))  # type: ignore[arg-type]
    assert path in str(raised.value)


def test_adjustments_mark_models_categories_and_experiments() -> None:
    index = seed_index(
        adjustments=(
            adjustment("disable-model", "o1"),
            adjustment("penalize-model", "gpt-4o"),
            adjustment("downgrade-category", "batch"),
            adjustment("disable-model", "a-model-that-left-the-catalog"),
        )
    )
    assert index.models["o1"].disabled_reason == "test disable-model"
    assert index.models["gpt-4o"].penalized
    assert index.downgraded_categories == {"batch": "test downgrade-category"}


def test_concrete_requests_are_charged_to_the_auto_route_category() -> None:
    index = seed_index(
        routes=(
            Route(name="a-first", category="batch", strategy=Strategy.COST_OPTIMIZED),
            Route(name="auto", category="critical", strategy=Strategy.COST_OPTIMIZED),
        )
    )
    assert index.default_route == "auto"
