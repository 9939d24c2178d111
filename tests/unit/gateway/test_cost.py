"""Cost: token prices, cached and cache-written input, images and audio, from the table's
decimal prices."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tierroute_gateway.decision.cost import estimate_cost, prices_from_pricing
from tierroute_gateway.routing_table import Pricing

GPT_4O = prices_from_pricing(Pricing(input_per_million="2.50", output_per_million="10.00"))


def test_tokens_are_billed_per_million() -> None:
    assert estimate_cost(GPT_4O, 1_000_000, 0) == pytest.approx(2.50)
    assert estimate_cost(GPT_4O, 0, 1_000_000) == pytest.approx(10.00)
    assert estimate_cost(GPT_4O, 50_000, 500) == pytest.approx(0.125 + 0.005)


def test_cached_input_uses_the_cached_price_or_the_input_price() -> None:
    cached = prices_from_pricing(
        Pricing(
            input_per_million="2.50", output_per_million="10.00", cached_input_per_million="1.25"
        )
    )
    assert estimate_cost(cached, 1_000_000, 0, cached_input_tokens=400_000) == pytest.approx(
        0.6 * 2.50 + 0.4 * 1.25
    )
    assert estimate_cost(GPT_4O, 1_000_000, 0, cached_input_tokens=400_000) == pytest.approx(2.50)


CLAUDE = prices_from_pricing(
    Pricing(
        input_per_million="3.00",
        output_per_million="15.00",
        cached_input_per_million="0.30",
        cache_write_input_per_million="3.75",
    )
)


def test_cache_writes_use_the_cache_write_price_or_the_input_price() -> None:
    million = 1_000_000
    assert estimate_cost(
        CLAUDE, million, 0, cached_input_tokens=500_000, cache_write_input_tokens=200_000
    ) == pytest.approx(0.3 * 3.00 + 0.5 * 0.30 + 0.2 * 3.75)
    assert estimate_cost(GPT_4O, million, 0, cache_write_input_tokens=200_000) == pytest.approx(
        2.50
    )


@given(st.integers(0, 10**7), st.integers(0, 10**7), st.integers(0, 10**7))
def test_reads_and_writes_together_never_bill_more_input_tokens_than_there_are(
    input_tokens: int, cached: int, written: int
) -> None:
    cost = estimate_cost(
        CLAUDE, input_tokens, 0, cached_input_tokens=cached, cache_write_input_tokens=written
    )
    highest = max(3.00, 0.30, 3.75) / 1_000_000
    assert 0 <= cost <= input_tokens * highest * (1 + 1e-9)


def test_images_and_audio_are_billed_on_top_of_tokens() -> None:
    prices = prices_from_pricing(
        Pricing(
            input_per_million="0",
            output_per_million="0",
            per_image="0.002",
            per_audio_minute="0.06",
        )
    )
    assert estimate_cost(prices, 0, 0, images=3, audio_seconds=30) == pytest.approx(0.006 + 0.03)


@given(
    st.integers(0, 10**7),
    st.integers(0, 10**6),
    st.integers(0, 10**7),
)
def test_cost_is_never_negative_and_grows_with_output(
    input_tokens: int, output_tokens: int, cached: int
) -> None:
    cost = estimate_cost(GPT_4O, input_tokens, output_tokens, cached_input_tokens=cached)
    assert cost >= 0
    assert estimate_cost(GPT_4O, input_tokens, output_tokens + 1) > estimate_cost(
        GPT_4O, input_tokens, output_tokens
    )
