"""Who holds the Lease: create, renew, wait, and take over only after a silent duration."""

from __future__ import annotations

from typing import Any

from tierroute_operator.controller.leader_election import Action, Observation, decide


def lease(holder: str | None, renew: str | None = "2026-11-27T12:00:00.000000Z") -> dict[str, Any]:
    return {"spec": {"holderIdentity": holder, "renewTime": renew, "leaseDurationSeconds": 15}}


def test_absent_lease_is_created() -> None:
    assert decide(None, "me", None, now=0, duration_s=15) is Action.CREATE


def test_own_lease_is_renewed() -> None:
    assert decide(lease("me"), "me", None, now=0, duration_s=15) is Action.RENEW


def test_released_lease_is_taken_at_once() -> None:
    assert decide(lease(None, None), "me", None, now=0, duration_s=15) is Action.TAKE_OVER


def test_someone_elses_lease_is_left_alone_while_it_is_renewed() -> None:
    seen = Observation("other", "2026-11-27T12:00:00.000000Z", seen_at=100)
    renewed = lease("other", "2026-11-27T12:00:05.000000Z")
    assert decide(lease("other"), "me", None, now=100, duration_s=15) is Action.WAIT
    assert decide(lease("other"), "me", seen, now=110, duration_s=15) is Action.WAIT
    assert decide(renewed, "me", seen, now=200, duration_s=15) is Action.WAIT


def test_a_lease_unrenewed_for_a_duration_is_taken_over() -> None:
    seen = Observation("other", "2026-11-27T12:00:00.000000Z", seen_at=100)
    assert decide(lease("other"), "me", seen, now=116, duration_s=15) is Action.TAKE_OVER
