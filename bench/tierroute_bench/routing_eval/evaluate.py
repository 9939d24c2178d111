"""One evaluation: every benchmark file of a dataset folder, its baselines and routers.

For each `*.jsonl` file of the folder (a benchmark) the chosen split is scored. Fitting rows
are the file's `train` rows: the rule-based catalog's tiers and quality come from them, and
the learned router is fitted on them unless an artefact is given. With an artefact, its own
fitting rows count, and it must share no row id with the scored rows (`RowOverlapError`):
its ids are inline, or the caller passes the id list written beside it (`fitting_rows`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tierroute_bench.routing_eval.baselines import (
    best_single,
    cheapest_single,
    oracle,
    single_models,
)
from tierroute_bench.routing_eval.curve import Headline, Point, headline
from tierroute_bench.routing_eval.fit import FitOptions, fit_router
from tierroute_bench.routing_eval.fitting_rows import fitting_ids
from tierroute_bench.routing_eval.learned_sweep import predict_rows, sweep
from tierroute_bench.routing_eval.outcomes import (
    OutcomeError,
    OutcomeRow,
    Price,
    load_dataset_file,
    load_prices,
    model_names,
    select_split,
)
from tierroute_bench.routing_eval.rule_router import rule_points
from tierroute_gateway.learned_router import LearnedRouter, Predictor
from tierroute_gateway.learned_router.artefact import rows_digest


class RowOverlapError(ValueError):
    """A router was fitted on rows it is scored on."""


@dataclass
class RouterResult:
    """A router's operating points and headline figures."""

    points: list[Point]
    headline: Headline
    note: str = ""


@dataclass
class BenchmarkResult:
    """Everything the report says about one benchmark file."""

    name: str
    split: str | None
    scored_ids: list[str]
    fitted: dict[str, object]
    singles: list[Point]
    best: Point
    cheapest: Point
    oracle: Point
    routers: dict[str, RouterResult] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def check_disjoint(fitted_ids: Sequence[str], scored_ids: Sequence[str], what: str) -> None:
    """Raise `RowOverlapError` if any row both fitted `what` and is scored."""
    both = sorted(set(fitted_ids) & set(scored_ids))
    if both:
        shown = ", ".join(both[:5]) + (f" and {len(both) - 5} more" if len(both) > 5 else "")
        raise RowOverlapError(f"{what} was fitted on {len(both)} scored rows: {shown}")


def evaluate_folder(
    data: Path,
    *,
    split: str | None,
    routers: Sequence[str],
    prices_path: Path | None = None,
    artefact: LearnedRouter | None = None,
    artefact_row_ids: Sequence[str] | None = None,
    fit_options: FitOptions | None = None,
) -> list[BenchmarkResult]:
    """Evaluate every benchmark file of `data`, in name order.

    `artefact_row_ids`: the artefact's fitting-row ids when it does not list them itself.
    """
    prices = load_prices(prices_path or data / "prices.json")
    files = sorted(p for p in data.glob("*.jsonl") if p.is_file())
    if not files:
        raise OutcomeError(f"{data}: no *.jsonl outcome files")
    return [
        evaluate_rows(
            file.stem,
            load_dataset_file(file, prices),
            prices,
            split=split,
            routers=routers,
            artefact=artefact,
            artefact_row_ids=artefact_row_ids,
            fit_options=fit_options or FitOptions(),
            source=file.name,
        )
        for file in files
    ]


def evaluate_rows(
    name: str,
    rows: Sequence[OutcomeRow],
    prices: Mapping[str, Price],
    *,
    split: str | None,
    routers: Sequence[str],
    artefact: LearnedRouter | None,
    fit_options: FitOptions,
    source: str,
    artefact_row_ids: Sequence[str] | None = None,
) -> BenchmarkResult:
    """Evaluate one benchmark's rows (`artefact_row_ids`: as for `evaluate_folder`)."""
    scored = select_split(rows, split)
    train = [row for row in rows if row.split == "train"] if split != "train" else []
    if not scored:
        raise OutcomeError(f"{name}: no rows in split {split!r}")
    models = model_names(scored)
    singles = single_models(scored, models)
    result = BenchmarkResult(
        name=name,
        split=split,
        scored_ids=sorted(row.id for row in scored),
        fitted={},
        singles=singles,
        best=best_single(singles),
        cheapest=cheapest_single(singles),
        oracle=oracle(scored, models),
    )
    check_disjoint([row.id for row in train], result.scored_ids, "the rule-based catalog")
    if "rule" in routers:
        _add_rule(result, train, scored, models, prices)
    learned = [r for r in routers if r.startswith("learned")]
    if learned:
        if artefact is not None:
            router, listed = artefact, artefact_row_ids
        else:
            router = _fit_here(
                name, train=train, models=models, prices=prices, options=fit_options, source=source
            )
            listed = [row.id for row in train]
        _add_learned(result, router, fitting_ids(router, listed), scored, learned)
    return result


def _add_rule(
    result: BenchmarkResult,
    train: Sequence[OutcomeRow],
    scored: Sequence[OutcomeRow],
    models: Sequence[str],
    prices: Mapping[str, Price],
) -> None:
    if not train:
        result.notes.append("rule: no train rows in this file to fit tiers and quality; skipped")
        return
    points = rule_points(train, scored, models, prices)
    result.routers["rule"] = RouterResult(points, headline(points, result.best))
    result.fitted["rule"] = {"rows": len(train), "digest": rows_digest([r.id for r in train])}


def _fit_here(
    name: str,
    *,
    train: Sequence[OutcomeRow],
    models: Sequence[str],
    prices: Mapping[str, Price],
    options: FitOptions,
    source: str,
) -> LearnedRouter:
    if not train:
        raise OutcomeError(
            f"{name}: no train rows to fit the learned router on; fit one elsewhere with "
            "`tierroute router fit` and pass it with --learned-router"
        )
    return fit_router(train, models, prices, [source], options)


def _add_learned(
    result: BenchmarkResult,
    router: LearnedRouter,
    fitted_ids: Sequence[str],
    scored: Sequence[OutcomeRow],
    names: Sequence[str],
) -> None:
    check_disjoint(fitted_ids, result.scored_ids, "the learned router")
    missing = [m.name for m in router.models if m.name not in scored[0].outcomes]
    if missing:
        raise OutcomeError(
            f"{result.name}: the learned router's models {missing} are not in the data"
        )
    predictions = predict_rows(Predictor(router), scored)
    for name in names:
        rule = "threshold" if name == "learned-threshold" else "tradeoff"
        points = sweep(scored, predictions, rule, label=name)
        result.routers[name] = RouterResult(points, headline(points, result.best))
    result.fitted["learned"] = {
        "rows": router.fitted_on.row_count,
        "digest": router.fitted_on.digest,
        "sources": list(router.fitted_on.sources),
        "models": [m.name for m in router.models],
        "regularization": router.regularization,
    }
