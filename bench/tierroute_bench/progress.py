"""A one-line progress bar on stderr, drawn only when stderr is a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO

_REDRAW_EVERY_S = 0.1
_WIDTH = 30


class Progress:
    """Counts finished requests and redraws at most ten times a second."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total = total
        self.done = 0
        self.failed = 0
        self._stream = stream if stream is not None else sys.stderr
        self._enabled = self._stream.isatty()
        self._started = time.monotonic()
        self._drawn_at = 0.0

    def advance(self, *, failed: bool) -> None:
        """One more request finished."""
        self.done += 1
        self.failed += failed
        now = time.monotonic()
        if self._enabled and (now - self._drawn_at >= _REDRAW_EVERY_S or self.done == self.total):
            self._drawn_at = now
            bar = render_bar(self.done, self.total, self.failed, now - self._started)
            self._stream.write("\r" + bar)
            self._stream.flush()

    def close(self) -> None:
        """End the line."""
        if self._enabled and self.done:
            self._stream.write("\n")
            self._stream.flush()


def render_bar(done: int, total: int, failed: int, elapsed_s: float) -> str:
    """`[#####-----] 512/1000 51% 220.3/s eta 2s 3 failed`."""
    share = done / total if total else 1.0
    filled = int(share * _WIDTH)
    rate = done / elapsed_s if elapsed_s > 0 else 0.0
    eta = (total - done) / rate if rate > 0 else 0.0
    failures = f" {failed} failed" if failed else ""
    return (
        f"[{'#' * filled}{'-' * (_WIDTH - filled)}] {done}/{total} {share:4.0%} "
        f"{rate:.1f}/s eta {eta:.0f}s{failures}"
    )
