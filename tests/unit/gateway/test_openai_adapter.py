"""The OpenAI-compatible adapter: body rewriting and stream relaying; SSE splitting."""

from __future__ import annotations

import orjson
import pytest

from tierroute_gateway.server.chat_request import parse_chat_request
from tierroute_gateway.server.providers import openai
from tierroute_gateway.server.providers.exchange import UpstreamError
from tierroute_gateway.server.providers.sse import Event, EventSplitter


def test_model_is_replaced_in_the_original_bytes() -> None:
    raw = b'{"model" : "auto", "messages": [{"role": "user", "content": "x"}], "temperature": 0.70}'
    body = openai.request_body(parse_chat_request(raw), raw, "gpt-4o-mini")
    assert body == raw.replace(b'"model" : "auto"', b'"model":"gpt-4o-mini"')


def test_model_named_in_the_prompt_forces_a_clean_rewrite() -> None:
    raw = orjson.dumps({"model": "auto", "messages": [{"role": "user", "content": 'say "model"'}]})
    body = orjson.loads(openai.request_body(parse_chat_request(raw), raw, "m2"))
    assert body["model"] == "m2"
    assert body["messages"][0]["content"] == 'say "model"'


def test_streams_ask_for_usage() -> None:
    raw = orjson.dumps(
        {"model": "auto", "stream": True, "messages": [{"role": "user", "content": "x"}]}
    )
    body = orjson.loads(openai.request_body(parse_chat_request(raw), raw, "m"))
    assert body["stream_options"] == {"include_usage": True}


def test_relay_keeps_usage_chunk_only_when_asked() -> None:
    usage_chunk = orjson.dumps(
        {"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}}
    )
    quiet = openai.StreamRelay(client_wants_usage=False)
    assert quiet.translate(Event("", usage_chunk)) == []
    assert quiet.usage is not None
    assert quiet.usage.output_tokens == 4
    loud = openai.StreamRelay(client_wants_usage=True)
    assert loud.translate(Event("", usage_chunk)) == [b"data: " + usage_chunk + b"\n\n"]
    assert loud.translate(Event("", b"[DONE]")) == [b"data: [DONE]\n\n"]
    assert loud.done


def test_relay_raises_on_an_error_chunk() -> None:
    relay = openai.StreamRelay(client_wants_usage=False)
    with pytest.raises(UpstreamError):
        relay.translate(Event("", b'{"error": {"message": "overloaded"}}'))


@pytest.mark.parametrize("size", [1, 3, 1000])
def test_splitter_reassembles_events_across_chunks(size: int) -> None:
    stream = b"event: a\r\ndata: 1\r\n\r\n: comment\n\ndata: 2\ndata: 3\n\n"
    splitter = EventSplitter()
    events = []
    for start in range(0, len(stream), size):
        events += splitter.feed(stream[start : start + size])
    assert events == [Event("a", b"1"), Event("", b"2\n3")]
