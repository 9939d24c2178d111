"""One JSON line per request, written in batches so logging costs no syscall per request."""

from __future__ import annotations

import asyncio
import contextlib
from typing import IO, Any

import orjson


class RequestLog:
    """Buffers JSON log lines and flushes them to a binary stream every `interval` seconds."""

    def __init__(self, stream: IO[bytes] | None, interval: float = 0.1) -> None:
        self._stream = stream
        self._interval = interval
        self._lines: list[bytes] = []
        self._task: asyncio.Task[None] | None = None

    def write(self, record: dict[str, Any]) -> None:
        """Queue one record; it reaches the stream at the next flush."""
        if self._stream is not None:
            self._lines.append(orjson.dumps(record) + b"\n")

    def flush(self) -> None:
        """Write what is queued."""
        if self._stream is None or not self._lines:
            return
        lines, self._lines = self._lines, []
        with contextlib.suppress(OSError, ValueError):
            self._stream.write(b"".join(lines))
            self._stream.flush()

    def start(self) -> None:
        """Start the periodic flush on the running loop."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop the periodic flush and write what is left."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.flush()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            self.flush()
