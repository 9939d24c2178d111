"""The simulator's run-time state: admin patches, reset, counters, hidden credentials."""

from __future__ import annotations

import pytest

from tierroute_gateway.sim.behaviour import Outcome
from tierroute_gateway.sim.profile import SimProfile
from tierroute_gateway.sim.state import PatchError, Seen, SimState


def _state() -> SimState:
    profile = SimProfile.model_validate(
        {"models": [{"name": "m", "aliases": ["alias"], "apis": ["openai"], "quality": 0.5}]}
    )
    return SimState(profile, seed=4)


def test_models_are_found_by_name_and_alias_on_their_apis_only() -> None:
    state = _state()
    assert state.lookup("alias", "openai") is state.lookup("m", "openai")
    assert state.lookup("m", "anthropic") is None
    assert state.lookup("nope", "openai") is None


def test_a_patch_merges_into_the_model_and_keeps_other_settings() -> None:
    state = _state()
    profile = state.patch_model("alias", {"faults": {"error_rate": 1}, "latency": "5ms"})
    assert profile.faults.error_rate == 1
    assert profile.quality == 0.5
    served = state.lookup("m", "openai")
    assert served is not None
    assert served.behaviour.latency.median_s == 0.005
    assert state.draw(served.behaviour).outcome is Outcome.ERROR


def test_null_in_a_patch_restores_the_default() -> None:
    state = _state()
    assert state.patch_model("m", {"quality": None}).quality == 1.0


def test_invalid_patches_are_refused_naming_the_field() -> None:
    state = _state()
    with pytest.raises(PatchError, match=r"faults\.error_rate"):
        state.patch_model("m", {"faults": {"error_rate": 2}})
    with pytest.raises(PatchError, match="name"):
        state.patch_model("m", {"name": "other"})
    with pytest.raises(KeyError):
        state.patch_model("nope", {})


def test_reset_restores_rates_counters_and_random_streams() -> None:
    state = _state()
    served = state.lookup("m", "openai")
    assert served is not None
    before = [state.draw(served.behaviour) for _ in range(5)]
    state.patch_model("m", {"faults": {"reset_rate": 1}})
    state.record("m", Outcome.OK, Seen("openai", "m", "ok", {}))
    state.reset()
    served = state.lookup("m", "openai")
    assert served is not None
    assert served.behaviour.fault_bounds == ()
    assert state.stats_document()["total"] == 0
    assert [state.draw(served.behaviour) for _ in range(5)] == before


def test_stats_never_show_credentials() -> None:
    state = _state()
    headers = {
        "Authorization": "Bearer sk-secret",
        "X-Api-Key": "sk-secret",
        "X-Request-Id": "r1",
        "Content-Type": "application/json",
    }
    state.record("m", Outcome.OK, Seen("openai", "m", "ok", headers, served="m"))
    document = state.stats_document()
    assert "sk-secret" not in str(document)
    assert document["recent"][0]["headers"] == {"x-request-id": "r1"}
    assert document["models"]["m"]["outcomes"] == {"ok": 1}
