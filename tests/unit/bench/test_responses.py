"""Reading replies: JSON bodies and SSE streams of both wire formats."""

from __future__ import annotations

import orjson
import pytest

from tierroute_bench.responses import ResponseError, StreamAccumulator, error_message, parse_body


def test_openai_body() -> None:
    body = orjson.dumps(
        {"choices": [{"message": {"content": "42"}, "finish_reason": "stop"}],
         "usage": {"prompt_tokens": 10, "completion_tokens": 1}}
    )  # fmt: skip
    reply = parse_body("openai", body)
    assert (reply.text, reply.finish_reason) == ("42", "stop")
    assert reply.usage == {"prompt_tokens": 10, "completion_tokens": 1}


def test_anthropic_body_joins_text_blocks() -> None:
    body = orjson.dumps(
        {"content": [{"type": "text", "text": "4"}, {"type": "text", "text": "2"}],
         "stop_reason": "end_turn", "usage": {"input_tokens": 9, "output_tokens": 1}}
    )  # fmt: skip
    reply = parse_body("anthropic", body)
    assert (reply.text, reply.finish_reason) == ("42", "end_turn")


def test_body_that_is_not_the_format_is_an_error() -> None:
    with pytest.raises(ResponseError, match="no choices"):
        parse_body("openai", b'{"id": "x"}')
    with pytest.raises(ResponseError, match="not JSON"):
        parse_body("openai", b"<html>")


def test_openai_stream_reports_first_text_and_final_usage() -> None:
    stream = StreamAccumulator("openai")
    chunks = [
        {"choices": [{"delta": {"role": "assistant"}}]},
        {"choices": [{"delta": {"content": "4"}}]},
        {"choices": [{"delta": {"content": "2"}, "finish_reason": "stop"}]},
        {"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 2}},
    ]
    firsts = [stream.feed(b"data: " + orjson.dumps(chunk)) for chunk in chunks]
    stream.feed(b"data: [DONE]")
    assert firsts == [False, True, False, False]
    reply = stream.reply()
    assert (reply.text, reply.finish_reason, stream.done) == ("42", "stop", True)
    assert reply.usage == {"prompt_tokens": 5, "completion_tokens": 2}


def test_anthropic_stream_collects_usage_from_start_and_delta() -> None:
    stream = StreamAccumulator("anthropic")
    events = [
        {"type": "message_start", "message": {"usage": {"input_tokens": 7}}},
        {"type": "content_block_delta", "delta": {"type": "text_delta", "text": "hi"}},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"},
         "usage": {"output_tokens": 1}},
        {"type": "message_stop"},
    ]  # fmt: skip
    stream.feed(b"event: message_start")
    firsts = [stream.feed(b"data: " + orjson.dumps(event)) for event in events]
    assert firsts == [False, True, False, False]
    reply = stream.reply()
    assert reply.text == "hi"
    assert reply.usage == {"input_tokens": 7, "output_tokens": 1}


def test_error_message_reads_both_error_shapes() -> None:
    assert error_message(b'{"error": {"message": "slow down", "type": "x"}}') == "slow down"
    assert error_message(b"Bad Gateway") == "Bad Gateway"
