"""Parse a chat-completions body and check the fields the gateway relies on.

Only what routing, accounting and the provider adapters read is checked; every other field is
forwarded to the provider as it came. Each refusal names the field path and the value.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass
from typing import Any

import orjson

from tierroute_gateway.server.errors import GatewayError, bad_request

ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
PART_TYPES = frozenset({"text", "image_url", "input_audio", "file", "refusal"})
MAX_CHOICES = 128
_JSON_FORMATS = frozenset({"json_object", "json_schema"})
_FORMATS = _JSON_FORMATS | {"text"}


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """A validated chat-completions request: the parsed body plus what the gateway reads of it."""

    body: dict[str, Any]
    model: str
    stream: bool
    include_usage: bool
    max_tokens: int | None
    wants_json: bool


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object, or a 400 naming what is wrong with it."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise bad_request(f"request body is not valid JSON: {error}", code="invalid_json") from None
    if not isinstance(body, dict):
        raise bad_request(
            f"request body must be a JSON object, got {type(body).__name__}", code="invalid_json"
        )
    return body


def parse_chat_request(raw: bytes) -> ChatRequest:
    """Parse and check a chat-completions body."""
    body = parse_json_object(raw)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _field_error("model", model, "a non-empty string", missing="model" not in body)
    _check_messages(body.get("messages"), "messages" in body)
    stream = _optional_bool(body, "stream")
    options = body.get("stream_options")
    if options is not None and not isinstance(options, dict):
        raise _field_error("stream_options", options, "an object")
    include_usage = bool(options and options.get("include_usage") is True)
    max_tokens = _optional_positive_int(body, "max_completion_tokens")
    legacy_max = _optional_positive_int(body, "max_tokens")
    n = _optional_positive_int(body, "n")
    if n is not None and n > MAX_CHOICES:
        raise bad_request(f"n: {n} is above the maximum of {MAX_CHOICES}", param="n")
    _check_temperature(body.get("temperature"))
    return ChatRequest(
        body=body,
        model=model,
        stream=stream,
        include_usage=include_usage,
        max_tokens=max_tokens if max_tokens is not None else legacy_max,
        wants_json=_wants_json(body.get("response_format")),
    )


def _check_messages(messages: object, present: bool) -> None:
    if not isinstance(messages, list):
        raise _field_error("messages", messages, "a list of messages", missing=not present)
    if not messages:
        raise bad_request("messages: must contain at least one message", param="messages")
    for index, message in enumerate(messages):
        path = f"messages[{index}]"
        if not isinstance(message, dict):
            raise _field_error(path, message, "an object")
        role = message.get("role")
        if role not in ROLES:
            raise _field_error(f"{path}.role", role, "one of " + ", ".join(sorted(ROLES)))
        _check_content(message.get("content"), f"{path}.content", role)


def _check_content(content: object, path: str, role: object) -> None:
    if isinstance(content, str):
        return
    if content is None:
        if role in ("assistant", "tool", "function"):
            return
        raise _field_error(path, content, "a string or a list of content parts", missing=True)
    if not isinstance(content, list):
        raise _field_error(path, content, "a string or a list of content parts")
    for index, part in enumerate(content):
        _check_part(part, f"{path}[{index}]")


def _check_part(part: object, path: str) -> None:
    if not isinstance(part, dict):
        raise _field_error(path, part, "a content part object")
    kind = part.get("type")
    if kind not in PART_TYPES:
        raise _field_error(f"{path}.type", kind, "one of " + ", ".join(sorted(PART_TYPES)))
    if kind == "text" and not isinstance(part.get("text"), str):
        raise _field_error(f"{path}.text", part.get("text"), "a string")
    if kind == "image_url":
        image = part.get("image_url")
        url = image.get("url") if isinstance(image, dict) else None
        if not isinstance(url, str) or not url:
            raise _field_error(f"{path}.image_url.url", url, "a URL string")
        if url.startswith("data:"):
            _check_data_url(url, f"{path}.image_url.url")
    if kind == "input_audio":
        audio = part.get("input_audio")
        data = audio.get("data") if isinstance(audio, dict) else None
        if not isinstance(data, str) or not data:
            raise _field_error(f"{path}.input_audio.data", data, "base64 audio data")
        _check_base64(data, f"{path}.input_audio.data")


def _check_data_url(url: str, path: str) -> None:
    header, comma, payload = url.partition(",")
    if not comma or not header.endswith(";base64"):
        raise bad_request(
            f"{path}: a data URL must look like data:<media type>;base64,<data>; "
            f"got one starting {url[:40]!r}",
            param=path,
        )
    _check_base64(payload, path)


def _check_base64(data: str, path: str) -> None:
    try:
        binascii.a2b_base64(data, strict_mode=True)
    except (binascii.Error, ValueError):
        raise bad_request(
            f"{path}: is not valid base64 (starts {data[:40]!r})", param=path
        ) from None


def _optional_bool(body: dict[str, Any], name: str) -> bool:
    value = body.get(name)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise _field_error(name, value, "true or false")
    return value


def _optional_positive_int(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _field_error(name, value, "an integer of at least 1")
    return value


def _check_temperature(value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 2:
        raise _field_error("temperature", value, "a number between 0 and 2")


def _wants_json(response_format: object) -> bool:
    if response_format is None:
        return False
    kind = response_format.get("type") if isinstance(response_format, dict) else None
    if kind not in _FORMATS:
        raise _field_error("response_format.type", kind, "one of " + ", ".join(sorted(_FORMATS)))
    return kind in _JSON_FORMATS


def _field_error(path: str, value: object, expected: str, *, missing: bool = False) -> GatewayError:
    if missing:
        return bad_request(f"{path}: is required ({expected})", code="missing_field", param=path)
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:80] + "…"
    return bad_request(f"{path}: must be {expected}, got {shown}", param=path)
