"""Prompt-cache reads billed end to end: a real simulator reports cached prompt tokens, a real
gateway bills them at the catalog's cached input price, over both provider APIs.

The cost each test expects is computed here, from the usage in the answer the client got and
the prices this test put in the routing table, independently of the gateway's own cost code.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from decimal import Decimal

import httpx
import openai
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.helpers.gateway import PRICES, GatewayProcess, model, routing_table, running_gateway
from tests.helpers.sim import Sim, running_sim

SHARE = 0.5
SIM_MODEL = "sim-cached"
TIER = "premium"
CACHED_PRICE = "0.25"
COST_METRIC = "llm_model_cost_dollars_total"
WITH_CACHED_PRICE = {"sim": "oa-cached", "sim-anthropic": "an-cached"}
WITHOUT_CACHED_PRICE = {"sim": "oa-full", "sim-anthropic": "an-full"}
PROVIDERS = ("sim", "sim-anthropic")
MESSAGES: list[openai.types.chat.ChatCompletionMessageParam] = [
    {"role": "system", "content": "You answer questions about the shared document. " * 20},
    {"role": "user", "content": "Summarise the document in one sentence, please. " * 10},
]


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sim]:
    profile = {"models": [{"name": SIM_MODEL, "cached_prompt_share": SHARE}]}
    with running_sim(profile, tmp_path_factory.mktemp("sim")) as running:
        yield running


@pytest.fixture(scope="module")
def gateway(sim: Sim, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    models = [
        model(name, TIER, provider=provider, provider_model=SIM_MODEL, cached_price=CACHED_PRICE)
        for provider, name in WITH_CACHED_PRICE.items()
    ] + [
        model(name, TIER, provider=provider, provider_model=SIM_MODEL)
        for provider, name in WITHOUT_CACHED_PRICE.items()
    ]
    table = routing_table(sim.url, models)
    with running_gateway(table, tmp_path_factory.mktemp("gateway")) as running:
        yield running


def client(gateway: GatewayProcess) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.openai_url, api_key="unused", max_retries=0)


def expected_cost(usage: openai.types.CompletionUsage, cached_price: str | None) -> Decimal:
    """USD of an answer's usage at this test's table prices (per million tokens)."""
    price_in, price_out = (Decimal(price) for price in PRICES[TIER])
    price_cached = Decimal(cached_price) if cached_price is not None else price_in
    cached = cached_tokens(usage)
    uncached = usage.prompt_tokens - cached
    total = uncached * price_in + cached * price_cached + usage.completion_tokens * price_out
    return total / 1_000_000


def cached_tokens(usage: openai.types.CompletionUsage) -> int:
    details = usage.prompt_tokens_details
    assert details is not None, f"usage reports no prompt_tokens_details: {usage}"
    assert details.cached_tokens is not None
    return details.cached_tokens


def assert_cache_reads_reported(usage: openai.types.CompletionUsage | None) -> None:
    """The usage the client sees counts the cached tokens inside `prompt_tokens` (OpenAI)."""
    assert usage is not None
    cached = cached_tokens(usage)
    assert cached > 0
    assert cached == math.floor(SHARE * usage.prompt_tokens)
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def billed(gateway: GatewayProcess, model_name: str) -> float:
    """`llm_model_cost_dollars_total` of one model, summed over its other labels."""
    text = httpx.get(f"{gateway.url}/metrics").text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == COST_METRIC and sample.labels.get("model") == model_name
    )


def assert_billed(gateway: GatewayProcess, model_name: str, before: float, cost: Decimal) -> None:
    """The cost metric of `model_name` grows by `cost` (booked just after the answer is sent)."""
    target = before + float(cost)
    deadline = time.monotonic() + 10
    now = billed(gateway, model_name)
    while now < target * (1 - 1e-9) and time.monotonic() < deadline:
        time.sleep(0.02)
        now = billed(gateway, model_name)
    assert now - before == pytest.approx(float(cost), rel=1e-9)


def ask(gateway: GatewayProcess, model_name: str) -> tuple[openai.types.CompletionUsage, str]:
    """A non-streamed answer: its usage and its `x-tierroute-cost-usd` header."""
    raw = client(gateway).chat.completions.with_raw_response.create(
        model=model_name, messages=MESSAGES
    )
    assert raw.headers["x-tierroute-model"] == model_name
    usage = raw.parse().usage
    assert_cache_reads_reported(usage)
    assert usage is not None
    return usage, raw.headers["x-tierroute-cost-usd"]


def ask_streamed(gateway: GatewayProcess, model_name: str) -> openai.types.CompletionUsage:
    """A streamed answer with `include_usage`: the usage of its last chunk."""
    stream = client(gateway).chat.completions.create(
        model=model_name,
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    usage = chunks[-1].usage
    assert_cache_reads_reported(usage)
    assert usage is not None
    return usage


@pytest.mark.parametrize("provider", PROVIDERS)
def test_cache_reads_bill_at_the_cached_price(gateway: GatewayProcess, provider: str) -> None:
    name = WITH_CACHED_PRICE[provider]
    before = billed(gateway, name)
    usage, header = ask(gateway, name)
    cost = expected_cost(usage, CACHED_PRICE)
    assert cost < expected_cost(usage, None)  # the cache read is cheaper than full price
    assert float(header) == pytest.approx(float(cost), abs=1e-8)  # the header has 8 decimals
    assert_billed(gateway, name, before, cost)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_streamed_cache_reads_bill_at_the_cached_price(
    gateway: GatewayProcess, provider: str
) -> None:
    name = WITH_CACHED_PRICE[provider]
    before = billed(gateway, name)
    usage = ask_streamed(gateway, name)
    assert_billed(gateway, name, before, expected_cost(usage, CACHED_PRICE))


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_without_a_cached_price_cache_reads_bill_at_the_input_price(
    gateway: GatewayProcess, provider: str, stream: bool
) -> None:
    name = WITHOUT_CACHED_PRICE[provider]
    before = billed(gateway, name)
    if stream:
        usage = ask_streamed(gateway, name)
    else:
        usage, header = ask(gateway, name)
        assert float(header) == pytest.approx(float(expected_cost(usage, None)), abs=1e-8)
    assert_billed(gateway, name, before, expected_cost(usage, None))
