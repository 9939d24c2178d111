"""Response header values are safe whatever went into them; request ids are safe tokens."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tierroute_gateway.server.headers import header_value, read_hints, request_id


@given(st.text(max_size=500))
def test_header_values_are_printable_ascii_and_bounded(text: str) -> None:
    value = header_value(text)
    assert all(0x20 <= byte <= 0x7E for byte in value)
    assert len(value) <= 256


def test_cr_lf_never_reaches_a_header() -> None:
    assert header_value("ok\r\nSet-Cookie: x=1") == b"ok??Set-Cookie: x=1"


def test_client_request_id_is_kept_only_when_safe() -> None:
    assert request_id({b"x-request-id": b"abc-123"}) == "abc-123"
    generated = request_id({b"x-request-id": b"bad id\xff"})
    assert generated != "bad id"
    assert generated.startswith("tr-")
    assert request_id({}) != request_id({})


def test_hints_are_read_from_their_headers() -> None:
    hints = read_hints({b"x-tierroute-category": b"batch", b"x-tierroute-max-latency-ms": b" 500 "})
    assert hints.category == "batch"
    assert hints.max_latency_ms == "500"
    assert hints.provider is None
