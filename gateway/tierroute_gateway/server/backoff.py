"""Retry delays: exponential backoff with full jitter, honouring `Retry-After` within a bound."""

from __future__ import annotations

import math
from dataclasses import dataclass
from email.utils import parsedate_to_datetime


@dataclass(frozen=True, slots=True)
class BackoffSettings:
    """Bounds of every retry delay."""

    base_seconds: float = 0.05
    cap_seconds: float = 2.0
    max_retry_after_seconds: float = 5.0


def retry_delay(
    retry_number: int,
    random_fraction: float,
    retry_after: float | None,
    settings: BackoffSettings,
) -> float | None:
    """Seconds to wait before retry `retry_number` (1-based), or None: do not retry this model.

    The delay is uniform in [0, min(cap, base * 2^(n-1))] (full jitter). A provider's
    `Retry-After` is a floor: waiting less would be refused again. When it asks for more than
    `max_retry_after_seconds` the model is left for the next step instead of waiting.
    """
    growth: float = 2.0 ** max(0, retry_number - 1)
    ceiling = min(settings.cap_seconds, settings.base_seconds * growth)
    delay = min(max(random_fraction, 0.0), 1.0) * ceiling
    if retry_after is None:
        return delay
    if retry_after > settings.max_retry_after_seconds:
        return None
    return max(delay, retry_after)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds a `Retry-After` header asks for (delta-seconds or an HTTP date), None if absent."""
    if not value:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        seconds = None
    if seconds is not None:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)
