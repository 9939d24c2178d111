"""Streamed chat completions: fall back until the first bytes go out, then relay to the end.

The response starts only once a provider has produced its first client-facing event, so every
failure before that point can still move along the chain. A failure after it (a dropped
connection, a stream error, an idle timeout) ends the stream with an OpenAI-style error event,
counts against the model's breaker, and is accounted as `dropped`. The cost header of a stream
is the decision's estimate (`x-tierroute-cost-estimated: true`): the actual cost is known only
at the end, and lands in metrics, the budget and the log line.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from tierroute_gateway.server import upstream
from tierroute_gateway.server.accounting import (
    attempts_error,
    book,
    routing_headers,
    settle,
)
from tierroute_gateway.server.asgi import Receive, Send
from tierroute_gateway.server.context import ChatContext
from tierroute_gateway.server.errors import SERVER, render_error
from tierroute_gateway.server.fallback import ChainFailedError, ChainResult
from tierroute_gateway.server.providers.exchange import UpstreamError
from tierroute_gateway.server.providers.sse import encode_data

_SSE_HEADERS = [
    (b"content-type", b"text/event-stream"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
    (b"x-tierroute-cost-estimated", b"true"),
]


async def relay_stream(context: ChatContext, receive: Receive, send: Send) -> None:
    """Open the stream along the chain, then relay it to the client."""
    state, chat, raw = context.state, context.chat, context.raw
    upstreams = context.gateway.upstreams
    record = context.record

    async def call(model_name: str, timeout: float) -> upstream.OpenStream:
        model = state.models[model_name]
        client = upstreams.client(model.provider)
        return await upstream.open_stream(client, model, chat, raw, timeout)

    opened_at = time.perf_counter()
    try:
        result = await context.gateway.executor.run(
            record.routed.chain, call, context.deadline, keep_slot=True
        )
    except ChainFailedError as failure:
        record.upstream_seconds = time.perf_counter() - opened_at
        outcome = "timeout" if failure.timed_out else "error"
        book(context.gateway, record, settle(state, record, outcome, attempts=failure.attempts))
        raise attempts_error(failure) from None
    record.upstream_seconds = time.perf_counter() - opened_at
    record.first_token_seconds = result.attempts[-1].seconds
    try:
        await _relay(context, result, receive, send)
    finally:
        result.value.close()
        result.release()


async def _relay(
    context: ChatContext, result: ChainResult[upstream.OpenStream], receive: Receive, send: Send
) -> None:
    stream, record, gateway = result.value, context.record, context.gateway
    model = context.state.models[result.model]
    record.model, record.tier, record.attempts = model.name, model.tier.value, result.attempts
    estimate = f"{record.routed.decision.estimated_cost_usd:.8f}"
    headers = [*_SSE_HEADERS, *routing_headers(record, estimate)]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    gone = asyncio.get_running_loop().create_task(_wait_disconnect(receive))
    outcome = "ok"
    relay_started = time.perf_counter()
    try:
        for chunk in stream.first:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        async for chunk in stream.chunks(_idle_timeout(context, result.model)):
            if gone.done():
                outcome = "client_gone"
                break
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    except UpstreamError as failure:
        outcome = "dropped"
        gateway.executor.breaker(result.model).record_failure(time.monotonic())
        gateway.metrics.upstream_errors.labels(result.model, failure.error_class).inc()
        error = render_error(
            f"the provider stream of {result.model} failed after it started: {failure.detail}",
            SERVER,
            "stream_interrupted",
        )
        await send({"type": "http.response.body", "body": encode_data(error), "more_body": True})
    finally:
        gone.cancel()
        record.upstream_seconds += time.perf_counter() - relay_started
    await send({"type": "http.response.body", "body": b"", "more_body": False})
    settled = settle(
        context.state,
        record,
        outcome,
        attempts=result.attempts,
        model=result.model,
        usage=stream.relay.usage,
    )
    book(gateway, record, settled)


def _idle_timeout(context: ChatContext, model: str) -> float:
    for step in context.record.routed.chain:
        if step.model == model:
            return step.timeout_ms / 1000
    return 60.0


async def _wait_disconnect(receive: Receive) -> None:
    with contextlib.suppress(Exception):
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
