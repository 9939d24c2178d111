"""The `tierroute sim` command line: catalogs as input, clear errors, a clean stop."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import yaml

from tests.helpers.processes import started

CATALOG = {
    "apiVersion": "tierroute.io/v1alpha1",
    "kind": "ModelCatalog",
    "metadata": {"name": "demo"},
    "spec": {
        "providers": [{"name": "acme", "api": "openai", "baseURL": "http://127.0.0.1:9/v1"}],
        "models": [
            {
                "name": "acme-large",
                "provider": "acme",
                "providerModel": "acme-large-2025",
                "latency": "5ms",
                "quality": "0.9",
            }
        ],
    },
}
CLI = [sys.executable, "-m", "tierroute_gateway.cli", "sim"]


def test_a_catalog_is_served_under_provider_ids_and_catalog_names(tmp_path: Path) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(CATALOG))
    with started([*CLI, "--catalog", path, "--api-key", "k1"]) as sim:
        headers = {"Authorization": "Bearer k1"}
        listed = httpx.get(f"{sim.url}/v1/models", headers=headers).json()["data"]
        assert {model["id"] for model in listed} == {"acme-large", "acme-large-2025"}
        chat = {"model": "acme-large", "messages": [{"role": "user", "content": "hi"}]}
        response = httpx.post(f"{sim.url}/v1/chat/completions", json=chat, headers=headers)
        assert response.status_code == 200
        assert sim.process.poll() is None
    assert sim.process.returncode == 0
    assert "k1" not in sim.output()


def test_an_invalid_profile_exits_2_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "profile.yaml"
    path.write_text("models:\n  - name: m\n    faults: {error_rate: 3}\n")
    result = subprocess.run(
        [*CLI, "--profile", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert "models.0.faults.error_rate" in result.stderr
    assert str(path) in result.stderr
