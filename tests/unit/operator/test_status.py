"""Conditions and status patches (Kubernetes API conventions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tierroute_operator.controller.status import (
    false,
    merge_conditions,
    shorten,
    status_patch,
    true,
)

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
LATER = T0 + timedelta(minutes=3)


def test_transition_time_changes_only_when_the_status_changes() -> None:
    first = merge_conditions([], [true("Ready", "Applied", "ok")], generation=1, now=T0)
    same = merge_conditions(
        first, [true("Ready", "Applied", "other words")], generation=2, now=LATER
    )
    flipped = merge_conditions(
        same, [false("Ready", "CompileFailed", "x")], generation=3, now=LATER
    )
    assert same[0]["lastTransitionTime"] == "2026-11-27T12:00:00Z"
    assert same[0]["observedGeneration"] == 2
    assert same[0]["message"] == "other words"
    assert flipped[0]["lastTransitionTime"] == "2026-11-27T12:03:00Z"


def test_conditions_of_other_writers_are_kept() -> None:
    theirs = {
        "type": "AutomationHealthy",
        "status": "True",
        "reason": "Ok",
        "message": "",
        "lastTransitionTime": "2026-01-01T00:00:00Z",
    }
    merged = merge_conditions([theirs], [true("Ready", "Applied", "ok")], generation=1, now=T0)
    assert [item["type"] for item in merged] == ["Ready", "AutomationHealthy"]
    assert merged[1] == theirs


def test_status_patch_holds_only_what_changed() -> None:
    stored = {"hash": "a", "models": 3, "conditions": []}
    assert status_patch(stored, {"hash": "a", "models": 3}) is None
    assert status_patch(stored, {"hash": "b", "models": 3}) == {"hash": "b"}
    assert status_patch(None, {"hash": "a"}) == {"hash": "a"}


@given(st.text(max_size=10_000))
def test_shortened_messages_fit_the_schema(text: str) -> None:
    assert len(shorten(text)) <= 4000
    assert shorten(text) == text or len(text) > 4000
