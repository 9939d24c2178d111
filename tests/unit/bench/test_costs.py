"""Tokens from usage or estimates (marked), and cost arithmetic checked by hand."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from tierroute_bench.costs import (
    MediaCounts,
    Prices,
    Usage,
    cost_per_10k_images,
    model_prices,
    resolve_usage,
    task_cost,
)
from tierroute_gateway.decision.cost import estimate_cost
from tierroute_operator.api.model_catalog import Pricing

QWEN = Prices(Decimal("5.20"), Decimal("0.52"))


def test_openai_usage_with_media_breakdown_is_not_an_estimate() -> None:
    usage = resolve_usage(
        {"prompt_tokens": 530, "completion_tokens": 4,
         "prompt_tokens_details": {"image_tokens": 512, "audio_tokens": 0}},
        prompt="p", answer="a", media=MediaCounts(images=1), tokens_per_image=500,
    )  # fmt: skip
    assert usage == Usage(530, 4, 512, 0, estimated=False, media_estimated=False)


def test_anthropic_usage_without_breakdown_estimates_only_the_media_share() -> None:
    usage = resolve_usage(
        {"input_tokens": 600, "output_tokens": 3},
        prompt="p", answer="a", media=MediaCounts(images=2), tokens_per_image=250,
    )  # fmt: skip
    assert (usage.input_tokens, usage.output_tokens, usage.image_tokens) == (600, 3, 500)
    assert not usage.estimated
    assert usage.media_estimated


def test_absent_usage_is_estimated_and_marked() -> None:
    usage = resolve_usage(
        None, prompt="x" * 40, answer="y" * 9,
        media=MediaCounts(images=1, audio_seconds=2.0), tokens_per_image=500,
    )  # fmt: skip
    # 40 chars → 10 tokens, one image → 500, 2 s of audio at 25/s → 50; answer 9 chars → 3.
    assert usage == Usage(560, 3, 500, 50, estimated=True, media_estimated=True)


def test_task_cost_hand_checked() -> None:
    pricing = Pricing(
        input_per_million="2.50", output_per_million="10", per_image="0.001",
        per_audio_minute="0.006",
    )  # fmt: skip
    usage = Usage(1000, 200, 0, 0, estimated=False)
    cost = task_cost(usage, model_prices(pricing), MediaCounts(images=2, audio_seconds=30))
    # 1000 × 2.50/1M = 0.0025; 200 × 10/1M = 0.002; 2 × 0.001 = 0.002; 0.5 min × 0.006 = 0.003
    assert cost == pytest.approx(0.0095)


CACHED = Pricing(input_per_million="3.00", output_per_million="15.00",
                 cached_input_per_million="0.30")  # fmt: skip


def test_openai_cached_tokens_are_billed_at_the_cached_price() -> None:
    usage = resolve_usage(
        {"prompt_tokens": 10_000, "completion_tokens": 100,
         "prompt_tokens_details": {"cached_tokens": 8_000}},
        prompt="p", answer="a", media=MediaCounts(), tokens_per_image=0,
    )  # fmt: skip
    assert (usage.input_tokens, usage.cached_input_tokens) == (10_000, 8_000)
    # 2,000 × 3.00/1M = 0.006; 8,000 × 0.30/1M = 0.0024; 100 × 15.00/1M = 0.0015
    assert task_cost(usage, model_prices(CACHED), MediaCounts()) == pytest.approx(0.0099)


def test_anthropic_cache_reads_and_writes_count_as_input() -> None:
    usage = resolve_usage(
        {"input_tokens": 50, "output_tokens": 10, "cache_read_input_tokens": 900,
         "cache_creation_input_tokens": 50},
        prompt="p", answer="a", media=MediaCounts(), tokens_per_image=0,
    )  # fmt: skip
    assert (usage.input_tokens, usage.cached_input_tokens) == (1_000, 900)
    assert usage.cache_write_input_tokens == 50


WRITE_PRICED = Pricing(input_per_million="3.00", output_per_million="15.00",
                      cached_input_per_million="0.30",
                      cache_write_input_per_million="3.75")  # fmt: skip
ANTHROPIC_WITH_WRITES = {"input_tokens": 1_000, "output_tokens": 200,
                         "cache_read_input_tokens": 6_000,
                         "cache_creation_input_tokens": 3_000}  # fmt: skip


def _per_million(price: str | None) -> Decimal:
    assert price is not None
    return Decimal(price) / 1_000_000


def test_anthropic_cache_writes_are_kept_apart_inside_the_input() -> None:
    usage = resolve_usage(
        ANTHROPIC_WITH_WRITES, prompt="p", answer="a", media=MediaCounts(), tokens_per_image=0
    )
    reported = ANTHROPIC_WITH_WRITES
    assert usage.input_tokens == sum(
        reported[key]
        for key in ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")
    )
    assert usage.cached_input_tokens == reported["cache_read_input_tokens"]
    assert usage.cache_write_input_tokens == reported["cache_creation_input_tokens"]


def test_cache_writes_alone_still_count_as_input() -> None:
    usage = resolve_usage(
        {"input_tokens": 100, "output_tokens": 5, "cache_creation_input_tokens": 400},
        prompt="p", answer="a", media=MediaCounts(), tokens_per_image=0,
    )  # fmt: skip
    assert usage.input_tokens == 100 + 400
    assert usage.cached_input_tokens == 0
    assert usage.cache_write_input_tokens == 400


def test_openai_usage_reports_no_cache_writes() -> None:
    usage = resolve_usage(
        {"prompt_tokens": 10_000, "completion_tokens": 100,
         "prompt_tokens_details": {"cached_tokens": 8_000}},
        prompt="p", answer="a", media=MediaCounts(), tokens_per_image=0,
    )  # fmt: skip
    assert usage.cache_write_input_tokens == 0


def test_cache_writes_are_billed_at_the_cache_write_price() -> None:
    usage = resolve_usage(
        ANTHROPIC_WITH_WRITES, prompt="p", answer="a", media=MediaCounts(), tokens_per_image=0
    )
    pricing = WRITE_PRICED
    expected = (
        ANTHROPIC_WITH_WRITES["input_tokens"] * _per_million(pricing.input_per_million)
        + ANTHROPIC_WITH_WRITES["cache_read_input_tokens"]
        * _per_million(pricing.cached_input_per_million)
        + ANTHROPIC_WITH_WRITES["cache_creation_input_tokens"]
        * _per_million(pricing.cache_write_input_per_million)
        + ANTHROPIC_WITH_WRITES["output_tokens"] * _per_million(pricing.output_per_million)
    )
    cost = task_cost(usage, model_prices(pricing), MediaCounts())
    assert cost == pytest.approx(float(expected))


def test_cache_writes_without_a_write_price_are_billed_as_input() -> None:
    usage = resolve_usage(
        ANTHROPIC_WITH_WRITES, prompt="p", answer="a", media=MediaCounts(), tokens_per_image=0
    )
    pricing = CACHED
    assert pricing.cache_write_input_per_million is None
    uncached = (
        ANTHROPIC_WITH_WRITES["input_tokens"] + ANTHROPIC_WITH_WRITES["cache_creation_input_tokens"]
    )
    expected = (
        uncached * _per_million(pricing.input_per_million)
        + ANTHROPIC_WITH_WRITES["cache_read_input_tokens"]
        * _per_million(pricing.cached_input_per_million)
        + ANTHROPIC_WITH_WRITES["output_tokens"] * _per_million(pricing.output_per_million)
    )
    cost = task_cost(usage, model_prices(pricing), MediaCounts())
    assert cost == pytest.approx(float(expected))


def test_a_pricing_object_without_a_write_price_field_bills_writes_as_input() -> None:
    @dataclass(frozen=True)
    class OlderPricing:
        input_per_million: str = "3.00"
        output_per_million: str = "15.00"
        cached_input_per_million: str | None = None
        per_image: str | None = None
        per_audio_minute: str | None = None

    prices = model_prices(OlderPricing())
    assert prices.cache_write_input_per_token == prices.input_per_token


def test_task_cost_passes_cache_writes_to_the_gateways_estimate_cost() -> None:
    usage = Usage(1234, 56, 0, 0, estimated=False, cached_input_tokens=600,
                  cache_write_input_tokens=300)  # fmt: skip
    prices = model_prices(WRITE_PRICED)
    expected = estimate_cost(
        prices, 1234, 56, cached_input_tokens=600, cache_write_input_tokens=300
    )
    assert task_cost(usage, prices, MediaCounts()) == expected
    assert expected != estimate_cost(prices, 1234, 56, cached_input_tokens=600)


def test_task_cost_is_the_gateways_estimate_cost() -> None:
    usage = Usage(1234, 56, 0, 0, estimated=False, cached_input_tokens=1000)
    media = MediaCounts(images=3, audio_seconds=7.5)
    prices = model_prices(CACHED)
    expected = estimate_cost(prices, 1234, 56, 3, 7.5, cached_input_tokens=1000)
    assert task_cost(usage, prices, media) == expected


def test_cost_per_10k_images_matches_the_seed_for_qwen3_vl() -> None:
    batch = cost_per_10k_images(QWEN, 500, None)
    assert batch.total == Decimal("26.00")
    assert "10,000 images × 500 tokens = 5,000,000 input tokens × $5.20/1M = $26.00" in (
        batch.arithmetic
    )


def test_cost_per_10k_images_adds_per_image_charge_and_measured_output() -> None:
    prices = Prices(Decimal("0.10"), Decimal("1.00"), per_image=Decimal("0.001"))
    batch = cost_per_10k_images(prices, 1000, 20.0)
    # 10M tokens × 0.10/1M = 1.00; 10K × 0.001 = 10.00; 200K output × 1.00/1M = 0.20
    assert batch.total == Decimal("11.20")
    assert batch.arithmetic.endswith("total $11.20")
