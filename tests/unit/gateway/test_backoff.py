"""Retry delays: bounded exponential backoff with jitter, Retry-After honoured within a bound."""

from __future__ import annotations

from email.utils import formatdate

from hypothesis import given
from hypothesis import strategies as st

from tierroute_gateway.server.backoff import BackoffSettings, parse_retry_after, retry_delay

SETTINGS = BackoffSettings(base_seconds=0.1, cap_seconds=1.0, max_retry_after_seconds=3.0)


@given(st.integers(1, 50), st.floats(0, 1))
def test_delay_lies_between_zero_and_the_capped_exponential(retry: int, fraction: float) -> None:
    delay = retry_delay(retry, fraction, None, SETTINGS)
    assert delay is not None
    ceiling = min(SETTINGS.cap_seconds, SETTINGS.base_seconds * 2 ** (retry - 1))
    assert 0 <= delay <= ceiling


def test_jitter_spreads_the_delay() -> None:
    low = retry_delay(3, 0.0, None, SETTINGS)
    high = retry_delay(3, 1.0, None, SETTINGS)
    assert low == 0
    assert high is not None
    assert high > 0


@given(st.integers(1, 10), st.floats(0, 1), st.floats(0, 3))
def test_retry_after_is_a_floor(retry: int, fraction: float, retry_after: float) -> None:
    delay = retry_delay(retry, fraction, retry_after, SETTINGS)
    assert delay is not None
    assert delay >= retry_after


def test_retry_after_beyond_the_bound_skips_the_model() -> None:
    assert retry_delay(1, 0.5, SETTINGS.max_retry_after_seconds + 1, SETTINGS) is None


def test_parse_retry_after_seconds_and_dates() -> None:
    assert parse_retry_after("2", now=0.0) == 2.0
    assert parse_retry_after(" 0.5 ", now=0.0) == 0.5
    assert parse_retry_after(None, now=0.0) is None
    assert parse_retry_after("soon", now=0.0) is None
    assert parse_retry_after("inf", now=0.0) is None
    assert parse_retry_after("-3", now=0.0) == 0.0
    now = 1_700_000_000.0
    parsed = parse_retry_after(formatdate(now + 30, usegmt=True), now=now)
    assert parsed is not None
    assert 29 <= parsed <= 31
