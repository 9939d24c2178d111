"""OpenAI's wire format for the simulator: chat completions, streaming chunks, models, errors."""

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
    ErrorKind.BAD_REQUEST: ("invalid_request_error", None),
    ErrorKind.UNAUTHORIZED: ("invalid_request_error", "invalid_api_key"),
    ErrorKind.NOT_FOUND: ("invalid_request_error", "model_not_found"),
    ErrorKind.TOO_LARGE: ("invalid_request_error", "request_too_large"),
    ErrorKind.RATE_LIMITED: ("requests", "rate_limit_exceeded"),
    ErrorKind.SERVER_ERROR: ("server_error", None),
}
_JSON_FORMATS = ("json_object", "json_schema")
_DONE = b"data: [DONE]\n\n"
_SLOT = "\x00slot\x00"
_SLOT_JSON = orjson.dumps(_SLOT)


def api_key(headers: Mapping[str, str]) -> str | None:
    """The bearer token of the `Authorization` header, if any."""
    value = headers.get("Authorization")
    if value is None or not value.startswith("Bearer "):
        return None
    return value[7:].strip()


def parse_chat(raw: bytes) -> ChatCall:
    """The fields of a `POST /v1/chat/completions` body the simulator needs; 400 on bad input."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise bad_request(f"We could not parse the JSON body of your request: {error}") from None
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise bad_request(f"model: expected a model id, got {model!r}", "model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise bad_request("messages: expected a non-empty array of messages", "messages")
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise bad_request(
                f"messages[{index}]: expected an object with a string 'role'",
                f"messages[{index}]",
            )
    n = body.get("n")
    if n is not None and n != 1:
        raise bad_request(f"n: the simulator generates one choice, got {n!r}", "n")
    max_tokens = positive_int(body, "max_completion_tokens") or positive_int(body, "max_tokens")
    options = body.get("stream_options")
    include_usage = isinstance(options, dict) and options.get("include_usage") is True
    response_format = body.get("response_format")
    if response_format is not None and not isinstance(response_format, dict):
        raise bad_request("response_format: expected an object", "response_format")
    json_mode = response_format is not None and response_format.get("type") in _JSON_FORMATS
    return ChatCall(
        model=model,
        stream=optional_bool(body, "stream"),
        include_usage=include_usage,
        max_tokens=max_tokens,
        json_mode=json_mode,
        body=body,
    )


def error_body(error: WireError) -> bytes:
    """OpenAI's error shape: `{"error": {"message", "type", "param", "code"}}`."""
    kind, code = _ERROR_TYPES[error.kind]
    return orjson.dumps(
        {"error": {"message": error.message, "type": kind, "param": error.param, "code": code}}
    )


def models_body(model_ids: Iterable[tuple[str, str]], created: int) -> bytes:
    """`GET /v1/models`: a list of `(id, owned_by)`."""
    data = [
        {"id": model_id, "object": "model", "created": created, "owned_by": owner}
        for model_id, owner in model_ids
    ]
    return orjson.dumps({"object": "list", "data": data})


def model_body(model_id: str, owner: str, created: int) -> bytes:
    """`GET /v1/models/{id}`."""
    return orjson.dumps({"id": model_id, "object": "model", "created": created, "owned_by": owner})


class OpenAIReply(NamedTuple):
    """One chat completion's answer as an OpenAI body or as `chat.completion.chunk` frames."""

    request_id: str
    model: str
    created: int
    include_usage: bool

    def body(self, pieces: tuple[str, ...], finish: str, prompt: PromptTokens) -> bytes:
        """The `chat.completion` object (OpenAI reports no cache writes)."""
        return orjson.dumps(
            {
                "id": self.request_id,
                "object": "chat.completion",
                "created": self.created,
                "model": self.model,
                "choices": [
                    {
                        "index": 0,
                        "message": {
                            "role": "assistant",
                            "content": "".join(pieces),
                            "refusal": None,
                        },
                        "logprobs": None,
                        "finish_reason": finish,
                    }
                ],
                "usage": _usage(prompt, len(pieces)),
                "system_fingerprint": "tierroute-sim",
            }
        )

    def stream_start(self, prompt: PromptTokens) -> bytes:
        """The first chunk: the assistant role with empty content (usage comes at the end)."""
        return self._chunk({"role": "assistant", "content": ""}, None)

    def stream_delta(self, pieces: tuple[str, ...]) -> bytes:
        """One chunk per piece of text (a rendered template: only the text varies)."""
        if not pieces:
            return b""
        template = self._chunk({"content": _SLOT}, None)
        head, _, tail = template.partition(_SLOT_JSON)
        return b"".join(head + orjson.dumps(piece) + tail for piece in pieces)

    def stream_end(self, completion_tokens: int, finish: str, prompt: PromptTokens) -> bytes:
        """The finish chunk, the usage chunk when asked for, and `[DONE]`."""
        frames = [self._chunk({}, finish)]
        if self.include_usage:
            usage = {
                **self._frame([]),
                "usage": _usage(prompt, completion_tokens),
            }
            frames.append(b"data: " + orjson.dumps(usage) + b"\n\n")
        frames.append(_DONE)
        return b"".join(frames)

    def _chunk(self, delta: dict[str, Any], finish: str | None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        frame = self._frame([choice])
        if self.include_usage:
            frame["usage"] = None
        return b"data: " + orjson.dumps(frame) + b"\n\n"

    def _frame(self, choices: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "id": self.request_id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": "tierroute-sim",
            "choices": choices,
        }


def _usage(prompt: PromptTokens, completion_tokens: int) -> dict[str, Any]:
    """OpenAI's usage: `prompt_tokens` counts every prompt token, the cached ones included
    (OpenAI reports no cache writes)."""
    usage: dict[str, Any] = {
        "prompt_tokens": prompt.total,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt.total + completion_tokens,
    }
    if prompt.cached:
        usage["prompt_tokens_details"] = {"cached_tokens": prompt.cached}
    return usage
