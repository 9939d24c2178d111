"""Fault injection through the simulator: retries, fallback, Retry-After, breaker, drops."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from tests.helpers.gateway import (
    GatewayProcess,
    model,
    routing_table,
    running_gateway,
    step,
)
from tests.helpers.sim import Sim, running_sim

CHAIN = ("economy-a", "standard-a", "premium-a")
LOW = {"x-tierroute-complexity": "low"}
BODY = {"model": "chained", "messages": [{"role": "user", "content": "Say hello."}]}


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sim]:
    profile = {"models": [{"name": name} for name in CHAIN]}
    with running_sim(profile, tmp_path_factory.mktemp("sim")) as running:
        yield running


def table(sim: Sim, timeout_ms: int = 1000) -> dict[str, Any]:
    return routing_table(
        sim.url,
        [
            model("premium-a", "premium"),
            model("standard-a", "standard"),
            model("economy-a", "economy"),
        ],
        routes=[
            {
                "name": "chained",
                "category": "default",
                "strategy": "cost-optimized",
                "fallbackChain": "main",
            }
        ],
        chains=[{"name": "main", "steps": [step(name, 1, timeout_ms) for name in CHAIN]}],
    )


@pytest.fixture
def gateway(sim: Sim, tmp_path: Path) -> Iterator[GatewayProcess]:
    sim.reset()
    options = ("--breaker-failures", "2", "--breaker-open-seconds", "1")
    with running_gateway(table(sim), tmp_path, *options) as running:
        yield running


def ask(gateway: GatewayProcess, body: dict[str, Any] | None = None) -> httpx.Response:
    return httpx.post(
        f"{gateway.url}/v1/chat/completions", json=body or BODY, headers=LOW, timeout=30
    )


def calls(sim: Sim, name: str) -> int:
    found: int = sim.stats()["models"].get(name, {}).get("requests", 0)
    return found


def test_healthy_chain_answers_from_the_first_step(gateway: GatewayProcess, sim: Sim) -> None:
    response = ask(gateway)
    assert response.status_code == 200
    assert response.headers["x-tierroute-model"] == "economy-a"


@pytest.mark.parametrize(
    ("faults", "error_class"),
    [
        ({"error_rate": 1.0}, "server_error"),
        ({"reset_rate": 1.0}, "connection"),
        ({"timeout_rate": 1.0, "timeout_ms": 20_000}, "timeout"),
        ({"drop_rate": 1.0}, "connection"),
    ],
)
def test_each_failure_class_is_retried_then_falls_back(
    gateway: GatewayProcess, sim: Sim, faults: dict[str, Any], error_class: str
) -> None:
    sim.patch("economy-a", {"faults": faults})
    response = ask(gateway)
    assert response.status_code == 200
    assert response.headers["x-tierroute-model"] == "standard-a"
    assert response.headers["x-tierroute-attempts"] == "3"
    assert "fallback" in response.headers["x-tierroute-reason"]
    assert calls(sim, "economy-a") == 2
    metrics = httpx.get(f"{gateway.url}/metrics").text
    assert (
        f'llm_upstream_errors_total{{error_class="{error_class}",model="economy-a"}} 2.0' in metrics
    )
    assert 'llm_fallbacks_total{from_model="economy-a",to_model="standard-a"} 1.0' in metrics


def test_fallback_follows_the_chain_order(gateway: GatewayProcess, sim: Sim) -> None:
    sim.patch("economy-a", {"faults": {"error_rate": 1.0}})
    sim.patch("standard-a", {"faults": {"error_rate": 1.0}})
    response = ask(gateway)
    assert response.status_code == 200
    assert response.headers["x-tierroute-model"] == "premium-a"
    assert response.headers["x-tierroute-attempts"] == "5"


def test_retry_after_is_honoured(gateway: GatewayProcess, sim: Sim) -> None:
    sim.patch("economy-a", {"faults": {"rate_limit_rate": 1.0, "retry_after_s": 1}})
    started = time.monotonic()
    response = ask(gateway)
    assert time.monotonic() - started >= 1.0
    assert response.headers["x-tierroute-model"] == "standard-a"
    assert calls(sim, "economy-a") == 2


def test_retry_after_beyond_the_bound_moves_on_without_waiting(
    gateway: GatewayProcess, sim: Sim
) -> None:
    sim.patch("economy-a", {"faults": {"rate_limit_rate": 1.0, "retry_after_s": 600}})
    response = ask(gateway)
    assert response.headers["x-tierroute-model"] == "standard-a"
    assert calls(sim, "economy-a") == 1


def test_every_step_failing_is_503_listing_the_attempts(gateway: GatewayProcess, sim: Sim) -> None:
    for name in CHAIN:
        sim.patch(name, {"faults": {"error_rate": 1.0}})
    sdk = openai.OpenAI(base_url=gateway.openai_url, api_key="x", max_retries=0)
    with pytest.raises(openai.InternalServerError) as raised:
        sdk.chat.completions.create(model="chained", messages=BODY["messages"], extra_headers=LOW)
    assert raised.value.status_code == 503
    error = raised.value.response.json()["error"]
    assert error["code"] == "all_attempts_failed"
    for name in CHAIN:
        assert error["message"].count(f"{name}: server_error HTTP 500") == 2
    assert httpx.get(f"{gateway.url}/healthz").status_code == 200


def test_breaker_opens_skips_the_model_and_recovers(gateway: GatewayProcess, sim: Sim) -> None:
    sim.patch("economy-a", {"faults": {"error_rate": 1.0}})
    first = ask(gateway)
    assert first.headers["x-tierroute-model"] == "standard-a"
    assert calls(sim, "economy-a") == 2  # two failures in a row: the breaker opens
    skipped = ask(gateway)
    assert skipped.headers["x-tierroute-model"] == "standard-a"
    # selection leaves the open-breaker model out: no attempt is spent on it
    assert skipped.headers["x-tierroute-attempts"] == "1"
    assert "circuit breaker" in skipped.headers["x-tierroute-reason"]
    assert calls(sim, "economy-a") == 2
    metrics = httpx.get(f"{gateway.url}/metrics").text
    assert 'llm_upstream_errors_total{error_class="server_error",model="economy-a"} 2.0' in metrics
    sim.patch("economy-a", {"faults": {"error_rate": 0.0}})
    time.sleep(1.2)  # the breaker's open period (--breaker-open-seconds 1)
    probe = ask(gateway)
    assert probe.headers["x-tierroute-model"] == "economy-a"
    assert ask(gateway).headers["x-tierroute-model"] == "economy-a"


def test_stream_falls_back_before_the_first_byte(gateway: GatewayProcess, sim: Sim) -> None:
    sim.patch("economy-a", {"faults": {"error_rate": 1.0}})
    sdk = openai.OpenAI(base_url=gateway.openai_url, api_key="x", max_retries=0)
    stream = sdk.chat.completions.with_raw_response.create(
        model="chained", messages=BODY["messages"], stream=True, extra_headers=LOW
    )
    assert stream.headers["x-tierroute-model"] == "standard-a"
    text = "".join(c.choices[0].delta.content or "" for c in stream.parse() if c.choices)
    assert text


def test_mid_stream_drop_ends_the_stream_with_an_error_event(
    gateway: GatewayProcess, sim: Sim
) -> None:
    sim.patch("economy-a", {"faults": {"drop_rate": 1.0, "drop_after_tokens": 3}})
    sdk = openai.OpenAI(base_url=gateway.openai_url, api_key="x", max_retries=0)
    stream = sdk.chat.completions.create(
        model="chained", messages=BODY["messages"], stream=True, extra_headers=LOW
    )
    received: list[object] = []
    with pytest.raises(openai.APIError) as raised:
        received.extend(stream)
    assert received  # the stream had started: no fallback after the first byte
    assert "failed after it started" in raised.value.message
    assert calls(sim, "standard-a") == 0
    assert httpx.get(f"{gateway.url}/healthz").status_code == 200


def test_overall_deadline_is_504(sim: Sim, tmp_path: Path) -> None:
    sim.reset()
    for name in CHAIN:
        sim.patch(name, {"faults": {"timeout_rate": 1.0, "timeout_ms": 20_000}})
    with running_gateway(table(sim), tmp_path, "--request-deadline-ms", "1500") as gateway:
        response = ask(gateway)
        assert response.status_code == 504
        assert response.json()["error"]["code"] == "deadline_exceeded"
    sim.reset()


def test_the_providers_own_timeout_bounds_an_attempt_below_the_steps(
    sim: Sim, tmp_path: Path
) -> None:
    sim.reset()
    for name in CHAIN:
        sim.patch(name, {"faults": {"timeout_rate": 1.0, "timeout_ms": 20_000}})
    document = table(sim, timeout_ms=10_000)
    for provider in document["providers"]:
        provider["timeoutMs"] = 300
    with running_gateway(document, tmp_path) as gateway:
        started = time.monotonic()
        response = ask(gateway)
        elapsed = time.monotonic() - started
    sim.reset()
    assert response.status_code == 503
    message = response.json()["error"]["message"]
    for name in CHAIN:
        assert message.count(f"{name}: timeout") == 2
    assert message.count("no answer within the provider's 0.3s") == 6
    assert elapsed < 10  # six attempts bounded by the provider's 0.3 s, not the step's 10 s
