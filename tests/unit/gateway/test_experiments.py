"""Experiments: sticky, weighted, stable across processes; promoted and skipped variants."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections import Counter

from tests.unit.gateway.tables import NOW, adjustment, features_for, seed_index
from tierroute_gateway.decision.experiments import assign_variant, assignment_point
from tierroute_gateway.decision.hints import Hints
from tierroute_gateway.decision.select import decide
from tierroute_gateway.routing_table import Experiment, Variant

WEIGHTS = {"mini": 1, "haiku": 3, "flash": 6}
MODELS = {"mini": "gpt-4o-mini", "haiku": "claude-3-5-haiku", "flash": "gemini-2-flash"}


def experiment(stickiness: str = "user", **fields: object) -> Experiment:
    return Experiment(
        name="summaries",
        variants=tuple(
            Variant(name=name, model=MODELS[name], weight=weight)
            for name, weight in WEIGHTS.items()
        ),
        stickiness=stickiness,  # type: ignore[arg-type]
        **fields,  # type: ignore[arg-type]
    )


def test_assignment_over_10000_users_follows_the_weights_within_two_points() -> None:
    index = seed_index(experiments=(experiment(),))
    entry = index.routes["auto"].experiments[0]
    counts = Counter(assign_variant(entry, f"user:{n}").name for n in range(10_000))
    total = sum(WEIGHTS.values())
    for name, weight in WEIGHTS.items():
        assert abs(counts[name] / 10_000 - weight / total) <= 0.02, counts


def test_assignment_is_the_documented_sha256_point() -> None:
    key = "user:alice"
    digest = hashlib.sha256(b"summaries\x00user:alice").digest()
    assert assignment_point("summaries", key, 10) == int.from_bytes(digest[:8], "big") % 10


def test_assignment_is_the_same_in_another_process_with_another_hash_seed() -> None:
    script = (
        "from tierroute_gateway.decision.experiments import assignment_point;"
        "print([assignment_point('summaries', f'user:{n}', 10) for n in range(50)])"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    other = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    here = [assignment_point("summaries", f"user:{n}", 10) for n in range(50)]
    assert other.stdout.strip() == str(here)


def _decide(index, user: str | None = None, request_id: str = "r-1", prompt: str = "hello"):  # type: ignore[no-untyped-def]
    return decide(
        index,
        "auto",
        features_for(index, prompt),
        request_id=request_id,
        now=NOW,
        hints=Hints(user=user),
    )


def test_a_user_keeps_its_variant_across_requests() -> None:
    index = seed_index(experiments=(experiment(),))
    variants = {_decide(index, user="bob", request_id=f"r-{n}").variant for n in range(20)}
    assert len(variants) == 1


def test_request_stickiness_spreads_one_user_over_variants() -> None:
    index = seed_index(experiments=(experiment(stickiness="request"),))
    variants = {_decide(index, user="bob", request_id=f"r-{n}").variant for n in range(60)}
    assert variants == set(WEIGHTS)


def test_the_variant_model_becomes_primary_and_the_decision_says_so() -> None:
    index = seed_index(experiments=(experiment(),))
    decision = _decide(index, user="carol")
    assert decision.experiment == "summaries"
    assert decision.variant is not None
    assert decision.model == MODELS[decision.variant]
    assert decision.chain[0].model == decision.model
    assert f"variant {decision.variant}" in decision.reason


def test_a_promoted_variant_takes_everyone() -> None:
    index = seed_index(
        experiments=(experiment(),),
        adjustments=(adjustment("promote-variant", "summaries", "mini"),),
    )
    assert {_decide(index, user=f"u{n}").variant for n in range(30)} == {"mini"}


def test_an_ineligible_variant_skips_the_experiment_with_a_reason() -> None:
    index = seed_index(
        experiments=(experiment(),),
        adjustments=(adjustment("promote-variant", "summaries", "flash"),),
    )
    decision = _decide(index, user="dave", prompt="write a function")  # flash lacks coding
    assert decision.experiment is None
    assert decision.model != MODELS["flash"]
    assert "experiment summaries skipped: variant flash (gemini-2-flash) lacks coding" in (
        decision.reason
    )


def test_an_experiment_applies_only_to_its_route_and_category() -> None:
    other_route = seed_index(experiments=(experiment(route="chat"),))
    other_category = seed_index(experiments=(experiment(category="batch"),))
    assert _decide(other_route, user="erin").experiment is None
    assert _decide(other_category, user="erin").experiment is None
    same = seed_index(experiments=(experiment(route="auto", category="standard"),))
    assert _decide(same, user="erin").experiment == "summaries"


def test_without_a_user_sticky_assignment_falls_back_to_the_request_id() -> None:
    index = seed_index(experiments=(experiment(),))
    variants = {_decide(index, request_id=f"r-{n}").variant for n in range(60)}
    assert len(variants) > 1
