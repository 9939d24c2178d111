"""Bad input, each answered 4xx with an OpenAI error body, and the gateway unharmed after."""

from __future__ import annotations

import asyncio
import resource
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
import pytest

from tests.helpers.gateway import GatewayProcess, model, routing_table, running_gateway
from tests.helpers.sim import running_sim

VALID: dict[str, Any] = {"model": "auto", "messages": [{"role": "user", "content": "Hi"}]}
MAX_BODY = 1024 * 1024


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    directory = tmp_path_factory.mktemp("bad-input")
    with running_sim({"models": [{"name": "economy-a"}]}, directory) as sim:
        table = routing_table(sim.url, [model("economy-a", "economy")])
        options = ("--max-body-bytes", str(MAX_BODY))
        with running_gateway(table, directory, *options) as running:
            yield running


@pytest.fixture(autouse=True)
def _gateway_unharmed(gateway: GatewayProcess) -> Iterator[None]:
    yield
    response = httpx.post(f"{gateway.url}/v1/chat/completions", json=VALID, timeout=30)
    assert response.status_code == 200, response.text
    assert gateway.process.process.poll() is None


def post(gateway: GatewayProcess, content: bytes, **headers: str) -> httpx.Response:
    return httpx.post(
        f"{gateway.url}/v1/chat/completions",
        content=content,
        headers={"content-type": "application/json", **headers},
        timeout=60,
    )


def error_of(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert set(error) == {"message", "type", "code", "param"}
    assert error["message"]
    return error


def body(**fields: Any) -> bytes:
    return orjson.dumps({**VALID, **fields})


def parts(*content: dict[str, Any]) -> bytes:
    return orjson.dumps({"model": "auto", "messages": [{"role": "user", "content": list(content)}]})


@pytest.mark.parametrize(
    ("content", "param"),
    [
        pytest.param(b'{"model": "auto", "messages": [', None, id="invalid-json"),
        pytest.param(
            b'{"model": "auto", "messages": [{"role": "user", "content": "\xff\xfe"}]}',
            None,
            id="invalid-utf8",
        ),
        pytest.param(b'"just a string"', None, id="not-an-object"),
        pytest.param(body(messages="hello"), "messages", id="wrong-type-messages"),
        pytest.param(body(model=42), "model", id="wrong-type-model"),
        pytest.param(body(stream="yes"), "stream", id="wrong-type-stream"),
        pytest.param(orjson.dumps({"model": "auto"}), "messages", id="missing-messages"),
        pytest.param(body(messages=[]), "messages", id="empty-messages"),
        pytest.param(body(n=1000), "n", id="n-1000"),
        pytest.param(body(max_tokens=-5), "max_tokens", id="negative-max-tokens"),
        pytest.param(
            parts({"type": "hologram", "hologram": "x"}),
            "messages[0].content[0].type",
            id="unknown-part-type",
        ),
        pytest.param(
            parts({"type": "image_url", "image_url": {"url": "data:image/png;base64,%%%"}}),
            "messages[0].content[0].image_url.url",
            id="data-url-not-base64",
        ),
    ],
)
def test_malformed_requests_are_400(
    gateway: GatewayProcess, content: bytes, param: str | None
) -> None:
    error = error_of(post(gateway, content), 400)
    assert error["type"] == "invalid_request_error"
    if param is not None:
        assert error["param"] == param


def test_unknown_model_is_404(gateway: GatewayProcess) -> None:
    error = error_of(post(gateway, body(model="gpt-17-ultra")), 404)
    assert error["code"] == "model_not_found"


def test_unknown_endpoint_is_404(gateway: GatewayProcess) -> None:
    error_of(httpx.get(f"{gateway.url}/v1/nothing-here"), 404)


def test_body_over_the_limit_is_413(gateway: GatewayProcess) -> None:
    huge = (
        b'{"model": "auto", "messages": [{"role": "user", "content": "'
        + b"a" * (50 * 1024 * 1024)
        + b'"}]}'
    )
    error = error_of(post(gateway, huge), 413)
    assert error["code"] == "request_too_large"


def test_chunked_body_over_the_limit_is_413(gateway: GatewayProcess) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"model": "auto", "messages": [{"role": "user", "content": "'
        for _ in range(4):
            yield b"a" * MAX_BODY
        yield b'"}]}'

    response = httpx.post(
        f"{gateway.url}/v1/chat/completions",
        content=chunks(),
        headers={"content-type": "application/json"},
        timeout=60,
    )
    error_of(response, 413)


def test_invalid_hint_header_is_400(gateway: GatewayProcess) -> None:
    error = error_of(post(gateway, body(), **{"x-tierroute-min-quality": "1.7"}), 400)
    assert error["param"] == "x-tierroute-min-quality"


def raw_exchange(gateway: GatewayProcess, request: bytes) -> bytes:
    address = urlsplit(gateway.url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    return received


@pytest.mark.parametrize("separator", [b"\r", b"\n", b"\x00"])
def test_header_value_with_control_characters_is_400_json(
    gateway: GatewayProcess, separator: bytes
) -> None:
    payload = body()
    request = (
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\n"
        b"Content-Type: application/json\r\n"
        b"X-Tierroute-Category: default" + separator + b"Set-Cookie: injected=1\r\n"
        b"Content-Length: " + str(len(payload)).encode() + b"\r\n\r\n" + payload
    )
    answer = raw_exchange(gateway, request)
    head, _, content = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 4")
    assert b"injected" not in head
    assert b"set-cookie" not in head.lower()
    assert "error" in orjson.loads(content)


def test_ten_thousand_slow_clients_do_not_stop_service(gateway: GatewayProcess) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 12_000 <= hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    address = urlsplit(gateway.url)
    host, port = str(address.hostname), int(address.port or 0)

    async def scenario() -> int:
        writers: list[asyncio.StreamWriter] = []
        try:
            for _ in range(20):
                opened = await asyncio.gather(
                    *(asyncio.open_connection(host, port) for _ in range(500))
                )
                for _, writer in opened:
                    writer.write(b"POST /v1/chat/completions HTTP/1.1\r\nHost: slow\r\nContent-")
                    writers.append(writer)
            async with httpx.AsyncClient(timeout=30) as client:
                response = await client.post(f"{gateway.url}/v1/chat/completions", json=VALID)
            return response.status_code
        finally:
            for writer in writers:
                writer.close()

    assert asyncio.run(scenario()) == 200
