"""Request hints: typed from headers, refused with the header and value named."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tierroute_gateway.decision.errors import InvalidHint
from tierroute_gateway.decision.hints import NO_HINTS, parse_hints
from tierroute_gateway.routing_table import Complexity


@dataclass(frozen=True)
class Raw:
    category: str | None = None
    feature: str | None = None
    max_latency_ms: str | None = None
    min_quality: str | None = None
    provider: str | None = None
    complexity: str | None = None
    user: str | None = None


def test_absent_and_empty_headers_mean_no_hint() -> None:
    assert parse_hints(Raw(category="", provider=None)) is NO_HINTS


def test_values_are_typed() -> None:
    hints = parse_hints(
        Raw(max_latency_ms="250", min_quality="0.85", complexity="HIGH", category="batch")
    )
    assert hints.max_latency_ms == 250
    assert hints.min_quality == 0.85
    assert hints.complexity is Complexity.HIGH
    assert hints.category == "batch"


@pytest.mark.parametrize(
    ("raw", "header", "value"),
    [
        (Raw(max_latency_ms="fast"), "x-tierroute-max-latency-ms", "fast"),
        (Raw(max_latency_ms="-5"), "x-tierroute-max-latency-ms", "-5"),
        (Raw(max_latency_ms="0"), "x-tierroute-max-latency-ms", "0"),
        (Raw(min_quality="1.5"), "x-tierroute-min-quality", "1.5"),
        (Raw(min_quality="nan"), "x-tierroute-min-quality", "nan"),
        (Raw(min_quality="good"), "x-tierroute-min-quality", "good"),
        (Raw(complexity="extreme"), "x-tierroute-complexity", "extreme"),
    ],
)
def test_unusable_values_name_the_header_and_the_value(raw: Raw, header: str, value: str) -> None:
    with pytest.raises(InvalidHint) as raised:
        parse_hints(raw)
    assert raised.value.param == header
    assert header in raised.value.message
    assert repr(value) in raised.value.message
    assert raised.value.status == 400
