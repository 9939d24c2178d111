"""Budget enforcement, the quality gate, provider credentials and client keys, end to end."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers.gateway import model, routing_table, running_gateway
from tests.helpers.sim import Sim, running_sim
from tierroute_gateway.configmap_watch import write_like_kubelet

ASK: dict[str, Any] = {"model": "auto", "messages": [{"role": "user", "content": "Say hi."}]}
COMPLEX: dict[str, Any] = {
    "model": "auto",
    "messages": [{"role": "user", "content": "Analyze and evaluate this architecture design."}],
}
SECRET = "sk-sim-secret-0123456789"
MODELS = [model("premium-a", "premium"), model("economy-a", "economy")]


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sim]:
    profile = {"models": [{"name": "premium-a"}, {"name": "economy-a"}]}
    with running_sim(profile, tmp_path_factory.mktemp("sim")) as running:
        yield running


@pytest.fixture(scope="module")
def keyed_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sim]:
    profile = {"models": [{"name": "economy-a"}], "api_keys": [SECRET]}
    with running_sim(profile, tmp_path_factory.mktemp("keyed-sim")) as running:
        yield running


def budget(allocated: str, when_exhausted: str) -> dict[str, Any]:
    return {
        "name": "team-budget",
        "currency": "USD",
        "periodStart": "2026-01-01T00:00:00+00:00",
        "periodEnd": "2099-01-01T00:00:00+00:00",
        "categories": [
            {
                "name": "default",
                "allocated": allocated,
                "spent": "0",
                "whenExhausted": when_exhausted,
            }
        ],
    }


def post(url: str, body: dict[str, Any], **headers: str) -> httpx.Response:
    return httpx.post(f"{url}/v1/chat/completions", json=body, headers=headers, timeout=30)


def test_local_spend_exhausts_a_reject_category(sim: Sim, tmp_path: Path) -> None:
    table = routing_table(sim.url, MODELS, budget=budget("0.000001", "reject"))
    with running_gateway(table, tmp_path) as gateway:
        assert post(gateway.url, ASK).status_code == 200
        rejected = post(gateway.url, ASK)
        assert rejected.status_code == 429
        assert rejected.json()["error"]["code"] == "budget_exhausted"
        metrics = httpx.get(f"{gateway.url}/metrics").text
        assert 'llm_budget_remaining_dollars{category="default"} 0.0' in metrics


def test_exhausted_downgrade_category_never_uses_premium(sim: Sim, tmp_path: Path) -> None:
    table = routing_table(sim.url, MODELS, budget=budget("0", "downgrade"))
    with running_gateway(table, tmp_path) as gateway:
        response = post(gateway.url, COMPLEX)
        assert response.status_code == 200
        assert response.headers["x-tierroute-tier"] == "economy"
        metrics = httpx.get(f"{gateway.url}/metrics").text
        assert 'reason="budget_downgrade"' in metrics


def test_quality_gate_escalates_invalid_json_to_a_higher_tier(sim: Sim, tmp_path: Path) -> None:
    sim.reset()
    sim.patch("economy-a", {"faults": {"invalid_json_rate": 1.0}})
    table = routing_table(sim.url, MODELS, quality_gate=["invalid_json", "empty"])
    body = {**ASK, "response_format": {"type": "json_object"}}
    with running_gateway(table, tmp_path) as gateway:
        response = post(gateway.url, body, **{"x-tierroute-complexity": "low"})
        assert response.status_code == 200
        assert response.headers["x-tierroute-model"] == "premium-a"
        metrics = httpx.get(f"{gateway.url}/metrics").text
        assert 'llm_quality_gate_escalations_total{trigger="invalid_json"} 1.0' in metrics
        assert 'reason="quality_gate"' in metrics
    sim.reset()


CREDENTIAL = {"key": "sim-key", "env": "TIERROUTE_TEST_SIM_KEY"}


def test_key_from_the_environment(keyed_sim: Sim, tmp_path: Path) -> None:
    table = routing_table(keyed_sim.url, [MODELS[1]], credential=CREDENTIAL)
    env = {**os.environ, "TIERROUTE_TEST_SIM_KEY": SECRET}
    with running_gateway(table, tmp_path, env=env) as gateway:
        assert post(gateway.url, ASK).status_code == 200
        assert SECRET not in httpx.get(f"{gateway.url}/metrics").text
        assert SECRET not in gateway.process.output()


def test_key_from_the_credentials_directory(keyed_sim: Sim, tmp_path: Path) -> None:
    secrets = tmp_path / "credentials"
    secrets.mkdir()
    (secrets / "sim-key").write_text(SECRET + "\n")
    table = routing_table(keyed_sim.url, [MODELS[1]], credential=CREDENTIAL)
    env = {k: v for k, v in os.environ.items() if k != CREDENTIAL["env"]}
    options = ("--credentials-dir", str(secrets))
    with running_gateway(table, tmp_path, *options, env=env) as gateway:
        assert post(gateway.url, ASK).status_code == 200


def test_a_rejected_key_never_shows_in_the_answer_or_the_logs(
    keyed_sim: Sim, tmp_path: Path
) -> None:
    wrong = "sk-wrong-key-9876543210"
    table = routing_table(keyed_sim.url, [MODELS[1]], credential=CREDENTIAL)
    env = {**os.environ, "TIERROUTE_TEST_SIM_KEY": wrong}
    with running_gateway(table, tmp_path, env=env) as gateway:
        response = post(gateway.url, ASK)
        assert response.status_code == 503
        assert "HTTP 401" in response.json()["error"]["message"]
        assert wrong not in response.text
        assert wrong not in httpx.get(f"{gateway.url}/metrics").text
        assert wrong not in gateway.process.output()


def test_client_keys_are_required_when_configured(sim: Sim, tmp_path: Path) -> None:
    keys = tmp_path / "client-keys"
    keys.write_text("# team keys\nclient-key-1\n")
    table = routing_table(sim.url, MODELS)
    with running_gateway(table, tmp_path, "--client-keys-file", str(keys)) as gateway:
        missing = post(gateway.url, ASK)
        assert missing.status_code == 401
        assert missing.json()["error"]["type"] == "authentication_error"
        wrong = post(gateway.url, ASK, authorization="Bearer nope")
        assert wrong.status_code == 401
        assert post(gateway.url, ASK, authorization="Bearer client-key-1").status_code == 200
        assert httpx.get(f"{gateway.url}/healthz").status_code == 200
        assert httpx.get(f"{gateway.url}/v1/models").status_code == 401


def _status_becomes(url: str, key: str, status: int, deadline_s: float = 15.0) -> None:
    deadline = time.monotonic() + deadline_s
    while post(url, ASK, authorization=f"Bearer {key}").status_code != status:
        assert time.monotonic() < deadline, f"key {key!r} never answered {status}"
        time.sleep(0.2)


def test_rotated_client_keys_apply_without_a_restart(sim: Sim, tmp_path: Path) -> None:
    secret = tmp_path / "client-keys-secret"
    keys = secret / "keys"
    write_like_kubelet(keys, b"rotating-key-1\n")  # a mounted Secret, swapped as the kubelet does
    table = routing_table(sim.url, MODELS)
    with running_gateway(table, tmp_path, "--client-keys-file", str(keys)) as gateway:
        assert post(gateway.url, ASK, authorization="Bearer rotating-key-1").status_code == 200
        write_like_kubelet(keys, b"# rotated\nrotating-key-2\n")
        _status_becomes(gateway.url, "rotating-key-2", 200)
        assert post(gateway.url, ASK, authorization="Bearer rotating-key-1").status_code == 401
        write_like_kubelet(keys, b"# emptied by mistake\n")  # refused: keys stay in force
        deadline = time.monotonic() + 15
        while not any("client_keys_refused" in line for line in gateway.process.lines):
            assert time.monotonic() < deadline, "the empty keys file was not refused"
            time.sleep(0.2)
        assert post(gateway.url, ASK, authorization="Bearer rotating-key-2").status_code == 200
        assert post(gateway.url, ASK).status_code == 401
        assert "rotating-key" not in gateway.process.output()
