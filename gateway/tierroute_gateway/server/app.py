"""The gateway's ASGI application: routes each request to its endpoint and maps errors.

Every failure leaves as an OpenAI-style error body with its status; an unexpected exception is
logged and answered 500 only when nothing about the request was at fault.
"""

from __future__ import annotations

import asyncio
import sys
import time
import traceback
from collections.abc import Awaitable, Callable

import orjson

from tierroute_gateway.decision.errors import DecisionError
from tierroute_gateway.server import endpoints
from tierroute_gateway.server.asgi import (
    ClientGoneError,
    Incoming,
    Receive,
    Scope,
    Send,
    header_map,
    read_body,
    send_response,
)
from tierroute_gateway.server.chat import handle_chat
from tierroute_gateway.server.client_keys import check_client_key
from tierroute_gateway.server.errors import (
    INVALID_REQUEST,
    NOT_FOUND,
    SERVER,
    TIMEOUT,
    GatewayError,
    error_body,
    render_error,
)
from tierroute_gateway.server.gateway import Gateway
from tierroute_gateway.server.http_server import BODY_EXTENSION

Handler = Callable[[Gateway, Incoming, Send], Awaitable[None]]

_POST: dict[str, Handler] = {
    "/v1/chat/completions": handle_chat,
    "/v1/route": endpoints.handle_route,
    "/v1/feedback": endpoints.handle_feedback,
}
_GET = {
    "/healthz": endpoints.handle_health,
    "/readyz": endpoints.handle_ready,
    "/metrics": endpoints.handle_metrics,
    "/v1/models": endpoints.handle_models,
}


class GatewayApp:
    """The ASGI callable."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one HTTP request."""
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        method: str = scope["method"]
        status, code = 200, ""
        try:
            await self._dispatch(scope, receive, send, path, method)
        except GatewayError as error:
            status, code = error.status, error.code
            await send_response(send, error.status, error_body(error), error.headers)
        except DecisionError as error:
            status, code = error.status, error.code
            body = render_error(error.message, error.error_type, error.code, error.param)
            await send_response(send, error.status, body)
        except ClientGoneError:
            status, code = 499, "client_gone"
        except Exception:
            status, code = 500, "internal_error"
            traceback.print_exc(file=sys.stderr)
            body = render_error("internal error in the gateway", SERVER, "internal_error")
            await send_response(send, 500, body)
        if status >= 400:
            self.count_refusal(path, status, code)

    def count_refusal(self, path: str, status: int, code: str) -> None:
        """Count a refused request and, for the API endpoints, log it as a request."""
        endpoint = path if path in _POST or path in _GET else "unknown"
        self.gateway.metrics.responses.labels(endpoint, str(status)).inc()
        if endpoint.startswith("/v1/"):
            record = {"time": round(time.time(), 3), "endpoint": endpoint, "status": status}
            self.gateway.log.write({**record, "code": code, "outcome": "refused"})

    async def _dispatch(
        self, scope: Scope, receive: Receive, send: Send, path: str, method: str
    ) -> None:
        gateway = self.gateway
        headers = header_map(scope)
        post = _POST.get(path)
        if post is not None and method == "POST":
            check_client_key(headers.get(b"authorization"), gateway.client_keys)
            body = scope.get("extensions", {}).get(BODY_EXTENSION)
            try:
                if body is None:  # a server that streams bodies: bound the time and the size
                    async with asyncio.timeout(gateway.settings.body_timeout_s):
                        body = await read_body(receive, headers, gateway.settings.max_body_bytes)
            except TimeoutError:
                raise GatewayError(
                    408,
                    f"the request body did not arrive within {gateway.settings.body_timeout_s:g}s",
                    error_type=TIMEOUT,
                    code="body_timeout",
                    headers=[(b"connection", b"close")],
                ) from None
            await post(gateway, Incoming(scope, receive, headers, body), send)
            return
        get = _GET.get(path)
        if get is not None and method in ("GET", "HEAD"):
            if path.startswith("/v1/"):
                check_client_key(headers.get(b"authorization"), gateway.client_keys)
            await get(gateway, send)
            return
        if post is not None or get is not None:
            raise GatewayError(
                405,
                f"{method} is not allowed on {path}",
                error_type=INVALID_REQUEST,
                code="method_not_allowed",
            )
        raise GatewayError(
            404,
            f"no endpoint at {orjson.dumps(path).decode()}",
            error_type=NOT_FOUND,
            code="unknown_endpoint",
        )
