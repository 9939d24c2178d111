"""The fallback executor with plain async functions standing in for provider calls."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from tierroute_gateway.routing_table import ChainStep, ErrorClass, Model, Pricing, Tier
from tierroute_gateway.server.backoff import BackoffSettings
from tierroute_gateway.server.breaker import BreakerSettings
from tierroute_gateway.server.fallback import ChainFailedError, Executor
from tierroute_gateway.server.limits import ConcurrencyLimits
from tierroute_gateway.server.providers.exchange import UpstreamError

ALL = tuple(ErrorClass)
FAST = BackoffSettings(base_seconds=0.001, cap_seconds=0.002, max_retry_after_seconds=0.05)


def chain(*models: str, retries: int = 1, timeout_ms: int = 1000) -> tuple[ChainStep, ...]:
    return tuple(
        ChainStep(model=m, max_retries=retries, timeout_ms=timeout_ms, retry_on=ALL) for m in models
    )


def executor(failures: int = 5) -> Executor:
    return Executor(
        ConcurrencyLimits(),
        breaker_settings=BreakerSettings(consecutive_failures=failures, open_seconds=60),
        backoff=FAST,
    )


Call = Callable[[str, float], Awaitable[str]]


def scripted(outcomes: dict[str, list[Exception | str]], log: list[str]) -> Call:
    async def call(model: str, timeout: float) -> str:
        log.append(model)
        outcome = outcomes[model].pop(0) if outcomes[model] else "ok"
        if isinstance(outcome, Exception):
            raise outcome
        return f"{model}:{outcome}"

    return call


def run(runner: Executor, steps: tuple[ChainStep, ...], call: Call, seconds: float = 5) -> str:
    """Run the chain on a fresh loop, the executor's clock being the loop's."""

    async def go() -> str:
        runner.clock = asyncio.get_running_loop().time
        result = await runner.run(steps, call, runner.clock() + seconds)
        return result.value

    return asyncio.run(go())


def test_first_model_answering_ends_the_chain() -> None:
    log: list[str] = []
    assert run(executor(), chain("a", "b"), scripted({"a": [], "b": []}, log)) == "a:ok"
    assert log == ["a"]


def test_retryable_failure_is_retried_then_the_next_step_runs() -> None:
    log: list[str] = []
    failing = UpstreamError("server_error", "boom", status=500)
    outcomes: dict[str, list[Exception | str]] = {"a": [failing, failing], "b": []}
    assert run(executor(), chain("a", "b"), scripted(outcomes, log)) == "b:ok"
    assert log == ["a", "a", "b"]


def test_class_not_in_retry_on_moves_on_at_once() -> None:
    log: list[str] = []
    steps = (
        ChainStep(model="a", max_retries=3, timeout_ms=1000, retry_on=(ErrorClass.TIMEOUT,)),
        *chain("b"),
    )
    outcomes: dict[str, list[Exception | str]] = {
        "a": [UpstreamError("server_error", "x")],
        "b": [],
    }
    assert run(executor(), steps, scripted(outcomes, log)) == "b:ok"
    assert log == ["a", "b"]


def test_client_errors_are_not_retried() -> None:
    log: list[str] = []
    outcomes: dict[str, list[Exception | str]] = {
        "a": [UpstreamError("client_error", "400")],
        "b": [],
    }
    assert run(executor(), chain("a", "b", retries=3), scripted(outcomes, log)) == "b:ok"
    assert log == ["a", "b"]


def test_retry_after_over_the_bound_skips_the_retry() -> None:
    log: list[str] = []
    limited = UpstreamError("rate_limit", "429", status=429, retry_after=30.0)
    outcomes: dict[str, list[Exception | str]] = {"a": [limited], "b": []}
    assert run(executor(), chain("a", "b", retries=3), scripted(outcomes, log)) == "b:ok"
    assert log == ["a", "b"]


def test_every_step_failing_lists_every_attempt() -> None:
    log: list[str] = []
    failing = UpstreamError("server_error", "boom", status=503)
    outcomes: dict[str, list[Exception | str]] = {"a": [failing] * 2, "b": [failing] * 2}
    with pytest.raises(ChainFailedError) as raised:
        run(executor(), chain("a", "b"), scripted(outcomes, log))
    assert [attempt.model for attempt in raised.value.attempts] == ["a", "a", "b", "b"]
    assert not raised.value.timed_out


def test_slow_call_times_out_and_falls_back() -> None:
    async def call(model: str, timeout: float) -> str:
        if model == "slow":
            await asyncio.sleep(10)
        return model

    assert run(executor(), chain("slow", "b", retries=0, timeout_ms=20), call) == "b"


def test_deadline_passing_is_reported_as_timed_out() -> None:
    async def call(model: str, timeout: float) -> str:
        await asyncio.sleep(10)
        return model

    with pytest.raises(ChainFailedError) as raised:
        run(executor(), chain("a", "b", timeout_ms=5000), call, seconds=0.05)
    assert raised.value.timed_out


def test_open_breaker_skips_the_model_without_calling_it() -> None:
    runner = executor(failures=1)
    log: list[str] = []
    failing = UpstreamError("connection", "reset")
    outcomes: dict[str, list[Exception | str]] = {
        "a": [failing],
        "b": [],
    }
    run(runner, chain("a", "b", retries=0), scripted(outcomes, log))
    assert "a" in runner.unavailable()
    log.clear()
    assert run(runner, chain("a", "b", retries=0), scripted({"a": [], "b": []}, log)) == "b:ok"
    assert log == ["b"]


def test_concurrency_limit_bounds_in_flight_calls() -> None:
    limits = ConcurrencyLimits()
    runner = Executor(limits, backoff=FAST)
    in_flight = 0
    peak = 0

    async def call(model: str, timeout: float) -> str:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return model

    async def go() -> list[str]:
        runner.clock = asyncio.get_running_loop().time
        limits.configure([LIMITED])
        deadline = runner.clock() + 5
        results = await asyncio.gather(*(runner.run(chain("a"), call, deadline) for _ in range(6)))
        return [result.value for result in results]

    assert asyncio.run(go()) == ["a"] * 6
    assert peak == 2


LIMITED = Model(
    name="a",
    provider="p",
    provider_model="a",
    tier=Tier.ECONOMY,
    pricing=Pricing(input_per_million="1", output_per_million="1"),
    context_window=1000,
    max_output_tokens=100,
    capabilities=(),
    latency_ms=1,
    quality="0.5",
    tokens_per_image=0,
    max_concurrency=2,
)
