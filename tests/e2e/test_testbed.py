"""Smoke tests of the real control plane: namespaces, CRDs with CEL rules, watches, garbage
collection, kubectl and helm, and a clean stop."""

from __future__ import annotations

import json
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from tests.fixtures.testbed import Kubectl, unavailable
from tierroute_operator.testbed.binaries import REPOSITORY_ROOT
from tierroute_operator.testbed.control_plane import (
    ControlPlane,
    install_crds,
    start_control_plane,
    stop_control_plane,
    write_service_account_kubeconfig,
)
from tierroute_operator.testbed.processes import is_running

pytestmark = pytest.mark.testbed

GROUP = "smoke.testbed.tierroute.io"
RULE_MESSAGE = "spec.minReplicas must not exceed spec.maxReplicas"
WIDGET_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": f"widgets.{GROUP}"},
    "spec": {
        "group": GROUP,
        "scope": "Namespaced",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {
                                "type": "object",
                                "properties": {
                                    "minReplicas": {"type": "integer"},
                                    "maxReplicas": {"type": "integer"},
                                },
                                "x-kubernetes-validations": [
                                    {
                                        "rule": "self.minReplicas <= self.maxReplicas",
                                        "message": RULE_MESSAGE,
                                    }
                                ],
                            }
                        },
                    }
                },
            }
        ],
    },
}


def pinned_versions() -> dict[str, str]:
    """KEY=VALUE lines of tests/testbed/versions.env: the versions the binaries must report."""
    lines = (REPOSITORY_ROOT / "tests" / "testbed" / "versions.env").read_text().splitlines()
    pairs = (line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


def widget(namespace: str, name: str, minimum: int, maximum: int) -> str:
    """A Widget manifest as YAML for `kubectl apply -f -`."""
    return yaml.safe_dump(
        {
            "apiVersion": f"{GROUP}/v1",
            "kind": "Widget",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"minReplicas": minimum, "maxReplicas": maximum},
        }
    )


@pytest.fixture(scope="module")
def widget_crd(control_plane: ControlPlane) -> Iterator[str]:
    """The Widget CRD, Established and known to the garbage collector; deleted afterwards."""
    [name] = install_crds(control_plane, yaml.safe_dump(WIDGET_CRD))
    yield name
    control_plane.kubectl("delete", name, "--wait=false")


def test_namespace_fixture_creates_an_active_namespace(kubectl: Kubectl, namespace: str) -> None:
    phase = kubectl("get", "namespace", namespace, "-o", "jsonpath={.status.phase}").stdout
    assert phase == "Active"


@pytest.mark.usefixtures("widget_crd")
def test_cel_rule_rejects_a_bad_object_with_its_message(kubectl: Kubectl, namespace: str) -> None:
    rejected = kubectl("apply", "-f", "-", stdin_text=widget(namespace, "bad", 5, 1), check=False)
    assert rejected.returncode != 0
    assert RULE_MESSAGE in rejected.stderr
    accepted = kubectl("apply", "-f", "-", stdin_text=widget(namespace, "good", 1, 5), check=False)
    assert accepted.returncode == 0, accepted.stderr


@pytest.mark.usefixtures("widget_crd")
def test_watch_reports_creation_and_change_of_a_custom_resource(
    control_plane: ControlPlane, kubectl: Kubectl, namespace: str
) -> None:
    collection = f"{control_plane.server}/apis/{GROUP}/v1/namespaces/{namespace}/widgets"
    name = f"watched-{secrets.token_hex(3)}"
    with httpx.Client(
        verify=control_plane.ssl_context(), headers=control_plane.authorization_header()
    ) as client:
        listed = client.get(collection).raise_for_status().json()
        kubectl("apply", "-f", "-", stdin_text=widget(namespace, name, 1, 2))
        parameters = {
            "watch": "true",
            "resourceVersion": listed["metadata"]["resourceVersion"],
            "timeoutSeconds": "30",  # the server ends the watch: this read has a deadline
        }
        with client.stream("GET", collection, params=parameters, timeout=40) as stream:
            events = (json.loads(line) for line in stream.iter_lines() if line)
            added = next((e for e in events if e["object"]["metadata"]["name"] == name), None)
            assert added is not None, "the watch ended without an event for the new Widget"
            kubectl("patch", "widget", name, "-n", namespace, "--type=merge",
                    "-p", '{"spec": {"maxReplicas": 3}}')  # fmt: skip
            modified = next((e for e in events if e["type"] == "MODIFIED"), None)
            assert modified is not None, "the watch ended without a MODIFIED event"
    assert added["type"] == "ADDED"
    assert added["object"]["spec"]["maxReplicas"] == 2
    assert modified["object"]["metadata"]["name"] == name
    assert modified["object"]["spec"]["maxReplicas"] == 3


@pytest.mark.usefixtures("widget_crd")
def test_garbage_collector_deletes_a_configmap_whose_owner_is_deleted(
    kubectl: Kubectl, namespace: str
) -> None:
    kubectl("apply", "-f", "-", stdin_text=widget(namespace, "owner", 1, 2))
    uid = kubectl("get", "widget", "owner", "-n", namespace, "-o", "jsonpath={.metadata.uid}")
    owned = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "owned",
            "namespace": namespace,
            "ownerReferences": [
                {"apiVersion": f"{GROUP}/v1", "kind": "Widget", "name": "owner", "uid": uid.stdout}
            ],
        },
        "data": {"key": "value"},
    }
    kubectl("apply", "-f", "-", stdin_text=yaml.safe_dump(owned))
    kubectl("delete", "widget", "owner", "-n", namespace)
    kubectl("wait", "--for=delete", "configmap/owned", "-n", namespace, "--timeout=30s")
    gone = kubectl("get", "configmap", "owned", "-n", namespace, check=False)
    assert "NotFound" in gone.stderr


def test_kubectl_and_apiserver_report_the_pinned_version(kubectl: Kubectl) -> None:
    versions = json.loads(kubectl("version", "-o", "json").stdout)
    pinned = pinned_versions()["KUBERNETES_VERSION"]
    assert versions["clientVersion"]["gitVersion"] == pinned
    assert versions["serverVersion"]["gitVersion"] == pinned


def test_rbac_limits_a_service_account_without_bindings(
    control_plane: ControlPlane, kubectl: Kubectl, namespace: str, tmp_path: Path
) -> None:
    kubectl("create", "serviceaccount", "reader", "-n", namespace)
    kubeconfig = write_service_account_kubeconfig(
        control_plane, namespace, "reader", tmp_path / "reader.kubeconfig"
    )
    as_reader = ["--kubeconfig", str(kubeconfig), "-n", namespace]
    before = kubectl(*as_reader, "get", "configmaps", check=False)
    assert before.returncode != 0
    assert "forbidden" in before.stderr
    kubectl("create", "role", "read-configmaps", "-n", namespace,
            "--verb=get,list", "--resource=configmaps")  # fmt: skip
    kubectl("create", "rolebinding", "reader", "-n", namespace,
            "--role=read-configmaps", f"--serviceaccount={namespace}:reader")  # fmt: skip
    after = kubectl(*as_reader, "auth", "can-i", "list", "configmaps", check=False)
    assert after.stdout.strip() == "yes"


@pytest.fixture
def helm_chart(tmp_path: Path) -> Path:
    """A one-template chart rendering a ConfigMap named after the release."""
    chart = tmp_path / "smoke"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(
        "apiVersion: v2\nname: smoke\nversion: 0.1.0\nkubeVersion: '>=1.30.0-0'\n"
    )
    (chart / "templates" / "configmap.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-settings\n"
        "data:\n  greeting: hello\n"
    )
    return chart


def test_helm_installs_a_chart_against_the_control_plane(
    control_plane: ControlPlane, kubectl: Kubectl, namespace: str, helm_chart: Path
) -> None:
    if not (control_plane.bin_dir / "helm").exists():
        unavailable(f"helm missing in {control_plane.bin_dir}: run `make testbed`")
    version = control_plane.helm("version", "--short").stdout
    assert version.startswith(pinned_versions()["HELM_VERSION"])
    dry_run = control_plane.helm(
        "install", "smoke", str(helm_chart), "-n", namespace, "--dry-run=server"
    )
    assert "name: smoke-settings" in dry_run.stdout
    assert kubectl("get", "configmap", "smoke-settings", "-n", namespace, check=False).returncode
    control_plane.helm("install", "smoke", str(helm_chart), "-n", namespace, "--wait")
    releases = json.loads(control_plane.helm("list", "-n", namespace, "-o", "json").stdout)
    assert [release["name"] for release in releases] == ["smoke"]
    greeting = kubectl("get", "configmap", "smoke-settings", "-n", namespace,
                       "-o", "jsonpath={.data.greeting}")  # fmt: skip
    assert greeting.stdout == "hello"


def test_stopping_a_control_plane_ends_every_process(
    control_plane: ControlPlane, tmp_path: Path
) -> None:
    second = start_control_plane(control_plane.bin_dir, tmp_path / "second")
    names = [process.name for process in second.processes]
    assert names == ["etcd", "kube-apiserver", "kube-controller-manager"]
    stop_control_plane(second)
    assert [process.name for process in second.processes if is_running(process)] == []
    exit_codes = [process.popen.returncode for process in second.processes if process.popen]
    assert len(exit_codes) == len(names)
    assert None not in exit_codes
    port = int(second.server.rsplit(":", 1)[1])
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
