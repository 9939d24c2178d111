"""Two replicas, one active: the Lease elects one, and when it is killed the other takes over."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.helpers.operator import (
    condition,
    example_manifests,
    get_json,
    running_operator,
    settled,
    wait_until,
    write_manifests,
)
from tierroute_operator.testbed.control_plane import ControlPlane

pytestmark = pytest.mark.testbed

POLICY = "routingpolicy.tierroute.io"
CATALOG = "modelcatalog.tierroute.io"
LEASE_SECONDS = "3"


def ready_hash(control_plane: ControlPlane, namespace: str) -> str | None:
    body = get_json(control_plane, POLICY, "default", "-n", namespace)
    if settled(body) and condition(body).get("status") == "True" and body:
        value: str = body["status"]["hash"]
        return value
    return None


def test_killing_the_active_replica_hands_over_to_the_standby(
    tierroute_crds: list[str], control_plane: ControlPlane, namespace: str, tmp_path: Path
) -> None:
    documents = example_manifests(namespace)
    control_plane.kubectl("apply", "-f", str(write_manifests(documents, tmp_path / "examples")))
    options = ("--lease", f"{namespace}/tierroute-operator", "--lease-duration", LEASE_SECONDS)
    kubeconfig = control_plane.kubeconfig
    with (
        running_operator(kubeconfig, [namespace], *options, "--identity", "replica-a") as first,
        running_operator(
            kubeconfig, [namespace], *options, "--identity", "replica-b", expect="standby"
        ) as second,
    ):
        before = wait_until(lambda: ready_hash(control_plane, namespace), what="Ready by a")
        assert second.readiness() == (503, "standby")
        assert holder(control_plane, namespace) == "replica-a"

        os.killpg(first.process.process.pid, signal.SIGKILL)
        wait_until(
            lambda: second.readiness() == (200, "ok"),
            what="the standby taking over",
            timeout_s=30,
            last=second.readiness,
        )
        assert holder(control_plane, namespace) == "replica-b"

        catalog = next(
            d
            for d in documents
            if d["kind"] == "ModelCatalog" and d["metadata"]["name"] == "default"
        )
        index = next(i for i, m in enumerate(catalog["spec"]["models"]) if m["name"] == "o1")
        patch = [
            {
                "op": "replace",
                "value": "16.00",
                "path": f"/spec/models/{index}/pricing/inputPerMillion",
            }
        ]
        control_plane.kubectl(
            "patch",
            CATALOG,
            catalog["metadata"]["name"],
            "-n",
            namespace,
            "--type=json",
            "-p",
            orjson.dumps(patch).decode(),
        )
        wait_until(
            lambda: (ready_hash(control_plane, namespace) or before) != before,
            what="the new active replica reconciling a price change",
        )


def holder(control_plane: ControlPlane, namespace: str) -> Any:
    lease = get_json(control_plane, "lease", "tierroute-operator", "-n", namespace)
    return (lease or {}).get("spec", {}).get("holderIdentity")
