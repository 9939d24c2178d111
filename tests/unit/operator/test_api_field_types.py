"""The shared field types: Python validators and CRD patterns accept the same values."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from tierroute_operator.api import field_types
from tierroute_operator.api.field_types import (
    Duration,
    Money,
    Name,
    RegexPattern,
    Score,
    Timeout,
    TimezoneName,
    parse_duration_ms,
)

UNITS_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000}


@pytest.mark.parametrize(
    ("text", "milliseconds"),
    [("30s", 30_000), ("800ms", 800), ("5m", 300_000), ("1h", 3_600_000), ("1m30s", 90_000),
     ("1.5s", 1500), ("0s", 0)],
)  # fmt: skip
def test_durations_parse_to_milliseconds(text: str, milliseconds: int) -> None:
    assert parse_duration_ms(text) == milliseconds


@pytest.mark.parametrize("text", ["30", "30 seconds", "5x", "-1s", "", "s", "1.s", "1d"])
def test_malformed_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration_ms(text)


@settings(deadline=None)  # behaviour, not timing
@given(st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(list(UNITS_MS))), min_size=1))
def test_a_duration_is_the_sum_of_its_parts(parts: list[tuple[int, str]]) -> None:
    text = "".join(f"{number}{unit}" for number, unit in parts)
    assert parse_duration_ms(text) == sum(number * UNITS_MS[unit] for number, unit in parts)


def test_a_timeout_must_be_positive() -> None:
    with pytest.raises(ValidationError, match="at least 1ms"):
        TypeAdapter(Timeout).validate_python("0s")


# Each type's JSON-schema pattern goes to the API server; the Python validator must agree with
# it on every string, so that `tierroute validate` and `kubectl apply` give the same verdict.
AGREEING_TYPES = [
    (Money, field_types.DECIMAL_PATTERN, "0123456789.-e+ \n"),
    (Score, field_types.SCORE_PATTERN, "0123456789.-\n"),
    (Duration, field_types.DURATION_PATTERN, "0123456789.mshd \n"),
    (Name, field_types.NAME_PATTERN, "abz09-._A\n"),
]


@pytest.mark.parametrize(("field_type", "pattern", "alphabet"), AGREEING_TYPES)
@settings(deadline=None)  # behaviour, not timing
@given(data=st.data())
def test_python_validator_agrees_with_the_crd_pattern(
    field_type: object, pattern: str, alphabet: str, data: st.DataObject
) -> None:
    text = data.draw(st.text(alphabet=alphabet, max_size=12))
    # Go's RE2, which the API server uses, matches `$` only at the very end of the text.
    accepted_by_pattern = re.search(pattern.removesuffix("$") + r"\Z", text) is not None
    try:
        TypeAdapter(field_type).validate_python(text)
        accepted_by_python = True
    except ValidationError:
        accepted_by_python = False
    assert accepted_by_python == accepted_by_pattern


@settings(deadline=None)  # behaviour, not timing
@given(st.integers(0, 1000))
def test_every_score_in_the_unit_interval_is_accepted(thousandths: int) -> None:
    text = str(Decimal(thousandths).scaleb(-3))
    assert TypeAdapter(Score).validate_python(text) == text


@pytest.mark.parametrize("text", ["1.01", "2", "-0.5", "0.9.1", ".5"])
def test_scores_outside_the_unit_interval_are_refused(text: str) -> None:
    with pytest.raises(ValidationError, match=r"in \[0, 1\]"):
        TypeAdapter(Score).validate_python(text)


def test_a_regex_that_does_not_compile_is_refused_with_the_reason() -> None:
    with pytest.raises(ValidationError, match="is not a supported pattern"):
        TypeAdapter(RegexPattern).validate_python(r"\b(analyze")


def test_a_backtracking_only_regex_is_refused_because_the_gateway_uses_re2() -> None:
    with pytest.raises(ValidationError, match="RE2 syntax"):
        TypeAdapter(RegexPattern).validate_python(r"\b(\w+) \1\b")


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "America/New_York"])
def test_known_time_zones_are_accepted(zone: str) -> None:
    assert TypeAdapter(TimezoneName).validate_python(zone) == zone


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "Europe/Pariss", "../etc/passwd"])
def test_unknown_time_zones_are_refused(zone: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(TimezoneName).validate_python(zone)
