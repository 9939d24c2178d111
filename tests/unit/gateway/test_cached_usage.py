"""Prompt-cache reads and writes reported by providers reach the cost at the catalog's cached
and cache-write prices."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from tierroute_gateway.decision.cost import ModelPrices, estimate_cost
from tierroute_gateway.server.providers import anthropic
from tierroute_gateway.server.providers.exchange import Usage, usage_from_openai
from tierroute_gateway.server.providers.sse import Event

PRICES = ModelPrices(
    input_per_token=4e-6,
    cached_input_per_token=1e-6,
    cache_write_input_per_token=5e-6,
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
        cache_write_input_tokens=usage.cache_write_input_tokens,
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


def test_anthropic_cache_reads_and_writes_are_input_and_counted_apart() -> None:
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
    assert usage.cache_write_input_tokens == 200
    plain = Usage(usage.input_tokens, usage.output_tokens)
    extra = cost_of(usage) - cost_of(plain)
    expected = 700 * (PRICES.cached_input_per_token - PRICES.input_per_token) + 200 * (
        PRICES.cache_write_input_per_token - PRICES.input_per_token
    )
    assert extra == pytest.approx(expected)


def test_a_streamed_anthropic_cache_write_reaches_the_relays_usage() -> None:
    relay = anthropic.StreamRelay(False, "claude-x", created=1)
    start = {"input_tokens": 30, "cache_creation_input_tokens": 400, "output_tokens": 1}
    for event in (
        Event("message_start", orjson.dumps({"message": {"id": "m", "usage": start}})),
        Event("message_delta", orjson.dumps({"delta": {}, "usage": {"output_tokens": 4}})),
        Event("message_stop", b"{}"),
    ):
        relay.translate(event)
    assert relay.usage is not None
    assert (relay.usage.input_tokens, relay.usage.cache_write_input_tokens) == (430, 400)
    assert relay.usage.cached_input_tokens == 0


def relayed_usage(start_usage: dict[str, Any], delta_usage: dict[str, Any]) -> dict[str, Any]:
    """The OpenAI usage chunk a relayed Anthropic stream ends with."""
    relay = anthropic.StreamRelay(True, "claude-x", created=1)
    events = [
        Event("message_start", orjson.dumps({"message": {"id": "m", "usage": start_usage}})),
        Event("message_delta", orjson.dumps({"delta": {"stop_reason": "end_turn"}, **delta_usage})),
        Event("message_stop", b"{}"),
    ]
    frames = [frame for event in events for frame in relay.translate(event)]
    usage: dict[str, Any] = orjson.loads(frames[-2].removeprefix(b"data: "))["usage"]
    return usage


def test_a_streamed_anthropic_cache_read_is_prompt_input_and_cached() -> None:
    usage = relayed_usage(
        {"input_tokens": 30, "cache_read_input_tokens": 70, "output_tokens": 1},
        {"usage": {"output_tokens": 4}},
    )
    assert (usage["prompt_tokens"], usage["prompt_tokens_details"]["cached_tokens"]) == (100, 70)
    assert usage["total_tokens"] == 104


def test_cumulative_input_counts_of_message_delta_replace_those_of_message_start() -> None:
    usage = relayed_usage(
        {"input_tokens": 30, "cache_read_input_tokens": 70, "output_tokens": 1},
        {"usage": {"input_tokens": 45, "cache_read_input_tokens": 90, "output_tokens": 4}},
    )
    assert (usage["prompt_tokens"], usage["prompt_tokens_details"]["cached_tokens"]) == (135, 90)


def test_counts_message_delta_leaves_out_keep_their_message_start_values() -> None:
    usage = relayed_usage(
        {"input_tokens": 30, "cache_read_input_tokens": 70},
        {"usage": {"input_tokens": 45, "cache_read_input_tokens": None, "output_tokens": 4}},
    )
    assert (usage["prompt_tokens"], usage["prompt_tokens_details"]["cached_tokens"]) == (115, 70)
