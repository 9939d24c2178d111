"""Tokens and money: usage from a provider's reply (or an estimate, marked as one) and the
cost of a task from catalog pricing. Pure.

A task's cost is the gateway's own arithmetic (`tierroute_gateway.decision.cost`), so the
benchmark bills a call exactly as the gateway accounts it, cached input included. The
decimal `Prices` serve the report's "cost per 10K images" arithmetic, shown to the cent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tierroute_gateway.decision.cost import ModelPrices, estimate_cost, prices_from_pricing
from tierroute_gateway.routing_table import Pricing

CHARS_PER_TOKEN = 4
AUDIO_TOKENS_PER_SECOND = 25
"""Audio token estimate: one token per 40 ms frame, as Qwen's audio encoder counts."""
MILLION = Decimal(1_000_000)
TEN_THOUSAND = 10_000


@dataclass(frozen=True)
class Prices:
    """Catalog pricing of one model in USD."""

    input_per_million: Decimal
    output_per_million: Decimal
    per_image: Decimal | None = None
    per_audio_minute: Decimal | None = None


@dataclass(frozen=True)
class Usage:
    """Tokens of one request. `estimated`: input or output count is not the provider's;
    `media_estimated`: the image/audio share of the input is an estimate;
    `cached_input_tokens`: of the input tokens, those read from the provider's prompt cache;
    `cache_write_input_tokens`: of the input tokens, those written to the provider's prompt
    cache (Anthropic's `cache_creation_input_tokens`; OpenAI reports none)."""

    input_tokens: int
    output_tokens: int
    image_tokens: int
    audio_tokens: int
    estimated: bool
    media_estimated: bool = False
    cached_input_tokens: int = 0
    cache_write_input_tokens: int = 0


@dataclass(frozen=True)
class MediaCounts:
    """How much media one request carried."""

    images: int = 0
    audio_seconds: float = 0.0


def prices_from_catalog(pricing: Any) -> Prices:
    """Prices from a catalog `pricing` object (decimal strings)."""
    return Prices(
        input_per_million=Decimal(pricing.input_per_million),
        output_per_million=Decimal(pricing.output_per_million),
        per_image=_decimal_or_none(pricing.per_image),
        per_audio_minute=_decimal_or_none(pricing.per_audio_minute),
    )


def model_prices(pricing: Any) -> ModelPrices:
    """The gateway's per-unit prices from a catalog `pricing` object (decimal strings)."""
    return prices_from_pricing(
        Pricing(
            input_per_million=pricing.input_per_million,
            output_per_million=pricing.output_per_million,
            cached_input_per_million=pricing.cached_input_per_million,
            cache_write_input_per_million=getattr(pricing, "cache_write_input_per_million", None),
            per_image=pricing.per_image,
            per_audio_minute=pricing.per_audio_minute,
        )
    )


def estimate_text_tokens(text: str) -> int:
    """One token per four characters, rounded up."""
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def resolve_usage(
    reported: Mapping[str, Any] | None,
    *,
    prompt: str,
    answer: str,
    media: MediaCounts,
    tokens_per_image: int,
) -> Usage:
    """Tokens from the provider's `usage` (OpenAI or Anthropic shape), estimates for the rest.

    Image and audio tokens come from `prompt_tokens_details` when the provider reports them,
    else from `tokens_per_image` and `AUDIO_TOKENS_PER_SECOND`. Input counts every input
    token, cached ones included, as OpenAI's `prompt_tokens` does; Anthropic reports cache
    reads and writes apart from `input_tokens`, so they are added (and the writes kept apart
    too, for their own price).
    """
    image_estimate = media.images * tokens_per_image
    audio_estimate = math.ceil(media.audio_seconds * AUDIO_TOKENS_PER_SECOND)
    reported = reported or {}
    input_tokens = _count(reported, "prompt_tokens", "input_tokens")
    output_tokens = _count(reported, "completion_tokens", "output_tokens")
    details = reported.get("prompt_tokens_details")
    details = details if isinstance(details, Mapping) else {}
    image_tokens = _count(details, "image_tokens")
    audio_tokens = _count(details, "audio_tokens")
    cache_read = _count(reported, "cache_read_input_tokens")
    cache_write = _count(reported, "cache_creation_input_tokens")
    anthropic_shape = cache_read is not None or cache_write is not None
    if input_tokens is not None and anthropic_shape:  # Anthropic: reported apart
        input_tokens += (cache_read or 0) + (cache_write or 0)
    cached = cache_read if anthropic_shape else _count(details, "cached_tokens")
    estimated = input_tokens is None or output_tokens is None
    if input_tokens is None:
        input_tokens = estimate_text_tokens(prompt) + image_estimate + audio_estimate
    if output_tokens is None:
        output_tokens = estimate_text_tokens(answer)
    media_estimated = (media.images and image_tokens is None) or (
        media.audio_seconds and audio_tokens is None
    )
    cached = min(cached or 0, input_tokens)
    return Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        image_tokens=image_tokens if image_tokens is not None else image_estimate,
        audio_tokens=audio_tokens if audio_tokens is not None else audio_estimate,
        estimated=estimated,
        media_estimated=bool(media_estimated),
        cached_input_tokens=cached,
        cache_write_input_tokens=min(cache_write or 0, input_tokens - cached),
    )


def task_cost(usage: Usage, prices: ModelPrices, media: MediaCounts) -> float:
    """USD of one request, as the gateway accounts it (`estimate_cost`)."""
    return estimate_cost(
        prices,
        usage.input_tokens,
        usage.output_tokens,
        media.images,
        media.audio_seconds,
        cached_input_tokens=usage.cached_input_tokens,
        cache_write_input_tokens=usage.cache_write_input_tokens,
    )


@dataclass(frozen=True)
class ImageBatchCost:
    """The cost of 10,000 images at a stated tokens-per-image, with its arithmetic."""

    total: Decimal
    arithmetic: str


def cost_per_10k_images(
    prices: Prices, tokens_per_image: int, mean_output_tokens: float | None
) -> ImageBatchCost:
    """10K images × tokens/image at the input price, plus per-image charges and measured output."""
    input_tokens = TEN_THOUSAND * tokens_per_image
    input_cost = Decimal(input_tokens) * prices.input_per_million / MILLION
    terms = [
        f"{TEN_THOUSAND:,} images × {tokens_per_image:,} tokens = {input_tokens:,} input tokens "
        f"× ${prices.input_per_million}/1M = ${input_cost:.2f}"
    ]
    total = input_cost
    if prices.per_image is not None and prices.per_image > 0:
        image_charge = prices.per_image * TEN_THOUSAND
        terms.append(f"{TEN_THOUSAND:,} × ${prices.per_image}/image = ${image_charge:.2f}")
        total += image_charge
    if mean_output_tokens is not None:
        output_tokens = Decimal(str(round(mean_output_tokens, 1))) * TEN_THOUSAND
        output_cost = output_tokens * prices.output_per_million / MILLION
        terms.append(
            f"{TEN_THOUSAND:,} answers × {mean_output_tokens:.1f} measured output tokens = "
            f"{output_tokens:,.0f} × ${prices.output_per_million}/1M = ${output_cost:.2f}"
        )
        total += output_cost
    return ImageBatchCost(total, "; ".join(terms) + f"; total ${total:.2f}")


def _count(mapping: Mapping[str, Any], *names: str) -> int | None:
    for name in names:
        value = mapping.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    return None


def _decimal_or_none(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)
