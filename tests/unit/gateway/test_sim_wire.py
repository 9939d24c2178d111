"""The OpenAI and Anthropic wire formats of the simulator: parsing, bodies, stream frames."""

from __future__ import annotations

import json

import pytest

from tierroute_gateway.sim import anthropic_api, openai_api
from tierroute_gateway.sim.chat_call import ErrorKind, WireError
from tierroute_gateway.sim.usage import PromptTokens


def _frames(raw: bytes) -> list[str]:
    return [frame for frame in raw.decode().split("\n\n") if frame]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        (b"{not json", None),
        (b"[]", None),
        (b'{"messages": [{"role": "user", "content": "x"}]}', "model"),
        (b'{"model": "m", "messages": []}', "messages"),
        (b'{"model": "m", "messages": ["x"]}', "messages[0]"),
        (b'{"model": "m", "messages": [{"role": "user"}], "max_tokens": -1}', "max_tokens"),
        (b'{"model": "m", "messages": [{"role": "user"}], "max_tokens": true}', "max_tokens"),
        (b'{"model": "m", "messages": [{"role": "user"}], "n": 1000}', "n"),
        (b'{"model": "m", "messages": [{"role": "user"}], "stream": "yes"}', "stream"),
    ],
)
def test_openai_bad_requests_are_400_naming_the_field(body: bytes, param: str | None) -> None:
    with pytest.raises(WireError) as caught:
        openai_api.parse_chat(body)
    assert (caught.value.status, caught.value.kind, caught.value.param) == (
        400,
        ErrorKind.BAD_REQUEST,
        param,
    )
    shape = json.loads(openai_api.error_body(caught.value))
    assert set(shape["error"]) == {"message", "type", "param", "code"}


def test_openai_parse_reads_the_fields_the_simulator_acts_on() -> None:
    call = openai_api.parse_chat(
        b'{"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": true,'
        b' "stream_options": {"include_usage": true}, "max_completion_tokens": 9,'
        b' "response_format": {"type": "json_object"}}'
    )
    assert (call.model, call.stream, call.include_usage, call.max_tokens, call.json_mode) == (
        "m",
        True,
        True,
        9,
        True,
    )


def test_openai_stream_ends_with_finish_usage_and_done() -> None:
    reply = openai_api.OpenAIReply("id1", "m", 1, include_usage=True)
    raw = (
        reply.stream_start(PromptTokens(7))
        + reply.stream_delta(("Hello", " world"))
        + reply.stream_end(2, "length", PromptTokens(7))
    )
    frames = _frames(raw)
    assert frames[-1] == "data: [DONE]"
    chunks = [json.loads(frame.removeprefix("data: ")) for frame in frames[:-1]]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(chunk["choices"][0]["delta"].get("content", "") for chunk in chunks[:-1])
    assert text == "Hello world"
    assert chunks[-2]["choices"][0]["finish_reason"] == "length"
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"] == {"prompt_tokens": 7, "completion_tokens": 2, "total_tokens": 9}


def test_openai_stream_without_include_usage_has_no_usage_chunk() -> None:
    reply = openai_api.OpenAIReply("id1", "m", 1, include_usage=False)
    frames = _frames(reply.stream_end(2, "stop", PromptTokens(7)))
    assert len(frames) == 2
    assert "usage" not in json.loads(frames[0].removeprefix("data: "))


def test_anthropic_requires_max_tokens_and_known_roles() -> None:
    with pytest.raises(WireError, match="max_tokens"):
        anthropic_api.parse_messages(b'{"model": "m", "messages": [{"role": "user"}]}')
    with pytest.raises(WireError, match="role"):
        anthropic_api.parse_messages(
            b'{"model": "m", "max_tokens": 5, "messages": [{"role": "system"}]}'
        )
    with pytest.raises(WireError, match="anthropic-version"):
        anthropic_api.check_version({})


def test_anthropic_stream_follows_the_event_sequence() -> None:
    reply = anthropic_api.AnthropicReply("msg_1", "m")
    raw = (
        reply.stream_start(PromptTokens(11))
        + reply.stream_delta(("Hi", " there"))
        + reply.stream_end(2, "stop", PromptTokens(11))
    )
    events = [frame.split("\n")[0].removeprefix("event: ") for frame in _frames(raw)]
    assert events == [
        "message_start",
        "content_block_start",
        "ping",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    datas = [json.loads(frame.split("\n")[1].removeprefix("data: ")) for frame in _frames(raw)]
    assert datas[0]["message"]["usage"]["input_tokens"] == 11
    assert datas[6]["delta"]["stop_reason"] == "end_turn"
    assert datas[6]["usage"]["output_tokens"] == 2


def test_anthropic_error_shape_and_overloaded_status() -> None:
    error = WireError(529, ErrorKind.SERVER_ERROR, "busy")
    assert json.loads(anthropic_api.error_body(error)) == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "busy"},
    }
