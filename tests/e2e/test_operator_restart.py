"""Restarts of the operator: a clean restart writes nothing, and an operator killed in the middle
of reconciles leaves no partial state behind: the next one converges on the right table."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.helpers.operator import (
    RunningOperator,
    condition,
    example_manifests,
    get_json,
    running_operator,
    settled,
    wait_until,
    write_manifests,
)
from tierroute_gateway.routing_table import content_hash, load_routing_table
from tierroute_operator.testbed.control_plane import ControlPlane

pytestmark = pytest.mark.testbed

POLICY = "routingpolicy.tierroute.io"
CATALOG = "modelcatalog.tierroute.io"
PRICES = ("0.21", "0.22", "0.23", "0.24", "0.25")


@pytest.fixture
def examples(
    tierroute_crds: list[str], control_plane: ControlPlane, namespace: str, tmp_path: Path
) -> None:
    """The examples applied in `namespace`."""
    directory = write_manifests(example_manifests(namespace), tmp_path / "manifests")
    control_plane.kubectl("apply", "-f", str(directory))


def ready_policy(control_plane: ControlPlane, namespace: str) -> dict[str, Any] | None:
    body = get_json(control_plane, POLICY, "default", "-n", namespace)
    return body if settled(body) and condition(body).get("status") == "True" else None


def versions(control_plane: ControlPlane, namespace: str) -> dict[str, str]:
    """resourceVersion of everything the operator could write."""
    objects = {
        "policy": (POLICY, "default"),
        "catalog": (CATALOG, "default"),
        "multimodal": (CATALOG, "multimodal"),
        "budget": ("budgetallocation.tierroute.io", "monthly"),
        "configmap": ("configmap", "default-routing"),
        "secret": ("secret", "default-credentials"),
    }
    found = {}
    for label, (resource, name) in objects.items():
        body = get_json(control_plane, resource, name, "-n", namespace)
        assert body is not None, f"{resource} {name} missing"
        found[label] = body["metadata"]["resourceVersion"]
    return found


def converged(operator: RunningOperator, policies: int = 1, catalogs: int = 2) -> bool:
    """Every object reconciled at least once, nothing queued or being retried."""
    samples = operator.metrics()

    def count(kind: str) -> float:
        return samples.get(f'tierroute_operator_reconciles_total{{kind="{kind}",result="ok"}}', 0)

    return (
        count("RoutingPolicy") >= policies
        and count("ModelCatalog") >= catalogs
        and count("BudgetAllocation") >= 1
        and samples.get("tierroute_operator_queue_depth", 1) == 0
    )


def writes(operator: RunningOperator) -> dict[str, float]:
    samples = operator.metrics()
    return {
        name: value
        for name, value in samples.items()
        if name.startswith("tierroute_operator_writes_total") and value
    }


@pytest.mark.usefixtures("examples")
def test_restart_converges_without_writing_anything(
    control_plane: ControlPlane, namespace: str
) -> None:
    with running_operator(control_plane.kubeconfig, [namespace]):
        wait_until(lambda: ready_policy(control_plane, namespace), what="policy Ready")
    before = versions(control_plane, namespace)
    with running_operator(control_plane.kubeconfig, [namespace]) as second:
        wait_until(lambda: converged(second), what="the restarted operator converged")
        assert writes(second) == {}
    assert versions(control_plane, namespace) == before


@pytest.mark.usefixtures("examples")
def test_operator_killed_during_reconciles_converges_without_partial_writes(
    control_plane: ControlPlane, namespace: str
) -> None:
    index = next(
        position
        for document in example_manifests(namespace)
        if document["kind"] == "ModelCatalog" and document["metadata"]["name"] == "default"
        for position, model in enumerate(document["spec"]["models"])
        if model["name"] == "gpt-4o-mini"
    )
    with running_operator(control_plane.kubeconfig, [namespace]):
        wait_until(lambda: ready_policy(control_plane, namespace), what="policy Ready")
    for attempt, price in enumerate(PRICES):
        with running_operator(control_plane.kubeconfig, [namespace]) as running:
            patch = [
                {
                    "op": "replace",
                    "value": price,
                    "path": f"/spec/models/{index}/pricing/inputPerMillion",
                }
            ]
            control_plane.kubectl(
                "patch",
                CATALOG,
                "default",
                "-n",
                namespace,
                "--type=json",
                "-p",
                orjson.dumps(patch).decode(),
            )
            time.sleep(0.03 * attempt)  # somewhere inside the reconcile the patch started
            os.killpg(running.process.process.pid, signal.SIGKILL)
            assert_consistent(control_plane, namespace)
    with running_operator(control_plane.kubeconfig, [namespace]) as survivor:
        wait_until(lambda: converged(survivor), what="the restarted operator converged")
        policy = wait_until(lambda: ready_policy(control_plane, namespace), what="Ready")
    table = assert_consistent(control_plane, namespace)
    assert policy["status"]["hash"] == content_hash(table)
    [model] = [model for model in table.models if model.name == "gpt-4o-mini"]
    assert model.pricing.input_per_million == PRICES[-1]
    settled_versions = versions(control_plane, namespace)
    with running_operator(control_plane.kubeconfig, [namespace]) as again:
        wait_until(lambda: converged(again), what="a second restart converged")
        assert writes(again) == {}
    assert versions(control_plane, namespace) == settled_versions


def assert_consistent(control_plane: ControlPlane, namespace: str) -> Any:
    """The ConfigMap holds a whole table whose hash its annotation states; the Secret agrees."""
    stored = get_json(
        control_plane, "configmap", "default-routing", "-n", namespace, "--show-managed-fields"
    )
    secret = get_json(control_plane, "secret", "default-credentials", "-n", namespace)
    assert stored is not None
    assert secret is not None
    table = load_routing_table(stored["data"]["routing.json"])
    annotated = stored["metadata"]["annotations"]["tierroute.io/hash"]
    assert content_hash(table) == annotated
    managers = {entry["manager"] for entry in stored["metadata"]["managedFields"]}
    assert managers == {"tierroute-operator"}
    return table
