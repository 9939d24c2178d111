"""OpenAI-style error bodies and the mapping of gateway failures to statuses."""

from __future__ import annotations

import orjson

from tierroute_gateway.server.accounting import attempts_error
from tierroute_gateway.server.errors import GatewayError, error_body, render_error
from tierroute_gateway.server.fallback import Attempt, ChainFailedError


def test_error_body_has_the_four_openai_fields() -> None:
    error = GatewayError(400, "messages: required", error_type="invalid_request_error", code="x")
    body = orjson.loads(error_body(error))
    assert body == {
        "error": {
            "message": "messages: required",
            "type": "invalid_request_error",
            "code": "x",
            "param": None,
        }
    }


def test_long_messages_are_cut() -> None:
    body = orjson.loads(render_error("x" * 10_000, "server_error", "c"))
    assert len(body["error"]["message"]) < 2100


ATTEMPTS = [
    Attempt("a", "server_error", 500, "provider answered HTTP 500", 0.01),
    Attempt("b", "circuit_open", None, "circuit breaker open", 0.0),
]


def test_every_attempt_failing_is_503_listing_them() -> None:
    error = attempts_error(ChainFailedError(ATTEMPTS, timed_out=False))
    assert error.status == 503
    assert "a: server_error HTTP 500" in error.message
    assert "b: circuit_open" in error.message


def test_deadline_is_504() -> None:
    error = attempts_error(ChainFailedError(ATTEMPTS, timed_out=True))
    assert error.status == 504
    assert error.code == "deadline_exceeded"
