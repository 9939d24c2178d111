"""Anthropic's Messages wire format for the simulator: messages, stream events, errors."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

import orjson

from tierroute_gateway.sim.chat_call import (
    ChatCall,
    ErrorKind,
    WireError,
    bad_request,
    optional_bool,
    positive_int,
)
from tierroute_gateway.sim.usage import PromptTokens

_ERROR_TYPES = {
    ErrorKind.BAD_REQUEST: "invalid_request_error",
    ErrorKind.UNAUTHORIZED: "authentication_error",
    ErrorKind.NOT_FOUND: "not_found_error",
    ErrorKind.TOO_LARGE: "request_too_large",
    ErrorKind.RATE_LIMITED: "rate_limit_error",
    ErrorKind.SERVER_ERROR: "api_error",
}
_STOP_REASONS = {"stop": "end_turn", "length": "max_tokens"}
_OVERLOADED_STATUS = 529
_DELTA_HEAD = (
    b"event: content_block_delta\n"
    b'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":'
)
_DELTA_TAIL = b"}}\n\n"


def api_key(headers: Mapping[str, str]) -> str | None:
    """The `x-api-key` header, else a bearer token (newer SDKs send keys that way)."""
    key = headers.get("x-api-key")
    if key is not None:
        return key
    authorization = headers.get("Authorization")
    if authorization is not None and authorization.startswith("Bearer "):
        return authorization[7:].strip()
    return None


def check_version(headers: Mapping[str, str]) -> None:
    """The Messages API requires an `anthropic-version` header."""
    if not headers.get("anthropic-version"):
        raise bad_request("anthropic-version: header is required")


def parse_messages(raw: bytes) -> ChatCall:
    """The fields of a `POST /v1/messages` body the simulator needs; 400 on bad input."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise bad_request(f"The request body is not valid JSON: {error}") from None
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise bad_request(f"model: Field required (got {model!r})", "model")
    max_tokens = positive_int(body, "max_tokens")
    if max_tokens is None:
        raise bad_request("max_tokens: Field required", "max_tokens")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise bad_request("messages: expected a non-empty list of messages", "messages")
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            raise bad_request(
                f"messages.{index}.role: expected 'user' or 'assistant'", f"messages.{index}"
            )
    system = body.get("system")
    if system is not None and not isinstance(system, str | list):
        raise bad_request("system: expected a string or a list of text blocks", "system")
    return ChatCall(
        model=model,
        stream=optional_bool(body, "stream"),
        include_usage=True,
        max_tokens=max_tokens,
        json_mode=False,
        body=body,
    )


def error_body(error: WireError) -> bytes:
    """Anthropic's error shape: `{"type": "error", "error": {"type", "message"}}`."""
    kind = _ERROR_TYPES[error.kind]
    if error.status == _OVERLOADED_STATUS:
        kind = "overloaded_error"
    return orjson.dumps({"type": "error", "error": {"type": kind, "message": error.message}})


def models_body(model_ids: Iterable[tuple[str, str]], created_at: str) -> bytes:
    """`GET /v1/models` as Anthropic lists models (one page holding every model)."""
    data = [
        {"type": "model", "id": model_id, "display_name": model_id, "created_at": created_at}
        for model_id, _ in model_ids
    ]
    return orjson.dumps(
        {
            "data": data,
            "has_more": False,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
        }
    )


class AnthropicReply(NamedTuple):
    """One message's answer as an Anthropic body or as its server-sent events."""

    request_id: str
    model: str

    def body(self, pieces: tuple[str, ...], finish: str, prompt: PromptTokens) -> bytes:
        """The `message` object."""
        usage = _usage(prompt, len(pieces))
        return orjson.dumps(
            {
                **self._message([{"type": "text", "text": "".join(pieces)}]),
                "stop_reason": _STOP_REASONS[finish],
                "usage": usage,
            }
        )

    def stream_start(self, prompt: PromptTokens) -> bytes:
        """`message_start`, `content_block_start` and a `ping`."""
        usage = _usage(prompt, 1)
        message = {**self._message([]), "usage": usage}
        return b"".join(
            (
                _event("message_start", {"type": "message_start", "message": message}),
                _event(
                    "content_block_start",
                    {
                        "type": "content_block_start",
                        "index": 0,
                        "content_block": {"type": "text", "text": ""},
                    },
                ),
                _event("ping", {"type": "ping"}),
            )
        )

    def stream_delta(self, pieces: tuple[str, ...]) -> bytes:
        """One `content_block_delta` per piece of text."""
        return b"".join(_DELTA_HEAD + orjson.dumps(piece) + _DELTA_TAIL for piece in pieces)

    def stream_end(self, completion_tokens: int, finish: str, prompt: PromptTokens) -> bytes:
        """`content_block_stop`, `message_delta` with the usage, `message_stop`.

        As Anthropic's API does today, `message_delta` carries the cumulative input counts
        (the same as `message_start`'s) besides the output tokens."""
        usage = _usage(prompt, completion_tokens)
        delta = {
            "type": "message_delta",
            "delta": {"stop_reason": _STOP_REASONS[finish], "stop_sequence": None},
            "usage": usage,
        }
        return b"".join(
            (
                _event("content_block_stop", {"type": "content_block_stop", "index": 0}),
                _event("message_delta", delta),
                _event("message_stop", {"type": "message_stop"}),
            )
        )

    def _message(self, content: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "id": self.request_id,
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": content,
            "stop_reason": None,
            "stop_sequence": None,
        }


def _usage(prompt: PromptTokens, output_tokens: int) -> dict[str, int]:
    """Anthropic's usage: `input_tokens` counts only the prompt tokens neither read from nor
    written to the prompt cache, which are reported apart."""
    return {
        "input_tokens": max(0, prompt.total - prompt.cached - prompt.written),
        "output_tokens": output_tokens,
        "cache_creation_input_tokens": prompt.written,
        "cache_read_input_tokens": prompt.cached,
    }


def _event(name: str, data: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"
