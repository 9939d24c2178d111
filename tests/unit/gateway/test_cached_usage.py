"""Prompt-cache reads reported by providers reach the cost at the catalog's cached price."""

from __future__ import annotations

from typing import Any

import pytest

from tierroute_gateway.decision.cost import ModelPrices, estimate_cost
from tierroute_gateway.server.providers import anthropic
from tierroute_gateway.server.providers.exchange import Usage, usage_from_openai

PRICES = ModelPrices(
    input_per_token=4e-6,
    cached_input_per_token=1e-6,
    output_per_token=8e-6,
    per_image=0.0,
    per_audio_second=0.0,
)


def cost_of(usage: Usage) -> float:
    return estimate_cost(
        PRICES,
        usage.input_tokens,
        usage.output_tokens,
        cached_input_tokens=usage.cached_input_tokens,
    )


def test_openai_cached_tokens_are_read_from_the_prompt_details() -> None:
    usage = usage_from_openai(
        {
            "prompt_tokens": 1000,
            "completion_tokens": 10,
            "prompt_tokens_details": {"cached_tokens": 800},
        }
    )
    assert usage is not None
    assert usage.cached_input_tokens == 800
    uncached = Usage(usage.input_tokens, usage.output_tokens)
    saving = cost_of(uncached) - cost_of(usage)
    assert saving == pytest.approx(800 * (PRICES.input_per_token - PRICES.cached_input_per_token))


@pytest.mark.parametrize(
    "details",
    [None, {}, {"cached_tokens": None}, {"cached_tokens": -5}, "800", {"cached_tokens": "800"}],
)
def test_missing_or_malformed_cache_details_count_nothing_as_cached(details: Any) -> None:
    body: dict[str, Any] = {"prompt_tokens": 100, "completion_tokens": 1}
    if details is not None:
        body["prompt_tokens_details"] = details
    usage = usage_from_openai(body)
    assert usage is not None
    assert usage.cached_input_tokens == 0


def test_cached_tokens_never_exceed_the_prompt() -> None:
    usage = usage_from_openai(
        {
            "prompt_tokens": 10,
            "completion_tokens": 1,
            "prompt_tokens_details": {"cached_tokens": 99},
        }
    )
    assert usage is not None
    assert usage.cached_input_tokens == usage.input_tokens


def test_anthropic_cache_reads_are_input_and_cached_cache_writes_only_input() -> None:
    usage = anthropic.usage_of(
        {
            "usage": {
                "input_tokens": 50,
                "cache_creation_input_tokens": 200,
                "cache_read_input_tokens": 700,
                "output_tokens": 5,
            }
        }
    )
    assert usage is not None
    assert (usage.input_tokens, usage.cached_input_tokens) == (950, 700)
