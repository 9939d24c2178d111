"""The gateway's HTTP/1.1 server protocol: whole requests in, one write per response out.

uvicorn still binds the sockets, handles signals and shuts down gracefully; this protocol
replaces its httptools protocol, whose generic ASGI machinery (an event per request, a
keep-alive timer armed and cancelled per response, a body timer in the application, an extra
loop turn to join the writes of a response) cost about 10 % of the gateway's CPU per request at
500 RPS and 20–30 % of its throughput (perf/RESULTS.md, run 6). Here:

- A request reaches the application only once its body is complete, and the body rides in the
  scope (`extensions["tierroute.body"]`): no body timer per request, and a client that trickles
  its request holds no task.
- Time limits are checked by one sweep a second over all connections (`sweep`): a request
  whose head and body have not arrived within `request_timeout` is answered 408, an idle
  keep-alive connection is closed after `keep_alive`.
- A response with a body sent at once leaves in one write; a streamed one (more_body) is sent
  chunked as it comes.
- What cannot be a request is answered here, in the OpenAI error shape, and counted by the
  application's `count_refusal`: 400 for what the parser refuses (a CR or LF inside a header
  value, a broken request line), 431 for a head over 64 KiB, 413 for a body over the limit
  (read and dropped up to 256 MiB so the client can read the answer), 408 as above.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
import traceback
from collections import deque
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, NamedTuple, Protocol, cast

import httptools

from tierroute_gateway.server.asgi import Message, Scope, too_large
from tierroute_gateway.server.errors import (
    INVALID_REQUEST,
    TIMEOUT,
    GatewayError,
    error_body,
)

BODY_EXTENSION = "tierroute.body"
"""Scope extension holding the complete request body."""

_MAX_HEAD_BYTES = 64 * 1024
_DRAIN_LIMIT = 256 * 1024 * 1024
_MAX_PIPELINED = 8
_STATUS_LINES: dict[int, bytes] = {}


class ServerLimits(NamedTuple):
    """Per-connection limits of the protocol."""

    max_body: int
    request_timeout: float
    keep_alive: float


class App(Protocol):
    """What the protocol needs of the application."""

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None: ...

    def count_refusal(self, path: str, status: int, code: str) -> None: ...


def status_line(status: int) -> bytes:
    """`HTTP/1.1 <status> <phrase>\\r\\n`."""
    line = _STATUS_LINES.get(status)
    if line is None:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = ""
        line = _STATUS_LINES[status] = f"HTTP/1.1 {status} {phrase}\r\n".encode("ascii")
    return line


class _Request:
    """A request being read, then waiting for its turn on the connection."""

    __slots__ = (
        "body",
        "error",
        "expect_continue",
        "head_done",
        "head_size",
        "headers",
        "http_10",
        "invited",
        "keep_alive",
        "method",
        "path",
        "query",
        "size",
        "started",
        "url",
    )

    def __init__(self, started: float) -> None:
        self.started = started
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.head_size = 0
        self.head_done = False
        self.body: list[bytes] = []
        self.size = 0
        self.method = "GET"
        self.path = "/"
        self.query = b""
        self.keep_alive = True
        self.http_10 = False
        self.expect_continue = False
        self.invited = False
        self.error: GatewayError | None = None


class GatewayHttpProtocol(asyncio.Protocol):
    """One client connection; requests are served one after another (pipelining in order)."""

    def __init__(
        self,
        config: Any,
        server_state: Any,
        app_state: Any = None,
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        limits: ServerLimits,
    ) -> None:
        self._app = cast(App, config.app)
        self._limits = limits
        self._state = server_state
        self._loop = _loop or asyncio.get_running_loop()
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._reading: _Request | None = None
        self._waiting: deque[_Request] = deque()
        self._serving: _Exchange | None = None
        self._idle_since = time.monotonic()
        self._closed = False
        self._read_paused = False
        self._write_paused = False
        self._drained: asyncio.Future[None] | None = None
        self._head_too_large = False
        self._refusing = False

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self._transport = cast(asyncio.Transport, transport)
        self._state.connections.add(self)

    def data_received(self, data: bytes) -> None:
        if self._closed or self._refusing:
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._refuse_now(400, "connection upgrades are not supported", "upgrade_refused")
        except httptools.HttpParserError:
            if self._head_too_large:
                self._refuse_now(431, "the request head is over 64 KiB", "request_head_too_large")
            else:
                self._refuse_now(
                    400,
                    "the HTTP request could not be parsed (a header value may contain CR or "
                    "LF, or the request line is malformed)",
                    "invalid_http_request",
                )

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self._state.connections.discard(self)
        if self._serving is not None:
            self._serving.disconnect()
        self._wake_writer()

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        self._wake_writer()

    # httptools callbacks

    def on_message_begin(self) -> None:
        self._reading = _Request(time.monotonic())

    def on_url(self, url: bytes) -> None:
        request = self._current()
        request.url += url
        self._count_head(request, len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        request = self._current()
        request.headers.append((name.lower(), value))
        self._count_head(request, len(name) + len(value))

    def on_headers_complete(self) -> None:
        request = self._current()
        request.head_done = True
        parser = self._parser
        request.method = parser.get_method().decode("ascii", "replace")
        request.keep_alive = parser.should_keep_alive()
        request.http_10 = parser.get_http_version() == "1.0"
        try:
            url = httptools.parse_url(request.url)
        except httptools.HttpParserInvalidURLError:
            raise httptools.HttpParserError("invalid request target") from None
        request.path = url.path.decode("utf-8", "replace") if url.path else "/"
        request.query = url.query or b""
        limit = self._limits.max_body
        for name, value in request.headers:
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                request.error = too_large(limit)
            elif name == b"expect" and value.lower() == b"100-continue":
                request.expect_continue = True
        if request.expect_continue and request.error is not None:
            # The client waits to be invited to send its body: refuse without reading it.
            self._finish_reading(request)
        else:
            self._invite_if_next()

    def on_body(self, body: bytes) -> None:
        request = self._reading
        if request is None:
            return
        request.size += len(body)
        if request.error is None and request.size > self._limits.max_body:
            request.error = too_large(self._limits.max_body)
            request.body.clear()
        if request.error is None:
            request.body.append(body)
        elif request.size > _DRAIN_LIMIT:
            self._finish_reading(request)

    def on_message_complete(self) -> None:
        request = self._reading
        if request is not None:
            self._finish_reading(request)

    # serving

    def sweep(self, now: float) -> None:
        """Answer a request that is too slow to arrive; close a keep-alive connection idle too
        long. Called about once a second for every connection."""
        if self._closed:
            return
        request = self._reading
        if request is not None and now - request.started > self._limits.request_timeout:
            timeout = self._limits.request_timeout
            error = GatewayError(
                408,
                f"the request did not arrive within {timeout:g}s",
                error_type=TIMEOUT,
                code="body_timeout" if request.head_done else "request_timeout",
            )
            request.error = error
            self._finish_reading(request)
        elif (
            self._serving is None
            and not self._waiting
            and request is None
            and now - self._idle_since > self._limits.keep_alive
        ):
            self._close()

    def shutdown(self) -> None:
        """Close when idle; otherwise after the response in progress (uvicorn's shutdown)."""
        if self._serving is None and not self._waiting:
            self._close()
        else:
            for request in self._waiting:
                request.keep_alive = False
            if self._serving is not None:
                self._serving.request.keep_alive = False

    def _current(self) -> _Request:
        if self._reading is None:
            self._reading = _Request(time.monotonic())
        return self._reading

    def _count_head(self, request: _Request, size: int) -> None:
        request.head_size += size
        if request.head_size > _MAX_HEAD_BYTES:
            self._head_too_large = True
            raise httptools.HttpParserError("request head too large")

    def _finish_reading(self, request: _Request) -> None:
        self._reading = None
        if request.error is not None:
            request.keep_alive = False
            request.body.clear()
        self._waiting.append(request)
        if len(self._waiting) >= _MAX_PIPELINED and not self._read_paused:
            self._read_paused = True
            if self._transport is not None:
                self._transport.pause_reading()
        if request.error is not None:
            self._refusing = True  # what follows a refused request is dropped, then we close
        self._serve_next()

    def _serve_next(self) -> None:
        if self._serving is not None or not self._waiting or self._closed:
            return
        request = self._waiting.popleft()
        if self._read_paused and len(self._waiting) < _MAX_PIPELINED // 2:
            self._read_paused = False
            if self._transport is not None:
                self._transport.resume_reading()
        if request.error is not None:
            self._refuse(request, request.error)
            return
        exchange = _Exchange(self, request)
        self._serving = exchange
        task = self._loop.create_task(exchange.run(self._app))
        tasks = self._state.tasks
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    def exchange_done(self, exchange: _Exchange) -> None:
        """The application finished a request: next one, or close."""
        self._serving = None
        self._state.total_requests += 1
        if self._closed:
            return
        if not exchange.request.keep_alive or not exchange.completed:
            self._close()
            return
        self._idle_since = time.monotonic()
        self._serve_next()
        self._invite_if_next()

    def _invite_if_next(self) -> None:
        """Send `100 Continue` to the request being read once it is next in line, if it waits
        for one: right after its head, or (pipelined behind others) when they are answered."""
        request = self._reading
        if (
            request is None
            or not request.expect_continue
            or request.invited
            or not request.head_done
            or request.size
            or request.error is not None
            or self._serving is not None
            or self._waiting
        ):
            return
        request.invited = True
        self._write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def _refuse(self, request: _Request, error: GatewayError) -> None:
        self._app.count_refusal(request.path, error.status, error.code)
        body = error_body(error)
        self._write(
            status_line(error.status)
            + b"content-type: application/json\r\ncontent-length: %d\r\n" % len(body)
            + b"connection: close\r\n\r\n"
            + body
        )
        self._close()

    def _refuse_now(self, status: int, message: str, code: str) -> None:
        """Answer what cannot be parsed; whatever was in progress is dropped."""
        self._reading = None
        self._waiting.clear()
        if self._serving is not None:
            self._close()
            return
        error = GatewayError(status, message, error_type=INVALID_REQUEST, code=code)
        self._refuse(_Request(time.monotonic()), error)

    def write(self, data: bytes) -> None:
        """Send bytes of the response in progress."""
        self._write(data)

    async def drain(self) -> None:
        """Wait until the transport takes more (a slow client reading a stream)."""
        while self._write_paused and not self._closed:
            self._drained = self._loop.create_future()
            try:
                await self._drained
            finally:
                self._drained = None

    @property
    def closed(self) -> bool:
        """The connection is gone or going."""
        return self._closed

    def _write(self, data: bytes) -> None:
        transport = self._transport
        if transport is not None and not self._closed and not transport.is_closing():
            transport.write(data)

    def _wake_writer(self) -> None:
        drained = self._drained
        if drained is not None and not drained.done():
            drained.set_result(None)

    def _close(self) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.close()
        self._closed = True


class _Exchange:
    """One request handed to the application, and its response."""

    __slots__ = (
        "_body",
        "_chunked",
        "_framing",
        "_gone",
        "_head",
        "_head_request",
        "_protocol",
        "completed",
        "request",
        "started",
    )

    def __init__(self, protocol: GatewayHttpProtocol, request: _Request) -> None:
        self._protocol = protocol
        self.request = request
        body = request.body
        self._body: bytes | None = body[0] if len(body) == 1 else b"".join(body)
        request.body = []
        self._gone: asyncio.Future[None] | None = None
        self._head: list[bytes] | None = None
        self._head_request = request.method == "HEAD"
        self._chunked = False
        self._framing = False
        self.started = False
        self.completed = False

    async def run(self, app: App) -> None:
        request = self.request
        scope: Scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.0" if request.http_10 else "1.1",
            "method": request.method,
            "scheme": "http",
            "path": request.path,
            "raw_path": request.url.split(b"?", 1)[0],
            "query_string": request.query,
            "headers": request.headers,
            "extensions": {BODY_EXTENSION: self._body},
        }
        try:
            await app(scope, self.receive, self.send)
        except Exception:  # the application maps its own errors; this is a last resort
            traceback.print_exc(file=sys.stderr)
            if not self.started:
                with contextlib.suppress(Exception):
                    await self._send_internal_error()
        finally:
            self._protocol.exchange_done(self)

    async def _send_internal_error(self) -> None:
        await self.send({"type": "http.response.start", "status": 500, "headers": []})
        await self.send({"type": "http.response.body", "body": b""})

    async def receive(self) -> Message:
        """The body once; then `http.disconnect` when the client goes."""
        body = self._body
        if body is not None:
            self._body = None
            return {"type": "http.request", "body": body, "more_body": False}
        if not self._protocol.closed:
            self._gone = asyncio.get_running_loop().create_future()
            await self._gone
        return {"type": "http.disconnect"}

    def disconnect(self) -> None:
        """The client went away."""
        gone = self._gone
        if gone is not None and not gone.done():
            gone.set_result(None)

    async def send(self, message: Message) -> None:
        """Write a response start or body message."""
        protocol = self._protocol
        kind = message["type"]
        if kind == "http.response.start":
            self._start(message)
            return
        if kind != "http.response.body" or self._head is None or self.completed:
            return
        body: bytes = message.get("body", b"")
        more = bool(message.get("more_body", False))
        if self._head_request:
            body = b""
        if not self.started:
            self.started = True
            head = self._head
            if more and not self._framing:
                if self.request.http_10:
                    self.request.keep_alive = False
                else:
                    self._chunked = True
                    head.append(b"transfer-encoding: chunked\r\n")
            elif not more and not self._framing:
                head.append(b"content-length: %d\r\n" % len(body))
            if not self.request.keep_alive:
                head.append(b"connection: close\r\n")
            head.append(b"\r\n")
            payload = b"".join(head) + self._framed(body, more)
        else:
            payload = self._framed(body, more)
        self.completed = not more
        if payload:
            protocol.write(payload)
            if more:
                await protocol.drain()

    def _start(self, message: Message) -> None:
        if self.started:
            return
        head = [status_line(int(message["status"]))]
        for name, value in message.get("headers", ()):
            lowered = name.lower()
            if lowered == b"connection" and value.lower() == b"close":
                self.request.keep_alive = False
                continue
            if lowered == b"transfer-encoding":
                continue  # the framing is this protocol's to choose
            if lowered == b"content-length":
                self._framing = True
            head.append(lowered + b": " + value + b"\r\n")
        self._head = head

    def _framed(self, body: bytes, more: bool) -> bytes:
        if not self._chunked:
            return body
        chunk = b"%x\r\n%s\r\n" % (len(body), body) if body else b""
        return chunk if more else chunk + b"0\r\n\r\n"


def sweeper(connections: set[Any], interval: float = 1.0) -> Callable[[], Any]:
    """A coroutine function sweeping every connection of a server each `interval` seconds."""

    async def sweep_forever() -> None:
        while True:
            await asyncio.sleep(interval)
            now = time.monotonic()
            for connection in list(connections):
                if isinstance(connection, GatewayHttpProtocol):
                    connection.sweep(now)

    return sweep_forever
