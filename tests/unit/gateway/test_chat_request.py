"""Checks of chat-completions bodies: each refusal is a 400 naming the field."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from tierroute_gateway.server.chat_request import parse_chat_request
from tierroute_gateway.server.errors import GatewayError

VALID: dict[str, Any] = {"model": "auto", "messages": [{"role": "user", "content": "Hi"}]}


def refusal(raw: bytes) -> GatewayError:
    with pytest.raises(GatewayError) as raised:
        parse_chat_request(raw)
    assert raised.value.status == 400
    return raised.value


def with_fields(**fields: Any) -> bytes:
    return orjson.dumps({**VALID, **fields})


def test_valid_request_parses() -> None:
    chat = parse_chat_request(
        with_fields(stream=True, stream_options={"include_usage": True}, max_tokens=5)
    )
    assert chat.model == "auto"
    assert chat.stream
    assert chat.include_usage
    assert chat.max_tokens == 5


@pytest.mark.parametrize(
    ("raw", "param"),
    [
        (b"{not json", None),
        (b"[1, 2]", None),
        (b'{"model": "auto", "messages": [{"role": "user", "content": "\xff"}]}', None),
        (orjson.dumps({"messages": VALID["messages"]}), "model"),
        (orjson.dumps({"model": 3, "messages": VALID["messages"]}), "model"),
        (orjson.dumps({"model": "auto"}), "messages"),
        (orjson.dumps({"model": "auto", "messages": []}), "messages"),
        (orjson.dumps({"model": "auto", "messages": "hi"}), "messages"),
        (orjson.dumps({"model": "auto", "messages": [{"role": "x", "content": "a"}]}), None),
        (with_fields(n=1000), "n"),
        (with_fields(max_tokens=-1), "max_tokens"),
        (with_fields(max_tokens="5"), "max_tokens"),
        (with_fields(stream="yes"), "stream"),
        (with_fields(temperature=7), "temperature"),
        (with_fields(response_format={"type": "yaml"}), "response_format.type"),
    ],
)
def test_malformed_bodies_are_refused(raw: bytes, param: str | None) -> None:
    error = refusal(raw)
    if param is not None:
        assert error.param == param


def part_body(part: dict[str, Any]) -> bytes:
    return orjson.dumps({"model": "auto", "messages": [{"role": "user", "content": [part]}]})


def test_unknown_content_part_type_is_refused() -> None:
    error = refusal(part_body({"type": "hologram", "data": "x"}))
    assert error.param == "messages[0].content[0].type"


def test_data_url_that_is_not_base64_is_refused() -> None:
    url = "data:image/png;base64,@@@not-base64@@@"
    error = refusal(part_body({"type": "image_url", "image_url": {"url": url}}))
    assert error.param == "messages[0].content[0].image_url.url"


def test_data_url_without_base64_marker_is_refused() -> None:
    refusal(part_body({"type": "image_url", "image_url": {"url": "data:image/png,abc"}}))


def test_valid_image_and_audio_parts_pass() -> None:
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
    audio = {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}}
    parse_chat_request(part_body(image))
    parse_chat_request(part_body(audio))
