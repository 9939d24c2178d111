"""The status patch that publishes measured quality and latency into a ModelCatalog."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tierroute_bench.publish import Measurement, PublishError, measurements, status_patch
from tierroute_bench.results import Outcome, ResultRecord
from tierroute_operator.api.model_catalog import ModelCatalogStatus

NOW = datetime(2026, 11, 27, 8, 0, 0, tzinfo=UTC)


def catalog(status: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "metadata": {"name": "mm", "resourceVersion": "42"},
        "spec": {"models": [{"name": "a"}, {"name": "b"}, {"name": "c"}]},
        "status": status,
    }


def test_patch_records_benchmark_quality_and_p95_latency() -> None:
    patch = status_patch(catalog(), {"b": Measurement(0.875, 812.4, 40)}, now=NOW)
    assert patch == {
        "metadata": {"resourceVersion": "42"},
        "status": {
            "models": [
                {"name": "b", "measuredQuality": "0.8750", "qualitySource": "benchmark",
                 "lastUpdated": "2026-11-27T08:00:00Z", "measuredLatency": "812ms"}
            ]
        },
    }  # fmt: skip
    ModelCatalogStatus.model_validate(patch["status"])  # the operator's schema accepts it


def test_patch_keeps_other_models_and_fields_in_spec_order() -> None:
    current = {
        "conditions": [],
        "models": [
            {"name": "c", "observedErrorRate": "0.01"},
            {"name": "a", "measuredLatency": "900ms", "measuredQuality": "0.5"},
        ],
    }
    patch = status_patch(catalog(current), {"a": Measurement(1.0, None, 5)}, now=NOW)
    models = patch["status"]["models"]
    assert [entry["name"] for entry in models] == ["a", "c"]
    assert models[0]["measuredLatency"] == "900ms"  # no latency measured: left as it was
    assert models[0]["measuredQuality"] == "1.0000"
    assert models[1] == {"name": "c", "observedErrorRate": "0.01"}
    assert "conditions" not in patch["status"]  # a merge patch leaves unnamed fields alone


def test_unknown_model_is_refused() -> None:
    with pytest.raises(PublishError, match=r"ModelCatalog mm: spec\.models has no 'zz'"):
        status_patch(catalog(), {"zz": Measurement(0.5, 10.0, 1)}, now=NOW)


def test_measurements_are_accuracy_and_p95_over_all_tasks() -> None:
    records = [
        ResultRecord(model="a", task_id=str(n), modality="vision" if n % 2 else "text",
                     outcome=Outcome.OK, scorer="exact", correct=n < 3, latency_ms=float(n))
        for n in range(4)
    ]  # fmt: skip
    measured = measurements(records)["a"]
    # p95 of 0, 1, 2, 3 interpolates between ranks: 2 + 0.85 × (3 − 2)
    assert (measured.quality, measured.tasks) == (0.75, 4)
    assert measured.latency_p95_ms == pytest.approx(2.85)
