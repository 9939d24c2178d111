"""Send one request to a model and read the reply: timeout, retries on transport errors only,
streaming with time to first token. The HTTP shell of the runner (aiohttp).
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field

import aiohttp

from tierroute_bench.payloads import WireApi
from tierroute_bench.responses import (
    Reply,
    ResponseError,
    StreamAccumulator,
    error_message,
    parse_body,
)
from tierroute_bench.results import Outcome

BACKOFF_BASE_S = 0.1
BACKOFF_CAP_S = 5.0
_TRANSPORT_ERRORS = (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, TimeoutError)


@dataclass(frozen=True)
class Exchange:
    """What came back from one request (after retries)."""

    outcome: Outcome
    reply: Reply | None
    error: str | None
    http_status: int | None
    latency_ms: float | None
    ttft_ms: float | None
    attempts: int
    served_by: str | None = None


@dataclass(frozen=True)
class Request:
    """One request to send."""

    url: str
    body: bytes
    headers: dict[str, str] = field(repr=False)
    api: WireApi


@dataclass(frozen=True)
class SendOptions:
    """How requests are sent."""

    timeout_s: float
    retries: int
    stream: bool


async def send(
    session: aiohttp.ClientSession, request: Request, options: SendOptions, rng: random.Random
) -> Exchange:
    """POST the request, retrying transport errors (connect, reset, timeout) with backoff."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return await _attempt(session, request, options, attempt)
        except _TRANSPORT_ERRORS as error:
            if attempt > options.retries:
                return _transport_failure(error, options.timeout_s, attempt)
        await asyncio.sleep(_backoff_s(attempt, rng))


def _backoff_s(attempt: int, rng: random.Random) -> float:
    """Exponential backoff with full jitter between half and all of the step."""
    step = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2.0 ** (attempt - 1))
    return step * (0.5 + rng.random() / 2)


def _transport_failure(error: BaseException, timeout_s: float, attempts: int) -> Exchange:
    if isinstance(error, TimeoutError):
        return Exchange(
            Outcome.TIMEOUT,
            None,
            f"no complete answer within {timeout_s:g}s ({attempts} attempts)",
            None,
            None,
            None,
            attempts,
        )
    return Exchange(
        Outcome.TRANSPORT_ERROR,
        None,
        f"{type(error).__name__}: {error} ({attempts} attempts)",
        None,
        None,
        None,
        attempts,
    )


async def _attempt(
    session: aiohttp.ClientSession, request: Request, options: SendOptions, attempt: int
) -> Exchange:
    started = time.perf_counter()
    timeout = aiohttp.ClientTimeout(total=options.timeout_s)
    async with session.post(
        request.url, data=request.body, headers=request.headers, timeout=timeout
    ) as response:
        served_by = response.headers.get("x-tierroute-model")
        if response.status != 200:
            message = error_message(await response.read())
            return Exchange(
                Outcome.HTTP_ERROR,
                None,
                f"HTTP {response.status}: {message}",
                response.status,
                _ms_since(started),
                None,
                attempt,
                served_by,
            )
        reply, ttft_ms = await _read_reply(response, request.api, options.stream, started)
    if isinstance(reply, str):
        return Exchange(
            Outcome.BAD_RESPONSE, None, reply, 200, _ms_since(started), ttft_ms, attempt, served_by
        )
    return Exchange(Outcome.OK, reply, None, 200, _ms_since(started), ttft_ms, attempt, served_by)


async def _read_reply(
    response: aiohttp.ClientResponse, api: WireApi, stream: bool, started: float
) -> tuple[Reply | str, float | None]:
    """The reply (or what is wrong with it) and the time to first token of a stream."""
    is_stream = response.content_type == "text/event-stream"
    try:
        if not (stream and is_stream):
            return parse_body(api, await response.read()), None
        accumulator = StreamAccumulator(api)
        ttft_ms: float | None = None
        pending = b""
        # Whole chunks as they arrive, split here: far cheaper than one read per SSE line.
        async for chunk in response.content.iter_any():
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                if accumulator.feed(line) and ttft_ms is None:
                    ttft_ms = _ms_since(started)
        if pending and accumulator.feed(pending) and ttft_ms is None:
            ttft_ms = _ms_since(started)
        return accumulator.reply(), ttft_ms
    except ResponseError as error:
        return str(error), None


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000.0, 3)


def json_headers(extra: dict[str, str]) -> dict[str, str]:
    """Request headers: JSON content plus `extra`."""
    return {"content-type": "application/json", **extra}
