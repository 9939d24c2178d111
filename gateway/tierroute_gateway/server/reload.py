"""Where routing tables come from, and how a new one replaces the old one.

A source hands each new document to `apply`; the gateway validates it and swaps its whole
state in one reference assignment, or refuses it and keeps serving the old one. The file
source polls cheaply (one `stat` every interval) and follows symlinks, so the kubelet's
`..data` swap of a mounted ConfigMap directory reads as a change of inode. A Kubernetes-API
watch is another `TableSource` with the same `run(apply)` shape.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol

Apply = Callable[[bytes, str], Awaitable[bool]]
"""Validate and adopt a table document (the second argument says where it came from)."""


class TableSource(Protocol):
    """Something that delivers routing table documents, now and whenever they change."""

    async def run(self, apply: Apply) -> None:
        """Deliver the current document, then every change, until cancelled."""


class StaticTable:
    """A document fixed at start-up (a table compiled in process)."""

    def __init__(self, document: bytes, origin: str) -> None:
        self._document = document
        self._origin = origin

    async def run(self, apply: Apply) -> None:
        """Deliver the document once."""
        await apply(self._document, self._origin)


class TableFile:
    """A routing.json on disk, polled for changes of inode, size or modification time."""

    def __init__(self, path: Path, interval: float = 0.5) -> None:
        self.path = path
        self.interval = interval
        self._signature: tuple[int, int, int, int] | None = None

    def read_if_changed(self) -> bytes | None:
        """The document if the file changed since the last call, else None."""
        try:
            status = os.stat(self.path)
        except OSError:
            return None
        signature = (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)
        if signature == self._signature:
            return None
        try:
            document = self.path.read_bytes()
        except OSError:
            return None
        self._signature = signature
        return document

    async def run(self, apply: Apply) -> None:
        """Deliver the file now and every time it changes."""
        while True:
            document = self.read_if_changed()
            if document is not None:
                await apply(document, str(self.path))
            await asyncio.sleep(self.interval)
