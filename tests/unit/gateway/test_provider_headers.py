"""A routing table whose provider headers could not be sent as configured is refused."""

from __future__ import annotations

import orjson
import pytest

from tests.unit.gateway.tables import seed_table
from tierroute_gateway.routing_table import (
    RoutingTableError,
    canonical_json,
    header_problem,
    load_routing_table,
)


def _table_with_headers(headers: dict[str, str]) -> bytes:
    data = orjson.loads(canonical_json(seed_table()))
    data["providers"][0]["headers"] = headers
    return orjson.dumps(data)


def test_ordinary_headers_load() -> None:
    table = load_routing_table(_table_with_headers({"OpenAI-Organization": "org-1"}))
    assert table.providers[0].headers == {"OpenAI-Organization": "org-1"}


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("x-team", "a\r\nx-injected: 1", "control character"),
        ("x team", "team-42", "not an HTTP token"),
        ("Host", "evil.example", "set by the gateway"),
        ("Transfer-Encoding", "chunked", "set by the gateway"),
        ("Authorization", "Bearer sk-live-123", "would carry a credential"),
        ("x-api-key", "sk-live-123", "would carry a credential"),
    ],
)
def test_a_header_that_cannot_be_sent_is_refused_with_its_path_not_its_value(
    name: str, value: str, problem: str
) -> None:
    with pytest.raises(RoutingTableError) as refused:
        load_routing_table(_table_with_headers({name: value}))
    message = str(refused.value)
    assert "providers.0.headers" in message
    assert problem in message
    assert value not in message


def test_tab_and_latin1_values_are_sendable() -> None:
    assert header_problem("x-note", "caf\u00e9\tbar") is None
    assert header_problem("x-note", "\u2603") is not None
