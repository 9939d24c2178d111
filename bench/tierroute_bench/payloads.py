"""Normalize one task into the request body of each provider wire format.

OpenAI chat completions carry images as `image_url` content parts (data URLs) and audio as
`input_audio` parts (base64, wav or mp3); Anthropic Messages carry images as base64 `image`
blocks and have no audio input. Pure: bytes in, JSON-ready dicts out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from tierroute_bench.media import MediaBlob
from tierroute_bench.tasks import Task

WireApi = Literal["openai", "anthropic"]

_OPENAI_AUDIO_FORMATS = {"audio/wav": "wav", "audio/mpeg": "mp3"}
_ANTHROPIC_IMAGE_MIMES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


class PayloadError(ValueError):
    """A task that a wire format cannot express (audio to Anthropic, FLAC to OpenAI)."""


def build_request(
    api: WireApi, task: Task, model: str, media: Sequence[MediaBlob], *, stream: bool
) -> dict[str, Any]:
    """The request body for `api` asking `model` to do `task`."""
    if api == "openai":
        return openai_request(task, model, media, stream=stream)
    return anthropic_request(task, model, media, stream=stream)


def openai_request(
    task: Task, model: str, media: Sequence[MediaBlob], *, stream: bool
) -> dict[str, Any]:
    """An OpenAI `/chat/completions` body."""
    content: str | list[dict[str, Any]]
    if media:
        content = [_openai_part(task, blob) for blob in media]
        content.append({"type": "text", "text": task.prompt})
    else:
        content = task.prompt
    body: dict[str, Any] = {
        "model": model,
        "messages": [{"role": "user", "content": content}],
        "max_tokens": task.max_output_tokens,
        "temperature": task.temperature,
    }
    if stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return body


def anthropic_request(
    task: Task, model: str, media: Sequence[MediaBlob], *, stream: bool
) -> dict[str, Any]:
    """An Anthropic `/messages` body."""
    blocks: list[dict[str, Any]] = [_anthropic_block(task, blob) for blob in media]
    blocks.append({"type": "text", "text": task.prompt})
    body: dict[str, Any] = {
        "model": model,
        "messages": [{"role": "user", "content": blocks}],
        "max_tokens": task.max_output_tokens,
        "temperature": task.temperature,
    }
    if stream:
        body["stream"] = True
    return body


def _openai_part(task: Task, blob: MediaBlob) -> dict[str, Any]:
    if blob.kind == "image":
        return {"type": "image_url", "image_url": {"url": blob.data_url()}}
    audio_format = _OPENAI_AUDIO_FORMATS.get(blob.mime)
    if audio_format is None:
        raise PayloadError(
            f"task {task.id!r}: media {blob.source!r}: OpenAI input_audio accepts wav or mp3, "
            f"not {blob.mime}"
        )
    return {"type": "input_audio", "input_audio": {"data": blob.base64(), "format": audio_format}}


def _anthropic_block(task: Task, blob: MediaBlob) -> dict[str, Any]:
    if blob.kind == "audio":
        raise PayloadError(
            f"task {task.id!r}: media {blob.source!r}: "
            "the Anthropic Messages API has no audio input"
        )
    if blob.mime not in _ANTHROPIC_IMAGE_MIMES:
        raise PayloadError(f"task {task.id!r}: media {blob.source!r}: {blob.mime} not accepted")
    return {
        "type": "image",
        "source": {"type": "base64", "media_type": blob.mime, "data": blob.base64()},
    }
