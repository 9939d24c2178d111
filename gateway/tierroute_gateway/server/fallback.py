"""The fallback executor: try each step of a chain with retries, then the next step.

Per attempt: the model's circuit breaker must admit the call, a concurrency slot must free up
within the attempt's timeout, and the call must finish within it. Retries happen only on the
step's retry-on classes, after an exponential backoff with jitter that honours `Retry-After`
within a bound. The whole chain runs under one deadline; past it the request times out.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from tierroute_gateway.server.backoff import BackoffSettings, retry_delay
from tierroute_gateway.server.breaker import BreakerSettings, CircuitBreaker
from tierroute_gateway.server.limits import ConcurrencyLimits
from tierroute_gateway.server.providers.exchange import CLIENT_ERROR, UpstreamError

T = TypeVar("T")
CIRCUIT_OPEN = "circuit_open"
SATURATED = "saturated"
_NOT_THE_MODELS_FAULT = frozenset({CLIENT_ERROR, SATURATED})


class Step(Protocol):
    """One chain step as the decision core hands it over."""

    @property
    def model(self) -> str: ...
    @property
    def max_retries(self) -> int: ...
    @property
    def timeout_ms(self) -> int: ...
    @property
    def retry_on(self) -> Sequence[str]: ...


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try of one model: what happened and how long it took."""

    model: str
    outcome: str
    status: int | None
    detail: str
    seconds: float

    def describe(self) -> str:
        """One line for error bodies and logs."""
        status = f" HTTP {self.status}" if self.status is not None else ""
        return f"{self.model}: {self.outcome}{status} after {self.seconds:.3f}s ({self.detail})"


class ChainFailedError(Exception):
    """Every step failed, or the deadline passed (`timed_out`); the attempts say how."""

    def __init__(self, attempts: list[Attempt], *, timed_out: bool) -> None:
        super().__init__("; ".join(attempt.describe() for attempt in attempts))
        self.attempts = attempts
        self.timed_out = timed_out


@dataclass(slots=True)
class ChainResult(Generic[T]):
    """The successful call's value, the model that gave it and every attempt made."""

    value: T
    model: str
    attempts: list[Attempt]
    slot: asyncio.Semaphore | None = None

    def release(self) -> None:
        """Give back the concurrency slot a kept (streaming) call still holds."""
        if self.slot is not None:
            self.slot.release()
            self.slot = None


@dataclass(slots=True)
class Executor:
    """Breakers, limits and backoff shared by every request of a gateway replica."""

    limits: ConcurrencyLimits
    breaker_settings: BreakerSettings = field(default_factory=BreakerSettings)
    backoff: BackoffSettings = field(default_factory=BackoffSettings)
    clock: Callable[[], float] = time.monotonic
    jitter: Callable[[], float] = random.random
    on_failure: Callable[[str, str], None] = lambda model, error_class: None
    on_fallback: Callable[[str, str], None] = lambda from_model, to_model: None
    breakers: dict[str, CircuitBreaker] = field(default_factory=dict)

    def breaker(self, model: str) -> CircuitBreaker:
        """The breaker of `model`, created closed on first use."""
        breaker = self.breakers.get(model)
        if breaker is None:
            breaker = self.breakers[model] = CircuitBreaker(self.breaker_settings)
        return breaker

    def unavailable(self) -> frozenset[str]:
        """Models whose breaker refuses calls now: selection treats them as disabled."""
        now = self.clock()
        return frozenset(
            model for model, breaker in self.breakers.items() if not breaker.available(now)
        )

    async def run(
        self,
        steps: Sequence[Step],
        call: Callable[[str, float], Awaitable[T]],
        deadline: float,
        *,
        keep_slot: bool = False,
    ) -> ChainResult[T]:
        """Call along the chain until one call succeeds; raise ChainFailedError otherwise."""
        attempts: list[Attempt] = []
        for index, step in enumerate(steps):
            if index > 0:
                self.on_fallback(steps[index - 1].model, step.model)
            result = await self._run_step(step, call, deadline, attempts, keep_slot)
            if result is not None:
                return result
        raise ChainFailedError(attempts, timed_out=self.clock() >= deadline)

    async def _run_step(
        self,
        step: Step,
        call: Callable[[str, float], Awaitable[T]],
        deadline: float,
        attempts: list[Attempt],
        keep_slot: bool,
    ) -> ChainResult[T] | None:
        for number in range(step.max_retries + 1):
            remaining = deadline - self.clock()
            if remaining <= 0:
                raise ChainFailedError(attempts, timed_out=True)
            outcome = await self._attempt(step, call, min(remaining, step.timeout_ms / 1000))
            if isinstance(outcome, ChainResult):
                outcome.attempts = [*attempts, outcome.attempts[0]]
                if not keep_slot:
                    outcome.release()
                return outcome
            attempt, failure = outcome
            attempts.append(attempt)
            if failure is None or failure.error_class not in step.retry_on:
                return None
            if number == step.max_retries:
                return None
            delay = retry_delay(number + 1, self.jitter(), failure.retry_after, self.backoff)
            if delay is None or self.clock() + delay >= deadline:
                return None
            await asyncio.sleep(delay)
        return None

    async def _attempt(
        self, step: Step, call: Callable[[str, float], Awaitable[T]], timeout: float
    ) -> ChainResult[T] | tuple[Attempt, UpstreamError | None]:
        model = step.model
        breaker = self.breaker(model)
        started = self.clock()
        if not breaker.try_acquire(started):
            return Attempt(model, CIRCUIT_OPEN, None, "circuit breaker open", 0.0), None
        slot = self.limits.semaphore(model)
        holding = False
        try:
            async with asyncio.timeout(timeout):
                if slot is not None:
                    await slot.acquire()
                    holding = True
                try:
                    value = await call(model, timeout)
                except BaseException:
                    if holding and slot is not None:
                        slot.release()
                    raise
        except UpstreamError as error:
            return self._failed(model, breaker, error, started), error
        except TimeoutError:
            if slot is not None and not holding:
                timed_out = UpstreamError(SATURATED, "every concurrency slot stayed busy")
            else:
                timed_out = UpstreamError("timeout", f"no answer within {timeout:.3f}s")
            return self._failed(model, breaker, timed_out, started), timed_out
        except BaseException:
            breaker.release()
            raise
        breaker.record_success(self.clock())
        attempt = Attempt(model, "ok", None, "answered", self.clock() - started)
        return ChainResult(value, model, [attempt], slot if holding else None)

    def _failed(
        self, model: str, breaker: CircuitBreaker, failure: UpstreamError, started: float
    ) -> Attempt:
        now = self.clock()
        if failure.error_class in _NOT_THE_MODELS_FAULT:
            breaker.release()
        else:
            breaker.record_failure(now)
        self.on_failure(model, failure.error_class)
        return Attempt(model, failure.error_class, failure.status, failure.detail, now - started)
