"""Request hints: the `x-tierroute-*` headers, checked and typed.

Each hint can only tighten what the policy allows (latency and quality take the stricter of
policy and header) or pick among declared values (category, provider, complexity); a value
that cannot be used is an `InvalidHint` naming the header and the value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from tierroute_gateway.decision.errors import InvalidHint
from tierroute_gateway.routing_table import Complexity

CATEGORY_HEADER = "x-tierroute-category"
FEATURE_HEADER = "x-tierroute-feature"
MAX_LATENCY_HEADER = "x-tierroute-max-latency-ms"
MIN_QUALITY_HEADER = "x-tierroute-min-quality"
PROVIDER_HEADER = "x-tierroute-provider"
COMPLEXITY_HEADER = "x-tierroute-complexity"
USER_HEADER = "x-tierroute-user"

_MAX_LATENCY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class Hints:
    """Typed request hints; None means the header was absent."""

    category: str | None = None
    feature: str | None = None
    max_latency_ms: int | None = None
    min_quality: float | None = None
    provider: str | None = None
    complexity: Complexity | None = None
    user: str | None = None


NO_HINTS = Hints()


class RawHints(Protocol):
    """The raw header values, as the gateway reads them (None when absent)."""

    @property
    def category(self) -> str | None: ...
    @property
    def feature(self) -> str | None: ...
    @property
    def max_latency_ms(self) -> str | None: ...
    @property
    def min_quality(self) -> str | None: ...
    @property
    def provider(self) -> str | None: ...
    @property
    def complexity(self) -> str | None: ...
    @property
    def user(self) -> str | None: ...


def parse_hints(raw: RawHints) -> Hints:
    """Type the raw hint headers; raise InvalidHint for a value that is not usable."""
    if not (
        raw.category
        or raw.feature
        or raw.max_latency_ms
        or raw.min_quality
        or raw.provider
        or raw.complexity
        or raw.user
    ):
        return NO_HINTS  # the common case, without building a new value
    return Hints(
        category=raw.category or None,
        feature=raw.feature or None,
        max_latency_ms=_latency(raw.max_latency_ms),
        min_quality=_quality(raw.min_quality),
        provider=raw.provider or None,
        complexity=_complexity(raw.complexity),
        user=raw.user or None,
    )


def _latency(text: str | None) -> int | None:
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= _MAX_LATENCY_MS:
        raise InvalidHint(
            f"{MAX_LATENCY_HEADER}: {text!r} is not a whole number of milliseconds "
            f"between 1 and {_MAX_LATENCY_MS}",
            param=MAX_LATENCY_HEADER,
        )
    return int(text)


def _quality(text: str | None) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0.0 <= value <= 1.0:
        raise InvalidHint(
            f"{MIN_QUALITY_HEADER}: {text!r} is not a quality score between 0 and 1",
            param=MIN_QUALITY_HEADER,
        )
    return value


def _complexity(text: str | None) -> Complexity | None:
    if not text:
        return None
    try:
        return Complexity(text.lower())
    except ValueError:
        allowed = ", ".join(c.value for c in Complexity)
        raise InvalidHint(
            f"{COMPLEXITY_HEADER}: {text!r} is not a complexity (one of {allowed})",
            param=COMPLEXITY_HEADER,
        ) from None
