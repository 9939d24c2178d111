"""The operator under the RBAC of deploy/rbac/, with its ServiceAccount's token: it does its
job, and `kubectl auth can-i` shows it can read no Secret it was not pointed at and touch no
namespace it does not watch."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.operator import (
    REPOSITORY,
    condition,
    example_manifests,
    get_json,
    running_operator,
    settled,
    wait_until,
    write_manifests,
)
from tierroute_operator.testbed.control_plane import (
    ControlPlane,
    write_service_account_kubeconfig,
)

pytestmark = pytest.mark.testbed

RBAC = REPOSITORY / "deploy" / "rbac"
OPERATOR_NAMESPACE = "tierroute-system"
ACCOUNT = f"system:serviceaccount:{OPERATOR_NAMESPACE}:tierroute-operator"
POLICY = "routingpolicy.tierroute.io"
CATALOG = "modelcatalog.tierroute.io"


@pytest.fixture
def other_namespace(control_plane: ControlPlane) -> Iterator[str]:
    """A namespace the operator is not configured to watch, with a Secret and a ConfigMap."""
    name = f"other-{secrets.token_hex(4)}"
    control_plane.kubectl("create", "namespace", name)
    control_plane.kubectl(
        "create", "secret", "generic", "elsewhere", "-n", name, "--from-literal=key=not-yours"
    )
    try:
        yield name
    finally:
        control_plane.kubectl("delete", "namespace", name, "--wait=false")


@pytest.fixture
def service_account_kubeconfig(
    tierroute_crds: list[str], control_plane: ControlPlane, namespace: str, tmp_path: Path
) -> Path:
    """deploy/rbac applied for `namespace`; a kubeconfig acting as the operator's account."""
    if get_json(control_plane, "namespace", OPERATOR_NAMESPACE) is None:
        control_plane.kubectl("create", "namespace", OPERATOR_NAMESPACE)
    for name in ("service-account.yaml", "cluster-role.yaml", "leader-election.yaml"):
        control_plane.kubectl("apply", "-f", str(RBAC / name))
    control_plane.kubectl("apply", "-n", namespace, "-f", str(RBAC / "watched-namespace.yaml"))
    return write_service_account_kubeconfig(
        control_plane, OPERATOR_NAMESPACE, "tierroute-operator", tmp_path / "operator.kubeconfig"
    )


def can_i(control_plane: ControlPlane, *question: str) -> bool:
    result = control_plane.kubectl("auth", "can-i", *question, "--as", ACCOUNT, check=False)
    return result.stdout.strip() == "yes"


def test_operator_works_with_its_service_account_and_nothing_more(
    control_plane: ControlPlane,
    namespace: str,
    other_namespace: str,
    service_account_kubeconfig: Path,
    tmp_path: Path,
) -> None:
    documents = example_manifests(namespace)
    control_plane.kubectl("apply", "-f", str(write_manifests(documents, tmp_path / "examples")))
    control_plane.kubectl(
        "create",
        "secret",
        "generic",
        "unrelated",
        "-n",
        namespace,
        "--from-literal=key=not-for-the-operator",
    )
    lease = f"{OPERATOR_NAMESPACE}/tierroute-operator"
    with running_operator(service_account_kubeconfig, [namespace], "--lease", lease):

        def ready() -> bool:
            body = get_json(control_plane, POLICY, "default", "-n", namespace)
            return settled(body) and condition(body).get("status") == "True"

        wait_until(ready, what="the policy Ready under the operator's RBAC")
        assert get_json(control_plane, "configmap", "default-routing", "-n", namespace)
        assert get_json(control_plane, "secret", "default-credentials", "-n", namespace)

        forbidden = next(d for d in documents if d["kind"] == "ModelCatalog")
        forbidden["metadata"]["name"] = "points-elsewhere"
        forbidden["spec"]["providers"][0]["credentials"]["secretRef"]["name"] = "unrelated"
        write_manifests([forbidden], tmp_path / "forbidden")
        control_plane.kubectl("apply", "-f", str(tmp_path / "forbidden"))

        def refused() -> dict[str, object] | None:
            body = get_json(control_plane, CATALOG, "points-elsewhere", "-n", namespace)
            return condition(body) if settled(body) and condition(body) else None

        ready_condition = wait_until(refused, what="the catalog's Ready condition")
        assert ready_condition["status"] == "False"
        assert ready_condition["reason"] == "ReferenceForbidden"
        assert "spec.providers[0].credentials.secretRef.name" in str(ready_condition["message"])

    assert can_i(control_plane, "get", "secret/llm-provider-keys", "-n", namespace)
    assert can_i(control_plane, "patch", "secret/default-credentials", "-n", namespace)
    assert not can_i(control_plane, "get", "secret/unrelated", "-n", namespace)
    assert not can_i(control_plane, "list", "secrets", "-n", namespace)
    assert not can_i(control_plane, "watch", "secrets", "-n", namespace)
    assert not can_i(control_plane, "patch", f"{POLICY}/default", "-n", namespace)
    assert can_i(
        control_plane, "patch", f"{POLICY}/default", "--subresource=status", "-n", namespace
    )
    assert not can_i(control_plane, "get", "secret/elsewhere", "-n", other_namespace)
    assert not can_i(control_plane, "list", "configmaps", "-n", other_namespace)
    assert not can_i(control_plane, "list", POLICY, "-n", other_namespace)
    assert not can_i(control_plane, "list", "secrets", "--all-namespaces")
