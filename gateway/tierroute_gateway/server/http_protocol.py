"""uvicorn's httptools protocol, answering unparseable requests with an OpenAI error body and
writing each response with one send instead of two.

A request the HTTP parser refuses (a CR or LF inside a header value, a broken request line)
never reaches the application; uvicorn answers it with plain text. This subclass answers the
same 400 in the OpenAI error shape so that every refusal of the gateway reads the same.

uvicorn writes a response's head and body with two `transport.write` calls, two send
syscalls: 14 % of the gateway's CPU at saturation (perf/RESULTS.md). Writes made in one turn
of the event loop are joined and sent at the end of that turn.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from tierroute_gateway.server.errors import INVALID_REQUEST, render_error

_BODY = render_error(
    "the HTTP request could not be parsed (a header value may contain CR or LF, or the "
    "request line is malformed)",
    INVALID_REQUEST,
    "invalid_http_request",
)


class CoalescingTransport:
    """A transport whose writes within one event-loop turn go out as one write."""

    __slots__ = ("_loop", "_pending", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        """Queue `data`; the first write of a turn schedules the flush."""
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(data)

    def flush(self) -> None:
        """Send what is queued, as one write."""
        if not self._pending:
            return
        data = b"".join(self._pending)
        self._pending.clear()
        if not self._transport.is_closing():
            self._transport.write(data)

    def close(self) -> None:
        """Send what is queued, then close."""
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class GatewayHttpProtocol(HttpToolsProtocol):
    """HttpToolsProtocol with an OpenAI-shaped 400 for requests that do not parse, and
    coalesced writes."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Set up the connection with a coalescing transport."""
        super().connection_made(transport)
        coalescing: Any = CoalescingTransport(transport, asyncio.get_running_loop())
        self.transport = coalescing

    def send_400_response(self, msg: str) -> None:
        """Answer 400 with a JSON error body and close the connection."""
        head = (
            b"HTTP/1.1 400 Bad Request\r\n"
            b"content-type: application/json\r\n"
            b"content-length: " + str(len(_BODY)).encode("ascii") + b"\r\n"
            b"connection: close\r\n\r\n"
        )
        self.transport.write(head + _BODY)
        self.transport.close()
