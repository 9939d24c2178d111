"""Status of ModelCatalogs and BudgetAllocations: validity, credentials, allocation."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from tierroute_operator.controller.budget_status import reconcile_budget
from tierroute_operator.controller.catalog_status import reconcile_catalog
from tierroute_operator.controller.entries import SecretSnapshot, SecretState

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
NOW = datetime(2026, 11, 16, 0, 0, tzinfo=UTC)  # half-way through November


def example(name: str, status: dict[str, Any] | None = None) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((EXAMPLES / name).read_text())
    document["metadata"] |= {"namespace": "team-a", "uid": "u", "generation": 4}
    if status is not None:
        document["status"] = status
    return document


def keys(*names: str) -> dict[str, SecretSnapshot]:
    data = {name: base64.b64encode(b"k").decode() for name in names}
    return {"llm-provider-keys": SecretSnapshot(SecretState.PRESENT, data)}


def condition(status: dict[str, Any] | None, kind: str) -> dict[str, Any]:
    assert status is not None
    return next(item for item in status["conditions"] if item["type"] == kind)


def test_catalog_with_readable_keys_is_ready_with_counts() -> None:
    plan = reconcile_catalog(
        example("seed-catalog.yaml"), keys("openai", "anthropic", "google", "mistral"), now=NOW
    )
    assert plan.failure is None
    assert plan.status is not None
    assert (plan.status["modelCount"], plan.status["providerCount"]) == (8, 5)
    assert plan.status["observedGeneration"] == 4
    assert condition(plan.status, "Ready")["status"] == "True"


def test_catalog_keeps_observations_others_wrote() -> None:
    observed = {"name": "gpt-4o", "measuredQuality": "0.9", "qualitySource": "benchmark"}
    body = example("seed-catalog.yaml", {"models": [observed, {"name": "retired-model"}]})
    plan = reconcile_catalog(body, keys("openai", "anthropic", "google", "mistral"), now=NOW)
    assert plan.status is not None
    models = plan.status["models"]
    assert models[0] == observed
    assert "retired-model" not in [model["name"] for model in models]


def test_catalog_with_a_missing_key_is_not_ready_and_says_which() -> None:
    plan = reconcile_catalog(example("seed-catalog.yaml"), keys("openai"), now=NOW)
    assert plan.failure is not None
    assert plan.failure.reason == "ReferenceNotFound"
    ready = condition(plan.status, "Ready")
    assert ready["status"] == "False"
    assert "spec.providers[1].credentials.secretRef.key" in ready["message"]
    assert [event.type for event in plan.events] == ["Warning"]


def test_budget_allocation_per_category() -> None:
    plan = reconcile_budget(example("monthly-budget.yaml"), now=NOW)
    assert plan.status is not None
    allocated = {item["name"]: item["allocated"] for item in plan.status["categories"]}
    assert allocated == {"critical": "4000.00", "standard": "3500.00", "batch": "2500.00"}
    assert plan.status["periodStart"] == "2026-11-01T00:00:00Z"
    assert plan.status["periodEnd"] == "2026-12-01T00:00:00Z"
    assert condition(plan.status, "Ready")["status"] == "True"


def test_budget_ledger_carries_within_the_period_and_resets_after() -> None:
    ledger = {
        "periodStart": "2026-11-01T00:00:00Z",
        "categories": [{"name": "batch", "spent": "2600.00"}],
    }
    plan = reconcile_budget(example("monthly-budget.yaml", ledger), now=NOW)
    assert plan.status is not None
    batch = next(item for item in plan.status["categories"] if item["name"] == "batch")
    assert (batch["spent"], batch["remaining"], batch["state"]) == (
        "2600.00",
        "-100.00",
        "exhausted",
    )
    assert plan.status["exhaustedCategories"] == 1
    december = datetime(2026, 12, 2, tzinfo=UTC)
    fresh = reconcile_budget(example("monthly-budget.yaml", ledger), now=december)
    assert fresh.status is not None
    assert {item["spent"] for item in fresh.status["categories"]} == {"0.00"}
