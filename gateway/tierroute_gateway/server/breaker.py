"""A per-model circuit breaker, one per gateway replica.

Closed: calls flow; it opens after `consecutive_failures` failures in a row, or when the error
rate over the last `window_seconds` exceeds `error_rate` with at least `min_calls` calls. Open:
calls are refused until `open_seconds` have passed. Half-open: exactly one probe call is let
through; its success closes the breaker, its failure opens it again. Time is passed in, so the
state machine is pure and testable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class BreakerState(StrEnum):
    """Where a breaker stands."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True, slots=True)
class BreakerSettings:
    """Thresholds of every breaker of a gateway."""

    consecutive_failures: int = 5
    error_rate: float = 0.5
    min_calls: int = 20
    window_seconds: int = 30
    open_seconds: float = 10.0


@dataclass(slots=True)
class CircuitBreaker:
    """The state of one model's breaker."""

    settings: BreakerSettings = field(default_factory=BreakerSettings)
    state: BreakerState = BreakerState.CLOSED
    opened_at: float = 0.0
    probe_in_flight: bool = False
    failures_in_a_row: int = 0
    _calls: list[int] = field(default_factory=list)
    _failures: list[int] = field(default_factory=list)
    _slots: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        size = max(1, self.settings.window_seconds)
        self._calls = [0] * size
        self._failures = [0] * size
        self._slots = [-1] * size

    def available(self, now: float) -> bool:
        """Whether a call may be routed here now (without claiming the half-open probe)."""
        if self.state is BreakerState.CLOSED:
            return True
        if self.state is BreakerState.OPEN:
            return now - self.opened_at >= self.settings.open_seconds
        return not self.probe_in_flight

    def try_acquire(self, now: float) -> bool:
        """Claim the right to call now; in half-open state only one caller gets it."""
        if self.state is BreakerState.CLOSED:
            return True
        if self.state is BreakerState.OPEN:
            if now - self.opened_at < self.settings.open_seconds:
                return False
            self.state = BreakerState.HALF_OPEN
            self.probe_in_flight = False
        if self.probe_in_flight:
            return False
        self.probe_in_flight = True
        return True

    def record_success(self, now: float) -> None:
        """A call succeeded."""
        self._count(now, failed=False)
        self.failures_in_a_row = 0
        if self.state is not BreakerState.CLOSED:
            self._reset_window()
            self.state = BreakerState.CLOSED
            self.probe_in_flight = False

    def record_failure(self, now: float) -> None:
        """A call failed in a way that says the model is unhealthy."""
        self._count(now, failed=True)
        self.failures_in_a_row += 1
        if self.state is BreakerState.HALF_OPEN or self._should_open(now):
            self._open(now)

    def release(self) -> None:
        """A claimed call ended without a verdict on the model (a local limit, a cancel)."""
        self.probe_in_flight = False

    def _should_open(self, now: float) -> bool:
        if self.state is not BreakerState.CLOSED:
            return False
        if self.failures_in_a_row >= self.settings.consecutive_failures:
            return True
        calls, failures = self._window_totals(now)
        return calls >= self.settings.min_calls and failures / calls > self.settings.error_rate

    def _open(self, now: float) -> None:
        self.state = BreakerState.OPEN
        self.opened_at = now
        self.probe_in_flight = False

    def _count(self, now: float, *, failed: bool) -> None:
        second = int(now)
        slot = second % len(self._slots)
        if self._slots[slot] != second:
            self._slots[slot] = second
            self._calls[slot] = 0
            self._failures[slot] = 0
        self._calls[slot] += 1
        if failed:
            self._failures[slot] += 1

    def _window_totals(self, now: float) -> tuple[int, int]:
        oldest = int(now) - len(self._slots) + 1
        calls = failures = 0
        for index, second in enumerate(self._slots):
            if second >= oldest:
                calls += self._calls[index]
                failures += self._failures[index]
        return calls, failures

    def _reset_window(self) -> None:
        self._slots = [-1] * len(self._slots)
        self.failures_in_a_row = 0
