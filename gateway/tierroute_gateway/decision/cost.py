"""Cost in USD from prices and token counts: for estimates before a call and actual cost after.

Prices are floats here (converted once per table load from the table's decimal strings):
accounting feeds float counters anyway, and an estimate needs no more precision.
"""

from __future__ import annotations

from dataclasses import dataclass

from tierroute_gateway.routing_table import Pricing, decimal_value

_PER_MILLION = 1_000_000


@dataclass(frozen=True, slots=True)
class ModelPrices:
    """A model's prices in USD per unit, ready for arithmetic."""

    input_per_token: float
    output_per_token: float
    cached_input_per_token: float
    cache_write_input_per_token: float
    per_image: float
    per_audio_second: float


def prices_from_pricing(pricing: Pricing) -> ModelPrices:
    """Per-unit float prices from a table's per-million decimal prices."""
    input_per_token = float(decimal_value(pricing.input_per_million)) / _PER_MILLION
    return ModelPrices(
        input_per_token=input_per_token,
        output_per_token=float(decimal_value(pricing.output_per_million)) / _PER_MILLION,
        cached_input_per_token=_per_token(pricing.cached_input_per_million, input_per_token),
        cache_write_input_per_token=_per_token(
            pricing.cache_write_input_per_million, input_per_token
        ),
        per_image=float(decimal_value(pricing.per_image)) if pricing.per_image else 0.0,
        per_audio_second=(
            float(decimal_value(pricing.per_audio_minute)) / 60 if pricing.per_audio_minute else 0.0
        ),
    )


def _per_token(per_million: str | None, otherwise: float) -> float:
    if per_million is None:
        return otherwise
    return float(decimal_value(per_million)) / _PER_MILLION


def estimate_cost(
    prices: ModelPrices,
    input_tokens: int,
    output_tokens: int,
    images: int = 0,
    audio_seconds: float = 0.0,
    *,
    cached_input_tokens: int = 0,
    cache_write_input_tokens: int = 0,
) -> float:
    """USD for a call: tokens at token prices, plus per-image and per-audio charges.

    `input_tokens` counts every input token, cached ones included (as OpenAI's
    `prompt_tokens` does); `cached_input_tokens` of them are billed at the cached price and
    `cache_write_input_tokens` (written to the prompt cache) at the cache-write price.
    """
    cached = min(max(cached_input_tokens, 0), input_tokens)
    written = min(max(cache_write_input_tokens, 0), input_tokens - cached)
    return (
        (input_tokens - cached - written) * prices.input_per_token
        + cached * prices.cached_input_per_token
        + written * prices.cache_write_input_per_token
        + output_tokens * prices.output_per_token
        + images * prices.per_image
        + audio_seconds * prices.per_audio_second
    )
