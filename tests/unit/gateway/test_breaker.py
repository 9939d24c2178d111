"""The circuit breaker state machine."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tierroute_gateway.server.breaker import BreakerSettings, BreakerState, CircuitBreaker

SETTINGS = BreakerSettings(
    consecutive_failures=3, error_rate=0.5, min_calls=10, window_seconds=10, open_seconds=5.0
)


def test_opens_after_consecutive_failures() -> None:
    breaker = CircuitBreaker(SETTINGS)
    for _ in range(SETTINGS.consecutive_failures - 1):
        breaker.record_failure(now=1.0)
    assert breaker.state is BreakerState.CLOSED
    breaker.record_failure(now=1.0)
    assert breaker.state is BreakerState.OPEN
    assert not breaker.try_acquire(now=2.0)
    assert not breaker.available(now=2.0)


def test_a_success_resets_the_consecutive_count() -> None:
    breaker = CircuitBreaker(SETTINGS)
    for _ in range(5):
        breaker.record_failure(now=1.0)
        breaker.record_failure(now=1.0)
        breaker.record_success(now=1.0)
        breaker.record_success(now=1.0)
        breaker.record_success(now=1.0)
    assert breaker.state is BreakerState.CLOSED


def test_opens_on_error_rate_over_the_window() -> None:
    settings = BreakerSettings(
        consecutive_failures=100, error_rate=0.5, min_calls=10, window_seconds=10
    )
    breaker = CircuitBreaker(settings)
    for second in range(6):
        breaker.record_failure(now=float(second))
        breaker.record_success(now=float(second) + 0.5)
    assert breaker.state is BreakerState.CLOSED  # 50 % is not over 50 %
    breaker.record_failure(now=6.0)
    assert breaker.state is BreakerState.OPEN


def test_old_calls_leave_the_window() -> None:
    settings = BreakerSettings(consecutive_failures=100, error_rate=0.5, min_calls=4)
    breaker = CircuitBreaker(settings)
    for _ in range(3):
        breaker.record_failure(now=0.0)
        breaker.record_success(now=0.0)
    breaker.record_failure(now=1000.0)
    assert breaker.state is BreakerState.CLOSED


def test_half_open_admits_one_probe_and_closes_on_success() -> None:
    breaker = CircuitBreaker(SETTINGS)
    for _ in range(3):
        breaker.record_failure(now=0.0)
    assert breaker.available(now=5.0)
    assert breaker.try_acquire(now=5.0)
    assert breaker.state is BreakerState.HALF_OPEN
    assert not breaker.try_acquire(now=5.1)
    breaker.record_success(now=5.2)
    assert breaker.state is BreakerState.CLOSED
    assert breaker.try_acquire(now=5.3)


def test_failed_probe_opens_again() -> None:
    breaker = CircuitBreaker(SETTINGS)
    for _ in range(3):
        breaker.record_failure(now=0.0)
    assert breaker.try_acquire(now=6.0)
    breaker.record_failure(now=6.5)
    assert breaker.state is BreakerState.OPEN
    assert not breaker.try_acquire(now=7.0)
    assert breaker.try_acquire(now=6.5 + SETTINGS.open_seconds)


def test_released_probe_lets_another_caller_probe() -> None:
    breaker = CircuitBreaker(SETTINGS)
    for _ in range(3):
        breaker.record_failure(now=0.0)
    assert breaker.try_acquire(now=6.0)
    breaker.release()
    assert breaker.try_acquire(now=6.1)


@given(st.lists(st.tuples(st.booleans(), st.floats(0, 0.5)), max_size=200))
def test_at_most_one_probe_in_flight(events: list[tuple[bool, float]]) -> None:
    breaker = CircuitBreaker(SETTINGS)
    now = 0.0
    for failed, step in events:
        now += step
        if failed:
            breaker.record_failure(now)
        else:
            breaker.record_success(now)
        if breaker.state is BreakerState.OPEN and breaker.try_acquire(now + 10):
            assert not breaker.try_acquire(now + 10)
            now += 10
            breaker.release()
