"""The operator on the real test bed: examples in, routing table ConfigMaps and status out.

Each test runs `tierroute operator` as a subprocess against a fresh namespace holding the
examples, and waits (with deadlines, checking observedGeneration) for what it must do.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.helpers.operator import (
    RunningOperator,
    condition,
    decoded,
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
BUDGET = "budgetallocation.tierroute.io"


@pytest.fixture
def manifests(tierroute_crds: list[str], namespace: str, tmp_path: Path) -> Path:
    """The examples written for `namespace` into a directory."""
    return write_manifests(example_manifests(namespace), tmp_path / "manifests")


@pytest.fixture
def operator(
    control_plane: ControlPlane, namespace: str, manifests: Path
) -> Iterator[RunningOperator]:
    """The examples applied and the operator running on their namespace."""
    control_plane.kubectl("apply", "-f", str(manifests))
    with running_operator(control_plane.kubeconfig, [namespace]) as running:
        yield running


def compile_files(paths: Path, policy: str = "default") -> tuple[dict[str, Any], str]:
    """`tierroute compile` of the files: the table and the hash it reports."""
    result = subprocess.run(
        [sys.executable, "-m", "tierroute_gateway.cli", "compile", str(paths), "--policy", policy],
        capture_output=True,
        check=True,
        timeout=60,
    )
    reported = result.stderr.decode().strip().splitlines()[-1].rsplit(" ", 1)[-1]
    return orjson.loads(result.stdout), reported


def wait_ready(
    control_plane: ControlPlane, namespace: str, resource: str, name: str, status: str = "True"
) -> dict[str, Any]:
    """The object once its status describes its generation and Ready has `status`."""

    def probe() -> dict[str, Any] | None:
        body = get_json(control_plane, resource, name, "-n", namespace)
        return body if settled(body) and condition(body).get("status") == status else None

    return wait_until(
        probe,
        what=f"{resource} {name} Ready={status} at its generation",
        timeout_s=60,
        last=lambda: (get_json(control_plane, resource, name, "-n", namespace) or {}).get("status"),
    )


def config_map(control_plane: ControlPlane, namespace: str, policy: str = "default") -> Any:
    return get_json(control_plane, "configmap", f"{policy}-routing", "-n", namespace)


def model_index(namespace: str, catalog: str, model: str) -> int:
    """Where `model` is in the example catalog's spec.models."""
    [spec] = [
        document["spec"]
        for document in example_manifests(namespace)
        if document["kind"] == "ModelCatalog" and document["metadata"]["name"] == catalog
    ]
    return next(index for index, item in enumerate(spec["models"]) if item["name"] == model)


@pytest.mark.usefixtures("operator")
def test_examples_compile_into_the_table_tierroute_compile_produces(
    control_plane: ControlPlane, namespace: str, manifests: Path
) -> None:
    for resource in (
        f"{POLICY}/default",
        f"{CATALOG}/default",
        f"{CATALOG}/multimodal",
        f"{BUDGET}/monthly",
    ):
        control_plane.kubectl(
            "wait", "--for=condition=Ready", "--timeout=60s", resource, "-n", namespace
        )
    policy = wait_ready(control_plane, namespace, POLICY, "default")
    expected, expected_hash = compile_files(manifests)
    stored = config_map(control_plane, namespace)
    assert orjson.loads(stored["data"]["routing.json"]) == expected
    assert stored["metadata"]["annotations"]["tierroute.io/hash"] == expected_hash
    assert policy["status"]["hash"] == expected_hash
    assert policy["status"]["configMap"] == "default-routing"
    assert policy["status"]["models"] == len(expected["models"])
    assert stored["metadata"]["labels"] == {
        "app.kubernetes.io/name": "tierroute",
        "app.kubernetes.io/managed-by": "tierroute-operator",
        "tierroute.io/policy": "default",
    }
    [owner] = stored["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["uid"], owner["controller"]) == (
        "RoutingPolicy",
        policy["metadata"]["uid"],
        True,
    )


@pytest.mark.usefixtures("operator")
def test_credentials_secret_holds_each_provider_key_and_nothing_leaks(
    control_plane: ControlPlane, namespace: str, operator: RunningOperator
) -> None:
    policy = wait_ready(control_plane, namespace, POLICY, "default")
    source = get_json(control_plane, "secret", "llm-provider-keys", "-n", namespace)
    generated = get_json(control_plane, "secret", "default-credentials", "-n", namespace)
    assert source is not None
    assert generated is not None
    keys = decoded(source)
    assert decoded(generated) == {
        name: keys[name] for name in ("openai", "anthropic", "google", "mistral")
    }
    assert generated["metadata"]["annotations"]["tierroute.io/hash"] == policy["status"]["hash"]
    events = control_plane.kubectl("get", "events", "-n", namespace, "-o", "json").stdout
    visible = [
        operator.output(),
        orjson.dumps(policy).decode(),
        events,
        orjson.dumps(config_map(control_plane, namespace)).decode(),
    ]
    for value in keys.values():
        assert all(value not in text for text in visible)


@pytest.mark.usefixtures("operator")
def test_price_change_changes_the_hash_in_configmap_and_status(
    control_plane: ControlPlane, namespace: str, manifests: Path
) -> None:
    before = wait_ready(control_plane, namespace, POLICY, "default")["status"]["hash"]
    index = model_index(namespace, "default", "gpt-4o-mini")
    patch = [
        {"op": "replace", "path": f"/spec/models/{index}/pricing/inputPerMillion", "value": "0.20"}
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

    def changed() -> dict[str, Any] | None:
        body = get_json(control_plane, POLICY, "default", "-n", namespace)
        ready = settled(body) and condition(body).get("status") == "True"
        return body if ready and body and body["status"]["hash"] != before else None

    policy = wait_until(changed, what="a new hash in the policy's status", timeout_s=60)
    stored = config_map(control_plane, namespace)
    table = load_routing_table(stored["data"]["routing.json"])
    assert stored["metadata"]["annotations"]["tierroute.io/hash"] == policy["status"]["hash"]
    assert content_hash(table) == policy["status"]["hash"]
    [model] = [model for model in table.models if model.name == "gpt-4o-mini"]
    assert model.pricing.input_per_million == "0.20"


@pytest.mark.usefixtures("operator")
def test_broken_reference_then_uncompilable_spec_keep_the_last_good_table(
    control_plane: ControlPlane, namespace: str
) -> None:
    good = wait_ready(control_plane, namespace, POLICY, "default")
    kept = config_map(control_plane, namespace)

    def patch_policy(patch: list[dict[str, Any]]) -> None:
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

    patch_policy([{"op": "replace", "path": "/spec/catalogRef/name", "value": "no-such-catalog"}])
    broken = wait_ready(control_plane, namespace, POLICY, "default", status="False")
    assert condition(broken)["reason"] == "ReferenceNotFound"
    assert "spec.catalogRef.name" in condition(broken)["message"]
    assert condition(broken, "ReferencesResolved")["status"] == "False"
    assert config_map(control_plane, namespace) == kept
    assert broken["status"]["hash"] == good["status"]["hash"]

    patch_policy(
        [
            {"op": "replace", "path": "/spec/catalogRef/name", "value": "default"},
            {"op": "replace", "path": "/spec/fallback/chains/0/steps/0/model", "value": "no-model"},
        ]
    )
    uncompilable = wait_ready(control_plane, namespace, POLICY, "default", status="False")
    assert condition(uncompilable)["reason"] == "CompileFailed"
    assert "spec.fallback.chains[0].steps[0].model" in condition(uncompilable)["message"]
    assert condition(uncompilable, "Compiled")["status"] == "False"
    assert config_map(control_plane, namespace) == kept

    patch_policy(
        [{"op": "replace", "path": "/spec/fallback/chains/0/steps/0/model", "value": "gpt-4o-mini"}]
    )
    fixed = wait_ready(control_plane, namespace, POLICY, "default")
    assert fixed["status"]["hash"] == good["status"]["hash"]
    assert config_map(control_plane, namespace) == kept  # same table: not even rewritten
    warnings = control_plane.kubectl(
        "get",
        "events",
        "-n",
        namespace,
        "--field-selector",
        "type=Warning",
        "-o",
        "jsonpath={.items[*].reason}",
    ).stdout.split()
    assert {"ReferenceNotFound", "CompileFailed"} <= set(warnings)


@pytest.mark.usefixtures("operator")
def test_deleted_or_edited_configmap_is_put_back(
    control_plane: ControlPlane, namespace: str
) -> None:
    policy = wait_ready(control_plane, namespace, POLICY, "default")
    original = config_map(control_plane, namespace)["data"]
    control_plane.kubectl("delete", "configmap", "default-routing", "-n", namespace)
    wait_until(
        lambda: (config_map(control_plane, namespace) or {}).get("data") == original,
        what="the deleted ConfigMap back with the same table",
        timeout_s=30,
    )
    control_plane.kubectl(
        "patch",
        "configmap",
        "default-routing",
        "-n",
        namespace,
        "--type=merge",
        "-p",
        '{"data": {"routing.json": "{}"}}',
    )
    wait_until(
        lambda: (config_map(control_plane, namespace) or {}).get("data") == original,
        what="the edited ConfigMap restored",
        timeout_s=30,
    )
    assert (
        get_json(control_plane, POLICY, "default", "-n", namespace)["status"]["hash"]
        == (policy["status"]["hash"])
    )


@pytest.mark.usefixtures("operator")
def test_deleting_the_policy_garbage_collects_configmap_and_secret(
    control_plane: ControlPlane, namespace: str
) -> None:
    wait_ready(control_plane, namespace, POLICY, "default")
    assert get_json(control_plane, "secret", "default-credentials", "-n", namespace) is not None
    control_plane.kubectl("delete", POLICY, "default", "-n", namespace)
    wait_until(
        lambda: (
            config_map(control_plane, namespace) is None
            and get_json(control_plane, "secret", "default-credentials", "-n", namespace) is None
        ),
        what="ConfigMap and Secret deleted by the garbage collector",
        timeout_s=30,
    )


@pytest.mark.usefixtures("operator")
def test_changed_source_secret_reaches_the_credentials_secret(
    control_plane: ControlPlane, namespace: str
) -> None:
    wait_ready(control_plane, namespace, POLICY, "default")
    control_plane.kubectl(
        "patch",
        "secret",
        "llm-provider-keys",
        "-n",
        namespace,
        "--type=merge",
        "-p",
        '{"stringData": {"openai": "rotated-key"}}',
    )
    wait_until(
        lambda: (
            decoded(
                get_json(control_plane, "secret", "default-credentials", "-n", namespace) or {}
            ).get("openai")
            == "rotated-key"
        ),
        what="the rotated key in default-credentials",
        timeout_s=30,
    )
