"""Read a provider's reply: the answer text and its reported usage, from a JSON body or an
SSE stream (OpenAI chat completion chunks, Anthropic Messages events). Pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from tierroute_bench.payloads import WireApi


class ResponseError(ValueError):
    """A reply that is not the wire format it should be."""


@dataclass(frozen=True)
class Reply:
    """What a model answered."""

    text: str
    usage: dict[str, Any] | None
    finish_reason: str | None


def parse_body(api: WireApi, body: bytes) -> Reply:
    """The reply in a non-streamed JSON body."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise ResponseError(f"reply is not JSON: {error}; body starts {body[:80]!r}") from None
    if not isinstance(document, dict):
        raise ResponseError(f"reply is a JSON {type(document).__name__}, not an object")
    if api == "openai":
        return _openai_body(document)
    return _anthropic_body(document)


def _openai_body(document: dict[str, Any]) -> Reply:
    choices = document.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise ResponseError("reply has no choices[0]")
    message = choices[0].get("message")
    if not isinstance(message, dict):
        raise ResponseError("reply has no choices[0].message")
    return Reply(
        text=_openai_content_text(message.get("content")),
        usage=_mapping(document.get("usage")),
        finish_reason=choices[0].get("finish_reason"),
    )


def _anthropic_body(document: dict[str, Any]) -> Reply:
    content = document.get("content")
    if not isinstance(content, list):
        raise ResponseError("reply has no content list")
    text = "".join(
        block.get("text", "")
        for block in content
        if isinstance(block, dict) and block.get("type") == "text"
    )
    return Reply(text, _mapping(document.get("usage")), document.get("stop_reason"))


def _openai_content_text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    raise ResponseError(f"choices[0].message.content is a {type(content).__name__}")


@dataclass
class StreamAccumulator:
    """Collects an SSE stream line by line into a `Reply`."""

    api: WireApi
    pieces: list[str] = field(default_factory=list)
    usage: dict[str, Any] = field(default_factory=dict)
    finish_reason: str | None = None
    done: bool = False

    def feed(self, line: bytes) -> bool:
        """Take one line of the stream; True when it carried the first answer text."""
        line = line.strip()
        if not line.startswith(b"data:"):
            return False
        data = line[5:].strip()
        if data == b"[DONE]":
            self.done = True
            return False
        try:
            event = orjson.loads(data)
        except orjson.JSONDecodeError as error:
            raise ResponseError(f"stream event is not JSON: {error}; {data[:80]!r}") from None
        if not isinstance(event, dict):
            return False
        had_text = bool(self.pieces)
        if self.api == "openai":
            self._openai_event(event)
        else:
            self._anthropic_event(event)
        return not had_text and bool(self.pieces)

    def reply(self) -> Reply:
        """The whole reply once the stream has ended."""
        return Reply("".join(self.pieces), self.usage or None, self.finish_reason)

    def _openai_event(self, event: dict[str, Any]) -> None:
        if "error" in event:
            raise ResponseError(f"stream reported an error: {event['error']}")
        usage = event.get("usage")
        if isinstance(usage, dict):
            self.usage.update(usage)
        for choice in event.get("choices") or ():
            if not isinstance(choice, dict):
                continue
            delta = choice.get("delta")
            content = delta.get("content") if isinstance(delta, dict) else None
            if isinstance(content, str) and content:
                self.pieces.append(content)
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]

    def _anthropic_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "error":
            raise ResponseError(f"stream reported an error: {event.get('error')}")
        if kind == "message_start":
            message = event.get("message")
            usage = message.get("usage") if isinstance(message, dict) else None
            if isinstance(usage, dict):
                self.usage.update(usage)
        elif kind == "content_block_delta":
            delta = event.get("delta")
            if isinstance(delta, dict) and delta.get("type") == "text_delta":
                text = delta.get("text")
                if isinstance(text, str) and text:
                    self.pieces.append(text)
        elif kind == "message_delta":
            usage = event.get("usage")
            if isinstance(usage, dict):
                self.usage.update(usage)
            delta = event.get("delta")
            if isinstance(delta, dict) and delta.get("stop_reason"):
                self.finish_reason = delta["stop_reason"]
        elif kind == "message_stop":
            self.done = True


def error_message(body: bytes) -> str:
    """The message of an OpenAI- or Anthropic-style error body, else the body's start."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body[:200].decode("utf-8", "replace")
    error = document.get("error") if isinstance(document, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])
    return body[:200].decode("utf-8", "replace")


def _mapping(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None
