"""The generated CRDs on a real API server: bad manifests are refused with a message naming the
field, and every example is accepted.

Each case is a YAML file under crdcel/ (as in Envoy AI Gateway's tests/crdcel) whose
`# expect:` comment lines hold text the API server's rejection must contain.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.fixtures.testbed import Kubectl
from tierroute_operator.crds import generate_crds

pytestmark = pytest.mark.testbed

HERE = Path(__file__).resolve().parent
CASES = HERE / "crdcel"
EXAMPLES = HERE.parents[1] / "examples"
CRDS = HERE.parents[1] / "crds"


def expectations(path: Path) -> list[str]:
    return [
        line.removeprefix("# expect:").strip()
        for line in path.read_text().splitlines()
        if line.startswith("# expect:")
    ]


def dry_run_create(kubectl: Kubectl, namespace: str, manifest: str) -> tuple[int, str]:
    """Create on the server without storing; returns the exit code and kubectl's stderr."""
    result = kubectl(
        "create", "--dry-run=server", "-n", namespace, "-f", "-", stdin_text=manifest, check=False
    )
    return result.returncode, result.stderr


def test_the_installed_crds_are_the_generated_ones(tierroute_crds: list[str]) -> None:
    names = sorted(name.rsplit("/", 1)[-1] for name in tierroute_crds)
    expected = sorted(yaml.safe_load(text)["metadata"]["name"] for text in generate_crds().values())
    assert names == expected


@pytest.mark.parametrize("case", sorted(path.name for path in CASES.glob("*.yaml")))
def test_invalid_manifest_is_refused_naming_the_field(
    case: str, tierroute_crds: list[str], kubectl: Kubectl, namespace: str
) -> None:
    path = CASES / case
    expected = expectations(path)
    assert expected, f"{case} has no `# expect:` line"
    code, stderr = dry_run_create(kubectl, namespace, path.read_text())
    assert code != 0, f"{case} was accepted"
    for text in expected:
        assert text in stderr, f"{case}: {text!r} not in {stderr!r}"


def test_ten_thousand_models_exceed_max_items(
    tierroute_crds: list[str], kubectl: Kubectl, namespace: str
) -> None:
    model = {
        "provider": "local",
        "tier": "economy",
        "pricing": {"inputPerMillion": "0.10", "outputPerMillion": "0.10"},
        "contextWindow": 8192,
        "maxOutputTokens": 1024,
        "latency": "200ms",
        "quality": "0.5",
    }
    catalog = {
        "apiVersion": "tierroute.io/v1alpha1",
        "kind": "ModelCatalog",
        "metadata": {"name": "ten-thousand"},
        "spec": {
            "providers": [{"name": "local", "api": "openai", "baseURL": "http://127.0.0.1:1/v1"}],
            "models": [{"name": f"model-{index}", **model} for index in range(10_000)],
        },
    }
    result = kubectl(
        "create", "--dry-run=server", "-n", namespace, "-f", "-",
        stdin_text=json.dumps(catalog), check=False, timeout_s=180,
    )  # fmt: skip
    assert result.returncode != 0
    assert "spec.models: Too many: 10000: must have at most 1000 items" in result.stderr


def kubernetes_documents(path: Path) -> list[dict[str, Any]]:
    """The Kubernetes objects of a file (examples/ also holds a simulator profile)."""
    return [
        document
        for document in yaml.safe_load_all(path.read_text())
        if isinstance(document, dict) and "apiVersion" in document and "kind" in document
    ]


EXAMPLE_FILES = sorted(path.name for path in EXAMPLES.glob("*.yaml") if kubernetes_documents(path))


@pytest.mark.parametrize("example", EXAMPLE_FILES)
def test_every_example_is_accepted(
    example: str, tierroute_crds: list[str], kubectl: Kubectl, namespace: str
) -> None:
    documents = kubernetes_documents(EXAMPLES / example)
    manifest = "---\n".join(yaml.safe_dump(document) for document in documents)
    code, stderr = dry_run_create(kubectl, namespace, manifest)
    assert code == 0, stderr


def test_an_example_round_trips_with_server_defaults(
    tierroute_crds: list[str], kubectl: Kubectl, namespace: str
) -> None:
    kubectl("apply", "-n", namespace, "-f", str(EXAMPLES / "default-policy.yaml"))
    stored = json.loads(kubectl("get", "-n", namespace, "rpol", "default", "-o", "json").stdout)
    spec = stored["spec"]
    assert spec["tierPriority"]["high"] == ["premium", "standard", "economy"]
    assert spec["classification"]["highComplexityContextTokens"] == 50000
    assert spec["routes"][0]["strategy"] == "cost-optimized"
    table = kubectl("get", "-n", namespace, "tierroute").stdout
    assert "routingpolicy.tierroute.io/default" in table
    assert "CATALOG" in table
