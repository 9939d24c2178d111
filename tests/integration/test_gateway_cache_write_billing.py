"""Anthropic prompt-cache writes billed end to end: a real simulator reports tokens read from
and written to its prompt cache on its Anthropic endpoint, and a real gateway bills the writes
at the catalog's cache-write price (or the input price when the catalog has none).

The OpenAI-shaped usage the client gets has no field for cache writes, so the test derives
them from the simulator profile's share of the prompt (the simulator rounds down, as for
reads) and computes the expected cost from this test's own prices.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from decimal import Decimal

import openai
import pytest

from tests.helpers.gateway import PRICES, GatewayProcess, model, routing_table, running_gateway
from tests.helpers.sim import Sim, running_sim
from tests.integration.test_gateway_cached_billing import (
    MESSAGES,
    assert_billed,
    billed,
    cached_tokens,
    client,
)

READ_SHARE = 0.25
WRITE_SHARE = 0.5
SIM_MODEL = "sim-cache-writes"
TIER = "premium"
CACHED_PRICE = "0.25"
WRITE_PRICE = "6.25"
WITH_WRITE_PRICE = "an-writes-priced"
WITHOUT_WRITE_PRICE = "an-writes-unpriced"


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sim]:
    shares = {"cached_prompt_share": READ_SHARE, "cache_write_share": WRITE_SHARE}
    profile = {"models": [{"name": SIM_MODEL, **shares}]}
    with running_sim(profile, tmp_path_factory.mktemp("sim")) as running:
        yield running


@pytest.fixture(scope="module")
def gateway(sim: Sim, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    common = {
        "provider": "sim-anthropic",
        "provider_model": SIM_MODEL,
        "cached_price": CACHED_PRICE,
    }
    models = [
        model(WITH_WRITE_PRICE, TIER, cache_write_price=WRITE_PRICE, **common),
        model(WITHOUT_WRITE_PRICE, TIER, **common),
    ]
    with running_gateway(routing_table(sim.url, models), tmp_path_factory.mktemp("gw")) as running:
        yield running


def expected_cost(usage: openai.types.CompletionUsage, write_price: str | None) -> Decimal:
    """USD of an answer at this test's prices, cache writes derived from the profile's share."""
    price_in, price_out = (Decimal(price) for price in PRICES[TIER])
    price_write = Decimal(write_price) if write_price is not None else price_in
    cached = cached_tokens(usage)
    written = math.floor(WRITE_SHARE * usage.prompt_tokens)
    assert cached == math.floor(READ_SHARE * usage.prompt_tokens)
    plain = usage.prompt_tokens - cached - written
    total = (
        plain * price_in
        + cached * Decimal(CACHED_PRICE)
        + written * price_write
        + usage.completion_tokens * price_out
    )
    return total / 1_000_000


def answer(
    gateway: GatewayProcess, name: str, stream: bool
) -> tuple[openai.types.CompletionUsage, str | None]:
    """The usage of an answer and, when not streamed, its `x-tierroute-cost-usd` header."""
    if stream:
        chunks = list(
            client(gateway).chat.completions.create(
                model=name,
                messages=MESSAGES,
                stream=True,
                stream_options={"include_usage": True},
            )
        )
        usage = chunks[-1].usage
        assert usage is not None
        return usage, None
    raw = client(gateway).chat.completions.with_raw_response.create(model=name, messages=MESSAGES)
    usage = raw.parse().usage
    assert usage is not None
    return usage, raw.headers["x-tierroute-cost-usd"]


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
@pytest.mark.parametrize(
    ("name", "write_price"),
    [(WITH_WRITE_PRICE, WRITE_PRICE), (WITHOUT_WRITE_PRICE, None)],
    ids=["write-price", "input-price"],
)
def test_cache_writes_bill_at_the_cache_write_price_or_the_input_price(
    gateway: GatewayProcess, name: str, write_price: str | None, stream: bool
) -> None:
    before = billed(gateway, name)
    usage, header = answer(gateway, name, stream)
    cost = expected_cost(usage, write_price)
    if write_price is not None:
        assert cost > expected_cost(usage, None)  # this price makes writes dearer than input
    if header is not None:
        assert float(header) == pytest.approx(float(cost), abs=1e-8)  # 8 decimals
    assert_billed(gateway, name, before, cost)
