"""OpenAI chat ↔ Anthropic Messages translation, both ways, streaming included."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from tierroute_gateway.server.chat_request import parse_chat_request
from tierroute_gateway.server.providers import anthropic
from tierroute_gateway.server.providers.exchange import UpstreamError
from tierroute_gateway.server.providers.sse import Event, EventSplitter

PNG = "iVBORw0KGgo="


def translate(body: dict[str, Any], max_output: int = 4096) -> dict[str, Any]:
    chat = parse_chat_request(orjson.dumps(body))
    result: dict[str, Any] = orjson.loads(anthropic.request_body(chat, "claude-x", max_output))
    return result


def test_system_messages_become_the_system_prompt() -> None:
    body = translate(
        {
            "model": "auto",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "developer", "content": [{"type": "text", "text": "No emoji."}]},
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hello"},
                {"role": "user", "content": "Bye"},
            ],
            "temperature": 1.5,
            "stop": "END",
        }
    )
    assert body["system"] == "Be brief.\n\nNo emoji."
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]
    assert body["model"] == "claude-x"
    assert body["temperature"] == 1.0
    assert body["stop_sequences"] == ["END"]


def test_max_tokens_defaults_to_the_models_limit_and_is_capped_by_it() -> None:
    base = {"model": "auto", "messages": [{"role": "user", "content": "Hi"}]}
    assert translate(base, max_output=512)["max_tokens"] == 512
    assert translate({**base, "max_tokens": 100}, max_output=512)["max_tokens"] == 100
    assert translate({**base, "max_tokens": 9000}, max_output=512)["max_tokens"] == 512


def test_image_parts_become_image_blocks() -> None:
    body = translate(
        {
            "model": "auto",
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "What is this?"},
                        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
                        {"type": "image_url", "image_url": {"url": "https://example.com/a.jpg"}},
                    ],
                }
            ],
        }
    )
    blocks = body["messages"][0]["content"]
    assert blocks[0] == {"type": "text", "text": "What is this?"}
    assert blocks[1]["source"] == {"type": "base64", "media_type": "image/png", "data": PNG}
    assert blocks[2]["source"] == {"type": "url", "url": "https://example.com/a.jpg"}


def test_audio_parts_are_refused_as_client_errors() -> None:
    chat = parse_chat_request(
        orjson.dumps(
            {
                "model": "auto",
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "input_audio", "input_audio": {"data": PNG, "format": "wav"}}
                        ],
                    }
                ],
            }
        )
    )
    with pytest.raises(UpstreamError) as raised:
        anthropic.request_body(chat, "claude-x", 100)
    assert raised.value.error_class == "client_error"


def test_answer_translates_to_a_chat_completion() -> None:
    message = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "content": [{"type": "text", "text": "Hello "}, {"type": "text", "text": "there"}],
        "stop_reason": "max_tokens",
        "usage": {"input_tokens": 12, "output_tokens": 4, "cache_read_input_tokens": 3},
    }
    answer = anthropic.answer_from_message(message, "claude-haiku", created=7)
    assert answer["choices"][0]["message"] == {
        "role": "assistant",
        "content": "Hello there",
        "refusal": None,
    }
    assert answer["choices"][0]["finish_reason"] == "length"
    assert answer["usage"] == {
        "prompt_tokens": 15,
        "completion_tokens": 4,
        "total_tokens": 19,
        "prompt_tokens_details": {"cached_tokens": 3},
    }
    assert answer["model"] == "claude-haiku"
    assert answer["object"] == "chat.completion"


def sse(name: str, payload: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(payload) + b"\n\n"


STREAM = b"".join(
    [
        sse("message_start", {"message": {"id": "msg_2", "usage": {"input_tokens": 9}}}),
        sse("ping", {}),
        sse("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}),
        sse("content_block_delta", {"delta": {"type": "text_delta", "text": "Hel"}}),
        sse("content_block_delta", {"delta": {"type": "text_delta", "text": "lo"}}),
        sse("content_block_stop", {"index": 0}),
        sse("message_delta", {"delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 2}}),
        sse("message_stop", {}),
    ]
)


def relay_all(wants_usage: bool, split: int) -> tuple[list[dict[str, Any]], anthropic.StreamRelay]:
    relay = anthropic.StreamRelay(wants_usage, "claude-haiku", created=1)
    splitter = EventSplitter()
    out: list[bytes] = []
    for start in range(0, len(STREAM), split):
        for event in splitter.feed(STREAM[start : start + split]):
            out.extend(relay.translate(event))
    payloads = [item.removeprefix(b"data: ").strip() for item in out]
    assert payloads[-1] == b"[DONE]"
    return [orjson.loads(p) for p in payloads[:-1]], relay


@pytest.mark.parametrize("split", [1, 7, 10_000])
def test_stream_events_become_openai_chunks(split: int) -> None:
    chunks, relay = relay_all(wants_usage=True, split=split)
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == "Hello"
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    finishes = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]]
    assert finishes[-1] == "stop"
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"] == {
        "prompt_tokens": 9,
        "completion_tokens": 2,
        "total_tokens": 11,
        "prompt_tokens_details": {"cached_tokens": 0},
    }
    assert relay.done


def test_usage_chunk_only_when_asked_but_usage_always_noted() -> None:
    chunks, relay = relay_all(wants_usage=False, split=50)
    assert all(c["choices"] for c in chunks)
    assert relay.usage is not None
    assert relay.usage.output_tokens == 2


def test_error_event_raises() -> None:
    relay = anthropic.StreamRelay(False, "m", created=1)
    with pytest.raises(UpstreamError):
        relay.translate(Event("error", orjson.dumps({"error": {"message": "overloaded"}})))
