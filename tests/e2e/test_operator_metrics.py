"""The operator's own metrics, scraped by a real Prometheus: reconciles, errors, durations."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import orjson
import pytest

from tests.fixtures.testbed import StartPrometheus
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
from tierroute_operator.testbed.prometheus import wait_for_query

pytestmark = [pytest.mark.testbed, pytest.mark.prometheus]

POLICY = "routingpolicy.tierroute.io"


def test_prometheus_scrapes_reconciles_errors_and_durations(
    tierroute_crds: list[str],
    control_plane: ControlPlane,
    namespace: str,
    prometheus: StartPrometheus,
    tmp_path: Path,
) -> None:
    documents = example_manifests(namespace)
    control_plane.kubectl("apply", "-f", str(write_manifests(documents, tmp_path / "examples")))
    with running_operator(control_plane.kubeconfig, [namespace]) as operator:
        with urllib.request.urlopen(operator.health_url, timeout=5) as response:
            assert response.status == 200
        server = prometheus([operator.metrics_url.removeprefix("http://").split("/")[0]])
        wait_until(
            lambda: condition(get_json(control_plane, POLICY, "default", "-n", namespace)),
            what="a Ready condition on the policy",
        )
        ok = wait_for_query(
            server.url, 'tierroute_operator_reconciles_total{kind="RoutingPolicy",result="ok"} > 0'
        )
        assert ok[0]["metric"]["kind"] == "RoutingPolicy"
        wait_for_query(
            server.url,
            'tierroute_operator_reconcile_duration_seconds_count{kind="RoutingPolicy"} > 0',
        )
        patch = [{"op": "replace", "path": "/spec/budgetRef/name", "value": "no-such-budget"}]
        control_plane.kubectl(
            "patch",
            POLICY,
            "default",
            "-n",
            namespace,
            "--type=json",
            "-p",
            orjson.dumps(patch).decode(),
        )

        def failed() -> bool:
            body = get_json(control_plane, POLICY, "default", "-n", namespace)
            return settled(body) and condition(body).get("reason") == "ReferenceNotFound"

        wait_until(failed, what="the policy failing on the missing budget")
        errors = wait_for_query(
            server.url, 'tierroute_operator_reconcile_errors_total{reason="ReferenceNotFound"} > 0'
        )
        assert errors[0]["metric"]["kind"] == "RoutingPolicy"
        writes = wait_for_query(server.url, 'tierroute_operator_writes_total{resource="event"}')
        assert float(writes[0]["value"][1]) >= 2  # the first table, then the warning
