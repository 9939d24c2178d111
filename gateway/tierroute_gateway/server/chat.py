"""`POST /v1/chat/completions`: decide, call along the chain, check, account, answer.

Non-streamed answers pass the quality gate (one escalation to a higher tier when the policy
asks). Streamed answers fall back only until their first bytes reach the client; after that a
provider failure ends the stream with an error event.
"""

from __future__ import annotations

import time

from tierroute_gateway.server import upstream
from tierroute_gateway.server.accounting import (
    Accounting,
    answer_chars,
    attempts_error,
    book,
    routing_headers,
    settle,
)
from tierroute_gateway.server.asgi import Incoming, Send, send_response
from tierroute_gateway.server.chat_request import parse_chat_request
from tierroute_gateway.server.context import ChatContext
from tierroute_gateway.server.endpoints import require_state
from tierroute_gateway.server.fallback import ChainFailedError, ChainResult
from tierroute_gateway.server.gateway import Gateway
from tierroute_gateway.server.headers import read_hints, request_id
from tierroute_gateway.server.quality_gate import unusable_reason
from tierroute_gateway.server.routing import Routed, escalate, route_request
from tierroute_gateway.server.streaming import relay_stream


async def handle_chat(gateway: Gateway, request: Incoming, send: Send) -> None:
    """Serve one chat completion."""
    started = time.perf_counter()
    state = require_state(gateway)
    body, headers = request.body, request.headers
    chat = parse_chat_request(body)
    rid = request_id(headers)
    hints = read_hints(headers)
    routed = route_request(gateway, state, chat, hints, request_id=rid, now=time.time())
    deadline = time.monotonic() + gateway.settings.request_deadline_ms / 1000
    context = ChatContext(gateway, state, chat, body, Accounting(rid, routed, started), deadline)
    if chat.stream:
        await relay_stream(context, request.receive, send)
        return
    record = context.record
    try:
        result = await _complete(context)
    except ChainFailedError as failure:
        outcome = "timeout" if failure.timed_out else "error"
        book(gateway, record, settle(state, record, outcome, attempts=failure.attempts))
        raise attempts_error(failure) from None
    completion = result.value
    settled = settle(
        state,
        record,
        "ok",
        attempts=result.attempts,
        model=result.model,
        usage=completion.usage,
        output_chars=answer_chars(completion.answer),
    )
    try:
        headers_out = routing_headers(record, f"{settled.cost:.8f}")
        await send_response(send, 200, completion.body, headers_out)
    finally:
        book(gateway, record, settled)  # after the answer is on its way: it changes nothing in it


async def _complete(context: ChatContext) -> ChainResult[upstream.Completion]:
    """Call the chain; escalate once when the quality gate finds the answer unusable."""
    result = await _call_chain(context, context.record.routed)
    gate = context.state.table.quality_gate
    if not gate.enabled:
        return result
    chat = context.chat
    trigger = unusable_reason(
        result.value.answer,
        gate.escalate_on,
        requested_max_tokens=chat.max_tokens,
        wants_json=chat.wants_json,
    )
    if trigger is None:
        return result
    answered_tier = context.state.models[result.model].tier
    higher = escalate(
        context.gateway, context.state, context.record.routed, answered_tier, time.time()
    )
    if higher is None or not higher.chain:
        return result
    context.gateway.metrics.escalations.labels(trigger.value).inc()
    try:
        better = await _call_chain(context, higher)
    except ChainFailedError:
        return result
    context.record.escalated = trigger.value
    context.record.routed = higher
    better.attempts = result.attempts + better.attempts
    return better


async def _call_chain(context: ChatContext, routed: Routed) -> ChainResult[upstream.Completion]:
    state, chat, raw = context.state, context.chat, context.raw
    upstreams = context.gateway.upstreams

    async def call(model_name: str, timeout: float) -> upstream.Completion:
        model = state.models[model_name]
        return await upstream.complete(upstreams.client(model.provider), model, chat, raw, timeout)

    upstream_started = time.perf_counter()
    try:
        return await context.gateway.executor.run(routed.chain, call, context.deadline)
    finally:
        context.record.upstream_seconds += time.perf_counter() - upstream_started
