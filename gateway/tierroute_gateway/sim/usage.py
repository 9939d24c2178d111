"""Token counts the simulator reports: a cheap, deterministic estimate of what providers bill.

Text costs about one token per four characters, each message a few tokens of framing, each
image what its API's published rule gives for its size (or a fixed per-model figure), each
audio clip a number of tokens per second of sound. Unknown shapes cost nothing rather than
failing: the wire-format modules reject malformed requests before counting. A model's
`cached_prompt_share` of the prompt is reported as read from the provider's prompt cache, and
its `cache_write_share` as written to it (Anthropic's `cache_creation_input_tokens`; OpenAI
reports no writes); the two shares add up to at most 1.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from tierroute_gateway.sim.media import (
    IMAGE_HEAD_BYTES,
    audio_seconds,
    data_url_payload,
    decode_head,
    image_size,
)

CHARS_PER_TOKEN = 4
MESSAGE_OVERHEAD_TOKENS = 4
REPLY_PRIMING_TOKENS = 3
UNKNOWN_IMAGE_SIZE = (1024, 1024)
"""Assumed size of an image given by URL (the simulator never fetches URLs)."""


def text_tokens(text: str) -> int:
    """Tokens of plain text: one per four characters, rounded up."""
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


class PromptTokens(NamedTuple):
    """A request's prompt tokens and, of those, how many the provider reports as read from
    (`cached`) and written to (`written`) its prompt cache."""

    total: int
    cached: int = 0
    written: int = 0


def prompt_tokens_with_cache(total: int, read_share: float, write_share: float) -> PromptTokens:
    """`total` prompt tokens split by a model's cache read and write shares (never more than
    the prompt between them)."""
    cached = cached_prompt_tokens(total, read_share)
    return PromptTokens(
        total, cached, min(cached_prompt_tokens(total, write_share), total - cached)
    )


def cached_prompt_tokens(prompt_tokens: int, share: float) -> int:
    """Of `prompt_tokens`, those reported as read from the prompt cache: floor(share x prompt).

    The product is rounded to 9 decimals first, so float noise (0.29 x 100 = 28.999...) does
    not take a token off the count the share's decimal value gives."""
    return min(prompt_tokens, max(0, math.floor(round(share * prompt_tokens, 9))))


def openai_image_tokens(width: int, height: int, detail: str) -> int:
    """OpenAI's rule: 85 at low detail, else 85 + 170 per 512 px tile after downscaling."""
    if detail == "low":
        return 85
    scale = min(1.0, 2048 / max(width, height, 1))
    scaled_width, scaled_height = width * scale, height * scale
    scale = min(1.0, 768 / max(min(scaled_width, scaled_height), 1))
    tiles = math.ceil(scaled_width * scale / 512) * math.ceil(scaled_height * scale / 512)
    return 85 + 170 * tiles


def anthropic_image_tokens(width: int, height: int) -> int:
    """Anthropic's rule: width * height / 750 after fitting the long edge in 1568 px."""
    scale = min(1.0, 1568 / max(width, height, 1))
    return math.ceil(width * scale * height * scale / 750)


def _size_of(url_or_data: str, *, is_url: bool) -> tuple[int, int]:
    payload = data_url_payload(url_or_data) if is_url else url_or_data
    if payload is None:
        return UNKNOWN_IMAGE_SIZE
    return image_size(decode_head(payload, IMAGE_HEAD_BYTES)) or UNKNOWN_IMAGE_SIZE


def openai_prompt_tokens(
    messages: list[Any], *, image_tokens: int | None, audio_tokens_per_second: float
) -> int:
    """Prompt tokens of an OpenAI chat request's `messages`."""
    total = REPLY_PRIMING_TOKENS
    for message in messages:
        if not isinstance(message, dict):
            continue
        total += MESSAGE_OVERHEAD_TOKENS
        name = message.get("name")
        if isinstance(name, str):
            total += text_tokens(name)
        content = message.get("content")
        if isinstance(content, str):
            total += text_tokens(content)
        elif isinstance(content, list):
            for part in content:
                total += _openai_part_tokens(part, image_tokens, audio_tokens_per_second)
        tool_calls = message.get("tool_calls")
        if isinstance(tool_calls, list):
            total += text_tokens(str(tool_calls))
    return total


def _openai_part_tokens(part: Any, image_tokens: int | None, audio_per_second: float) -> int:
    if not isinstance(part, dict):
        return 0
    kind = part.get("type")
    if kind == "text" and isinstance(part.get("text"), str):
        return text_tokens(part["text"])
    if kind == "image_url":
        if image_tokens is not None:
            return image_tokens
        image = part.get("image_url")
        url = image.get("url") if isinstance(image, dict) else image
        detail = image.get("detail", "auto") if isinstance(image, dict) else "auto"
        width, height = _size_of(url if isinstance(url, str) else "", is_url=True)
        return openai_image_tokens(width, height, str(detail))
    if kind == "input_audio":
        audio = part.get("input_audio")
        if not isinstance(audio, dict) or not isinstance(audio.get("data"), str):
            return 0
        seconds = audio_seconds(audio["data"], str(audio.get("format", "wav")))
        return math.ceil(seconds * audio_per_second)
    if kind == "file":
        return text_tokens(str(part.get("file", "")))
    return 0


def anthropic_prompt_tokens(messages: list[Any], system: Any, *, image_tokens: int | None) -> int:
    """Input tokens of an Anthropic Messages request (`system` plus `messages`)."""
    total = _anthropic_content_tokens(system, image_tokens) if system is not None else 0
    for message in messages:
        if isinstance(message, dict):
            total += MESSAGE_OVERHEAD_TOKENS
            total += _anthropic_content_tokens(message.get("content"), image_tokens)
    return total


def _anthropic_content_tokens(content: Any, image_tokens: int | None) -> int:
    if isinstance(content, str):
        return text_tokens(content)
    if not isinstance(content, list):
        return 0
    total = 0
    for block in content:
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "text" and isinstance(block.get("text"), str):
            total += text_tokens(block["text"])
        elif kind == "image":
            total += image_tokens if image_tokens is not None else _anthropic_block_image(block)
        elif kind in ("tool_use", "tool_result", "document"):
            total += text_tokens(str(block.get("input", block.get("content", ""))))
    return total


def _anthropic_block_image(block: dict[str, Any]) -> int:
    source = block.get("source")
    if isinstance(source, dict) and source.get("type") == "base64":
        data = source.get("data")
        width, height = _size_of(data if isinstance(data, str) else "", is_url=False)
    else:
        width, height = UNKNOWN_IMAGE_SIZE
    return anthropic_image_tokens(width, height)
