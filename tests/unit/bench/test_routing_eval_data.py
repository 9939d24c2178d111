"""The evaluation on the public RouterBench slice (skipped where the data is absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tierroute_bench.routing_eval.evaluate import evaluate_folder
from tierroute_bench.routing_eval.fit import FitOptions

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "routing-eval"
ROUTERBENCH = DATA / "routerbench-subset"


@pytest.fixture(scope="module")
def routerbench() -> Path:
    if not (ROUTERBENCH / "prices.json").exists() and os.environ.get("CI") != "true":
        pytest.skip(f"routing-eval data absent: put it in {DATA.resolve()}")  # not under CI
    return ROUTERBENCH


def test_learned_router_fitted_on_train_beats_the_rule_policy_on_test(routerbench: Path) -> None:
    [result] = evaluate_folder(
        routerbench,
        split="test",
        routers=["rule", "learned"],
        fit_options=FitOptions(regularization=0.0001),  # what cross-validation picks
    )
    fitted = result.fitted["learned"]
    assert isinstance(fitted, dict)
    assert fitted["rows"] + len(result.scored_ids) == 3164  # train and test, disjoint
    learned, rule = result.routers["learned"], result.routers["rule"]
    assert learned.headline.cost_ratio_at_95 is not None
    assert rule.headline.cost_ratio_at_95 is not None
    assert learned.headline.cost_ratio_at_95 < rule.headline.cost_ratio_at_95
    assert max(p.score for p in learned.points + rule.points) <= result.oracle.score
