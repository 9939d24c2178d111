"""The server protocol answers the same whatever way the bytes of the requests are cut.

TCP delivers a client's bytes in arbitrary pieces: a request may arrive a byte at a time, or
several pipelined requests in one read. The protocol is fed the same requests cut at random
points and must give the same responses, in order, each framed so that an HTTP parser reads
them back (content-length or chunked).
"""

from __future__ import annotations

import asyncio
from itertools import pairwise
from types import SimpleNamespace
from typing import Any

import httptools
import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from tierroute_gateway.server.http_server import (
    BODY_EXTENSION,
    GatewayHttpProtocol,
    ServerLimits,
)

LIMITS = ServerLimits(max_body=4096, request_timeout=60.0, keep_alive=60.0)


class EchoApp:
    """Answers with what it was asked; `/stream` answers in three body messages."""

    def __init__(self) -> None:
        self.refused: list[tuple[str, int, str]] = []

    def count_refusal(self, path: str, status: int, code: str) -> None:
        self.refused.append((path, status, code))

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = scope["extensions"][BODY_EXTENSION]
        echo = orjson.dumps(
            {"method": scope["method"], "path": scope["path"], "body": body.decode()}
        )
        if scope["path"] == "/stream":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            for piece in (echo[:5], echo[5:], b""):
                await send({"type": "http.response.body", "body": piece, "more_body": bool(piece)})
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await asyncio.sleep(0)  # let the next request's bytes arrive meanwhile
        await send({"type": "http.response.body", "body": echo})


class RecordingTransport:
    """Keeps what the protocol writes."""

    def __init__(self) -> None:
        self.sent = bytearray()
        self.closed = False

    def write(self, data: bytes) -> None:
        self.sent += data

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


class ResponseReader:
    """httptools reading responses back: (status, body) per response."""

    def __init__(self) -> None:
        self.responses: list[tuple[int, bytes]] = []
        self._body = bytearray()
        self._parser = httptools.HttpResponseParser(self)

    def on_body(self, body: bytes) -> None:
        self._body += body

    def on_message_complete(self) -> None:
        self.responses.append((self._parser.get_status_code(), bytes(self._body)))
        self._body.clear()

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        self._parser.feed_data(data)
        return self.responses


def serve(pieces: list[bytes]) -> bytes:
    """Feed `pieces` to a protocol one loop turn apart; what it wrote back."""

    async def scenario() -> bytes:
        state = SimpleNamespace(connections=set(), tasks=set(), total_requests=0)
        protocol = GatewayHttpProtocol(SimpleNamespace(app=EchoApp()), state, limits=LIMITS)
        transport = RecordingTransport()
        protocol.connection_made(transport)  # type: ignore[arg-type]
        for piece in pieces:
            protocol.data_received(piece)
            await asyncio.sleep(0)
        for _ in range(200):
            if not state.tasks and protocol._serving is None and not protocol._waiting:
                break
            await asyncio.sleep(0)
        return bytes(transport.sent)

    return asyncio.run(scenario())


REQUEST = st.tuples(
    st.sampled_from(["/echo", "/stream", "/other"]),
    st.binary(max_size=300).map(lambda data: data.hex()[:300].encode()),
    st.booleans(),
)


def encode(path: str, body: bytes, chunked: bool) -> bytes:
    head = f"POST {path} HTTP/1.1\r\nHost: test\r\n".encode()
    if chunked and body:
        middle = len(body) // 2
        parts = [body[:middle], body[middle:]]
        framed = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in parts if part)
        return head + b"Transfer-Encoding: chunked\r\n\r\n" + framed + b"0\r\n\r\n"
    return head + b"Content-Length: %d\r\n\r\n" % len(body) + body


@settings(max_examples=60, deadline=None)
@given(
    requests=st.lists(REQUEST, min_size=1, max_size=4),
    cuts=st.lists(st.integers(min_value=0, max_value=4000), max_size=12),
)
def test_responses_do_not_depend_on_how_the_bytes_are_cut(
    requests: list[tuple[str, bytes, bool]], cuts: list[int]
) -> None:
    stream = b"".join(encode(path, body, chunked) for path, body, chunked in requests)
    points = sorted({cut % (len(stream) + 1) for cut in cuts} | {0, len(stream)})
    pieces = [stream[start:end] for start, end in pairwise(points)]
    written = serve([piece for piece in pieces if piece])
    responses = ResponseReader().feed(written)
    expected = [
        (200, {"method": "POST", "path": path, "body": body.decode()}) for path, body, _ in requests
    ]
    assert [(status, orjson.loads(body)) for status, body in responses] == expected


def test_a_body_over_the_limit_is_refused_after_the_answers_before_it() -> None:
    small = encode("/echo", b"ok", False)
    large = encode("/echo", b"x" * (LIMITS.max_body + 1), False)
    written = serve([small + large + small])
    responses = ResponseReader().feed(written)
    assert [status for status, _ in responses] == [200, 413]
    assert orjson.loads(responses[1][1])["error"]["code"] == "request_too_large"
    assert b"connection: close" in written.split(b"HTTP/1.1 413")[1]
