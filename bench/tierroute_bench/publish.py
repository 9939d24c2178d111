"""`tierroute bench publish`: measured quality and latency into a ModelCatalog's status.

`status_patch` is pure: the catalog object as the cluster has it, the measured figures and
`now` in, a JSON merge patch of the status subresource out. Merge patches replace lists
whole, so the patch carries every entry of `status.models`, the untouched ones as they were,
and the object's `resourceVersion`, so that a concurrent writer (the operator) makes the
patch fail with a conflict instead of being overwritten; `publish_with_kubectl` then reads
and tries again.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from tierroute_bench.results import ResultRecord
from tierroute_bench.summary import ALL_MODALITIES, summarize

RESOURCE = "modelcatalogs.tierroute.io"
CONFLICT_RETRIES = 3
KUBECTL_TIMEOUT_S = 60


class PublishError(RuntimeError):
    """Figures that cannot be published (unknown model, kubectl failure)."""


@dataclass(frozen=True)
class Measurement:
    """What the benchmark measured for one model."""

    quality: float
    latency_p95_ms: float | None
    tasks: int


def measurements(records: Iterable[ResultRecord]) -> dict[str, Measurement]:
    """Accuracy and p95 latency per model over all its tasks."""
    return {
        group.model: Measurement(group.accuracy, group.latency_p95_ms, group.tasks)
        for group in summarize(records)
        if group.modality == ALL_MODALITIES
    }


def status_patch(
    catalog: Mapping[str, Any], measured: Mapping[str, Measurement], *, now: datetime
) -> dict[str, Any]:
    """The merge patch of `status` that records `measured` in `status.models[]`."""
    name = catalog.get("metadata", {}).get("name", "?")
    declared = [model.get("name") for model in catalog.get("spec", {}).get("models", [])]
    unknown = sorted(set(measured) - set(declared))
    if unknown:
        raise PublishError(
            f"ModelCatalog {name}: spec.models has no {unknown[0]!r}; measured models must be "
            f"declared in the catalog (it declares {', '.join(map(str, declared))})"
        )
    current = (catalog.get("status") or {}).get("models") or []
    entries = {entry["name"]: dict(entry) for entry in current if "name" in entry}
    stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for model, figures in measured.items():
        entry = entries.setdefault(model, {"name": model})
        entry["measuredQuality"] = f"{figures.quality:.4f}"
        entry["qualitySource"] = "benchmark"
        entry["lastUpdated"] = stamp
        if figures.latency_p95_ms is not None:
            entry["measuredLatency"] = f"{max(1, round(figures.latency_p95_ms))}ms"
    ordered = [entries[str(model)] for model in declared if model in entries]
    ordered += [entry for key, entry in entries.items() if key not in declared]
    patch: dict[str, Any] = {"status": {"models": ordered}}
    version = catalog.get("metadata", {}).get("resourceVersion")
    if version is not None:
        patch["metadata"] = {"resourceVersion": version}
    return patch


def publish_with_kubectl(
    catalog_name: str,
    namespace: str,
    measured: Mapping[str, Measurement],
    *,
    kubectl: Sequence[str] = ("kubectl",),
    now: datetime | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Read the catalog, patch its status subresource (unless `dry_run`); retry on conflict."""
    for attempt in range(1, CONFLICT_RETRIES + 1):
        catalog = orjson.loads(
            _kubectl(kubectl, "get", RESOURCE, catalog_name, "-n", namespace, "-o", "json")
        )
        patch = status_patch(catalog, measured, now=now or datetime.now(UTC))
        if dry_run:
            return patch
        try:
            _kubectl(
                kubectl, "patch", RESOURCE, catalog_name, "-n", namespace,
                "--subresource=status", "--type=merge", "-p", orjson.dumps(patch).decode(),
            )  # fmt: skip
        except PublishError as error:
            if "modified" in str(error) and attempt < CONFLICT_RETRIES:
                continue
            raise
        return patch
    raise PublishError(f"ModelCatalog {catalog_name}: status kept changing; try again")


def _kubectl(kubectl: Sequence[str], *arguments: str) -> bytes:
    try:
        done = subprocess.run(
            [*kubectl, *arguments], capture_output=True, timeout=KUBECTL_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise PublishError(f"kubectl {arguments[0]} failed: {error}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise PublishError(f"kubectl {' '.join(arguments[:3])}: {message}")
    return done.stdout
