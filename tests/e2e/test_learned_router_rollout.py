"""A learned router from fit to traffic: `tierroute router fit` on synthetic outcomes, the
artefact in a ConfigMap, a RoutingPolicy pinning its hash, the operator (under the RBAC of
deploy/rbac/) compiling it into the routing table, and a gateway watching that table in front
of the simulator, sending proofs to the expensive model and the rest to the cheap one. Then
the ConfigMap changes under the same pin: the policy says so, and routing does not change.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import yaml

from tests.helpers.operator import (
    REPOSITORY,
    condition,
    get_json,
    running_operator,
    settled,
    wait_until,
)
from tests.helpers.processes import started
from tierroute_gateway.learned_router import load_learned_router
from tierroute_gateway.learned_router.artefact import artefact_hash, canonical_artefact
from tierroute_operator.testbed.control_plane import (
    ControlPlane,
    write_service_account_kubeconfig,
)

pytestmark = pytest.mark.testbed

CLI = [sys.executable, "-m", "tierroute_gateway.cli"]
RBAC = REPOSITORY / "deploy" / "rbac"
OPERATOR_NAMESPACE = "tierroute-system"
POLICY = "routingpolicy.tierroute.io"
DEAR, CHEAP = "dear", "cheap"
PRICES = {DEAR: ("10", "30"), CHEAP: ("0.1", "0.2")}
ROUTER_CONFIG_MAP = "router-v1"
PROOF = "Write a proof that the cube root of two is irrational."
PLAIN = "Say hello to the support team."

PROOF_SUBJECTS = [
    "the square root of two is irrational", "there are infinitely many primes",
    "every bounded monotone sequence converges", "the sum of two even numbers is even",
    "a group has exactly one identity element", "the halting problem is undecidable",
    "every tree with n nodes has n-1 edges", "the empty set is unique",
]  # fmt: skip
PROOF_LEADS = ["Write a proof that", "Give a rigorous proof that", "Prove, with a full proof, that"]
PLAIN_REQUESTS = [
    "Say hello to the team", "Summarize this meeting in one line",
    "Translate good morning into French", "List three colours of the rainbow",
    "Write a short thank-you note", "What is the capital of Italy",
    "Suggest a name for a cat", "Recommend a book for the beach",
]  # fmt: skip
PLAIN_ENDINGS = ["", " please", ", thanks"]


def outcome(score: int, prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {"score": score, "prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens}


def write_outcomes(directory: Path) -> Path:
    """A routing-eval outcome file: the dear model solves everything, the cheap one all but
    proofs; `prices.json` beside it holds the catalog's prices."""
    rows = [
        {"id": f"proof-{i}-{j}", "prompt": f"{lead} {subject}.", "category": "math",
         "models": {DEAR: outcome(1, 20, 200), CHEAP: outcome(0, 20, 200)}}
        for i, subject in enumerate(PROOF_SUBJECTS) for j, lead in enumerate(PROOF_LEADS)
    ] + [
        {"id": f"plain-{i}-{j}", "prompt": f"{request}{ending}.", "category": "chat",
         "models": {DEAR: outcome(1, 12, 40), CHEAP: outcome(1, 12, 40)}}
        for i, request in enumerate(PLAIN_REQUESTS) for j, ending in enumerate(PLAIN_ENDINGS)
    ]  # fmt: skip
    directory.mkdir(parents=True, exist_ok=True)
    outcomes = directory / "outcomes.jsonl"
    outcomes.write_bytes(b"".join(orjson.dumps(row) + b"\n" for row in rows))
    prices = {name: {"input": float(i), "output": float(o)} for name, (i, o) in PRICES.items()}
    (directory / "prices.json").write_bytes(orjson.dumps({"models": prices}))
    return outcomes


def fit_router(outcomes: Path, output: Path) -> str:
    """Run the real `tierroute router fit`; the sha256 it printed."""
    command = [*CLI, "router", "fit", str(outcomes), "--split", "all", "-o", str(output)]
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=300)
    assert result.returncode == 0, result.stderr
    printed = re.findall(r"sha256:[0-9a-f]{64}", result.stdout)
    assert printed, result.stdout
    return printed[-1]


def catalog(namespace: str, base_url: str | None = None) -> dict[str, Any]:
    """The two models, served by one provider without credentials."""
    models = [
        {"name": name, "provider": "sim", "tier": "premium" if name == DEAR else "economy",
         "pricing": {"inputPerMillion": price_in, "outputPerMillion": price_out},
         "contextWindow": 32000, "maxOutputTokens": 1024, "latency": "100ms", "quality": "0.9"}
        for name, (price_in, price_out) in PRICES.items()
    ]  # fmt: skip
    return {
        "apiVersion": "tierroute.io/v1alpha1",
        "kind": "ModelCatalog",
        "metadata": {"name": "learned", "namespace": namespace},
        "spec": {
            "providers": [
                {"name": "sim", "api": "openai", "baseURL": base_url or "http://127.0.0.1:1/v1"}
            ],
            "models": models,
        },
    }


def policy(namespace: str, pin: str) -> dict[str, Any]:
    """Policy `default` (the name deploy/rbac lets the operator write credentials for)."""
    return {
        "apiVersion": "tierroute.io/v1alpha1",
        "kind": "RoutingPolicy",
        "metadata": {"name": "default", "namespace": namespace},
        "spec": {
            "catalogRef": {"name": "learned"},
            "routes": [{"name": "auto", "category": "standard", "strategy": "learned"}],
            "learnedRouter": {"configMapRef": {"name": ROUTER_CONFIG_MAP}, "sha256": pin},
        },
    }


def apply(control_plane: ControlPlane, document: dict[str, Any]) -> None:
    control_plane.kubectl("apply", "-f", "-", stdin_text=yaml.safe_dump(document))


def put_router_config_map(control_plane: ControlPlane, namespace: str, artefact: Path) -> None:
    """`kubectl create configmap --from-file`, replacing the ConfigMap if it exists."""
    manifest = control_plane.kubectl(
        "create", "configmap", ROUTER_CONFIG_MAP, "-n", namespace,
        f"--from-file=router.json={artefact}", "--dry-run=client", "-o", "yaml",
    ).stdout  # fmt: skip
    control_plane.kubectl("apply", "--server-side", "-f", "-", stdin_text=manifest)


def answering_model(gateway: str, prompt: str) -> str:
    body = {"model": "auto", "messages": [{"role": "user", "content": prompt}]}
    response = httpx.post(f"{gateway}/v1/chat/completions", json=body, timeout=30)
    assert response.status_code == 200, response.text
    return response.headers["x-tierroute-model"]


@pytest.fixture
def operator_kubeconfig(
    tierroute_crds: list[str], control_plane: ControlPlane, namespace: str, tmp_path: Path
) -> Path:
    """deploy/rbac applied for `namespace`; a kubeconfig acting as the operator's account."""
    if get_json(control_plane, "namespace", OPERATOR_NAMESPACE) is None:
        control_plane.kubectl("create", "namespace", OPERATOR_NAMESPACE)
    for name in ("service-account.yaml", "cluster-role.yaml"):
        control_plane.kubectl("apply", "-f", str(RBAC / name))
    control_plane.kubectl("apply", "-n", namespace, "-f", str(RBAC / "watched-namespace.yaml"))
    return write_service_account_kubeconfig(
        control_plane, OPERATOR_NAMESPACE, "tierroute-operator", tmp_path / "operator.kubeconfig"
    )


def test_a_fitted_router_routes_traffic_and_a_changed_artefact_is_refused(
    control_plane: ControlPlane, namespace: str, operator_kubeconfig: Path, tmp_path: Path
) -> None:
    artefact = tmp_path / "router.json"
    pin = fit_router(write_outcomes(tmp_path / "data"), artefact)
    assert pin == artefact_hash(load_learned_router(artefact.read_bytes()))
    catalog_file = tmp_path / "catalog.yaml"
    catalog_file.write_text(yaml.safe_dump(catalog(namespace)))
    with started([*CLI, "sim", "--catalog", str(catalog_file), "--port", "0"]) as sim:
        apply(control_plane, catalog(namespace, f"{sim.url}/v1"))
        apply(control_plane, policy(namespace, pin))
        with running_operator(operator_kubeconfig, [namespace]):

            def reason_is(reason: str) -> dict[str, Any] | None:
                ready = condition(get_json(control_plane, POLICY, "default", "-n", namespace))
                return ready if ready.get("reason") == reason else None

            missing = wait_until(
                lambda: reason_is("ReferenceNotFound"), what="the missing ConfigMap reported"
            )
            assert f"ConfigMap '{ROUTER_CONFIG_MAP}' (key 'router.json')" in missing["message"]
            assert get_json(control_plane, "configmap", "default-routing", "-n", namespace) is None
            put_router_config_map(control_plane, namespace, artefact)

            def policy_ready() -> dict[str, Any] | None:
                body = get_json(control_plane, POLICY, "default", "-n", namespace)
                ready = condition(body)
                return body if settled(body) and ready.get("status") == "True" else None

            wait_until(
                policy_ready,
                what="the learned policy Ready",
                last=lambda: condition(get_json(control_plane, POLICY, "default", "-n", namespace)),
            )
            routing = get_json(control_plane, "configmap", "default-routing", "-n", namespace)
            assert routing is not None
            table = orjson.loads(routing["data"]["routing.json"])
            assert table["learnedRouter"]["artefactHash"] == pin
            served_hash = routing["metadata"]["annotations"]["tierroute.io/hash"]

            gateway_command = [
                *CLI, "gateway", "--port", "0",
                "--config", str(tmp_path / "table" / "routing.json"),
                "--watch-configmap", f"{namespace}/default-routing",
                "--kubeconfig", str(control_plane.kubeconfig),
                "--credentials-dir", str(tmp_path / "no-credentials"),
                "--no-request-log",
            ]  # fmt: skip
            with started(gateway_command) as gateway:
                assert answering_model(gateway.url, PROOF) == DEAR
                assert answering_model(gateway.url, PLAIN) == CHEAP

                # The same ConfigMap, another artefact, the pin unchanged.
                changed = load_learned_router(artefact.read_bytes()).model_copy(
                    update={"regularization": 0.5}
                )
                other = tmp_path / "other" / "router.json"
                other.parent.mkdir()
                other.write_bytes(canonical_artefact(changed))
                put_router_config_map(control_plane, namespace, other)

                ready = wait_until(
                    lambda: reason_is("CompileFailed"),
                    what="the policy reporting the changed artefact",
                    last=lambda: condition(
                        get_json(control_plane, POLICY, "default", "-n", namespace)
                    ),
                )
                message = ready["message"]
                assert ready["status"] == "False"
                assert "spec.learnedRouter.sha256" in message
                assert f"configmap {namespace}/{ROUTER_CONFIG_MAP} router.json" in message
                assert pin in message
                assert artefact_hash(changed) in message

                assert answering_model(gateway.url, PROOF) == DEAR
                assert answering_model(gateway.url, PLAIN) == CHEAP
                routing = get_json(control_plane, "configmap", "default-routing", "-n", namespace)
                assert routing is not None
                assert routing["metadata"]["annotations"]["tierroute.io/hash"] == served_hash

                events = get_json(
                    control_plane, "events", "-n", namespace,
                    "--field-selector", "involvedObject.name=default,reason=CompileFailed",
                )  # fmt: skip
                assert events is not None
                assert any(pin in item["message"] for item in events["items"])
