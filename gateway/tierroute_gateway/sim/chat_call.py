"""What both wire APIs hand the simulator's request path: a parsed call, or a typed error."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, NamedTuple, Protocol

from tierroute_gateway.sim.usage import PromptTokens


class ErrorKind(StrEnum):
    """Failure classes; each wire API renders them in its own error shape."""

    BAD_REQUEST = "bad_request"
    UNAUTHORIZED = "unauthorized"
    NOT_FOUND = "not_found"
    TOO_LARGE = "too_large"
    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"


class WireError(Exception):
    """A request answered with an error status and the provider's own error body."""

    def __init__(
        self, status: int, kind: ErrorKind, message: str, param: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.message = message
        self.param = param


class ChatCall(NamedTuple):
    """The fields of a chat request the simulator acts on; `body` is kept for counting."""

    model: str
    stream: bool
    include_usage: bool
    max_tokens: int | None
    json_mode: bool
    body: dict[str, Any]


class Reply(Protocol):
    """Renders one call's answer in a wire format, whole or as stream frames."""

    def body(self, pieces: tuple[str, ...], finish: str, prompt: PromptTokens) -> bytes:
        """The whole non-streaming response body, reporting `prompt`'s tokens."""
        ...

    def stream_start(self, prompt: PromptTokens) -> bytes:
        """Frames before the first token."""
        ...

    def stream_delta(self, pieces: tuple[str, ...]) -> bytes:
        """Frames carrying these pieces of text."""
        ...

    def stream_end(self, completion_tokens: int, finish: str, prompt: PromptTokens) -> bytes:
        """Frames that close the stream, with usage."""
        ...


def bad_request(message: str, param: str | None = None) -> WireError:
    """A 400 naming the offending field."""
    return WireError(400, ErrorKind.BAD_REQUEST, message, param)


def positive_int(body: dict[str, Any], field: str) -> int | None:
    """An optional integer field that must be at least 1."""
    value = body.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise bad_request(f"{field}: expected an integer >= 1, got {value!r}", field)
    return value


def optional_bool(body: dict[str, Any], field: str) -> bool:
    """An optional boolean field (absent = false)."""
    value = body.get(field, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise bad_request(f"{field}: expected a boolean, got {value!r}", field)
    return value
