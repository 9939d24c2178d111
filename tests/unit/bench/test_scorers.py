"""Scorers against hand-checked cases, plus invariants of the edit distance."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tierroute_bench.scorers import (
    ScorerError,
    character_error_rate,
    edit_distance,
    first_number,
    json_path,
    normalize_text,
    parse_judge_verdict,
    score_answer,
    word_error_rate,
)
from tierroute_bench.tasks import Scorer, ScorerKind


def scorer(kind: str, **fields: object) -> Scorer:
    return Scorer.model_validate({"kind": kind, **fields})


@pytest.mark.parametrize(
    ("answer", "expected", "correct"),
    [("C", "C", True), (" C\n", "C", True), ("c", "C", False), ("C.", "C", False)],
)
def test_exact_match_ignores_only_surrounding_whitespace(
    answer: str, expected: str, correct: bool
) -> None:
    assert score_answer(scorer("exact"), answer, expected).correct is correct


@pytest.mark.parametrize(
    ("answer", "expected", "correct"),
    [
        ("The colour is Red.", "the colour is red", True),
        ("  BLUE ", "blue", True),
        ("a  red   circle", "Red circle", True),
        ("red", "green", False),
    ],
)
def test_normalized_match_ignores_case_punctuation_articles_and_spacing(
    answer: str, expected: str, correct: bool
) -> None:
    assert score_answer(scorer("normalized"), answer, expected).correct is correct


def test_regex_searches_case_insensitively() -> None:
    rule = scorer("regex", pattern=r"\b(11|13)\b")
    assert score_answer(rule, "I pick 13.", None).correct
    assert not score_answer(rule, "113", None).correct


@pytest.mark.parametrize(
    ("answer", "expected", "tolerance", "relative", "correct"),
    [
        ("42", 42, 0.0, 0.0, True),
        ("The value is 41.", 42, 1.0, 0.0, True),
        ("The value is 40.", 42, 1.0, 0.0, False),
        ("1,050", 1000, 0.0, 0.05, True),
        ("1,051", 1000, 0.0, 0.05, False),
        ("-3.5 degrees", "-3.5", 0.0, 0.0, True),
        ("no idea", 3, 10.0, 0.0, False),
    ],
)
def test_numeric_tolerance(
    answer: str, expected: object, tolerance: float, relative: float, correct: bool
) -> None:
    rule = scorer("numeric", tolerance=tolerance, relativeTolerance=relative)
    assert score_answer(rule, answer, expected).correct is correct


def test_first_number_reads_separators_and_signs() -> None:
    assert first_number("about 1,234.5 units") == 1234.5
    assert first_number("x = -7") == -7
    assert first_number("none") is None


def test_json_field_match_compares_listed_fields() -> None:
    expected = {"name": "Alice", "age": 31, "city": "Lyon"}
    answer = 'Sure: ```json\n{"name": "alice", "age": 31, "city": "Paris"}\n```'
    both = score_answer(scorer("json_field", fields=["name", "age"]), answer, expected)
    assert both.correct
    assert both.value == 1.0
    every = score_answer(scorer("json_field"), answer, expected)
    assert not every.correct
    assert every.value == pytest.approx(2 / 3)


def test_json_field_match_of_non_json_answer_is_wrong() -> None:
    result = score_answer(scorer("json_field"), "Alice is 31", {"name": "Alice"})
    assert not result.correct
    assert result.detail == "answer is not JSON"


def test_json_path_walks_objects_and_lists() -> None:
    document = {"a": {"b": [{"c": 1}, {"c": 2}]}}
    assert json_path(document, "a.b[1].c") == 2
    assert json_path(document, "a.b[5].c") is None


def test_character_error_rate_hand_checked() -> None:
    # kitten → sitting: substitute k/s, substitute e/i, insert g: 3 edits over 7 characters.
    assert character_error_rate("kitten", "sitting") == pytest.approx(3 / 7)
    assert character_error_rate("HELLO  WORLD", "HELLO WORLD") == 0.0


def test_cer_scorer_counts_as_correct_under_the_threshold() -> None:
    rule = scorer("cer", maxRate=0.1)
    assert score_answer(rule, "KESTREL EMBER 6O", "KESTREL EMBER 60").correct  # 1/16
    assert not score_answer(rule, "KESTREL EMBR 6O", "KESTREL EMBER 60").correct  # 2/16


def test_word_error_rate_hand_checked() -> None:
    # reference 4 words; one substitution (7→1) and one deletion (4): 2/4.
    assert word_error_rate("3 1 1", "3 7 1 4") == pytest.approx(2 / 4)
    assert word_error_rate("Three, seven.", "three seven") == 0.0


def test_scorers_that_need_an_expected_answer_say_so() -> None:
    with pytest.raises(ScorerError, match="needs an expected answer"):
        score_answer(scorer("exact"), "x", None)


def test_judge_verdicts() -> None:
    assert parse_judge_verdict("YES").correct
    assert parse_judge_verdict("Yes.").correct
    assert not parse_judge_verdict("No").correct
    undecided = parse_judge_verdict("maybe")
    assert not undecided.correct
    assert "no verdict" in undecided.detail


def test_normalize_text_is_idempotent_on_examples() -> None:
    text = "The  Quick, brown FOX!"
    assert normalize_text(normalize_text(text)) == normalize_text(text) == "quick brown fox"


@given(st.text(max_size=30), st.text(max_size=30))
def test_edit_distance_is_symmetric_and_bounded(first: str, second: str) -> None:
    distance = edit_distance(first, second)
    assert distance == edit_distance(second, first)
    assert abs(len(first) - len(second)) <= distance <= max(len(first), len(second))


@given(st.text(max_size=30))
def test_identical_text_has_no_errors(text: str) -> None:
    assert character_error_rate(text, text) == 0.0
    assert word_error_rate(text, text) == 0.0


def test_every_scorer_kind_but_judge_is_handled() -> None:
    expected = {"exact": "a", "normalized": "a", "regex": "a", "numeric": 1, "cer": "a",
                "wer": "a", "json_field": {"a": 1}}  # fmt: skip
    for kind in ScorerKind:
        if kind != ScorerKind.JUDGE:
            score_answer(scorer(kind.value), "a", expected[kind.value])
