"""What the simulator needs to know about inline media: image sizes and audio durations.

Only headers are read: an image's size comes from its first bytes (PNG, GIF, JPEG, WebP),
an audio clip's duration from its WAV header or its byte length at a typical MP3 bit rate.
"""

from __future__ import annotations

import base64
import binascii
import struct

IMAGE_HEAD_BYTES = 256 * 1024
"""How much of an image is decoded to find its size (JPEG keeps it after EXIF data)."""
MP3_BYTES_PER_SECOND = 128_000 / 8
"""Assumed bit rate of compressed audio whose duration the header does not give."""
PCM16_BYTES_PER_SECOND = 16_000 * 2
"""16 kHz mono 16-bit PCM: the assumption for raw audio without a header."""


def decoded_length(data: str) -> int:
    """Bytes a base64 string decodes to, without decoding it."""
    stripped = data.rstrip()
    padding = len(stripped) - len(stripped.rstrip("="))
    return max(len(stripped) * 3 // 4 - padding, 0)


def decode_head(data: str, limit: int) -> bytes:
    """The first `limit` bytes (about) of base64 `data`; empty when it is not base64."""
    head = data[: (limit // 3 + 1) * 4].strip()
    head = head[: len(head) - len(head) % 4]
    try:
        return base64.b64decode(head, validate=False)
    except (binascii.Error, ValueError):
        return b""


def data_url_payload(url: str) -> str | None:
    """The base64 payload of a `data:...;base64,` URL, or None for any other URL."""
    if not url.startswith("data:"):
        return None
    header, _, payload = url.partition(",")
    return payload if header.endswith(";base64") else None


def image_size(head: bytes) -> tuple[int, int] | None:
    """Width and height from an image's first bytes, or None when the format is unknown."""
    if head.startswith(b"\x89PNG\r\n\x1a\n") and len(head) >= 24:
        width, height = struct.unpack(">II", head[16:24])
        return width, height
    if head[:6] in (b"GIF87a", b"GIF89a") and len(head) >= 10:
        width, height = struct.unpack("<HH", head[6:10])
        return width, height
    if head.startswith(b"\xff\xd8"):
        return _jpeg_size(head)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _webp_size(head)
    return None


def _jpeg_size(head: bytes) -> tuple[int, int] | None:
    """Walk JPEG segments to the first start-of-frame marker."""
    offset = 2
    while offset + 9 <= len(head):
        if head[offset] != 0xFF:
            return None
        marker = head[offset + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            offset += 2
            continue
        (length,) = struct.unpack(">H", head[offset + 2 : offset + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", head[offset + 5 : offset + 9])
            return width, height
        offset += 2 + length
    return None


def _webp_size(head: bytes) -> tuple[int, int] | None:
    chunk = head[12:16]
    if chunk == b"VP8X" and len(head) >= 30:
        width = int.from_bytes(head[24:27], "little") + 1
        height = int.from_bytes(head[27:30], "little") + 1
        return width, height
    if chunk == b"VP8 " and len(head) >= 30:
        width, height = struct.unpack("<HH", head[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(head) >= 25:
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def audio_seconds(data: str, audio_format: str) -> float:
    """Duration of base64 audio: from a WAV header, else from its length at a typical rate."""
    length = decoded_length(data)
    if audio_format in ("wav", "wave"):
        head = decode_head(data, 64)
        if head[:4] == b"RIFF" and head[8:12] == b"WAVE" and len(head) >= 44:
            byte_rate = int.from_bytes(head[28:32], "little")
            if byte_rate > 0:
                return max(length - 44, 0) / byte_rate
    if audio_format in ("pcm16", "pcm", "raw"):
        return length / PCM16_BYTES_PER_SECOND
    return length / MP3_BYTES_PER_SECOND
