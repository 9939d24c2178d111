"""One task, normalized into each provider's request format."""

from __future__ import annotations

import base64

import pytest

from tierroute_bench.media import MediaBlob
from tierroute_bench.payloads import PayloadError, anthropic_request, openai_request
from tierroute_bench.tasks import Task

IMAGE = MediaBlob("a.png", "image", "image/png", b"\x89PNG\r\n\x1a\nimage")
AUDIO = MediaBlob("a.wav", "audio", "audio/wav", b"RIFF....WAVEaudio", audio_seconds=1.0)
FLAC = MediaBlob("a.flac", "audio", "audio/flac", b"fLaCaudio", audio_seconds=1.0)


def task(modality: str = "multimodal") -> Task:
    return Task.model_validate(
        {"id": "t", "modality": modality, "prompt": "Describe.", "expected": "x",
         "maxOutputTokens": 20, "temperature": 0.5}
    )  # fmt: skip


def encoded(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_openai_request_carries_image_and_audio_parts_then_the_prompt() -> None:
    body = openai_request(task(), "qwen3-omni", [IMAGE, AUDIO], stream=False)
    assert body["model"] == "qwen3-omni"
    assert (body["max_tokens"], body["temperature"]) == (20, 0.5)
    assert "stream" not in body
    assert body["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "image_url",
                 "image_url": {"url": f"data:image/png;base64,{encoded(IMAGE.data)}"}},
                {"type": "input_audio",
                 "input_audio": {"data": encoded(AUDIO.data), "format": "wav"}},
                {"type": "text", "text": "Describe."},
            ],
        }
    ]  # fmt: skip


def test_openai_text_task_is_a_plain_string_and_streams_with_usage() -> None:
    body = openai_request(task("text"), "m", [], stream=True)
    assert body["messages"] == [{"role": "user", "content": "Describe."}]
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}


def test_anthropic_request_carries_base64_image_blocks() -> None:
    body = anthropic_request(task("vision"), "claude", [IMAGE], stream=True)
    assert body["messages"][0]["content"] == [
        {"type": "image",
         "source": {"type": "base64", "media_type": "image/png", "data": encoded(IMAGE.data)}},
        {"type": "text", "text": "Describe."},
    ]  # fmt: skip
    assert (body["max_tokens"], body["stream"]) == (20, True)


def test_anthropic_has_no_audio_input() -> None:
    with pytest.raises(PayloadError, match=r"task 't': media 'a.wav': .*Anthropic.*no audio"):
        anthropic_request(task(), "claude", [AUDIO], stream=False)


def test_openai_audio_accepts_only_wav_and_mp3() -> None:
    with pytest.raises(PayloadError, match="accepts wav or mp3, not audio/flac"):
        openai_request(task(), "m", [FLAC], stream=False)
