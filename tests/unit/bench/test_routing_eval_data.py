"""The evaluation on the public RouterBench slice (skipped where the data is absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tierroute_bench.routing_eval.evaluate import evaluate_folder
from tierroute_bench.routing_eval.fit import FitOptions, fit_router
from tierroute_bench.routing_eval.outcomes import (
    load_dataset_file,
    load_prices,
    model_names,
    select_split,
)
from tierroute_gateway.learned_router import LearnedRouter, canonical_artefact

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "routing-eval"
ROUTERBENCH = DATA / "routerbench-subset"
ARTEFACT_TARGET_BYTES = 300_000
"""The 11-model artefact must leave room in a 1 MiB ConfigMap for the rest of the table."""


@pytest.fixture(scope="module")
def routerbench() -> Path:
    if not (ROUTERBENCH / "prices.json").exists() and os.environ.get("CI") != "true":
        pytest.skip(f"routing-eval data absent: put it in {DATA.resolve()}")  # not under CI
    return ROUTERBENCH


@pytest.fixture(scope="module")
def fitted(routerbench: Path) -> tuple[LearnedRouter, list[str]]:
    """The 11-model router fitted on the train split, and its fitting-row ids."""
    prices = load_prices(routerbench / "prices.json")
    rows = load_dataset_file(routerbench / "routerbench_subset.jsonl", prices)
    train = select_split(rows, "train")
    options = FitOptions(regularization=0.0001)  # what cross-validation picks
    router = fit_router(train, model_names(train), prices, ["routerbench_subset.jsonl"], options)
    return router, [row.id for row in train]


def test_routerbench_artefact_fits_in_a_configmap_with_room_to_spare(
    fitted: tuple[LearnedRouter, list[str]],
) -> None:
    router, train_ids = fitted
    assert len(canonical_artefact(router)) <= ARTEFACT_TARGET_BYTES
    assert router.fitted_on.row_ids == ()  # too many to list: count and digest only
    assert router.fitted_on.row_count == len(train_ids)


def test_learned_router_fitted_on_train_meets_the_target_and_beats_the_rule_policy(
    routerbench: Path, fitted: tuple[LearnedRouter, list[str]]
) -> None:
    router, train_ids = fitted
    [result] = evaluate_folder(
        routerbench,
        split="test",
        routers=["rule", "learned"],
        artefact=router,
        artefact_row_ids=train_ids,
    )
    assert router.fitted_on.row_count + len(result.scored_ids) == 3164  # disjoint, all rows
    learned, rule = result.routers["learned"], result.routers["rule"]
    assert learned.headline.cost_ratio_at_95 is not None
    assert rule.headline.cost_ratio_at_95 is not None
    assert learned.headline.cost_ratio_at_95 <= 0.25  # the target
    assert learned.headline.cost_ratio_at_95 < rule.headline.cost_ratio_at_95
    assert max(p.score for p in learned.points + rule.points) <= result.oracle.score
