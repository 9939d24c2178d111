"""Fitting a learned router on synthetic outcomes, and never scoring a fitted row."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.bench.routing_rows import PRICES, hard_easy_rows
from tierroute_bench.routing_eval.baselines import oracle, score_choices
from tierroute_bench.routing_eval.evaluate import (
    RowOverlapError,
    check_disjoint,
    evaluate_rows,
)
from tierroute_bench.routing_eval.fit import FitOptions, fit_router, kept_buckets
from tierroute_bench.routing_eval.outcomes import ModelOutcome, OutcomeRow
from tierroute_bench.routing_eval.report import report_document
from tierroute_gateway.learned_router import Predictor, artefact_hash, choose

TRAIN = hard_easy_rows(60, "train")
TEST = hard_easy_rows(20, "test", offset=1000)


@pytest.fixture(scope="module")
def fitted() -> Predictor:
    return Predictor(fit_router(TRAIN, ["cheap", "dear"], PRICES, ["synthetic.jsonl"]))


def test_router_learns_that_integrals_need_the_expensive_model(fitted: Predictor) -> None:
    point = fitted.router.operating_point
    for row in TEST:
        prediction = fitted.predict(row.prompt, 100)
        chosen = prediction.models[choose(prediction, point.rule, point.value)]
        assert chosen == ("dear" if row.category == "hard" else "cheap"), row.prompt


def test_artefact_records_its_fitting_rows(fitted: Predictor) -> None:
    fitted_on = fitted.router.fitted_on
    assert set(fitted_on.row_ids) == {row.id for row in TRAIN}
    assert fitted_on.sources == ("synthetic.jsonl",)


def test_fitting_is_deterministic(fitted: Predictor) -> None:
    again = fit_router(TRAIN, ["cheap", "dear"], PRICES, ["synthetic.jsonl"])
    assert artefact_hash(again) == artefact_hash(fitted.router)


def test_scoring_a_fitted_row_fails(fitted: Predictor) -> None:
    with pytest.raises(RowOverlapError, match="train-3"):
        evaluate_rows(
            "synthetic",
            TRAIN[:10],
            PRICES,
            split="train",
            routers=["learned"],
            artefact=fitted.router,
            fit_options=FitOptions(),
            source="synthetic.jsonl",
        )
    with pytest.raises(RowOverlapError):
        check_disjoint(["a", "b"], ["b", "c"], "a router")


def test_evaluation_reaches_the_best_score_cheaply_and_is_repeatable() -> None:
    def run() -> dict[str, object]:
        result = evaluate_rows(
            "synthetic",
            TRAIN + TEST,
            PRICES,
            split="test",
            routers=["rule", "learned", "learned-threshold"],
            artefact=None,
            fit_options=FitOptions(regularization=1.0),
            source="synthetic.jsonl",
        )
        assert result.routers["learned"].headline.cost_ratio_at_95 is not None
        assert result.routers["learned"].headline.cost_ratio_at_95 < 0.6
        return report_document([result], "synthetic")

    assert run() == run()


_rows = st.lists(
    st.tuples(st.sampled_from([0.0, 0.5, 1.0]), st.sampled_from([0.0, 1.0])),
    min_size=1,
    max_size=20,
)


@settings(max_examples=60, deadline=None)
@given(scores=_rows, picks=st.lists(st.booleans(), min_size=20, max_size=20))
def test_no_router_beats_the_oracle(scores: list[tuple[float, float]], picks: list[bool]) -> None:
    rows = [
        OutcomeRow(
            id=str(i),
            prompt="p",
            category="",
            split="test",
            outcomes={
                "cheap": ModelOutcome(cheap, 1.0, 10, 1),
                "dear": ModelOutcome(dear, 5.0, 10, 1),
            },
        )
        for i, (cheap, dear) in enumerate(scores)
    ]
    choices = ["dear" if pick else "cheap" for pick in picks[: len(rows)]]
    routed = score_choices(rows, choices, "any router")
    best = oracle(rows, ["cheap", "dear"])
    assert routed.score <= best.score
    if routed.score == best.score:
        assert routed.cost >= best.cost


@settings(max_examples=100, deadline=None)
@given(
    counts=st.dictionaries(st.integers(0, 1 << 20), st.integers(1, 30), max_size=120),
    min_df=st.integers(1, 10),
    cap=st.integers(0, 80),
)
def test_kept_buckets_are_the_most_frequent_eligible_ones(
    counts: dict[int, int], min_df: int, cap: int
) -> None:
    kept = kept_buckets(counts, min_df, cap)
    assert kept == sorted(set(kept))
    assert len(kept) <= cap
    assert all(counts[bucket] >= min_df for bucket in kept)
    dropped = [b for b, count in counts.items() if count >= min_df and b not in kept]
    if dropped:
        assert len(kept) == cap
    if dropped and kept:
        assert min(counts[b] for b in kept) >= max(counts[b] for b in dropped)


def test_fit_keeps_at_most_max_buckets() -> None:
    router = fit_router(
        TRAIN, ["cheap", "dear"], PRICES, ["synthetic.jsonl"], FitOptions(max_buckets=4)
    )
    assert len(router.buckets) <= 4
    assert all(len(model.weights) == len(router.buckets) for model in router.models)
