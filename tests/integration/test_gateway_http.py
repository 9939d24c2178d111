"""The gateway's HTTP/1.1 server, spoken to byte by byte over real sockets.

Pipelining, `Expect: 100-continue`, the request and keep-alive timeouts, the head limit, HEAD,
HTTP/1.0 and chunked streaming: what an SDK never does on purpose but proxies and old clients
do. Every refusal is an OpenAI error body and is counted.
"""

from __future__ import annotations

import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
import pytest

from tests.helpers.gateway import GatewayProcess, model, routing_table, running_gateway
from tests.helpers.sim import running_sim

CHAT = orjson.dumps({"model": "auto", "messages": [{"role": "user", "content": "Say hello."}]})
MAX_BODY = 64 * 1024


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    directory = tmp_path_factory.mktemp("http")
    with running_sim({"models": [{"name": "economy-a"}]}, directory) as sim:
        table = routing_table(sim.url, [model("economy-a", "economy")])
        options = (
            "--max-body-bytes", str(MAX_BODY), "--body-timeout-s", "1", "--keep-alive-s", "1",
        )  # fmt: skip
        with running_gateway(table, directory, *options) as running:
            yield running


def connect(gateway: GatewayProcess) -> socket.socket:
    address = urlsplit(gateway.url)
    return socket.create_connection((str(address.hostname), int(address.port or 0)), timeout=10)


def post_head(length: int, *extra: bytes) -> bytes:
    lines = [
        b"POST /v1/chat/completions HTTP/1.1",
        b"Host: gateway",
        b"Content-Type: application/json",
        b"Content-Length: %d" % length,
        *extra,
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n"


class Reader:
    """Reads HTTP responses off a socket, one at a time."""

    def __init__(self, connection: socket.socket) -> None:
        self.connection = connection
        self.buffer = b""

    def _fill(self) -> bool:
        chunk = self.connection.recv(65536)
        self.buffer += chunk
        return bool(chunk)

    def response(self) -> tuple[int, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.buffer:
            assert self._fill(), f"connection closed mid-head: {self.buffer!r}"
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status_line, *lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split()[1])
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if status < 200:
            return status, headers, b""
        if headers.get("transfer-encoding") == "chunked":
            return status, headers, self._chunked()
        length = int(headers.get("content-length", "0"))
        while len(self.buffer) < length:
            assert self._fill(), "connection closed mid-body"
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, headers, body

    def _chunked(self) -> bytes:
        body = b""
        while True:
            while b"\r\n" not in self.buffer:
                assert self._fill()
            size_line, self.buffer = self.buffer.split(b"\r\n", 1)
            size = int(size_line, 16)
            while len(self.buffer) < size + 2:
                assert self._fill()
            body += self.buffer[:size]
            self.buffer = self.buffer[size + 2 :]
            if size == 0:
                return body

    def closed(self) -> bool:
        """True when the server closes the connection (waits for it, up to the timeout)."""
        try:
            return not self._fill()
        except ConnectionResetError:
            return True


def refusals(gateway: GatewayProcess, status: int) -> float:
    text = httpx.get(f"{gateway.url}/metrics").text
    total = 0.0
    for line in text.splitlines():
        if line.startswith("tierroute_gateway_responses_total{") and f'status="{status}"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_pipelined_requests_are_answered_in_order(gateway: GatewayProcess) -> None:
    with connect(gateway) as connection:
        connection.sendall(
            post_head(len(CHAT), b"X-Request-Id: first")
            + CHAT
            + b"GET /healthz HTTP/1.1\r\nHost: gateway\r\n\r\n"
            + post_head(len(CHAT), b"X-Request-Id: third")
            + CHAT
        )
        reader = Reader(connection)
        first, second, third = reader.response(), reader.response(), reader.response()
    assert (first[0], first[1]["x-tierroute-request-id"]) == (200, "first")
    assert orjson.loads(first[2])["object"] == "chat.completion"
    assert second[0] == 200
    assert "x-tierroute-request-id" not in second[1]
    assert (third[0], third[1]["x-tierroute-request-id"]) == (200, "third")


def test_a_client_expecting_100_continue_is_invited_then_answered(
    gateway: GatewayProcess,
) -> None:
    with connect(gateway) as connection:
        connection.sendall(post_head(len(CHAT), b"Expect: 100-continue"))
        reader = Reader(connection)
        assert reader.response()[0] == 100
        connection.sendall(CHAT)
        status, headers, _ = reader.response()
    assert status == 200
    assert headers["x-tierroute-model"] == "economy-a"


def test_a_pipelined_request_expecting_100_continue_is_invited_when_its_turn_comes(
    gateway: GatewayProcess,
) -> None:
    with connect(gateway) as connection:
        connection.sendall(
            post_head(len(CHAT), b"X-Request-Id: ahead")
            + CHAT
            + post_head(len(CHAT), b"X-Request-Id: behind", b"Expect: 100-continue")
        )
        reader = Reader(connection)
        first = reader.response()
        # Without the invitation the body never comes: the server's 1 s body timeout answers.
        assert reader.response()[0] == 100
        connection.sendall(CHAT)
        second = reader.response()
    assert (first[0], first[1]["x-tierroute-request-id"]) == (200, "ahead")
    assert (second[0], second[1]["x-tierroute-request-id"]) == (200, "behind")


def test_an_oversized_body_announced_with_100_continue_is_refused_unread(
    gateway: GatewayProcess,
) -> None:
    before = refusals(gateway, 413)
    with connect(gateway) as connection:
        connection.sendall(post_head(MAX_BODY + 1, b"Expect: 100-continue"))
        reader = Reader(connection)
        status, headers, body = reader.response()
        assert reader.closed()
    assert status == 413
    assert headers["connection"] == "close"
    assert orjson.loads(body)["error"]["code"] == "request_too_large"
    assert refusals(gateway, 413) == before + 1


@pytest.mark.parametrize(
    ("sent", "code"),
    [
        (post_head(len(CHAT)) + CHAT[:10], "body_timeout"),
        (b"POST /v1/chat/completions HTTP/1.1\r\nHost: slow\r\nContent-", "request_timeout"),
    ],
    ids=["stalled-body", "stalled-head"],
)
def test_a_request_that_stalls_is_answered_408_and_closed(
    gateway: GatewayProcess, sent: bytes, code: str
) -> None:
    before = refusals(gateway, 408)
    with connect(gateway) as connection:
        connection.sendall(sent)
        started = time.monotonic()
        reader = Reader(connection)
        status, _, body = reader.response()
        waited = time.monotonic() - started
        assert reader.closed()
    assert status == 408
    error = orjson.loads(body)["error"]
    assert (error["code"], error["type"]) == (code, "timeout_error")
    assert waited >= 1.0  # --body-timeout-s 1
    assert refusals(gateway, 408) == before + 1


def test_an_idle_keep_alive_connection_is_closed(gateway: GatewayProcess) -> None:
    with connect(gateway) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: gateway\r\n\r\n")
        reader = Reader(connection)
        assert reader.response()[0] == 200
        started = time.monotonic()
        assert reader.closed()
        assert time.monotonic() - started >= 1.0  # --keep-alive-s 1


def test_a_head_over_64_kib_is_431(gateway: GatewayProcess) -> None:
    with connect(gateway) as connection:
        filler = b"X-Filler: " + b"f" * 70_000
        connection.sendall(post_head(len(CHAT), filler) + CHAT)
        reader = Reader(connection)
        status, _, body = reader.response()
        assert reader.closed()
    assert status == 431
    assert orjson.loads(body)["error"]["type"] == "invalid_request_error"


def test_head_gets_the_headers_of_get_without_the_body(gateway: GatewayProcess) -> None:
    with connect(gateway) as connection:
        connection.sendall(
            b"HEAD /v1/models HTTP/1.1\r\nHost: gateway\r\n\r\n"
            b"GET /healthz HTTP/1.1\r\nHost: gateway\r\n\r\n"
        )
        reader = Reader(connection)
        connection.settimeout(5)
        while b"\r\n\r\n" not in reader.buffer:
            assert reader._fill()
        head, rest = reader.buffer.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 200")
        declared = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        assert declared > 0
        # What follows the HEAD response is the next response, not a body.
        reader.buffer = rest
        assert reader.response()[0] == 200


def test_an_http_10_client_is_answered_and_disconnected(gateway: GatewayProcess) -> None:
    with connect(gateway) as connection:
        request = post_head(len(CHAT)).replace(b"HTTP/1.1", b"HTTP/1.0", 1) + CHAT
        connection.sendall(request)
        reader = Reader(connection)
        status, headers, _ = reader.response()
        assert reader.closed()
    assert status == 200
    assert headers["connection"] == "close"


def test_a_streamed_answer_is_chunked_and_the_connection_kept(gateway: GatewayProcess) -> None:
    streamed = orjson.dumps({**orjson.loads(CHAT), "stream": True})
    with connect(gateway) as connection:
        connection.sendall(post_head(len(streamed)) + streamed)
        reader = Reader(connection)
        status, headers, body = reader.response()
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: gateway\r\n\r\n")
        after = reader.response()
    assert status == 200
    assert headers["transfer-encoding"] == "chunked"
    assert headers["content-type"] == "text/event-stream"
    events = [line for line in body.split(b"\n\n") if line]
    assert events[-1] == b"data: [DONE]"
    assert len(events) > 2
    assert after[0] == 200


def test_the_gateway_still_serves_after_the_above(gateway: GatewayProcess, tmp_path: Path) -> None:
    response = httpx.post(
        f"{gateway.url}/v1/chat/completions",
        content=CHAT,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 200
    assert gateway.process.process.poll() is None


def test_sigterm_lets_the_request_in_flight_finish_then_exits(tmp_path: Path) -> None:
    profile = {"models": [{"name": "economy-a", "latency": "1500ms"}]}
    with running_sim(profile, tmp_path) as sim:
        table = routing_table(sim.url, [model("economy-a", "economy")])
        with running_gateway(table, tmp_path) as gateway:
            with connect(gateway) as busy, connect(gateway) as idle:
                idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: gateway\r\n\r\n")
                idle_reader = Reader(idle)
                assert idle_reader.response()[0] == 200
                busy.sendall(post_head(len(CHAT)) + CHAT)
                time.sleep(0.5)  # the request is now waiting for the simulator's answer
                gateway.process.process.send_signal(signal.SIGTERM)
                assert idle_reader.closed()  # an idle connection is closed at once
                reader = Reader(busy)
                status, headers, body = reader.response()
                assert reader.closed()  # and the busy one right after its answer
            assert gateway.process.process.wait(timeout=15) == 0  # stopped as asked
            logged = _log_lines_when_drained(gateway)
    assert status == 200
    assert headers["connection"] == "close"
    assert orjson.loads(body)["object"] == "chat.completion"
    # The answer written during shutdown is in the request log: nothing buffered is lost.
    request_id = headers["x-tierroute-request-id"]
    assert [line["outcome"] for line in logged if line.get("request_id") == request_id] == ["ok"]


def test_sigint_stops_the_gateway_gracefully_with_status_130(tmp_path: Path) -> None:
    with running_sim({"models": [{"name": "economy-a"}]}, tmp_path) as sim:
        table = routing_table(sim.url, [model("economy-a", "economy")])
        with running_gateway(table, tmp_path) as gateway:
            response = httpx.post(
                f"{gateway.url}/v1/chat/completions",
                content=CHAT,
                headers={"content-type": "application/json"},
            )
            gateway.process.process.send_signal(signal.SIGINT)
            assert gateway.process.process.wait(timeout=15) == 130
            logged = _log_lines_when_drained(gateway)
    assert response.status_code == 200
    request_id = response.headers["x-tierroute-request-id"]
    assert [line.get("request_id") for line in logged].count(request_id) == 1


def _log_lines_when_drained(gateway: GatewayProcess) -> list[dict[str, Any]]:
    """The request log lines of an exited gateway, once its output has been read to the end."""
    gateway.process.drained.wait(timeout=10)
    return [
        orjson.loads(line)
        for line in gateway.process.output().splitlines()
        if line.startswith('{"time"')
    ]


def test_a_client_leaving_a_stream_ends_it_as_client_gone(tmp_path: Path) -> None:
    profile = {"models": [{"name": "economy-a", "tokens_per_second": 20, "answer_tokens": 400}]}
    streamed = orjson.dumps({**orjson.loads(CHAT), "stream": True, "max_tokens": 400})
    with running_sim(profile, tmp_path) as sim:
        table = routing_table(sim.url, [model("economy-a", "economy")])
        with running_gateway(table, tmp_path) as gateway:
            with connect(gateway) as connection:
                connection.sendall(post_head(len(streamed), b"X-Request-Id: leaver") + streamed)
                first = connection.recv(65536)
                assert first.startswith(b"HTTP/1.1 200")
            # the stream would last 20 s; the gateway notices the client left within a token
            deadline = time.monotonic() + 10
            logged: dict[str, object] = {}
            while time.monotonic() < deadline and not logged:
                for line in gateway.process.output().splitlines():
                    if line.startswith("{") and '"request_id":"leaver"' in line:
                        logged = orjson.loads(line)
                time.sleep(0.1)
            assert logged.get("outcome") == "client_gone", gateway.process.output()[-2000:]
            assert httpx.get(f"{gateway.url}/healthz").status_code == 200
