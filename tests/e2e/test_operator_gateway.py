"""The whole path: a price changed with kubectl reaches a gateway that watches its ConfigMap,
and the gateway's answers carry the new price in `x-tierroute-cost-usd`."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import yaml

from tests.helpers.operator import (
    condition,
    example_manifests,
    get_json,
    running_operator,
    settled,
    wait_until,
    write_manifests,
)
from tests.helpers.processes import started
from tierroute_operator.testbed.control_plane import ControlPlane

pytestmark = pytest.mark.testbed

CLI = [sys.executable, "-m", "tierroute_gateway.cli"]
CATALOG = "modelcatalog.tierroute.io"
POLICY = "routingpolicy.tierroute.io"
MODEL = "gpt-4o-mini"
REQUEST = {"model": MODEL, "messages": [{"role": "user", "content": "Say hello in one word."}]}


def pointed_at(documents: list[dict[str, Any]], base_url: str) -> list[dict[str, Any]]:
    """The examples with every provider of every catalog served by the simulator."""
    for document in documents:
        if document["kind"] == "ModelCatalog":
            for provider in document["spec"]["providers"]:
                provider["baseURL"] = base_url
    return documents


def cost_of(gateway: str) -> tuple[Decimal, dict[str, Any]]:
    response = httpx.post(f"{gateway}/v1/chat/completions", json=REQUEST, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["x-tierroute-model"] == MODEL
    return Decimal(response.headers["x-tierroute-cost-usd"]), response.json()["usage"]


def test_changed_price_reaches_a_gateway_watching_its_configmap(
    tierroute_crds: list[str], control_plane: ControlPlane, namespace: str, tmp_path: Path
) -> None:
    seed = next(
        d
        for d in example_manifests(namespace)
        if d["metadata"]["name"] == "default" and d["kind"] == "ModelCatalog"
    )
    catalog_file = tmp_path / "catalog.yaml"
    catalog_file.write_text(yaml.safe_dump(seed))
    sim_command = [*CLI, "sim", "--catalog", str(catalog_file), "--port", "0", "--seed", "7"]
    with started(sim_command) as sim:
        documents = pointed_at(example_manifests(namespace), f"{sim.url}/v1")
        control_plane.kubectl("apply", "-f", str(write_manifests(documents, tmp_path / "m")))
        gateway_command = [
            *CLI,
            "gateway",
            "--port",
            "0",
            "--config",
            str(tmp_path / "table" / "routing.json"),
            "--watch-configmap",
            f"{namespace}/default-routing",
            "--kubeconfig",
            str(control_plane.kubeconfig),
            "--credentials-dir",
            str(tmp_path / "no-credentials"),
            "--no-request-log",
        ]
        with running_operator(control_plane.kubeconfig, [namespace]):
            wait_until(
                lambda: (
                    condition(get_json(control_plane, POLICY, "default", "-n", namespace)).get(
                        "status"
                    )
                    == "True"
                ),
                what="the policy Ready",
            )
            with started(gateway_command) as gateway:
                before, _ = cost_of(gateway.url)
                prices = {"inputPerMillion": "1.50", "outputPerMillion": "6.00"}
                index = next(i for i, m in enumerate(seed["spec"]["models"]) if m["name"] == MODEL)
                patch = [
                    {
                        "op": "replace",
                        "path": f"/spec/models/{index}/pricing/{field}",
                        "value": value,
                    }
                    for field, value in prices.items()
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

                def new_price() -> tuple[Decimal, dict[str, Any]] | None:
                    cost, usage = cost_of(gateway.url)
                    return (cost, usage) if cost != before else None

                after, usage = wait_until(
                    new_price, what="the gateway charging the new price", timeout_s=30
                )
    expected = (
        usage["prompt_tokens"] * Decimal(prices["inputPerMillion"])
        + usage["completion_tokens"] * Decimal(prices["outputPerMillion"])
    ) / 1_000_000
    assert abs(after - expected) < Decimal("0.000001")
    assert after > before
    policy = get_json(control_plane, POLICY, "default", "-n", namespace)
    assert settled(policy)
