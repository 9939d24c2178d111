"""The simulator's pure decisions: fault draws, delays, answers, determinism under a seed."""

from __future__ import annotations

import json
import re
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tierroute_gateway.sim.answers import lorem_pieces, split_pieces, wrong_answer
from tierroute_gateway.sim.behaviour import (
    Behaviour,
    Draw,
    Outcome,
    behaviour_of,
    compose_answer,
    draw_request,
    model_random,
    outcome_at,
)
from tierroute_gateway.sim.profile import ModelProfile

rates = st.floats(min_value=0.0, max_value=0.2)


def _model(**fields: object) -> ModelProfile:
    return ModelProfile.model_validate({"name": "m", **fields})


@settings(deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    error=rates,
    limited=rates,
    reset=rates,
    quality=st.floats(min_value=0, max_value=1),
)
def test_same_seed_and_model_give_the_same_draws(
    seed: int, error: float, limited: float, reset: float, quality: float
) -> None:
    behaviour = behaviour_of(
        _model(
            quality=quality,
            latency={"distribution": "lognormal", "median_ms": 100, "p99_ms": 900},
            faults={"error_rate": error, "rate_limit_rate": limited, "reset_rate": reset},
        )
    )
    first, second = model_random(seed, "m"), model_random(seed, "m")
    assert [draw_request(behaviour, first) for _ in range(20)] == [
        draw_request(behaviour, second) for _ in range(20)
    ]


def test_seeds_and_models_give_different_streams() -> None:
    behaviour = behaviour_of(_model(faults={"error_rate": 0.5}))

    def outcomes(seed: int, model: str) -> list[Outcome]:
        rng = model_random(seed, model)
        return [draw_request(behaviour, rng).outcome for _ in range(64)]

    assert outcomes(1, "m") != outcomes(2, "m")
    assert outcomes(1, "m") != outcomes(1, "other")


def test_changing_a_rate_does_not_shift_later_draws() -> None:
    calm = behaviour_of(_model())
    failing = behaviour_of(_model(faults={"error_rate": 1.0}))
    first, second = model_random(3, "m"), model_random(3, "m")
    draw_request(calm, first)
    draw_request(failing, second)
    assert draw_request(calm, first) == draw_request(calm, second)


@pytest.mark.parametrize(
    "faults",
    [
        {"error_rate": 0.1},
        {"rate_limit_rate": 0.25, "timeout_rate": 0.05},
        {"reset_rate": 0.02, "drop_rate": 0.3, "error_rate": 0.2},
    ],
)
def test_fault_shares_converge_to_the_configured_rates(faults: dict[str, float]) -> None:
    behaviour = behaviour_of(_model(faults=faults))
    rng = model_random(11, "m")
    draws = 40_000
    counts = {outcome: 0 for outcome in Outcome}
    for _ in range(draws):
        counts[draw_request(behaviour, rng).outcome] += 1
    names = {
        "error_rate": Outcome.ERROR,
        "rate_limit_rate": Outcome.RATE_LIMITED,
        "timeout_rate": Outcome.TIMEOUT,
        "reset_rate": Outcome.RESET,
        "drop_rate": Outcome.DROP,
    }
    for field, rate in faults.items():
        assert counts[names[field]] / draws == pytest.approx(rate, abs=0.01)
    assert counts[Outcome.OK] / draws == pytest.approx(1 - sum(faults.values()), abs=0.01)


def test_quality_is_the_share_of_correct_answers() -> None:
    behaviour = behaviour_of(_model(quality=0.8))
    rng = model_random(5, "m")
    draws = [draw_request(behaviour, rng) for _ in range(20_000)]
    assert sum(draw.correct for draw in draws) / len(draws) == pytest.approx(0.8, abs=0.01)


def test_lognormal_latency_has_the_configured_median_and_p99() -> None:
    behaviour = behaviour_of(
        _model(latency={"distribution": "lognormal", "median_ms": 200, "p99_ms": 1000})
    )
    rng = model_random(9, "m")
    delays = sorted(draw_request(behaviour, rng).latency_s for _ in range(40_000))
    assert statistics.median(delays) == pytest.approx(0.2, rel=0.05)
    assert delays[int(len(delays) * 0.99)] == pytest.approx(1.0, rel=0.1)


def test_fixed_latency_is_always_the_same() -> None:
    behaviour = behaviour_of(_model(latency="250ms", time_to_first_token=40))
    rng = model_random(0, "m")
    draws = [draw_request(behaviour, rng) for _ in range(100)]
    assert {draw.latency_s for draw in draws} == {0.25}
    assert {draw.first_token_s for draw in draws} == {0.04}


def test_outcome_bands_are_cumulative() -> None:
    bounds = ((0.1, Outcome.ERROR), (0.3, Outcome.RESET))
    assert outcome_at(bounds, 0.05) is Outcome.ERROR
    assert outcome_at(bounds, 0.1) is Outcome.RESET
    assert outcome_at(bounds, 0.3) is Outcome.OK


def _draw(**faults: float) -> tuple[Behaviour, Draw]:
    behaviour = behaviour_of(_model(answer_tokens=30, faults=faults, quality=1.0))
    return behaviour, draw_request(behaviour, model_random(0, "m"))


def test_free_answer_has_the_model_length_and_stops() -> None:
    behaviour, draw = _draw()
    answer = compose_answer(behaviour, draw, expected=None, max_tokens=None, json_mode=False)
    assert len(answer.pieces) == 30
    assert answer.finish == "stop"


@settings(deadline=None)
@given(max_tokens=st.integers(min_value=1, max_value=60))
def test_max_tokens_cuts_the_answer_with_finish_length(max_tokens: int) -> None:
    behaviour, draw = _draw()
    answer = compose_answer(behaviour, draw, expected=None, max_tokens=max_tokens, json_mode=False)
    assert len(answer.pieces) == min(30, max_tokens)
    assert answer.finish == ("length" if max_tokens < 30 else "stop")


def test_answer_tokens_override_sets_the_free_answer_length() -> None:
    behaviour, draw = _draw()
    answer = compose_answer(
        behaviour, draw, expected=None, max_tokens=None, json_mode=False, answer_tokens=7
    )
    assert len(answer.pieces) == 7


def test_json_mode_answers_valid_json_holding_the_answer() -> None:
    behaviour, draw = _draw()
    answer = compose_answer(behaviour, draw, expected="Paris", max_tokens=None, json_mode=True)
    assert json.loads(answer.text) == {"answer": "Paris"}


def test_invalid_json_rate_breaks_json_answers() -> None:
    behaviour, draw = _draw(invalid_json_rate=1.0)
    answer = compose_answer(behaviour, draw, expected="Paris", max_tokens=None, json_mode=True)
    with pytest.raises(json.JSONDecodeError):
        json.loads(answer.text)


def test_expected_answer_is_given_when_the_draw_is_correct() -> None:
    behaviour, draw = _draw()
    answer = compose_answer(behaviour, draw, expected=" 42 ", max_tokens=None, json_mode=False)
    assert answer.text == "42"


def test_expected_answer_is_wrong_when_quality_is_zero() -> None:
    behaviour = behaviour_of(_model(quality=0.0))
    draw = draw_request(behaviour, model_random(0, "m"))
    answer = compose_answer(behaviour, draw, expected="B", max_tokens=None, json_mode=False)
    assert answer.text in {"A", "C", "D", "E"}


@settings(deadline=None)
@given(expected=st.text(max_size=40), variant=st.floats(min_value=0, max_value=0.999999))
def test_a_wrong_answer_never_equals_the_expected_one(expected: str, variant: float) -> None:
    assert wrong_answer(expected, variant).casefold() != expected.strip().casefold()


@pytest.mark.parametrize(
    ("expected", "shape"),
    [("42", r"^-?\d+$"), ("3.14", r"^\d+\.\d\d$"), ("yes", r"^no$"), ("True", r"^False$")],
)
def test_wrong_answers_keep_the_shape_of_the_expected_one(expected: str, shape: str) -> None:
    assert re.match(shape, wrong_answer(expected, 0.5))


@settings(deadline=None)
@given(text=st.text(max_size=80))
def test_pieces_join_back_into_the_stripped_text(text: str) -> None:
    assert "".join(split_pieces(text.strip())) == text.strip()


@settings(deadline=None)
@given(count=st.integers(min_value=1, max_value=300))
def test_lorem_has_exactly_the_asked_number_of_pieces(count: int) -> None:
    pieces = lorem_pieces(count)
    assert len(pieces) == count
    assert pieces[-1].endswith(".")
    assert len(split_pieces("".join(pieces))) == count
