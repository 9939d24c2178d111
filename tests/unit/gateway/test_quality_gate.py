"""The quality gate's verdict on answers."""

from __future__ import annotations

from typing import Any

from tierroute_gateway.routing_table import EscalationTrigger
from tierroute_gateway.server.quality_gate import unusable_reason

ALL = tuple(EscalationTrigger)


def answer(content: Any, finish: str = "stop", completion_tokens: int = 5) -> dict[str, Any]:
    return {
        "choices": [
            {"message": {"role": "assistant", "content": content}, "finish_reason": finish}
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": completion_tokens},
    }


def test_usable_answer_passes() -> None:
    assert unusable_reason(answer("hi"), ALL, requested_max_tokens=None, wants_json=False) is None


def test_empty_answer_escalates() -> None:
    verdict = unusable_reason(answer("  "), ALL, requested_max_tokens=None, wants_json=False)
    assert verdict is EscalationTrigger.EMPTY
    assert unusable_reason({}, ALL, requested_max_tokens=None, wants_json=False) == "empty"


def test_truncated_below_the_requested_limit_escalates() -> None:
    cut = answer("partial", finish="length", completion_tokens=10)
    assert unusable_reason(cut, ALL, requested_max_tokens=100, wants_json=False) == "truncated"
    assert unusable_reason(cut, ALL, requested_max_tokens=None, wants_json=False) == "truncated"


def test_stopping_at_the_clients_own_limit_is_what_was_asked() -> None:
    cut = answer("partial", finish="length", completion_tokens=10)
    assert unusable_reason(cut, ALL, requested_max_tokens=10, wants_json=False) is None


def test_invalid_json_escalates_only_when_json_was_asked() -> None:
    text = answer("{not json")
    assert unusable_reason(text, ALL, requested_max_tokens=None, wants_json=True) == "invalid_json"
    assert unusable_reason(text, ALL, requested_max_tokens=None, wants_json=False) is None
    good = answer('{"a": 1}')
    assert unusable_reason(good, ALL, requested_max_tokens=None, wants_json=True) is None


def test_only_configured_triggers_count() -> None:
    only_json = (EscalationTrigger.INVALID_JSON,)
    assert (
        unusable_reason(answer(""), only_json, requested_max_tokens=None, wants_json=False) is None
    )
