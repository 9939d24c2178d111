"""A `learned` route end to end: a real gateway with a learned router, real simulated providers.

The hand-built artefact (tests/helpers/learned_router.py) knows the premium and economy
models; the economy one is unlikely to succeed on prompts containing "proof". The gateway
must send proofs to the premium model and the rest to the economy one, and refuse, on hot
reload, a table whose artefact does not match its pinned hash, keeping the old table.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import orjson
import pytest

from tests.helpers.gateway import GatewayProcess, model, routing_table, running_gateway
from tests.helpers.learned_router import learned_routing_document, proof_router
from tests.helpers.sim import Sim, running_sim
from tierroute_gateway.routing_table import load_routing_table

PREMIUM, STANDARD, ECONOMY = "premium-a", "standard-a", "economy-a"
PROOF = "Write a proof that the square root of two is irrational."
PLAIN = "Say hello to the team."


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sim]:
    profile = {"models": [{"name": name} for name in (PREMIUM, STANDARD, ECONOMY)]}
    with running_sim(profile, tmp_path_factory.mktemp("sim")) as running:
        yield running


def learned_table(
    sim: Sim, *, policy: str = "learned-policy", quality_gate: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Three models, one `learned` route, the proof artefact inline and pinned."""
    document = routing_table(
        sim.url,
        [model(PREMIUM, "premium"), model(STANDARD, "standard"), model(ECONOMY, "economy")],
        routes=[{"name": "auto", "category": "default", "strategy": "learned"}],
        policy=policy,
        quality_gate=list(quality_gate),
    )
    document["learnedRouter"] = learned_routing_document(proof_router(PREMIUM, ECONOMY))
    load_routing_table(orjson.dumps(document))  # a bad fixture fails here, not in the gateway
    return document


@pytest.fixture
def gateway(sim: Sim, tmp_path: Path) -> Iterator[GatewayProcess]:
    with running_gateway(learned_table(sim), tmp_path) as running:
        yield running


def ask(gateway: GatewayProcess, prompt: str) -> tuple[str, str, str]:
    """The answering model per header and per body, and the reason header."""
    sdk = openai.OpenAI(base_url=gateway.openai_url, api_key="unused", max_retries=0)
    raw = sdk.chat.completions.with_raw_response.create(
        model="auto", messages=[{"role": "user", "content": prompt}]
    )
    completion = raw.parse()
    return raw.headers["x-tierroute-model"], completion.model, raw.headers["x-tierroute-reason"]


def wait_until(condition: Callable[[], bool], deadline_s: float = 10.0) -> None:
    deadline = time.monotonic() + deadline_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met before the deadline"
        time.sleep(0.1)


def test_proofs_go_to_the_premium_model_and_plain_prompts_to_the_economy_one(
    gateway: GatewayProcess,
) -> None:
    header, body, reason = ask(gateway, PROOF)
    assert (header, body) == (PREMIUM, PREMIUM)
    assert f"learned router (threshold 0.5) chose {PREMIUM}" in reason
    header, body, reason = ask(gateway, PLAIN)
    assert (header, body) == (ECONOMY, ECONOMY)
    assert f"learned router (threshold 0.5) chose {ECONOMY}" in reason
    metrics = httpx.get(f"{gateway.url}/metrics").text
    assert 'reason="learned"' in metrics


def test_route_endpoint_explains_the_learned_choice(gateway: GatewayProcess) -> None:
    body = {"model": "auto", "messages": [{"role": "user", "content": PROOF}]}
    decision = httpx.post(f"{gateway.url}/v1/route", json=body, timeout=30).json()
    assert decision["model"] == PREMIUM
    assert decision["learnedRouter"]["model"] == PREMIUM
    assert decision["learnedRouter"]["rule"] == "threshold"
    assert [step["model"] for step in decision["chain"]][:2] == [PREMIUM, ECONOMY]


def tampered(sim: Sim) -> dict[str, Any]:
    """A table whose artefact was changed after its hash was pinned."""
    document = learned_table(sim, policy="tampered")
    document["learnedRouter"]["artefact"]["models"][0]["bias"] = 9.0
    return document


def missing_router(sim: Sim) -> dict[str, Any]:
    """A table whose route uses `learned` but which carries no learned router."""
    document = learned_table(sim, policy="no-router")
    del document["learnedRouter"]
    return document


@pytest.mark.parametrize(
    ("make", "why"),
    [
        pytest.param(tampered, "not the pinned", id="artefact-hash-mismatch"),
        pytest.param(missing_router, "has no learnedRouter", id="learned-without-router"),
    ],
)
def test_a_bad_learned_table_is_refused_on_reload_and_the_old_one_keeps_serving(
    gateway: GatewayProcess, sim: Sim, make: Callable[[Sim], dict[str, Any]], why: str
) -> None:
    good_hash = httpx.get(f"{gateway.url}/readyz").json()["hash"]
    gateway.write_table(make(sim))

    def refused() -> bool:
        text = httpx.get(f"{gateway.url}/metrics").text
        return 'tierroute_config_reloads_total{result="refused"} 1.0' in text

    wait_until(refused)
    wait_until(lambda: any("table_refused" in line for line in gateway.process.lines))
    assert any(why in line for line in gateway.process.lines if "table_refused" in line)
    ready = httpx.get(f"{gateway.url}/readyz")
    assert ready.status_code == 200
    assert ready.json()["hash"] == good_hash
    assert ask(gateway, PROOF)[0] == PREMIUM
    assert ask(gateway, PLAIN)[0] == ECONOMY


def test_the_quality_gate_escalates_a_learned_choice_to_a_higher_tier(
    sim: Sim, tmp_path: Path
) -> None:
    sim.reset()
    sim.patch(ECONOMY, {"faults": {"invalid_json_rate": 1.0}})
    table = learned_table(sim, quality_gate=("invalid_json",))
    body = {
        "model": "auto",
        "messages": [{"role": "user", "content": PLAIN}],
        "response_format": {"type": "json_object"},
    }
    try:
        with running_gateway(table, tmp_path) as running:
            routed = httpx.post(f"{running.url}/v1/route", json=body, timeout=30).json()
            assert routed["model"] == ECONOMY  # the learned choice before the gate
            response = httpx.post(f"{running.url}/v1/chat/completions", json=body, timeout=30)
            assert response.status_code == 200
            assert response.headers["x-tierroute-tier"] != "economy"
            metrics = httpx.get(f"{running.url}/metrics").text
            assert 'llm_quality_gate_escalations_total{trigger="invalid_json"} 1.0' in metrics
    finally:
        sim.reset()
