"""The gateway's own headers: request hints read from clients, routing facts sent back.

Response header values are built only from printable ASCII, so nothing a client or a
provider sends can split a header (no CR/LF) or smuggle non-ASCII bytes into one.
"""

from __future__ import annotations

import itertools
import os
import re
from dataclasses import dataclass

HINT_PREFIX = b"x-tierroute-"
_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,64}$")
_MAX_HEADER_CHARS = 256
_PROCESS_TAG = os.urandom(4).hex()
_counter = itertools.count(1)


@dataclass(frozen=True, slots=True)
class RequestHints:
    """The raw `x-tierroute-*` hint headers of a request (validation is the decision core's)."""

    category: str | None = None
    feature: str | None = None
    max_latency_ms: str | None = None
    min_quality: str | None = None
    provider: str | None = None
    complexity: str | None = None
    user: str | None = None


_NO_HINTS = RequestHints()
_HINT_FIELDS = {
    HINT_PREFIX + b"category": "category",
    HINT_PREFIX + b"feature": "feature",
    HINT_PREFIX + b"max-latency-ms": "max_latency_ms",
    HINT_PREFIX + b"min-quality": "min_quality",
    HINT_PREFIX + b"provider": "provider",
    HINT_PREFIX + b"complexity": "complexity",
    HINT_PREFIX + b"user": "user",
}


def read_hints(headers: dict[bytes, bytes]) -> RequestHints:
    """Collect the hint headers; absent ones are None."""
    found = {
        field: headers[name].decode("latin-1").strip()
        for name, field in _HINT_FIELDS.items()
        if name in headers
    }
    return RequestHints(**found) if found else _NO_HINTS


def request_id(headers: dict[bytes, bytes]) -> str:
    """The client's `x-request-id` when it is a safe token, else a new id."""
    given = headers.get(b"x-request-id")
    if given is not None and _REQUEST_ID.match(given):
        return given.decode("ascii")
    return f"tr-{_PROCESS_TAG}-{next(_counter):x}"


def header_value(text: str) -> bytes:
    """`text` as a safe header value: printable ASCII only, bounded length."""
    if text.isascii() and text.isprintable() and len(text) <= _MAX_HEADER_CHARS:
        return text.encode("ascii")
    safe = "".join(char if " " <= char <= "~" else "?" for char in text[:_MAX_HEADER_CHARS])
    return safe.encode("ascii")
