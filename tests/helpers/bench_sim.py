"""For the benchmark harness's tests: `tierroute sim` serving a ModelCatalog, made fast.

The catalog's declared latencies (around a second) would make every test slow; the models'
latency is set to a few milliseconds through the simulator's admin endpoint, everything else
(quality, token counting, faults) stays as the catalog makes it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson

from tests.helpers.processes import started

REPOSITORY = Path(__file__).resolve().parents[2]
MULTIMODAL_CATALOG = REPOSITORY / "examples" / "multimodal-catalog.yaml"
FAST = {
    "latency": {"distribution": "fixed", "median_ms": 3},
    "time_to_first_token": {"distribution": "fixed", "median_ms": 1},
    "tokens_per_second": 0,
}


class CatalogSim:
    """A running simulator: its URL and its admin endpoint."""

    def __init__(self, url: str) -> None:
        self.url = url

    def served_models(self) -> list[str]:
        """Provider-side ids the simulator serves."""
        response = httpx.get(f"{self.url}/admin/models")
        response.raise_for_status()
        return [model["name"] for model in response.json()["models"]]

    def patch(self, model: str, patch: Mapping[str, Any]) -> None:
        """A JSON merge patch of one model's settings."""
        httpx.put(
            f"{self.url}/admin/models/{model}", content=orjson.dumps(patch)
        ).raise_for_status()

    def stats(self) -> dict[str, Any]:
        """`/admin/stats`: requests per model, recent requests with their API and headers."""
        response = httpx.get(f"{self.url}/admin/stats")
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result


@contextmanager
def catalog_sim(catalog: Path = MULTIMODAL_CATALOG, *, seed: int = 0) -> Iterator[CatalogSim]:
    """`tierroute sim --catalog` with every model answering in milliseconds; always stopped."""
    command = [sys.executable, "-m", "tierroute_gateway.cli", "sim", "--catalog", str(catalog),
               "--port", "0", "--seed", str(seed)]  # fmt: skip
    with started(command) as running:
        sim = CatalogSim(running.url)
        for model in sim.served_models():
            sim.patch(model, FAST)
        yield sim
