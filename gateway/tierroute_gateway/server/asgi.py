"""The little of ASGI the gateway needs: read a bounded body, send a response, read headers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any

from tierroute_gateway.server.errors import INVALID_REQUEST, GatewayError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
HeaderList = list[tuple[bytes, bytes]]

JSON = b"application/json"
_DRAIN_LIMIT = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Incoming:
    """A request whose body has been read."""

    scope: Scope
    receive: Receive
    headers: dict[bytes, bytes]
    body: bytes


class ClientGoneError(Exception):
    """The client disconnected before its request was read."""


def header_map(scope: Scope) -> dict[bytes, bytes]:
    """Request headers by lower-case name (the last value wins)."""
    return dict(scope["headers"])


async def read_body(receive: Receive, headers: dict[bytes, bytes], limit: int) -> bytes:
    """The whole request body, refused with 413 as soon as it passes `limit` bytes.

    The rest of an oversized body is read and dropped (not kept), so the client can read the
    413 instead of a reset connection; a body past `_DRAIN_LIMIT`, or one the client waits to
    be invited to send (`Expect: 100-continue`), is not drained at all.
    """
    declared = headers.get(b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        expects_continue = headers.get(b"expect", b"").lower() == b"100-continue"
        if int(declared) <= _DRAIN_LIMIT and not expects_continue:
            await _drain(receive)
        raise too_large(limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGoneError
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            if message.get("more_body", False):
                await _drain(receive, size)
            raise too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def _drain(receive: Receive, seen: int = 0) -> None:
    while seen <= _DRAIN_LIMIT:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGoneError
        seen += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


def too_large(limit: int) -> GatewayError:
    """413 for a body over `limit` bytes."""
    return GatewayError(
        413,
        f"request body is larger than the limit of {limit} bytes",
        error_type=INVALID_REQUEST,
        code="request_too_large",
        headers=[(b"connection", b"close")],
    )


async def send_response(
    send: Send,
    status: int,
    body: bytes,
    headers: Iterable[tuple[bytes, bytes]] = (),
    content_type: bytes = JSON,
) -> None:
    """Send a complete response."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode("ascii")),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
