"""Errors the gateway answers with, and their OpenAI-style bodies.

Every refusal leaves the gateway as `{"error": {"message", "type", "code", "param"}}` with the
status OpenAI clients expect, so SDKs raise their usual exception classes. Messages are built
from our own text and request field paths, never from credentials.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson

INVALID_REQUEST = "invalid_request_error"
AUTHENTICATION = "authentication_error"
NOT_FOUND = "not_found_error"
RATE_LIMIT = "rate_limit_error"
SERVER = "server_error"
TIMEOUT = "timeout_error"

_MAX_MESSAGE_CHARS = 2000


class GatewayError(Exception):
    """A request the gateway refuses or cannot serve, with its HTTP status and error fields."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        error_type: str,
        code: str,
        param: str | None = None,
        headers: Sequence[tuple[bytes, bytes]] = (),
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type
        self.code = code
        self.param = param
        self.headers = tuple(headers)


def bad_request(
    message: str, *, code: str = "invalid_value", param: str | None = None
) -> GatewayError:
    """400: the request body or a header is malformed."""
    return GatewayError(400, message, error_type=INVALID_REQUEST, code=code, param=param)


def error_body(error: GatewayError) -> bytes:
    """The OpenAI-style JSON body of an error."""
    return render_error(error.message, error.error_type, error.code, error.param)


def render_error(message: str, error_type: str, code: str, param: str | None = None) -> bytes:
    """`{"error": {...}}` as bytes; the message is cut to a bounded length."""
    if len(message) > _MAX_MESSAGE_CHARS:
        message = message[:_MAX_MESSAGE_CHARS] + "…"
    return orjson.dumps(
        {"error": {"message": message, "type": error_type, "code": code, "param": param}}
    )
