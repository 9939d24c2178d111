"""Media loading: type sniffing, data URLs, size limits and clear errors."""

from __future__ import annotations

import base64
import io
import wave
from pathlib import Path

import pytest
from PIL import Image

from tierroute_bench.media import (
    MediaError,
    guess_kind,
    load_inline_media,
    parse_data_url,
    sniff_mime,
)

LIMIT = 1_000_000


def png_bytes(size: tuple[int, int] = (8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format="PNG")
    return buffer.getvalue()


def wav_bytes(seconds: float, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as clip:
        clip.setnchannels(1)
        clip.setsampwidth(2)
        clip.setframerate(rate)
        clip.writeframes(b"\x00\x00" * int(seconds * rate))
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("head", "mime"),
    [
        (b"\x89PNG\r\n\x1a\n....", "image/png"),
        (b"\xff\xd8\xff\xe0....", "image/jpeg"),
        (b"GIF89a....", "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "audio/wav"),
        (b"ID3\x04....", "audio/mpeg"),
        (b"fLaC....", "audio/flac"),
        (b"OggS....", "audio/ogg"),
        (b"%PDF-1.7", None),
    ],
)
def test_sniff_mime_from_leading_bytes(head: bytes, mime: str | None) -> None:
    assert sniff_mime(head) == mime


def test_local_png_is_loaded_as_an_image(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(png_bytes())
    blob = load_inline_media("a.png", None, tmp_path, "task 't': media[0].source", LIMIT)
    assert (blob.kind, blob.mime) == ("image", "image/png")
    assert blob.data_url().startswith("data:image/png;base64,")


def test_wav_duration_is_read_from_its_header(tmp_path: Path) -> None:
    (tmp_path / "a.wav").write_bytes(wav_bytes(1.5))
    blob = load_inline_media("a.wav", "audio", tmp_path, "where", LIMIT)
    assert blob.kind == "audio"
    assert blob.audio_seconds == pytest.approx(1.5)


def test_data_url_is_decoded() -> None:
    data = png_bytes()
    url = "data:image/png;base64," + base64.b64encode(data).decode()
    assert parse_data_url(url, "where") == ("image/png", data)
    blob = load_inline_media(url, None, Path("."), "where", LIMIT)
    assert blob.data == data


def test_missing_file_error_names_task_field_and_path(tmp_path: Path) -> None:
    with pytest.raises(MediaError) as caught:
        load_inline_media("gone.png", None, tmp_path, "task 'x': media[0].source", LIMIT)
    assert str(caught.value) == (
        f"task 'x': media[0].source: media file {str(tmp_path / 'gone.png')!r} not found"
    )


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    (tmp_path / "big.png").write_bytes(png_bytes((64, 64)))
    with pytest.raises(MediaError, match=r"big.png' is \d+ bytes, over the limit of 100"):
        load_inline_media("big.png", None, tmp_path, "where", 100)


def test_unsupported_file_says_what_is_supported(tmp_path: Path) -> None:
    (tmp_path / "doc.png").write_bytes(b"%PDF-1.7 not an image")
    with pytest.raises(MediaError, match=r"not a supported image \(PNG, JPEG, GIF, WebP\)"):
        load_inline_media("doc.png", None, tmp_path, "where", LIMIT)


def test_declared_kind_must_match_the_bytes(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(png_bytes())
    with pytest.raises(MediaError, match="declared audio but is image/png"):
        load_inline_media("a.png", "audio", tmp_path, "where", LIMIT)


def test_bad_base64_in_data_url() -> None:
    with pytest.raises(MediaError, match="not valid base64"):
        parse_data_url("data:image/png;base64,@@@", "where")


def test_truncated_wav_is_reported(tmp_path: Path) -> None:
    (tmp_path / "cut.wav").write_bytes(wav_bytes(1.0)[:30])
    with pytest.raises(MediaError, match="not a readable WAV file"):
        load_inline_media("cut.wav", None, tmp_path, "where", LIMIT)


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ("images/x.PNG", "image"),
        ("a/b.wav", "audio"),
        ("http://127.0.0.1/x.jpg?size=2", "image"),
        ("data:audio/wav;base64,AAAA", "audio"),
        ("notes.txt", None),
    ],
)
def test_guess_kind_without_reading(source: str, kind: str | None) -> None:
    assert guess_kind(source) == kind
