"""What every provider adapter produces: usage figures and classified failures."""

from __future__ import annotations

from dataclasses import dataclass

CLIENT_ERROR = "client_error"
"""Failure class of a provider refusing the request itself (a 4xx other than 408/429)."""


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens of one answer; `estimated` when the provider did not report them."""

    input_tokens: int
    output_tokens: int
    estimated: bool = False
    cached_input_tokens: int = 0
    """Of `input_tokens`, those read from the provider's prompt cache (billed at the cached
    price when the catalog has one)."""
    cache_write_input_tokens: int = 0
    """Of `input_tokens`, those written to the provider's prompt cache (Anthropic reports them;
    billed at the cache-write price when the catalog has one)."""


class UpstreamError(Exception):
    """A provider call that failed, with its class (an ErrorClass value or `client_error`)."""

    def __init__(
        self,
        error_class: str,
        detail: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(detail)
        self.error_class = error_class
        self.detail = detail
        self.status = status
        self.retry_after = retry_after


def class_of_status(status: int) -> str:
    """The failure class of an HTTP error status from a provider."""
    if status == 429:
        return "rate_limit"
    if status == 408:
        return "timeout"
    if status >= 500:
        return "server_error"
    return CLIENT_ERROR


def usage_from_openai(usage: object) -> Usage | None:
    """Usage of an OpenAI `usage` object, None when absent or malformed."""
    if not isinstance(usage, dict):
        return None
    prompt = usage.get("prompt_tokens")
    completion = usage.get("completion_tokens")
    if not isinstance(prompt, int) or not isinstance(completion, int):
        return None
    details = usage.get("prompt_tokens_details")
    cached = details.get("cached_tokens") if isinstance(details, dict) else None
    cached_tokens = min(cached, prompt) if isinstance(cached, int) and cached > 0 else 0
    return Usage(prompt, completion, cached_input_tokens=cached_tokens)
