"""The learned router as the gateway runs it: features, artefact loading, decision rules."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tierroute_gateway.learned_router import (
    FeatureSpec,
    Featurizer,
    LearnedRouter,
    LearnedRouterError,
    Prediction,
    Predictor,
    artefact_hash,
    canonical_artefact,
    choose_by_threshold,
    choose_by_tradeoff,
    load_learned_router,
)
from tierroute_gateway.learned_router.artefact import (
    FittedOn,
    ModelWeights,
    OperatingPoint,
    rows_digest,
)

SPEC = FeatureSpec(buckets=1 << 16)


def _router() -> LearnedRouter:
    hard = Featurizer(SPEC)("integral").buckets[0]
    weights = {"cheap": (-6.0,), "dear": (0.0,)}
    return LearnedRouter(
        schema_version=1,
        kind="tierroute.io/learned-router",
        features=SPEC,
        buckets=(hard,),
        models=tuple(
            ModelWeights(
                name=name,
                bias=3.0,
                length_weight=0.0,
                weights=weights[name],
                input_per_million=price,
                output_per_million=price,
                expected_output_tokens=10,
            )
            for name, price in (("cheap", 0.2), ("dear", 10.0))
        ),
        operating_point=OperatingPoint(rule="threshold", value=0.5),
        regularization=1.0,
        calibration=(),
        fitted_on=FittedOn(sources=("x",), row_ids=("a",), digest=rows_digest(["a"])),
    )


def test_features_are_deterministic_and_bounded_by_max_chars() -> None:
    featurize = Featurizer(FeatureSpec(max_chars=64))
    tail = "solve the integral " * 4  # 76 characters: the cut falls inside it
    assert featurize("x" * 10_000 + tail).buckets == featurize("y" * 50 + tail).buckets
    assert featurize("Hello World").buckets == featurize("hello   world").buckets


@settings(max_examples=200)
@given(prompt=st.text(max_size=300), extra=st.integers(min_value=0, max_value=200))
def test_features_of_a_tail_equal_those_of_the_whole_prompt(prompt: str, extra: int) -> None:
    featurize = Featurizer(FeatureSpec(max_chars=64))
    from_tail = featurize.of_tail(prompt[-(64 + extra) :], len(prompt))
    whole = featurize(prompt)
    assert (from_tail.buckets, from_tail.length) == (whole.buckets, whole.length)


def test_predictor_sends_the_known_hard_word_to_the_expensive_model() -> None:
    predictor = Predictor(_router())
    hard = predictor.predict("please solve this integral")
    easy = predictor.predict("please say hello")
    assert hard.models[choose_by_threshold(hard, 0.5)] == "dear"
    assert easy.models[choose_by_threshold(easy, 0.5)] == "cheap"


def test_artefact_round_trips_and_checks_its_hash() -> None:
    router = _router()
    document = canonical_artefact(router)
    assert load_learned_router(document, expected_hash=artefact_hash(router)) == router
    with pytest.raises(LearnedRouterError, match="does not match"):
        load_learned_router(document, expected_hash="sha256:" + "0" * 64)
    with pytest.raises(LearnedRouterError, match="schemaVersion 2"):
        load_learned_router(document.replace(b'"schemaVersion":1', b'"schemaVersion":2'))


def test_artefact_refuses_weights_that_do_not_match_the_buckets() -> None:
    data = _router().model_dump(by_alias=True)
    data["buckets"] = [1, 2]
    with pytest.raises(ValueError, match=r"models\[0\] \(cheap\)\.weights"):
        LearnedRouter.model_validate(data)


_models = st.integers(min_value=1, max_value=6)
_probability = st.floats(min_value=0, max_value=1)
_cost = st.floats(min_value=0, max_value=10)


@st.composite
def _predictions(draw: st.DrawFn) -> Prediction:
    count = draw(_models)
    names = tuple(f"m{i}" for i in range(count))
    success = tuple(draw(_probability) for _ in names)
    cost = tuple(draw(_cost) for _ in names)
    return Prediction(names, success, cost)


@settings(max_examples=300)
@given(prediction=_predictions(), low=_probability, high=_probability)
def test_raising_the_threshold_never_picks_cheaper_or_less_likely(
    prediction: Prediction, low: float, high: float
) -> None:
    low, high = min(low, high), max(low, high)
    before = choose_by_threshold(prediction, low)
    after = choose_by_threshold(prediction, high)
    assert prediction.cost[after] >= prediction.cost[before]
    assert prediction.success[after] >= prediction.success[before]


@settings(max_examples=300)
@given(prediction=_predictions(), low=_cost, high=_cost)
def test_lowering_the_cost_weight_never_picks_cheaper_or_less_likely(
    prediction: Prediction, low: float, high: float
) -> None:
    low, high = min(low, high), max(low, high)
    eager = choose_by_tradeoff(prediction, low)
    thrifty = choose_by_tradeoff(prediction, high)
    assert prediction.cost[eager] >= prediction.cost[thrifty]
    assert prediction.success[eager] >= prediction.success[thrifty]
