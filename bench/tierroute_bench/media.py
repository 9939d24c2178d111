"""Media of a task: load it from a file, a data URL or an http URL, check it, sniff its type.

The pure part (`parse_data_url`, `sniff_mime`, `describe_media`) works on bytes; the shells
read a file (`read_local_media`) or fetch a URL (`fetch_media`, aiohttp). Every error names
the task, the field and the offending source.
"""

from __future__ import annotations

import base64
import binascii
import io
import wave
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import unquote_to_bytes

if TYPE_CHECKING:
    import aiohttp

    from tierroute_bench.tasks import MediaRef

IMAGE_MIMES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
AUDIO_MIMES = frozenset({"audio/wav", "audio/mpeg", "audio/flac", "audio/ogg"})
MEDIA_CACHE_ENTRIES = 64
# Bytes per second assumed for compressed audio whose duration is not read (128 kbit/s).
_COMPRESSED_AUDIO_BYTES_PER_SECOND = 16_000

MediaKind = Literal["image", "audio"]


class MediaError(ValueError):
    """A media input that cannot be used; the message names task, field and source."""


@dataclass(frozen=True)
class MediaBlob:
    """Loaded, checked media bytes with their type."""

    source: str
    kind: MediaKind
    mime: str
    data: bytes = field(repr=False)
    audio_seconds: float | None = None

    def base64(self) -> str:
        """The bytes as base64 text, as providers expect them."""
        return base64.b64encode(self.data).decode("ascii")

    def data_url(self) -> str:
        """A data: URL of the bytes."""
        return f"data:{self.mime};base64,{self.base64()}"


def is_remote(source: str) -> bool:
    """Whether `source` is an http(s) URL that must be fetched."""
    return source.startswith(("http://", "https://"))


def is_data_url(source: str) -> bool:
    """Whether `source` is a data: URL."""
    return source.startswith("data:")


def sniff_mime(data: bytes) -> str | None:
    """The media type from the leading bytes, or None when unknown."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "audio/wav"
    if data.startswith(b"fLaC"):
        return "audio/flac"
    if data.startswith(b"OggS"):
        return "audio/ogg"
    if data.startswith(b"ID3") or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    return None


def parse_data_url(url: str, where: str) -> tuple[str | None, bytes]:
    """The declared media type and the bytes of a data: URL."""
    header, comma, payload = url.partition(",")
    if not comma:
        raise MediaError(f"{where}: data URL has no ',' separating header and data")
    parameters = header[len("data:") :].split(";")
    declared = parameters[0] or None
    if "base64" in parameters[1:]:
        try:
            return declared, base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError) as error:
            raise MediaError(f"{where}: data URL is not valid base64: {error}") from None
    return declared, unquote_to_bytes(payload)


def describe_media(
    source: str, data: bytes, declared_kind: MediaKind | None, where: str, max_bytes: int
) -> MediaBlob:
    """Check size and type of loaded bytes and describe them."""
    if not data:
        raise MediaError(f"{where}: {_shown(source)} is empty")
    if len(data) > max_bytes:
        raise MediaError(
            f"{where}: {_shown(source)} is {len(data)} bytes, over the limit of {max_bytes}"
        )
    mime = sniff_mime(data)
    if mime is None:
        raise MediaError(
            f"{where}: {_shown(source)} is not a supported image (PNG, JPEG, GIF, WebP) or "
            f"audio file (WAV, MP3, FLAC, Ogg); first bytes {data[:8]!r}"
        )
    kind: MediaKind = "image" if mime in IMAGE_MIMES else "audio"
    if declared_kind is not None and declared_kind != kind:
        raise MediaError(f"{where}: {_shown(source)} is declared {declared_kind} but is {mime}")
    seconds = _audio_seconds(data, mime, source, where) if kind == "audio" else None
    return MediaBlob(source=source, kind=kind, mime=mime, data=data, audio_seconds=seconds)


def load_inline_media(
    source: str, declared_kind: MediaKind | None, base_dir: Path, where: str, max_bytes: int
) -> MediaBlob:
    """Load a local file or a data URL (anything but http)."""
    if is_data_url(source):
        _, data = parse_data_url(source, where)
        return describe_media(source, data, declared_kind, where, max_bytes)
    data = read_local_media(source, base_dir, where, max_bytes)
    return describe_media(source, data, declared_kind, where, max_bytes)


def read_local_media(source: str, base_dir: Path, where: str, max_bytes: int) -> bytes:
    """The bytes of a local media file, checking its size before reading it."""
    path = Path(source) if Path(source).is_absolute() else base_dir / source
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise MediaError(
                f"{where}: {str(path)!r} is {size} bytes, over the limit of {max_bytes}"
            )
        return path.read_bytes()
    except FileNotFoundError:
        raise MediaError(f"{where}: media file {str(path)!r} not found") from None
    except IsADirectoryError:
        raise MediaError(f"{where}: media path {str(path)!r} is a directory") from None
    except OSError as error:
        raise MediaError(f"{where}: cannot read media file {str(path)!r}: {error}") from None


async def fetch_media(
    source: str,
    declared_kind: MediaKind | None,
    session: aiohttp.ClientSession,
    where: str,
    max_bytes: int,
) -> MediaBlob:
    """Download media from an http(s) URL, refusing bodies over `max_bytes`."""
    import aiohttp  # noqa: PLC0415  (the pure part of this module needs no HTTP client)

    try:
        async with session.get(source) as response:
            if response.status != 200:
                raise MediaError(f"{where}: GET {source} answered HTTP {response.status}")
            if (response.content_length or 0) > max_bytes:
                raise MediaError(
                    f"{where}: {source} is {response.content_length} bytes, "
                    f"over the limit of {max_bytes}"
                )
            data = await response.content.read(max_bytes + 1)
    except (aiohttp.ClientError, TimeoutError) as error:
        raise MediaError(f"{where}: cannot fetch {source}: {error!r}") from None
    return describe_media(source, data, declared_kind, where, max_bytes)


def _audio_seconds(data: bytes, mime: str, source: str, where: str) -> float:
    if mime != "audio/wav":
        return len(data) / _COMPRESSED_AUDIO_BYTES_PER_SECOND
    try:
        with wave.open(io.BytesIO(data)) as clip:
            frames: int = clip.getnframes()
            rate: int = clip.getframerate()
        return frames / float(rate)
    except (wave.Error, EOFError) as error:
        raise MediaError(f"{where}: {_shown(source)} is not a readable WAV file: {error}") from None


def _shown(source: str) -> str:
    """The source for a message: data URLs shortened."""
    return repr(source if len(source) <= 80 else source[:60] + "…")


_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")
_AUDIO_SUFFIXES = (".wav", ".mp3", ".flac", ".ogg", ".oga")


def guess_kind(source: str) -> MediaKind | None:
    """image or audio from a data URL's type or a path's suffix, without reading anything."""
    lowered = source.lower()
    if is_data_url(lowered):
        media_type = lowered[len("data:") :].split(";", 1)[0].split(",", 1)[0]
        prefix = media_type.split("/", 1)[0]
        return "image" if prefix == "image" else "audio" if prefix == "audio" else None
    path = lowered.split("?", 1)[0]
    if path.endswith(_IMAGE_SUFFIXES):
        return "image"
    if path.endswith(_AUDIO_SUFFIXES):
        return "audio"
    return None


class MediaCache:
    """Loaded media by source, the most recent few kept: a task's media loads once for all
    the models it is sent to."""

    def __init__(self, base_dir: Path, max_bytes: int, session: aiohttp.ClientSession) -> None:
        self._base_dir = base_dir
        self._max_bytes = max_bytes
        self._session = session
        self._entries: OrderedDict[str, MediaBlob] = OrderedDict()

    async def load(self, task_id: str, refs: Sequence[MediaRef]) -> tuple[MediaBlob, ...]:
        """The task's media, in order."""
        return tuple([await self._one(task_id, index, ref) for index, ref in enumerate(refs)])

    async def _one(self, task_id: str, index: int, ref: MediaRef) -> MediaBlob:
        cached = self._entries.get(ref.source)
        if cached is not None:
            self._entries.move_to_end(ref.source)
            return cached
        where = f"task {task_id!r}: media[{index}].source"
        if is_remote(ref.source):
            blob = await fetch_media(ref.source, ref.kind, self._session, where, self._max_bytes)
        else:
            blob = load_inline_media(ref.source, ref.kind, self._base_dir, where, self._max_bytes)
        self._entries[ref.source] = blob
        if len(self._entries) > MEDIA_CACHE_ENTRIES:
            self._entries.popitem(last=False)
        return blob
