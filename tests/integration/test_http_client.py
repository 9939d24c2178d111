"""The gateway's provider HTTP client against scripted peers on real sockets.

Each peer is an asyncio TCP server that reads real requests and answers with exactly the bytes
a test needs (chunked, close-delimited, broken, slow), which a well-behaved server such as the
simulator never sends. The simulator-facing behaviour is covered by the gateway tests.
"""

from __future__ import annotations

import asyncio
import ssl
import subprocess
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tierroute_gateway.server.http_client import ConnectionFailedError, Endpoint, HttpClient

Answerer = Callable[["Request", asyncio.StreamWriter], Awaitable[bool]]
"""Writes the answer to one request; returns False to close the connection afterwards."""


@dataclass
class Request:
    head: bytes
    body: bytes
    connection: int


@dataclass
class Peer:
    answer: Answerer
    requests: list[Request] = field(default_factory=list)
    connections: int = 0
    open_now: int = 0
    most_open: int = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number = self.connections
        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                length = _content_length(head)
                body = await reader.readexactly(length)
                request = Request(head, body, number)
                self.requests.append(request)
                if not await self.answer(request, writer):
                    return
        finally:
            self.open_now -= 1
            writer.close()


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


def _fixed(payload: bytes, extra: bytes = b"") -> Answerer:
    async def answer(request: Request, writer: asyncio.StreamWriter) -> bool:
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n%s\r\n" % (len(payload), extra) + payload
        )
        await writer.drain()
        return True

    return answer


def _echo() -> Answerer:
    async def answer(request: Request, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % len(request.body))
        writer.write(request.body)
        await writer.drain()
        return True

    return answer


async def _with_peer(
    peer: Peer,
    scenario: Callable[[str], Awaitable[None]],
    *,
    tls: ssl.SSLContext | None = None,
    host: str = "127.0.0.1",
) -> None:
    server = await asyncio.start_server(peer.serve, "127.0.0.1", 0, ssl=tls)
    port = server.sockets[0].getsockname()[1]
    scheme = "https" if tls else "http"
    try:
        await scenario(f"{scheme}://{host}:{port}/v1/chat/completions")
    finally:
        server.close()


def _run(peer: Peer, scenario: Callable[[str], Awaitable[None]]) -> None:
    asyncio.run(_with_peer(peer, scenario))


def test_requests_reuse_one_connection_and_carry_head_and_body() -> None:
    peer = Peer(_echo())

    async def scenario(url: str) -> None:
        client = HttpClient(url, {"content-type": "application/json", "x-team": "a"})
        bodies = [b'{"n": 1}', b'{"n": 22}', b"x" * 100_000]
        answers = [await client.post(body) for body in bodies]
        assert [answer.body for answer in answers] == bodies
        assert all(answer.status == 200 for answer in answers)
        assert client.connections == 1
        await client.close()

    _run(peer, scenario)
    assert {request.connection for request in peer.requests} == {1}
    first = peer.requests[0].head.decode()
    port = first.split("host: 127.0.0.1:")[1].split("\r\n")[0]
    assert first.startswith("POST /v1/chat/completions HTTP/1.1\r\n")
    assert f"host: 127.0.0.1:{port}\r\n" in first
    assert "x-team: a\r\n" in first
    assert "content-length: 8\r\n" in first


def test_a_chunked_answer_is_assembled() -> None:
    async def answer(request: Request, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nretry-after: 3\r\n\r\n")
        for part in (b"hello ", b"chunked ", b"world"):
            writer.write(b"%x\r\n%s\r\n" % (len(part), part))
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        return True

    async def scenario(url: str) -> None:
        client = HttpClient(url, {})
        first = await client.post(b"{}")
        second = await client.post(b"{}")
        assert first.body == second.body == b"hello chunked world"
        assert first.headers["retry-after"] == "3"
        assert client.connections == 1
        await client.close()

    _run(Peer(answer), scenario)


def test_an_answer_delimited_by_closing_is_read_whole_and_not_reused() -> None:
    async def answer(request: Request, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nuntil the end")
        await writer.drain()
        return False

    peer = Peer(answer)

    async def scenario(url: str) -> None:
        client = HttpClient(url, {})
        assert (await client.post(b"a")).body == b"until the end"
        assert (await client.post(b"b")).body == b"until the end"
        await client.close()

    _run(peer, scenario)
    assert [request.connection for request in peer.requests] == [1, 2]


def test_a_connection_the_server_closed_while_idle_is_replaced() -> None:
    async def answer(request: Request, writer: asyncio.StreamWriter) -> bool:
        await _fixed(b"ok")(request, writer)
        return False  # keep-alive promised, then closed: as a server's idle timeout does

    peer = Peer(answer)

    async def scenario(url: str) -> None:
        client = HttpClient(url, {})
        assert (await client.post(b"1")).body == b"ok"
        for _ in range(100):
            if client.connections == 0:
                break
            await asyncio.sleep(0.01)
        assert client.connections == 0
        assert (await client.post(b"2")).body == b"ok"
        await client.close()

    _run(peer, scenario)
    assert [request.connection for request in peer.requests] == [1, 2]


def test_a_connection_idle_past_the_limit_is_not_reused() -> None:
    peer = Peer(_fixed(b"ok"))

    async def scenario(url: str) -> None:
        client = HttpClient(url, {}, idle_limit=0.05)
        await client.post(b"1")
        await asyncio.sleep(0.1)
        await client.post(b"2")
        await client.close()

    _run(peer, scenario)
    assert [request.connection for request in peer.requests] == [1, 2]


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        (b"", "closed before an answer"),
        (b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly part", "in the middle"),
        (b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nab", "in the middle"),
    ],
    ids=["nothing", "short-content-length", "unfinished-chunks"],
)
def test_a_dropped_connection_is_a_connection_failure(sent: bytes, expected: str) -> None:
    async def answer(request: Request, writer: asyncio.StreamWriter) -> bool:
        writer.write(sent)
        await writer.drain()
        return False

    async def scenario(url: str) -> None:
        client = HttpClient(url, {})
        with pytest.raises(ConnectionFailedError, match=expected) as failure:
            await client.post(b"{}")
        assert not failure.value.malformed
        assert client.connections == 0
        await client.close()

    _run(Peer(answer), scenario)


def test_an_answer_that_is_not_http_is_malformed() -> None:
    async def answer(request: Request, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
        await writer.drain()
        return True

    async def scenario(url: str) -> None:
        client = HttpClient(url, {})
        with pytest.raises(ConnectionFailedError, match="malformed HTTP answer") as failure:
            await client.post(b"{}")
        assert failure.value.malformed
        assert client.connections == 0
        await client.close()

    _run(Peer(answer), scenario)


def test_a_body_over_the_limit_is_refused_and_the_connection_dropped() -> None:
    peer = Peer(_fixed(b"y" * 5000))

    async def scenario(url: str) -> None:
        client = HttpClient(url, {}, max_body=4096)
        with pytest.raises(ConnectionFailedError, match="over 4096 bytes"):
            await client.post(b"{}")
        assert client.connections == 0
        await client.close()

    _run(peer, scenario)


def test_an_interim_answer_is_skipped() -> None:
    async def answer(request: Request, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        await writer.drain()
        return await _fixed(b"final")(request, writer)

    async def scenario(url: str) -> None:
        client = HttpClient(url, {})
        answer = await client.post(b"{}")
        assert (answer.status, answer.body) == (200, b"final")
        await client.close()

    _run(Peer(answer), scenario)


def test_the_pool_never_opens_more_connections_than_its_limit() -> None:
    async def answer(request: Request, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(0.02)
        return await _echo()(request, writer)

    peer = Peer(answer)

    async def scenario(url: str) -> None:
        client = HttpClient(url, {}, limit=3)
        bodies = [str(number).encode() for number in range(20)]
        answers = await asyncio.gather(*(client.post(body) for body in bodies))
        assert [answer.body for answer in answers] == bodies
        await client.close()

    _run(peer, scenario)
    assert peer.most_open == 3
    assert peer.connections == 3


def test_a_cancelled_request_drops_its_connection_and_frees_its_place() -> None:
    async def answer(request: Request, writer: asyncio.StreamWriter) -> bool:
        if request.body == b"slow":
            await asyncio.sleep(5)
        return await _fixed(b"fast")(request, writer)

    peer = Peer(answer)

    async def scenario(url: str) -> None:
        client = HttpClient(url, {}, limit=1)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.1):
                await client.post(b"slow")
        assert client.connections == 0
        assert (await client.post(b"next")).body == b"fast"
        await client.close()

    _run(peer, scenario)
    assert [request.connection for request in peer.requests] == [1, 2]


def test_a_streamed_answer_arrives_in_batches_and_its_connection_is_reused() -> None:
    parts = [b"data: %d\n\n" % number for number in range(5)]

    async def answer(request: Request, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
        for part in parts:
            writer.write(b"%x\r\n%s\r\n" % (len(part), part))
            await writer.drain()
            await asyncio.sleep(0.01)
        writer.write(b"0\r\n\r\n")
        return True

    peer = Peer(answer)

    async def scenario(url: str) -> None:
        client = HttpClient(url, {})
        for _ in range(2):
            answer = await client.post_streaming(b"{}")
            assert answer.status == 200
            batches = []
            while batch := await answer.read_some():
                batches.append(batch)
            assert b"".join(batches) == b"".join(parts)
            assert len(batches) > 1
            answer.release()
        assert client.connections == 1
        await client.close()

    _run(peer, scenario)
    assert {request.connection for request in peer.requests} == {1}


def test_a_slow_reader_of_a_large_stream_loses_nothing() -> None:
    payload = bytes(range(256)) * 8192  # 2 MiB, eight times the read-pause threshold

    peer = Peer(_fixed(payload))

    async def scenario(url: str) -> None:
        client = HttpClient(url, {})
        answer = await client.post_streaming(b"{}")
        received = bytearray()
        while batch := await answer.read_some():
            received += batch
            await asyncio.sleep(0.001)
        assert bytes(received) == payload
        answer.release()
        assert (await client.post(b"again")).body == payload
        assert client.connections == 1
        await client.close()

    _run(peer, scenario)


def test_a_stream_closed_before_its_end_closes_the_connection() -> None:
    async def answer(request: Request, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nfirst\r\n")
        await writer.drain()
        await asyncio.sleep(5)
        return True

    async def scenario(url: str) -> None:
        client = HttpClient(url, {})
        answer = await client.post_streaming(b"{}")
        assert await answer.read_some() == b"first"
        answer.release()  # not at its end: the connection cannot be reused
        assert client.connections == 0
        await client.close()

    _run(Peer(answer), scenario)


def test_a_refused_connection_names_the_address() -> None:
    async def scenario() -> None:
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        server.close()
        await server.wait_closed()
        client = HttpClient(f"http://127.0.0.1:{port}/v1", {})
        with pytest.raises(ConnectionFailedError, match=f"connect to 127.0.0.1:{port}"):
            await client.post(b"{}")
        await client.close()

    asyncio.run(scenario())


def test_tls_is_verified_against_the_trusted_certificates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost"],
        check=True, capture_output=True,
    )  # fmt: skip
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)
    peer = Peer(_echo())

    async def untrusted(url: str) -> None:
        client = HttpClient(url, {})
        with pytest.raises(ConnectionFailedError, match="CERTIFICATE_VERIFY_FAILED"):
            await client.post(b"{}")
        await client.close()

    async def trusted(url: str) -> None:
        client = HttpClient(url, {})
        assert (await client.post(b"secure")).body == b"secure"
        await client.close()

    asyncio.run(_with_peer(peer, untrusted, tls=server_tls, host="localhost"))
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    asyncio.run(_with_peer(peer, trusted, tls=server_tls, host="localhost"))
    assert [request.body for request in peer.requests] == [b"secure"]


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://example.com/v1", "scheme must be http or https"),
        ("http:///v1", "has no host"),
    ],
)
def test_a_url_that_cannot_be_called_is_refused(url: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        Endpoint.parse(url)


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("x-ok", "line\r\nx-injected: 1", "control character"),
        ("bad name", "v", "not an HTTP token"),
        ("Content-Length", "5", "set by the gateway"),
        ("x-ok", "snowman \u2603", "not Latin-1"),
    ],
)
def test_a_header_that_cannot_be_sent_is_refused_without_its_value(
    name: str, value: str, problem: str
) -> None:
    with pytest.raises(ValueError, match=problem) as refused:
        HttpClient("http://127.0.0.1:1/v1", {name: value})
    assert value not in str(refused.value)
