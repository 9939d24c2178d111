"""The bounded map from recent request ids to the model that answered (server/feedback.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tierroute_gateway.server.feedback import RecentAnswers


def test_a_remembered_request_names_its_model() -> None:
    recent = RecentAnswers(capacity=10, slices=2)
    recent.remember("tr-1", "gpt-4o")
    recent.remember("tr-2", "llama-3-70b")
    assert recent.model_of("tr-1") == "gpt-4o"
    assert recent.model_of("tr-2") == "llama-3-70b"
    assert recent.model_of("tr-3") is None


def test_a_request_id_seen_again_names_the_latest_model() -> None:
    recent = RecentAnswers(capacity=4, slices=2)
    recent.remember("tr-1", "gpt-4o")
    recent.remember("tr-2", "llama-3-70b")
    recent.remember("tr-1", "claude-3-5-sonnet")
    assert recent.model_of("tr-1") == "claude-3-5-sonnet"


@given(
    capacity=st.integers(min_value=1, max_value=200),
    slices=st.integers(min_value=1, max_value=20),
    remembered=st.integers(min_value=0, max_value=600),
)
def test_the_newest_are_kept_and_never_more_than_the_capacity(
    capacity: int, slices: int, remembered: int
) -> None:
    recent = RecentAnswers(capacity=capacity, slices=slices)
    for number in range(remembered):
        recent.remember(f"tr-{number}", f"model-{number}")
    kept = [number for number in range(remembered) if recent.model_of(f"tr-{number}")]
    assert len(kept) <= capacity
    always_kept = capacity - 2 * -(-capacity // slices)
    newest = range(max(0, remembered - always_kept), remembered)
    assert all(recent.model_of(f"tr-{number}") == f"model-{number}" for number in newest)
    assert kept == list(range(remembered - len(kept), remembered))  # the oldest go first
