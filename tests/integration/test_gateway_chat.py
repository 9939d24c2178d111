"""The official OpenAI SDK against a real gateway in front of a real simulated provider."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Iterator

import httpx
import openai
import pytest

from tests.helpers.gateway import GatewayProcess, model, routing_table, running_gateway
from tests.helpers.sim import Sim, running_sim

MODELS = ("premium-a", "standard-a", "economy-a", "claude-s")
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(64)).decode()


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sim]:
    profile = {"models": [{"name": name} for name in MODELS]}
    with running_sim(profile, tmp_path_factory.mktemp("sim")) as running:
        yield running


@pytest.fixture(scope="module")
def gateway(sim: Sim, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    table = routing_table(
        sim.url,
        [
            model("premium-a", "premium"),
            model("standard-a", "standard"),
            model("economy-a", "economy"),
            model("claude-s", "standard", provider="sim-anthropic"),
        ],
        routes=[
            {"name": "auto", "category": "default", "strategy": "cost-optimized"},
            {
                "name": "claude",
                "category": "default",
                "strategy": "cost-optimized",
                "allowModels": ["claude-s"],
            },
        ],
    )
    with running_gateway(table, tmp_path_factory.mktemp("gateway")) as running:
        yield running


def client(gateway: GatewayProcess) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.openai_url, api_key="unused", max_retries=0)


MESSAGES: list[openai.types.chat.ChatCompletionMessageParam] = [
    {"role": "user", "content": "Say hello."}
]


def test_sync_completion_reports_model_tier_and_cost(gateway: GatewayProcess) -> None:
    raw = client(gateway).chat.completions.with_raw_response.create(model="auto", messages=MESSAGES)
    completion = raw.parse()
    assert completion.choices[0].message.content
    assert completion.usage is not None
    assert raw.headers["x-tierroute-model"] in MODELS
    assert raw.headers["x-tierroute-tier"] in ("premium", "standard", "economy")
    assert float(raw.headers["x-tierroute-cost-usd"]) > 0
    assert raw.headers["x-tierroute-attempts"] == "1"
    assert raw.headers["x-tierroute-request-id"]
    assert raw.headers["x-tierroute-reason"].startswith("route auto")


def test_complex_prompt_goes_to_premium_and_simple_to_economy(gateway: GatewayProcess) -> None:
    sdk = client(gateway)
    complex_prompt = "Analyze and evaluate this architecture and design an algorithm."
    high = sdk.chat.completions.with_raw_response.create(
        model="auto", messages=[{"role": "user", "content": complex_prompt}]
    )
    low = sdk.chat.completions.with_raw_response.create(
        model="auto", messages=[{"role": "user", "content": "Classify and label: great product"}]
    )
    assert high.headers["x-tierroute-tier"] == "premium"
    assert low.headers["x-tierroute-tier"] == "economy"


def test_async_completion(gateway: GatewayProcess) -> None:
    async def ask() -> list[str]:
        sdk = openai.AsyncOpenAI(base_url=gateway.openai_url, api_key="unused", max_retries=0)
        answers = await asyncio.gather(
            *(sdk.chat.completions.create(model="auto", messages=MESSAGES) for _ in range(8))
        )
        await sdk.close()
        return [answer.choices[0].message.content or "" for answer in answers]

    answers = asyncio.run(ask())
    assert len(answers) == 8
    assert all(answers)


def test_sync_stream_with_usage(gateway: GatewayProcess) -> None:
    stream = client(gateway).chat.completions.create(
        model="auto", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens > 0


def test_stream_without_usage_request_has_no_usage_chunk(gateway: GatewayProcess) -> None:
    chunks = list(
        client(gateway).chat.completions.create(model="auto", messages=MESSAGES, stream=True)
    )
    assert chunks
    assert all(chunk.choices for chunk in chunks)


def test_async_stream(gateway: GatewayProcess) -> None:
    async def stream_text() -> str:
        sdk = openai.AsyncOpenAI(base_url=gateway.openai_url, api_key="unused", max_retries=0)
        stream = await sdk.chat.completions.create(model="auto", messages=MESSAGES, stream=True)
        parts = [chunk.choices[0].delta.content or "" async for chunk in stream if chunk.choices]
        await sdk.close()
        return "".join(parts)

    assert asyncio.run(stream_text())


def test_anthropic_provider_with_system_prompt_and_image(gateway: GatewayProcess, sim: Sim) -> None:
    raw = client(gateway).chat.completions.with_raw_response.create(
        model="claude",
        messages=[
            {"role": "system", "content": "Answer briefly."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is in this image?"},
                    {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
                ],
            },
        ],
    )
    completion = raw.parse()
    assert raw.headers["x-tierroute-model"] == "claude-s"
    assert completion.choices[0].message.content
    assert completion.usage is not None
    assert completion.usage.prompt_tokens > 0


def test_anthropic_provider_streams_openai_chunks(gateway: GatewayProcess) -> None:
    stream = client(gateway).chat.completions.create(
        model="claude",
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text
    assert chunks[-1].usage is not None


def test_models_lists_routes_and_catalog_models(gateway: GatewayProcess) -> None:
    names = {entry.id for entry in client(gateway).models.list()}
    assert {"auto", "claude", *MODELS} <= names


def test_route_answers_the_decision_without_calling_a_provider(
    gateway: GatewayProcess, sim: Sim
) -> None:
    before = sim.stats()
    response = httpx.post(
        f"{gateway.url}/v1/route",
        json={"model": "auto", "messages": [{"role": "user", "content": "Write a function"}]},
    )
    assert response.status_code == 200
    decision = response.json()
    assert decision["model"] in MODELS
    assert "coding" in decision["capabilities"]
    assert decision["chain"]
    assert sim.stats() == before


def test_feedback_lands_in_the_quality_histogram(gateway: GatewayProcess) -> None:
    raw = client(gateway).chat.completions.with_raw_response.create(model="auto", messages=MESSAGES)
    request_id = raw.headers["x-tierroute-request-id"]
    answered_by = raw.headers["x-tierroute-model"]
    response = httpx.post(
        f"{gateway.url}/v1/feedback", json={"request_id": request_id, "score": 0.9}
    )
    assert response.status_code == 200
    assert response.json()["model"] == answered_by
    metrics = httpx.get(f"{gateway.url}/metrics").text
    assert f'llm_model_quality_score_count{{model="{answered_by}"}}' in metrics
    unknown = httpx.post(f"{gateway.url}/v1/feedback", json={"request_id": "nope", "score": 1})
    assert unknown.status_code == 404
    out_of_range = httpx.post(
        f"{gateway.url}/v1/feedback", json={"request_id": request_id, "score": 3}
    )
    assert out_of_range.status_code == 400


def test_metrics_health_and_readiness(gateway: GatewayProcess) -> None:
    client(gateway).chat.completions.create(model="auto", messages=MESSAGES)
    metrics = httpx.get(f"{gateway.url}/metrics").text
    for name in (
        "llm_model_requests_total",
        "llm_model_cost_dollars_total",
        "llm_model_latency_seconds_bucket",
        "llm_routing_decisions_total",
        "llm_model_tokens_total",
        "tierroute_gateway_overhead_seconds_bucket",
        'tierroute_config_info{hash="sha256:',
        'tierroute_config_reloads_total{result="ok"}',
    ):
        assert name in metrics
    assert 'feature="other"' in metrics
    assert httpx.get(f"{gateway.url}/healthz").status_code == 200
    ready = httpx.get(f"{gateway.url}/readyz")
    assert ready.status_code == 200
    assert ready.json()["hash"].startswith("sha256:")


def test_request_log_has_one_json_line_per_request(gateway: GatewayProcess) -> None:
    raw = client(gateway).chat.completions.with_raw_response.create(model="auto", messages=MESSAGES)
    request_id = raw.headers["x-tierroute-request-id"]
    lines = _wait_for_log(gateway, request_id)
    assert len(lines) == 1
    for field in ('"route":"auto"', '"outcome":"ok"', '"cost_usd"', '"attempts"'):
        assert field in lines[0]


def _wait_for_log(gateway: GatewayProcess, request_id: str) -> list[str]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = [line for line in gateway.process.lines if f'"{request_id}"' in line]
        if lines:
            return lines
        time.sleep(0.05)
    return []


def test_hint_headers_steer_and_bad_hints_are_400(gateway: GatewayProcess) -> None:
    body = {"model": "auto", "messages": [{"role": "user", "content": "hello"}]}
    forced = httpx.post(
        f"{gateway.url}/v1/chat/completions",
        json=body,
        headers={"x-tierroute-complexity": "high", "x-tierroute-feature": "chat"},
    )
    assert forced.headers["x-tierroute-tier"] == "premium"
    bad = httpx.post(
        f"{gateway.url}/v1/chat/completions",
        json=body,
        headers={"x-tierroute-max-latency-ms": "soon"},
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["param"] == "x-tierroute-max-latency-ms"
