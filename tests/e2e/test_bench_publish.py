"""`tierroute bench publish` on the real test bed: measured quality and latency land in the
ModelCatalog's status subresource, next to what the operator wrote, and nothing else moves."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tests.helpers.bench_sim import MULTIMODAL_CATALOG, catalog_sim
from tierroute_bench.publish import measurements
from tierroute_bench.results import read_results
from tierroute_bench.smoke_suite import write_smoke_suite
from tierroute_gateway.cli import main
from tierroute_operator.testbed.control_plane import ControlPlane

pytestmark = pytest.mark.testbed

CRDS = Path(__file__).resolve().parents[2] / "crds"
RESOURCE = "modelcatalogs.tierroute.io"


def test_publish_writes_benchmark_quality_and_latency_into_catalog_status(
    tierroute_crds: list[str], control_plane: ControlPlane, namespace: str, tmp_path: Path
) -> None:
    control_plane.kubectl("apply", "-n", namespace, "-f", str(MULTIMODAL_CATALOG))
    catalog = orjson.loads(
        control_plane.kubectl("get", RESOURCE, "multimodal", "-n", namespace, "-o", "json").stdout
    )
    names = [model["name"] for model in catalog["spec"]["models"]]
    untouched = names[-1]
    operator_status = {"status": {"models": [{"name": untouched, "observedErrorRate": "0.02"}]}}
    control_plane.kubectl("patch", RESOURCE, "multimodal", "-n", namespace,
                          "--subresource=status", "--type=merge",
                          "-p", orjson.dumps(operator_status).decode())  # fmt: skip

    suite = write_smoke_suite(tmp_path / "smoke", per_kind=2, seed=4, use_espeak=False)
    results = tmp_path / "results.jsonl"
    measured_models = ",".join(names[:-1])
    with catalog_sim() as sim:
        assert main(["bench", "run", str(suite.suite_path), "--catalog", str(MULTIMODAL_CATALOG),
                     "--models", measured_models, "--provider-url", sim.url, "--simulator",
                     "-o", str(results)]) == 0  # fmt: skip
    code = main(["bench", "publish", str(results), "--catalog-name", "multimodal",
                 "-n", namespace, "--kubectl", str(control_plane.bin_dir / "kubectl"),
                 "--kubeconfig", str(control_plane.kubeconfig)])  # fmt: skip
    assert code == 0

    stored = orjson.loads(
        control_plane.kubectl("get", RESOURCE, "multimodal", "-n", namespace, "-o", "json").stdout
    )
    entries = {entry["name"]: entry for entry in stored["status"]["models"]}
    expected = measurements(read_results(results))
    for name, figures in expected.items():
        entry = entries[name]
        assert entry["measuredQuality"] == f"{figures.quality:.4f}"
        assert entry["qualitySource"] == "benchmark"
        assert entry["measuredLatency"] == f"{max(1, round(figures.latency_p95_ms or 0))}ms"
        assert entry["lastUpdated"].endswith("Z")
    assert entries[untouched] == {"name": untouched, "observedErrorRate": "0.02"}
    assert stored["spec"] == catalog["spec"]  # publish never writes spec
