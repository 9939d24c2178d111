"""The OpenAI-compatible adapter: the request goes through with only `model` rewritten."""

from __future__ import annotations

from typing import Any

import orjson

from tierroute_gateway.server.chat_request import ChatRequest
from tierroute_gateway.server.providers.exchange import (
    UpstreamError,
    Usage,
    usage_from_openai,
)
from tierroute_gateway.server.providers.sse import Event, encode_data

PATH = "/chat/completions"
DONE = b"[DONE]"


def request_body(chat: ChatRequest, raw: bytes, provider_model: str) -> bytes:
    """The body to send: the client's bytes with `model` replaced (and usage asked for streams).

    When the client's body names `model` once and the stream needs no `stream_options`, the
    original bytes are kept and only the model value is replaced; otherwise the parsed body is
    serialized again with the changes.
    """
    if not chat.stream or chat.include_usage:
        rewritten = _replace_model_in_place(raw, chat.model, provider_model)
        if rewritten is not None:
            return rewritten
    body: dict[str, Any] = dict(chat.body)
    body["model"] = provider_model
    if chat.stream:
        options = dict(body.get("stream_options") or {})
        options["include_usage"] = True
        body["stream_options"] = options
    return orjson.dumps(body)


def _replace_model_in_place(raw: bytes, model: str, provider_model: str) -> bytes | None:
    """Replace the value of the only `"model"` key, if the bytes are that simple."""
    start = raw.find(b'"model"')
    if start < 0 or raw.find(b'"model"', start + 7) >= 0:
        return None
    colon = _skip_space(raw, start + 7)
    if raw[colon : colon + 1] != b":":
        return None
    value = _skip_space(raw, colon + 1)
    encoded = orjson.dumps(model)
    if not raw.startswith(encoded, value):
        return None
    end = value + len(encoded)
    return b"".join((raw[:start], b'"model":', orjson.dumps(provider_model), raw[end:]))


def _skip_space(raw: bytes, position: int) -> int:
    while raw[position : position + 1] in (b" ", b"\t", b"\n", b"\r"):
        position += 1
    return position


def usage_of(answer: dict[str, Any]) -> Usage | None:
    """The usage reported in a chat completion, if any."""
    return usage_from_openai(answer.get("usage"))


class StreamRelay:
    """Relays an OpenAI stream as it comes; notes usage; drops the usage chunk unless asked."""

    def __init__(self, client_wants_usage: bool) -> None:
        self.client_wants_usage = client_wants_usage
        self.usage: Usage | None = None
        self.done = False
        self.produced_content = False

    def translate(self, event: Event) -> list[bytes]:
        """Client-facing SSE bytes for one upstream event (raises on an `error` event)."""
        data = event.data
        if data == DONE:
            self.done = True
            return [encode_data(DONE)]
        if b'"usage"' in data or b'"error"' in data:
            chunk = orjson.loads(data)
            if isinstance(chunk, dict):
                return self._inspect(chunk, data)
        self.produced_content = True
        return [encode_data(data)]

    def _inspect(self, chunk: dict[str, Any], data: bytes) -> list[bytes]:
        error = chunk.get("error")
        if error is not None:
            message = error.get("message") if isinstance(error, dict) else str(error)
            raise UpstreamError("server_error", f"provider stream error: {message}")
        usage = usage_from_openai(chunk.get("usage"))
        if usage is not None:
            self.usage = usage
            if not chunk.get("choices") and not self.client_wants_usage:
                return []
        self.produced_content = True
        return [encode_data(data)]
