"""Split a byte stream of server-sent events into whole events."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Event:
    """One server-sent event: its `event:` name (empty if none) and its joined `data:` lines."""

    name: str
    data: bytes


class EventSplitter:
    """Accumulates chunks and hands out complete events; bounded by `max_event_bytes`."""

    def __init__(self, max_event_bytes: int = 8 * 1024 * 1024) -> None:
        self._buffer = b""
        self._max = max_event_bytes

    def feed(self, chunk: bytes) -> list[Event]:
        """Events completed by this chunk."""
        buffer = (self._buffer + chunk).replace(b"\r\n", b"\n")
        *complete, rest = buffer.split(b"\n\n")
        if len(rest) > self._max:
            raise ValueError(f"a server-sent event exceeds {self._max} bytes")
        self._buffer = rest
        return [event for block in complete if (event := _parse(block)) is not None]

    @property
    def pending(self) -> bytes:
        """Bytes received after the last complete event."""
        return self._buffer


def _parse(block: bytes) -> Event | None:
    name = ""
    data: list[bytes] = []
    for line in block.split(b"\n"):
        if line.startswith(b"data:"):
            data.append(line[5:].removeprefix(b" "))
        elif line.startswith(b"event:"):
            name = line[6:].strip().decode("utf-8", "replace")
    if not data and not name:
        return None
    return Event(name, b"\n".join(data))


def encode_data(payload: bytes) -> bytes:
    """One `data:` event."""
    return b"data: " + payload + b"\n\n"
