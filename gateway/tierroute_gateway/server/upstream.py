"""Calls to providers over HTTP: one keep-alive pool per provider (`http_client.py`).

This is the shell around the adapters in `providers/`: it sends what they build, classifies
what goes wrong (status, timeout, connection) and hands back parsed answers or an open stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from tierroute_gateway.routing_table import Model, Provider, RoutingTable, WireApi
from tierroute_gateway.server.backoff import parse_retry_after
from tierroute_gateway.server.chat_request import ChatRequest
from tierroute_gateway.server.credentials import read_credential, redact
from tierroute_gateway.server.http_client import ConnectionFailedError, HttpClient, StreamingAnswer
from tierroute_gateway.server.providers import anthropic, openai
from tierroute_gateway.server.providers.exchange import (
    UpstreamError,
    Usage,
    class_of_status,
)
from tierroute_gateway.server.providers.sse import EventSplitter

_ERROR_BODY_LIMIT = 64 * 1024
_CONNECTION_ERRORS = (ConnectionFailedError, OSError)


@dataclass(frozen=True, slots=True)
class Completion:
    """A non-streamed answer in OpenAI form: bytes for the client, parsed for accounting."""

    body: bytes
    answer: dict[str, Any]
    usage: Usage | None


@dataclass(slots=True)
class ProviderClient:
    """Everything needed to call one provider."""

    provider: Provider
    http: HttpClient
    secrets: tuple[str, ...]

    @property
    def api(self) -> WireApi:
        """The wire API spoken."""
        return self.provider.api


@dataclass(slots=True)
class Upstreams:
    """Provider clients of the current table; rebuilt for providers whose settings change."""

    credentials_dir: Path
    pool_size: int = 256
    _clients: dict[str, tuple[tuple[Any, ...], ProviderClient]] = field(default_factory=dict)
    _closing: set[asyncio.Task[None]] = field(default_factory=set)
    _retired: list[ProviderClient] = field(default_factory=list)

    def client(self, provider: str) -> ProviderClient:
        """The client of a provider of the current table."""
        return self._clients[provider][1]

    async def configure(self, table: RoutingTable) -> None:
        """Adopt a table's providers; sessions of removed or changed providers close later."""
        current: dict[str, tuple[tuple[Any, ...], ProviderClient]] = {}
        retired: list[ProviderClient] = []
        for provider in table.providers:
            secret = read_credential(provider.credential, self.credentials_dir)
            identity = (provider, secret)
            kept = self._clients.get(provider.name)
            if kept is not None and kept[0] == identity:
                current[provider.name] = kept
                continue
            if kept is not None:
                retired.append(kept[1])
            try:
                client = self._new_client(provider, secret)
            except ValueError as error:
                raise ValueError(f"provider {provider.name!r}: {error}") from None
            current[provider.name] = (identity, client)
        retired += [entry[1] for name, entry in self._clients.items() if name not in current]
        self._clients = current
        if retired:
            self._retired += retired
            closing = asyncio.get_running_loop().create_task(self._close_later(retired, 60.0))
            self._closing.add(closing)
            closing.add_done_callback(self._closing.discard)

    async def close(self) -> None:
        """Close every session, retired ones included."""
        for task in self._closing:
            task.cancel()
        for client in [*self._retired, *(entry[1] for entry in self._clients.values())]:
            await client.http.close()
        self._clients, self._retired = {}, []

    async def _close_later(self, clients: list[ProviderClient], delay: float) -> None:
        """Close sessions of a replaced table once requests still using them are done."""
        await asyncio.sleep(delay)
        for client in clients:
            self._retired.remove(client)
            await client.http.close()

    def _new_client(self, provider: Provider, secret: str | None) -> ProviderClient:
        headers = {"content-type": "application/json"}
        headers.update((name.lower(), value) for name, value in provider.headers.items())
        if secret and provider.api is WireApi.ANTHROPIC:
            headers["x-api-key"] = secret
        elif secret:
            headers["authorization"] = "Bearer " + secret
        if provider.api is WireApi.ANTHROPIC:
            headers["anthropic-version"] = anthropic.API_VERSION
        path = anthropic.PATH if provider.api is WireApi.ANTHROPIC else openai.PATH
        http = HttpClient(
            provider.base_url.rstrip("/") + path,
            headers,
            limit=self.pool_size,
            connect_timeout=provider.connect_timeout_ms / 1000,
        )
        return ProviderClient(provider, http, (secret,) if secret else ())


def _body(client: ProviderClient, model: Model, chat: ChatRequest, raw: bytes) -> bytes:
    if client.api is WireApi.ANTHROPIC:
        return anthropic.request_body(chat, model.provider_model, model.max_output_tokens)
    return openai.request_body(chat, raw, model.provider_model)


async def complete(
    client: ProviderClient, model: Model, chat: ChatRequest, raw: bytes, timeout: float
) -> Completion:
    """Call the provider for a non-streamed answer within `timeout` seconds (the attempt's)."""
    body = _body(client, model, chat, raw)
    limit = client.provider.timeout_ms / 1000
    try:
        # The caller's timer bounds the attempt; a second one only when the provider's own
        # whole-request limit is the shorter.
        if limit < timeout:
            async with asyncio.timeout(limit):
                answer = await client.http.post(body)
        else:
            answer = await client.http.post(body)
    except TimeoutError:  # first: TimeoutError is an OSError
        raise UpstreamError("timeout", f"no answer within the provider's {limit:g}s") from None
    except _CONNECTION_ERRORS as error:
        raise _connection_error(error) from None
    if answer.status >= 300:
        raise _failure(client, answer.status, answer.headers, answer.body)
    _refuse_encoded(answer.headers)
    return _completion(client, model, answer.body)


def _completion(client: ProviderClient, model: Model, data: bytes) -> Completion:
    try:
        answer = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise UpstreamError("server_error", "provider answered invalid JSON") from None
    if not isinstance(answer, dict):
        raise UpstreamError("server_error", "provider answered a JSON value that is no object")
    if client.api is WireApi.ANTHROPIC:
        # Usage from the message itself: the OpenAI shape has no field for cache writes.
        usage = anthropic.usage_of(answer)
        answer = anthropic.answer_from_message(answer, model.name, int(time.time()))
        return Completion(orjson.dumps(answer), answer, usage)
    return Completion(data, answer, openai.usage_of(answer))


def _failure(
    client: ProviderClient, status: int, headers: dict[str, str], data: bytes
) -> UpstreamError:
    message = _error_message(data[:_ERROR_BODY_LIMIT].decode("utf-8", "replace"))
    return UpstreamError(
        class_of_status(status),
        redact(f"provider answered HTTP {status}: {message}", client.secrets),
        status=status,
        retry_after=parse_retry_after(headers.get("retry-after"), time.time()),
    )


def _refuse_encoded(headers: dict[str, str]) -> None:
    # The request asks for no compression; an encoded answer would be relayed as garbage.
    encoding = headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise UpstreamError(
            "server_error", f"provider answered content-encoding {encoding[:40]!r} unasked"
        )


def _connection_error(error: BaseException) -> UpstreamError:
    if isinstance(error, ConnectionFailedError) and error.malformed:
        return UpstreamError("server_error", _describe(error))
    return UpstreamError("connection", _describe(error))


def _error_message(text: str) -> str:
    with contextlib.suppress(orjson.JSONDecodeError):
        data = orjson.loads(text)
        error = data.get("error") if isinstance(data, dict) else None
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])[:300]
    return text[:300]


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:300]


class OpenStream:
    """A provider stream that has produced its first client-facing bytes."""

    def __init__(
        self,
        client: ProviderClient,
        answer: StreamingAnswer,
        relay: openai.StreamRelay | anthropic.StreamRelay,
    ) -> None:
        self.client = client
        self.answer = answer
        self.relay = relay
        self.first: list[bytes] = []
        self._splitter = EventSplitter()
        self._limit = client.provider.timeout_ms / 1000
        self._deadline = time.monotonic() + self._limit

    async def read_first(self, idle_timeout: float) -> None:
        """Read until the relay has client-facing bytes (the point of no fallback)."""
        while not self.first:
            if self.relay.done:
                raise UpstreamError("server_error", "provider stream ended before any event")
            self.first = await self._next_batch(idle_timeout)

    async def chunks(self, idle_timeout: float) -> AsyncIterator[bytes]:
        """Client-facing SSE bytes until the provider's stream ends."""
        while not self.relay.done:
            for out in await self._next_batch(idle_timeout):
                yield out

    async def _next_batch(self, idle_timeout: float) -> list[bytes]:
        remaining = self._deadline - time.monotonic()
        try:
            async with asyncio.timeout(min(idle_timeout, remaining)):
                data = await self.answer.read_some()
        except TimeoutError:  # first: TimeoutError is an OSError
            if remaining <= idle_timeout:
                detail = f"stream longer than the provider's {self._limit:g}s"
            else:
                detail = f"stream idle for {idle_timeout:.1f}s"
            raise UpstreamError("timeout", detail) from None
        except _CONNECTION_ERRORS as error:
            raise _connection_error(error) from None
        if not data:
            raise UpstreamError("connection", "provider closed the stream before its end")
        return self._translate(data)

    def _translate(self, data: bytes) -> list[bytes]:
        try:
            return [
                out for event in self._splitter.feed(data) for out in self.relay.translate(event)
            ]
        except (ValueError, AttributeError, TypeError) as error:
            raise UpstreamError("server_error", f"malformed provider stream: {error}") from None

    def close(self) -> None:
        """Release the connection (closing it when the stream did not finish)."""
        if self.relay.done:
            self.answer.release()
        else:
            self.answer.close()


async def open_stream(
    client: ProviderClient, model: Model, chat: ChatRequest, raw: bytes, timeout: float
) -> OpenStream:
    """Start a streamed call and read up to its first client-facing bytes."""
    body = _body(client, model, chat, raw)
    answer = None
    try:
        answer = await client.http.post_streaming(body)
        if answer.status >= 300:
            data = await _error_body(answer)
            raise _failure(client, answer.status, answer.headers, data)
        _refuse_encoded(answer.headers)
        relay: openai.StreamRelay | anthropic.StreamRelay
        if client.api is WireApi.ANTHROPIC:
            relay = anthropic.StreamRelay(chat.include_usage, model.name, int(time.time()))
        else:
            relay = openai.StreamRelay(chat.include_usage)
        stream = OpenStream(client, answer, relay)
        await stream.read_first(timeout)
    except _CONNECTION_ERRORS as error:
        if answer is not None:
            answer.close()
        raise _connection_error(error) from None
    except BaseException:
        if answer is not None:
            answer.close()
        raise
    return stream


async def _error_body(answer: StreamingAnswer) -> bytes:
    """Up to the first 64 KiB of an error answer's body: whatever arrives before a failure."""
    chunks: list[bytes] = []
    size = 0
    with contextlib.suppress(*_CONNECTION_ERRORS):
        while size < _ERROR_BODY_LIMIT and (chunk := await answer.read_some()):
            chunks.append(chunk)
            size += len(chunk)
    return b"".join(chunks)
