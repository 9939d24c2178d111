"""Routes with strategy `learned`: a hand-built artefact whose right answers are known.

The artefact (tests/helpers/learned_router.py) gives every model P(success) ≈ 0.88, except
the economy model llama-3-70b, whose P(success) drops to ≈ 0.02 on prompts containing
"proof". So a proof goes to the premium gpt-4o, anything else to the cheaper llama-3-70b.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tests.helpers.learned_router import (
    SPEC,
    Rule,
    learned_router,
    learned_routing,
    proof_router,
)
from tests.unit.gateway.tables import (
    NOW,
    adjustment,
    features_for,
    seed_budget,
    seed_table,
)
from tierroute_gateway.decision import defaults
from tierroute_gateway.decision.cost import estimate_cost
from tierroute_gateway.decision.features import extract_features
from tierroute_gateway.decision.index import RoutingIndex, build_index
from tierroute_gateway.decision.learned import FALLBACK_NOTE, preference_order
from tierroute_gateway.decision.select import Decision, decide
from tierroute_gateway.learned_router import (
    LearnedRouter,
    Prediction,
    artefact_hash,
    choose,
)
from tierroute_gateway.routing_table import (
    Complexity,
    Experiment,
    LearnedRouting,
    Route,
    RoutingTable,
    RoutingTableError,
    Strategy,
    Tier,
    Variant,
    canonical_json,
    load_routing_table,
)

PREMIUM, ECONOMY = "gpt-4o", "llama-3-70b"
KNOWN = {PREMIUM, ECONOMY}
PROOF = "Write a proof that there are infinitely many primes."
PLAIN = "Say hello to the team."
LEARNED_ROUTE = Route(name="auto", category="standard", strategy=Strategy.LEARNED)


def learned_table(
    router: LearnedRouter | None = None,
    rule: Rule = "threshold",
    value: str = "0.5",
    *,
    route: Route = LEARNED_ROUTE,
    **changes: Any,
) -> RoutingTable:
    """The seed's catalog with one `learned` route and the proof artefact (or `router`)."""
    routing = learned_routing(router or proof_router(PREMIUM, ECONOMY), rule, value)
    return seed_table(routes=(route,), learned_router=routing, **changes)


INDEX = build_index(learned_table())


def route(
    prompt: str,
    index: RoutingIndex = INDEX,
    *,
    model: str = "auto",
    context_tokens: int | None = None,
    unavailable: frozenset[str] = frozenset(),
    **fields: Any,
) -> Decision:
    return decide(
        index,
        model,
        features_for(index, prompt, context_tokens, **fields),
        request_id="req-1",
        now=NOW,
        unavailable=unavailable,
    )


def route_body(body: dict[str, Any], index: RoutingIndex = INDEX) -> Decision:
    features = extract_features(body, max_scan_chars=index.max_scan_chars)
    return decide(index, "auto", features, request_id="req-1", now=NOW)


@pytest.mark.parametrize(("rule", "value"), [("threshold", "0.5"), ("tradeoff", "0.01")])
def test_proofs_go_to_the_premium_model_and_other_prompts_to_the_economy_one(
    rule: Rule, value: str
) -> None:
    index = build_index(learned_table(rule=rule, value=value))
    assert route(PROOF, index).model == PREMIUM
    assert route(PLAIN, index).model == ECONOMY


def test_reason_says_what_the_learned_router_chose_and_the_best_alternative() -> None:
    decision = route(PROOF)
    assert decision.reason.startswith("route auto; ")
    assert f"learned router (threshold 0.5) chose {PREMIUM} of 2 known eligible models" in (
        decision.reason
    )
    assert f"best alternative {ECONOMY}" in decision.reason
    assert len(decision.reason) < 400
    assert decision.learned is not None
    assert decision.learned.model == PREMIUM
    assert decision.learned.artefact_hash == artefact_hash(proof_router(PREMIUM, ECONOMY))
    assert decision.learned.success > 0.5
    assert decision.as_dict()["learnedRouter"]["model"] == PREMIUM


def test_tradeoff_reason_is_ascii_for_the_header() -> None:
    decision = route(PLAIN, build_index(learned_table(rule="tradeoff", value="0.35")))
    assert "learned router (tradeoff lambda=0.35) chose" in decision.reason
    assert decision.reason.isascii()


def test_cost_is_the_request_at_catalog_prices_with_the_artefact_output_tokens() -> None:
    short = route(PROOF)
    capped = route(PROOF, max_tokens=40)
    model = INDEX.models[PREMIUM]
    artefact_tokens = round(proof_router(PREMIUM, ECONOMY).models[0].expected_output_tokens)
    assert short.expected_output_tokens == artefact_tokens
    assert capped.expected_output_tokens == 40
    assert short.estimated_cost_usd == pytest.approx(
        estimate_cost(model.prices, short.estimated_input_tokens, artefact_tokens)
    )
    assert capped.estimated_cost_usd == pytest.approx(
        estimate_cost(model.prices, capped.estimated_input_tokens, 40)
    )


def test_tier_priority_does_not_restrict_the_learned_router() -> None:
    economy_only = {complexity: (Tier.ECONOMY,) for complexity in Complexity}
    index = build_index(learned_table(tier_priority=economy_only))
    assert route(PROOF, index).model == PREMIUM
    cost_route = LEARNED_ROUTE.model_copy(update={"strategy": Strategy.COST_OPTIMIZED})
    cost_index = build_index(learned_table(tier_priority=economy_only, route=cost_route))
    assert route(PROOF, cost_index).tier is Tier.ECONOMY


def test_budget_downgrade_keeps_the_learned_router_off_premium() -> None:
    index = build_index(learned_table(budget=seed_budget(spent={"standard": "3500.00"})))
    decision = route(PROOF, index)
    assert decision.model == ECONOMY
    assert decision.downgraded
    assert "none reaches 0.5" in decision.reason
    assert all(INDEX.models[step.model].tier is not Tier.PREMIUM for step in decision.chain)


def test_open_breakers_and_missing_capabilities_exclude_models() -> None:
    assert route(PROOF, unavailable=frozenset({PREMIUM})).model == ECONOMY
    parts = [
        {"type": "text", "text": PLAIN},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
    ]
    decision = route_body({"messages": [{"role": "user", "content": parts}]})
    assert decision.model == PREMIUM  # llama-3-70b lacks vision


def test_context_window_excludes_a_model_too_small_for_the_request() -> None:
    decision = route(PLAIN, context_tokens=20_000)  # llama-3-70b has 8,192 tokens
    assert decision.model == PREMIUM


def test_an_artefact_that_knows_no_eligible_model_falls_back_to_cost_ranking() -> None:
    unknown = LEARNED_ROUTE.model_copy(update={"allow_models": ("gpt-4o-mini", "gemini-2-flash")})
    decision = route(PROOF, build_index(learned_table(route=unknown)))
    cost_route = unknown.model_copy(update={"strategy": Strategy.COST_OPTIMIZED})
    expected = route(PROOF, build_index(learned_table(route=cost_route)))
    assert decision.model == expected.model
    assert FALLBACK_NOTE in decision.reason
    assert decision.learned is None


def test_fallback_chain_lists_the_learned_candidates_then_the_cost_ranking() -> None:
    decision = route(PLAIN)
    unknown = LEARNED_ROUTE.model_copy(
        update={"strategy": Strategy.COST_OPTIMIZED, "deny_models": tuple(KNOWN)}
    )
    cheapest_unknown = route(PLAIN, build_index(learned_table(route=unknown))).model
    steps = [step.model for step in decision.chain]
    assert steps == [ECONOMY, PREMIUM, cheapest_unknown]
    assert len(steps) == defaults.MAX_DERIVED_CHAIN_STEPS


def test_a_penalized_model_is_chosen_only_when_no_other_candidate_is_eligible() -> None:
    index = build_index(learned_table(adjustments=(adjustment("penalize-model", PREMIUM),)))
    decision = route(PROOF, index)
    assert decision.model == ECONOMY
    assert [step.model for step in decision.chain][:2] == [ECONOMY, PREMIUM]


def test_an_experiment_still_applies_on_top_of_the_learned_choice() -> None:
    experiment = Experiment(
        name="mini",
        route="auto",
        variants=(
            Variant(name="a", model="gpt-4o-mini", weight=1),
            Variant(name="b", model="gpt-4o-mini", weight=1),
        ),
        stickiness="request",
    )
    decision = route(PROOF, build_index(learned_table(experiments=(experiment,))))
    assert decision.model == "gpt-4o-mini"
    assert decision.experiment == "mini"
    assert "learned router (threshold 0.5) chose gpt-4o" in decision.reason


def test_a_concrete_model_request_bypasses_the_learned_router() -> None:
    decision = route(PROOF, model=ECONOMY)
    assert decision.model == ECONOMY
    assert decision.learned is None


def test_the_same_input_gives_the_same_decision() -> None:
    assert route(PROOF) == route(PROOF)


def test_the_prompt_read_is_the_last_user_message() -> None:
    body = {
        "model": "auto",
        "messages": [
            {"role": "user", "content": PROOF},
            {"role": "assistant", "content": "Here is a proof."},
            {"role": "user", "content": PLAIN},
        ],
    }
    assert route_body(body).model == ECONOMY


# Loading


def test_a_learned_route_without_a_learned_router_is_refused_naming_the_route() -> None:
    with pytest.raises(RoutingTableError, match=r"routes\[0\]\.strategy: route 'auto'"):
        build_index(seed_table(routes=(LEARNED_ROUTE,)))


def test_an_artefact_that_does_not_hash_to_the_pinned_hash_is_refused() -> None:
    router = proof_router(PREMIUM, ECONOMY)
    with pytest.raises(ValidationError, match="not the pinned"):
        LearnedRouting(
            artefact_hash="sha256:" + "0" * 64,
            source="test",
            rule="threshold",
            value="0.5",
            artefact=router,
        )
    document = orjson.loads(canonical_json(learned_table()))
    document["learnedRouter"]["artefactHash"] = "sha256:" + "1" * 64
    with pytest.raises(RoutingTableError, match="learnedRouter"):
        load_routing_table(orjson.dumps(document))


def test_an_artefact_reading_more_than_the_kept_tail_is_refused() -> None:
    wide = SPEC.model_copy(update={"max_chars": defaults.PROMPT_TAIL_CHARS + 1})
    router = learned_router({PREMIUM: {"proof": 1.0}}, spec=wide)
    with pytest.raises(RoutingTableError, match=r"learnedRouter\.artefact\.features\.maxChars"):
        build_index(learned_table(router))


def test_the_table_survives_a_json_round_trip_and_builds_the_same_decisions() -> None:
    table = load_routing_table(canonical_json(learned_table()))
    index = build_index(table)
    assert route(PROOF, index).model == PREMIUM
    assert index.learned is not None
    assert index.learned.routes["auto"] == tuple(
        model for model in INDEX.routes["auto"].candidates if model.name in KNOWN
    )


# The order of preference agrees with the rules


_probability = st.floats(min_value=0, max_value=1)
_cost = st.floats(min_value=0, max_value=0.05)


@st.composite
def _predictions(draw: st.DrawFn) -> Prediction:
    count = draw(st.integers(min_value=1, max_value=6))
    names = tuple(f"m{i}" for i in range(count))
    return Prediction(
        names, tuple(draw(_probability) for _ in names), tuple(draw(_cost) for _ in names)
    )


@settings(max_examples=300)
@given(
    prediction=_predictions(),
    rule=st.sampled_from(["threshold", "tradeoff"]),
    value=st.floats(0, 1),
)
def test_each_preferred_model_is_what_the_rule_picks_without_the_earlier_ones(
    prediction: Prediction, rule: str, value: float
) -> None:
    order = preference_order(prediction, rule, value)
    assert sorted(order) == list(range(len(prediction.models)))
    for position, index in enumerate(order):
        rest = order[position:]
        remaining = Prediction(
            tuple(prediction.models[i] for i in rest),
            tuple(prediction.success[i] for i in rest),
            tuple(prediction.cost[i] for i in rest),
        )
        assert remaining.models[choose(remaining, rule, value)] == prediction.models[index]
