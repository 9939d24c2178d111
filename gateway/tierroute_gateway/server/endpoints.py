"""The small endpoints: health, readiness, metrics, the model list, decisions and feedback."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson

from tierroute_gateway.server.asgi import Incoming, Send, send_response
from tierroute_gateway.server.chat_request import parse_chat_request, parse_json_object
from tierroute_gateway.server.errors import NOT_FOUND, SERVER, GatewayError, bad_request
from tierroute_gateway.server.gateway import Gateway, TableState
from tierroute_gateway.server.headers import header_value, read_hints, request_id
from tierroute_gateway.server.routing import decision_document, route_request

_METRICS_TYPE = b"text/plain; version=0.0.4; charset=utf-8"


async def handle_health(gateway: Gateway, send: Send) -> None:
    """The process is alive."""
    await send_response(send, 200, b'{"status":"ok"}')


async def handle_ready(gateway: Gateway, send: Send) -> None:
    """Ready only with a valid routing table loaded."""
    state = gateway.state
    if state is None:
        body = orjson.dumps({"status": "not ready", "reason": gateway.refusal})
        await send_response(send, 503, body)
        return
    body = orjson.dumps({"status": "ready", "hash": state.content_hash})
    await send_response(send, 200, body)


async def handle_metrics(gateway: Gateway, send: Send) -> None:
    """The Prometheus exposition, rendered in a worker thread.

    Rendering takes tens of milliseconds once there are a few thousand series (57 ms for 40
    models on the benchmark machine, perf/RESULTS.md); on the event loop that would stall
    every request in flight at each scrape.
    """
    gateway.publish_budget()
    body = await asyncio.to_thread(gateway.metrics.exposition)
    await send_response(send, 200, body, content_type=_METRICS_TYPE)


async def handle_models(gateway: Gateway, send: Send) -> None:
    """Routes and catalog models, in the OpenAI list shape."""
    await send_response(send, 200, require_state(gateway).models_listing)


async def handle_route(gateway: Gateway, request: Incoming, send: Send) -> None:
    """The decision for a chat request, without calling any provider."""
    state = require_state(gateway)
    chat = parse_chat_request(request.body)
    rid = request_id(request.headers)
    hints = read_hints(request.headers)
    routed = route_request(gateway, state, chat, hints, request_id=rid, now=time.time())
    document = decision_document(routed, gateway.executor.unavailable())
    await send_response(
        send, 200, orjson.dumps(document), [(b"x-tierroute-request-id", header_value(rid))]
    )


async def handle_feedback(gateway: Gateway, request: Incoming, send: Send) -> None:
    """Record a quality score in [0, 1] for the model that answered a request."""
    document = parse_json_object(request.body)
    rid = document.get("request_id")
    score = document.get("score")
    if not isinstance(rid, str) or not rid:
        raise bad_request("request_id: must be a non-empty string", param="request_id")
    if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 1:
        raise bad_request(f"score: must be a number in [0, 1], got {score!r}", param="score")
    model = gateway.recent.model_of(rid)
    if model is None:
        raise GatewayError(
            404,
            f"request_id: {rid[:80]!r} is not a recent request of this gateway replica",
            error_type=NOT_FOUND,
            code="unknown_request_id",
            param="request_id",
        )
    gateway.metrics.quality.labels(model).observe(float(score))
    answer: dict[str, Any] = {"status": "recorded", "request_id": rid, "model": model}
    await send_response(send, 200, orjson.dumps(answer))


def require_state(gateway: Gateway) -> TableState:
    """The table in use, or 503 while none is loaded."""
    state = gateway.state
    if state is None:
        raise GatewayError(503, gateway.refusal, error_type=SERVER, code="no_routing_table")
    return state
