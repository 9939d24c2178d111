"""A lean HTTP/1.1 client for provider calls: a keep-alive pool on asyncio protocols.

Why not aiohttp's client (used until run 6 of perf/RESULTS.md): at 500 RPS its request path
was a quarter of the gateway's CPU per request — a request object, a header multidict, a
connector with traces, a stream reader and two timers per call. A provider call here is one
`writelines` of a precomputed head and the body, httptools parsing the answer in
`data_received`, and one wake-up of the caller when the answer is complete (or, streaming,
when its headers and then each batch of body bytes arrive). Time limits stay with the caller
(the fallback executor's one timer per attempt); the pool bounds only connecting.

Deliberately small: POST only, no redirects, no cookies, no proxies, no compression (the
request asks for none, an encoded answer is refused), TLS through the standard `ssl` module.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import deque
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlsplit

import httptools

from tierroute_gateway.routing_table import header_problem

_STREAM_HIGH_WATER = 256 * 1024


class ConnectionFailedError(Exception):
    """The connection could not be made, broke, or carried something that is not HTTP."""

    def __init__(self, detail: str, *, malformed: bool = False) -> None:
        super().__init__(detail)
        self.malformed = malformed


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where requests go: scheme, host, port and the request path."""

    host: str
    port: int
    path: str
    tls: bool

    @classmethod
    def parse(cls, url: str) -> Endpoint:
        """The endpoint of an http(s) URL; ValueError naming what is wrong."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise ValueError(f"URL {url!r}: scheme must be http or https")
        if not parts.hostname:
            raise ValueError(f"URL {url!r} has no host")
        tls = parts.scheme == "https"
        port = parts.port or (443 if tls else 80)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return cls(parts.hostname, port, path, tls)

    @property
    def authority(self) -> str:
        """The Host header's value."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.tls else 80
        return host if self.port == default else f"{host}:{self.port}"


@dataclass(frozen=True, slots=True)
class Answer:
    """A whole HTTP answer."""

    status: int
    headers: dict[str, str]
    body: bytes


class StreamingAnswer:
    """An HTTP answer whose headers are in and whose body is read in batches."""

    __slots__ = ("_connection", "headers", "status")

    def __init__(self, connection: _Connection, status: int, headers: dict[str, str]) -> None:
        self._connection: _Connection | None = connection
        self.status = status
        self.headers = headers

    async def read_some(self) -> bytes:
        """The body bytes received since the last call; b"" once the body has ended."""
        connection = self._connection
        if connection is None:
            return b""
        return await connection.read_some()

    def release(self) -> None:
        """Give the connection back: to the pool if the answer ended cleanly, else close it."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.finish()

    def close(self) -> None:
        """Drop the connection, whatever state the answer is in."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.abort()


class _Connection(asyncio.Protocol):
    """One keep-alive connection; an exchange at a time."""

    def __init__(self, pool: HttpClient) -> None:
        self._pool = pool
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self.idle_since = 0.0
        self.closed = False
        self._reset()

    def _reset(self) -> None:
        self._status = 0
        self._headers: dict[str, str] = {}
        self._body: list[bytes] = []
        self._buffered = 0
        self._received = 0
        self._received_any = False
        self._headers_done = False
        self._complete = False
        self._keep_alive = False
        self._framed = False
        self._error: ConnectionFailedError | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._want_headers = False
        self._paused = False

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self._received_any = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as error:
            self._fail(ConnectionFailedError(f"malformed HTTP answer: {error}", malformed=True))
            self.abort()

    def eof_received(self) -> bool:
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._pool.forget(self)
        if self._complete:
            return
        if self._headers_done and not self._framed:
            self._end_message(keep_alive=False)
            return
        where = "in the middle of the answer" if self._received_any else "before an answer"
        reason = f": {exc}" if exc is not None else ""
        self._fail(ConnectionFailedError(f"connection closed {where}{reason}"))

    # httptools callbacks

    def on_header(self, name: bytes, value: bytes) -> None:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        if key in ("content-length", "transfer-encoding"):
            self._framed = True
        previous = self._headers.get(key)
        self._headers[key] = text if previous is None else f"{previous}, {text}"

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        if status < 200:
            self._headers = {}
            self._framed = False
            return
        self._status = status
        self._headers_done = True
        if self._want_headers:
            self._wake()

    def on_body(self, body: bytes) -> None:
        self._received += len(body)
        if self._received > self._pool.max_body:
            limit = self._pool.max_body
            self._fail(ConnectionFailedError(f"answer body over {limit} bytes", malformed=True))
            self.abort()
            return
        self._body.append(body)
        self._buffered += len(body)
        if self._want_headers and self._buffered > _STREAM_HIGH_WATER and not self._paused:
            self._paused = True
            if self._transport is not None:
                self._transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        if not self._headers_done:
            return
        self._end_message(keep_alive=self._parser.should_keep_alive())

    # exchanges

    async def exchange(self, head: bytes, body: bytes) -> Answer:
        """Send a request; return its whole answer."""
        await self._send(head, body, stream=False)
        answer = Answer(self._status, self._headers, self._take_body())
        self.finish()
        return answer

    async def exchange_streaming(self, head: bytes, body: bytes) -> StreamingAnswer:
        """Send a request; return its answer once the headers are in."""
        await self._send(head, body, stream=True)
        return StreamingAnswer(self, self._status, self._headers)

    async def _send(self, head: bytes, body: bytes, *, stream: bool) -> None:
        assert self._transport is not None
        self._reset()
        self._want_headers = stream
        self._transport.writelines((head, body))
        while True:
            if self._error is not None:
                raise self._error
            if self._complete or (stream and self._headers_done):
                return
            await self._wait()

    async def read_some(self) -> bytes:
        """Body bytes received so far, waiting for some; b"" at the end of the body."""
        while not self._body:
            if self._error is not None:
                raise self._error
            if self._complete:
                return b""
            await self._wait()
        return self._take_body()

    def finish(self) -> None:
        """Back to the pool when the answer ended and the server keeps the connection."""
        if self._complete and self._keep_alive and not self.closed and self._error is None:
            if self._paused and self._transport is not None:
                self._paused = False
                self._transport.resume_reading()
            self._pool.give_back(self)
        else:
            self.abort()

    def abort(self) -> None:
        """Close the connection at once."""
        if not self.closed:
            self.closed = True
            self._pool.forget(self)
            if self._transport is not None:
                self._transport.abort()

    def usable(self, now: float, idle_limit: float) -> bool:
        """Still open and not idle for so long that the server may be closing it."""
        transport = self._transport
        return (
            not self.closed
            and transport is not None
            and not transport.is_closing()
            and now - self.idle_since < idle_limit
        )

    def _take_body(self) -> bytes:
        data = self._body[0] if len(self._body) == 1 else b"".join(self._body)
        self._body.clear()
        self._buffered = 0
        if self._paused and self._transport is not None:
            self._paused = False
            self._transport.resume_reading()
        return data

    def _end_message(self, *, keep_alive: bool) -> None:
        self._complete = True
        self._keep_alive = keep_alive
        self._wake()

    def _fail(self, error: ConnectionFailedError) -> None:
        if self._error is None and not self._complete:
            self._error = error
        self._wake()

    async def _wait(self) -> None:
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class HttpClient:
    """POSTs to one URL with fixed headers over at most `limit` keep-alive connections."""

    def __init__(
        self,
        url: str,
        headers: dict[str, str],
        *,
        limit: int = 256,
        connect_timeout: float = 10.0,
        idle_limit: float = 15.0,
        max_body: int = 64 * 1024 * 1024,
    ) -> None:
        self.endpoint = Endpoint.parse(url)
        for name, value in headers.items():
            problem = header_problem(name, value)
            if problem is not None:
                raise ValueError(problem)
        lines = [f"POST {self.endpoint.path} HTTP/1.1", f"host: {self.endpoint.authority}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self._head = ("\r\n".join(lines) + "\r\ncontent-length: ").encode("latin-1")
        self.limit = limit
        self.connect_timeout = connect_timeout
        self.idle_limit = idle_limit
        self.max_body = max_body
        self._ssl = ssl.create_default_context() if self.endpoint.tls else None
        self._idle: deque[_Connection] = deque()
        self._open: set[_Connection] = set()
        self._connecting = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._closed = False

    async def post(self, body: bytes) -> Answer:
        """Send `body`; the answer with its whole body (see `max_body`)."""
        connection = await self._acquire()
        try:
            return await connection.exchange(self._request_head(body), body)
        except BaseException:
            connection.abort()
            raise

    async def post_streaming(self, body: bytes) -> StreamingAnswer:
        """Send `body`; the answer as soon as its headers are in, its body read in batches."""
        connection = await self._acquire()
        try:
            return await connection.exchange_streaming(self._request_head(body), body)
        except BaseException:
            connection.abort()
            raise

    async def close(self) -> None:
        """Close every connection; requests still running fail."""
        self._closed = True
        for connection in [*self._open]:
            connection.abort()
        self._idle.clear()
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)

    @property
    def connections(self) -> int:
        """Open connections, idle or busy."""
        return len(self._open)

    def _request_head(self, body: bytes) -> bytes:
        return self._head + b"%d\r\n\r\n" % len(body)

    async def _acquire(self) -> _Connection:
        now = time.monotonic()
        while True:
            if self._closed:
                raise ConnectionFailedError("the client is closed")
            while self._idle:
                connection = self._idle.pop()
                if connection.usable(now, self.idle_limit):
                    return connection
                connection.abort()
            if len(self._open) + self._connecting < self.limit:
                return await self._connect()
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)

    async def _connect(self) -> _Connection:
        self._connecting += 1
        try:
            connection = await self._open_connection()
        except BaseException:
            self._connecting -= 1
            self._wake_waiter()
            raise
        self._connecting -= 1
        self._open.add(connection)
        return connection

    async def _open_connection(self) -> _Connection:
        endpoint = self.endpoint
        try:
            async with asyncio.timeout(self.connect_timeout):
                _, connection = await asyncio.get_running_loop().create_connection(
                    lambda: _Connection(self),
                    endpoint.host,
                    endpoint.port,
                    ssl=self._ssl,
                    server_hostname=endpoint.host if self._ssl is not None else None,
                )
        except TimeoutError:
            raise ConnectionFailedError(
                f"connect to {endpoint.authority} timed out after {self.connect_timeout:g}s"
            ) from None
        except OSError as error:
            raise ConnectionFailedError(f"connect to {endpoint.authority}: {error}") from None
        return connection

    def give_back(self, connection: _Connection) -> None:
        """A connection whose exchange ended cleanly becomes idle (newest used first)."""
        if self._closed:
            connection.abort()
            return
        connection.idle_since = time.monotonic()
        self._idle.append(connection)
        self._wake_waiter()

    def forget(self, connection: _Connection) -> None:
        """A closed connection leaves the pool, freeing its place."""
        self._open.discard(connection)
        if connection in self._idle:
            self._idle.remove(connection)
        self._wake_waiter()

    def _wake_waiter(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
