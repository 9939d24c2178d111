"""The Anthropic Messages adapter: OpenAI chat requests in, OpenAI answers and chunks out.

Tool-free chat: system and developer messages become the `system` prompt; text parts and
images (data URLs as base64 sources, http(s) URLs as url sources) become content blocks.
Audio parts and tool messages have no Anthropic equivalent and are refused as client errors,
so the fallback executor moves to a model that can take them.
"""

from __future__ import annotations

from typing import Any

import orjson

from tierroute_gateway.server.chat_request import ChatRequest
from tierroute_gateway.server.providers.exchange import CLIENT_ERROR, UpstreamError, Usage
from tierroute_gateway.server.providers.sse import Event, encode_data

PATH = "/messages"
API_VERSION = "2023-06-01"
FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "pause_turn": "stop",
    "refusal": "content_filter",
}


def request_body(chat: ChatRequest, provider_model: str, max_output_tokens: int) -> bytes:
    """The Messages API body for an OpenAI chat request."""
    body = chat.body
    system: list[str] = []
    messages: list[dict[str, Any]] = []
    for index, message in enumerate(body["messages"]):
        role = message["role"]
        if role in ("system", "developer"):
            system.append(_text_only(message.get("content"), index))
        elif role in ("user", "assistant"):
            messages.append({"role": role, "content": _blocks(message.get("content"), index)})
        else:
            raise UpstreamError(
                CLIENT_ERROR, f"messages[{index}].role: {role!r} is not supported by Anthropic"
            )
    limit = chat.max_tokens if chat.max_tokens is not None else max_output_tokens
    translated: dict[str, Any] = {
        "model": provider_model,
        "max_tokens": min(limit, max_output_tokens),
        "messages": messages,
    }
    if system:
        translated["system"] = "\n\n".join(system)
    _copy_sampling(body, translated)
    if chat.stream:
        translated["stream"] = True
    return orjson.dumps(translated)


def _copy_sampling(body: dict[str, Any], translated: dict[str, Any]) -> None:
    temperature = body.get("temperature")
    if isinstance(temperature, int | float):
        translated["temperature"] = min(float(temperature), 1.0)
    top_p = body.get("top_p")
    if isinstance(top_p, int | float):
        translated["top_p"] = float(top_p)
    stop = body.get("stop")
    if isinstance(stop, str):
        translated["stop_sequences"] = [stop]
    elif isinstance(stop, list) and all(isinstance(item, str) for item in stop):
        translated["stop_sequences"] = stop
    user = body.get("user")
    if isinstance(user, str):
        translated["metadata"] = {"user_id": user}


def _text_only(content: object, index: int) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(part["text"] for part in content if part.get("type") == "text")
    return ""


def _blocks(content: object, index: int) -> str | list[dict[str, Any]]:
    if isinstance(content, str):
        return content
    if content is None:
        return ""
    blocks: list[dict[str, Any]] = []
    for part_index, part in enumerate(content if isinstance(content, list) else []):
        kind = part.get("type")
        if kind == "text":
            blocks.append({"type": "text", "text": part["text"]})
        elif kind == "image_url":
            blocks.append(_image_block(part["image_url"]["url"]))
        else:
            raise UpstreamError(
                CLIENT_ERROR,
                f"messages[{index}].content[{part_index}].type: {kind!r} is not supported "
                "by Anthropic",
            )
    return blocks


def _image_block(url: str) -> dict[str, Any]:
    if url.startswith("data:"):
        header, _, data = url.partition(",")
        media_type = header[5:].split(";", 1)[0] or "image/png"
        return {
            "type": "image",
            "source": {"type": "base64", "media_type": media_type, "data": data},
        }
    return {"type": "image", "source": {"type": "url", "url": url}}


def answer_from_message(message: dict[str, Any], model: str, created: int) -> dict[str, Any]:
    """The OpenAI chat completion equivalent of an Anthropic message."""
    text = "".join(
        block.get("text", "")
        for block in message.get("content") or []
        if isinstance(block, dict) and block.get("type") == "text"
    )
    usage = usage_of(message)
    answer: dict[str, Any] = {
        "id": "chatcmpl-" + str(message.get("id", "")),
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "finish_reason": FINISH_REASONS.get(str(message.get("stop_reason")), "stop"),
            }
        ],
    }
    if usage is not None:
        answer["usage"] = _openai_usage(usage)
    return answer


def usage_of(message: dict[str, Any]) -> Usage | None:
    """Usage of an Anthropic message (cache reads and writes count as input)."""
    usage = message.get("usage")
    if not isinstance(usage, dict):
        return None
    output = usage.get("output_tokens")
    if not isinstance(output, int):
        return None
    return anthropic_usage(input_counts(usage), output)


_INPUT_KEYS = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")


def input_counts(usage: dict[str, Any]) -> dict[str, int]:
    """The input-token counts an Anthropic usage object carries (non-negative integers only)."""
    return {
        key: value
        for key in _INPUT_KEYS
        if isinstance(value := usage.get(key), int) and not isinstance(value, bool) and value >= 0
    }


def anthropic_usage(counts: dict[str, int], output_tokens: int) -> Usage:
    """Usage from Anthropic's input counts: every input token, and of those the ones read from
    and written to the prompt cache.

    Anthropic's `input_tokens` EXCLUDES cache reads and writes, which it reports apart; OpenAI's
    `prompt_tokens` (and our `Usage.input_tokens`) includes them."""
    return Usage(
        sum(counts.values()),
        output_tokens,
        cached_input_tokens=counts.get("cache_read_input_tokens", 0),
        cache_write_input_tokens=counts.get("cache_creation_input_tokens", 0),
    )


def _openai_usage(usage: Usage) -> dict[str, Any]:
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.input_tokens + usage.output_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_input_tokens},
    }


class StreamRelay:
    """Turns Anthropic stream events into OpenAI chat completion chunks."""

    def __init__(self, client_wants_usage: bool, model: str, created: int) -> None:
        self.client_wants_usage = client_wants_usage
        self.usage: Usage | None = None
        self.done = False
        self.produced_content = False
        self._model = model
        self._created = created
        self._id = "chatcmpl-"
        self._input_counts: dict[str, int] = {}

    def translate(self, event: Event) -> list[bytes]:
        """Client-facing SSE bytes for one upstream event (raises on an `error` event)."""
        kind = event.name
        if kind in ("ping", "content_block_start", "content_block_stop", ""):
            return []
        payload = orjson.loads(event.data)
        if kind == "error":
            error = payload.get("error") or {}
            raise UpstreamError(
                "server_error", f"provider stream error: {error.get('message', 'unknown')}"
            )
        if kind == "message_start":
            return self._start(payload.get("message") or {})
        if kind == "content_block_delta":
            delta = payload.get("delta") or {}
            if delta.get("type") != "text_delta":
                return []
            return [self._chunk({"content": delta.get("text", "")}, None)]
        if kind == "message_delta":
            return self._finish(payload)
        if kind == "message_stop":
            return self._stop()
        return []

    def _start(self, message: dict[str, Any]) -> list[bytes]:
        self._id = "chatcmpl-" + str(message.get("id", ""))
        usage = message.get("usage")
        if isinstance(usage, dict):
            self._input_counts = input_counts(usage)
        return [self._chunk({"role": "assistant", "content": ""}, None)]

    def _finish(self, payload: dict[str, Any]) -> list[bytes]:
        usage = payload.get("usage")
        usage = usage if isinstance(usage, dict) else {}
        # message_delta's counts are cumulative; the ones it carries replace message_start's.
        self._input_counts.update(input_counts(usage))
        output = usage.get("output_tokens")
        if isinstance(output, int):
            self.usage = anthropic_usage(self._input_counts, output)
        reason = FINISH_REASONS.get(str((payload.get("delta") or {}).get("stop_reason")), "stop")
        return [self._chunk({}, reason)]

    def _stop(self) -> list[bytes]:
        self.done = True
        events = []
        if self.client_wants_usage and self.usage is not None:
            chunk = self._base()
            chunk["choices"] = []
            chunk["usage"] = _openai_usage(self.usage)
            events.append(encode_data(orjson.dumps(chunk)))
        events.append(encode_data(b"[DONE]"))
        return events

    def _chunk(self, delta: dict[str, Any], finish_reason: str | None) -> bytes:
        self.produced_content = True
        chunk = self._base()
        chunk["choices"] = [{"index": 0, "delta": delta, "finish_reason": finish_reason}]
        return encode_data(orjson.dumps(chunk))

    def _base(self) -> dict[str, Any]:
        return {
            "id": self._id,
            "object": "chat.completion.chunk",
            "created": self._created,
            "model": self._model,
        }
