"""Token counts the simulator reports: text, message framing, images by size, audio by length."""

from __future__ import annotations

import base64
import io
import wave

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from tierroute_gateway.sim.media import audio_seconds, decode_head, decoded_length, image_size
from tierroute_gateway.sim.usage import (
    MESSAGE_OVERHEAD_TOKENS,
    REPLY_PRIMING_TOKENS,
    anthropic_image_tokens,
    anthropic_prompt_tokens,
    openai_image_tokens,
    openai_prompt_tokens,
    text_tokens,
)


def _image(width: int, height: int, image_format: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format=image_format)
    return buffer.getvalue()


def _wav(seconds: float, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as clip:
        clip.setnchannels(1)
        clip.setsampwidth(2)
        clip.setframerate(rate)
        clip.writeframes(b"\x00\x00" * int(rate * seconds))
    return buffer.getvalue()


@settings(deadline=None)
@given(text=st.text(max_size=400))
def test_text_costs_one_token_per_four_characters(text: str) -> None:
    assert text_tokens(text) * 4 >= len(text) > (text_tokens(text) - 1) * 4


def test_each_message_adds_framing_tokens() -> None:
    one = [{"role": "user", "content": "abcd"}]
    two = [*one, {"role": "assistant", "content": "abcd"}]
    single = openai_prompt_tokens(one, image_tokens=None, audio_tokens_per_second=10)
    assert single == REPLY_PRIMING_TOKENS + MESSAGE_OVERHEAD_TOKENS + 1
    double = openai_prompt_tokens(two, image_tokens=None, audio_tokens_per_second=10)
    assert double - single == MESSAGE_OVERHEAD_TOKENS + 1


@settings(deadline=None)
@given(text=st.text(max_size=200), extra=st.text(min_size=1, max_size=200))
def test_longer_prompts_never_cost_fewer_tokens(text: str, extra: str) -> None:
    def count(content: str) -> int:
        messages = [{"role": "user", "content": content}]
        return openai_prompt_tokens(messages, image_tokens=None, audio_tokens_per_second=10)

    assert count(text + extra) >= count(text)


@pytest.mark.parametrize("image_format", ["PNG", "GIF", "JPEG", "WEBP"])
def test_image_size_is_read_from_the_header(image_format: str) -> None:
    assert image_size(_image(640, 360, image_format)) == (640, 360)


@pytest.mark.parametrize(
    ("width", "height", "detail", "tokens"),
    [
        (1024, 1024, "high", 765),  # scaled to 768 x 768: 4 tiles
        (2048, 4096, "high", 1105),  # 1024 x 2048 -> 768 x 1536: 6 tiles
        (4096, 4096, "low", 85),
        (300, 200, "auto", 255),  # one tile
    ],
)
def test_openai_image_rule(width: int, height: int, detail: str, tokens: int) -> None:
    assert openai_image_tokens(width, height, detail) == tokens


def test_inline_images_cost_by_their_size() -> None:
    def message(width: int, height: int) -> list[object]:
        data = base64.b64encode(_image(width, height, "PNG")).decode()
        part = {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{data}"}}
        return [{"role": "user", "content": [part]}]

    small = openai_prompt_tokens(message(300, 200), image_tokens=None, audio_tokens_per_second=10)
    large = openai_prompt_tokens(message(1500, 1500), image_tokens=None, audio_tokens_per_second=10)
    framing = REPLY_PRIMING_TOKENS + MESSAGE_OVERHEAD_TOKENS
    assert small - framing == openai_image_tokens(300, 200, "auto")
    assert large - framing == openai_image_tokens(1500, 1500, "auto")


def test_a_fixed_per_image_figure_replaces_the_rule() -> None:
    part = {"type": "image_url", "image_url": {"url": "https://example.invalid/cat.png"}}
    messages = [{"role": "user", "content": [part]}]
    tokens = openai_prompt_tokens(messages, image_tokens=1234, audio_tokens_per_second=10)
    assert tokens == REPLY_PRIMING_TOKENS + MESSAGE_OVERHEAD_TOKENS + 1234


def test_audio_costs_tokens_per_second_of_sound() -> None:
    clip = base64.b64encode(_wav(3.0)).decode()
    assert audio_seconds(clip, "wav") == pytest.approx(3.0)
    part = {"type": "input_audio", "input_audio": {"data": clip, "format": "wav"}}
    messages = [{"role": "user", "content": [part]}]
    tokens = openai_prompt_tokens(messages, image_tokens=None, audio_tokens_per_second=10)
    assert tokens == REPLY_PRIMING_TOKENS + MESSAGE_OVERHEAD_TOKENS + 30


@settings(deadline=None)
@given(data=st.binary(max_size=300))
def test_decoded_length_matches_base64_decoding(data: bytes) -> None:
    encoded = base64.b64encode(data).decode()
    assert decoded_length(encoded) == len(data)
    assert decode_head(encoded, 1000) == data


def test_not_base64_gives_no_bytes_and_no_error() -> None:
    assert decode_head("not base64 at all!", 100) == b""
    assert image_size(b"") is None


def test_anthropic_counts_system_text_and_images() -> None:
    data = base64.b64encode(_image(1000, 750, "PNG")).decode()
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}}
    messages = [{"role": "user", "content": [{"type": "text", "text": "abcdefgh"}, image]}]
    tokens = anthropic_prompt_tokens(messages, "abcd", image_tokens=None)
    assert tokens == 1 + MESSAGE_OVERHEAD_TOKENS + 2 + anthropic_image_tokens(1000, 750)
    assert anthropic_image_tokens(1000, 750) == 1000


def test_unknown_content_shapes_cost_nothing() -> None:
    messages = [{"role": "user", "content": [{"type": "hologram"}, 7, None]}, "stray"]
    tokens = openai_prompt_tokens(messages, image_tokens=None, audio_tokens_per_second=10)
    assert tokens == REPLY_PRIMING_TOKENS + MESSAGE_OVERHEAD_TOKENS
