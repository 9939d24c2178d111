"""Fitting the learned router: one L2 logistic regression of P(success) per model.

Features are the gateway's own (`tierroute_gateway.learned_router.features`), so what is
fitted is exactly what the gateway evaluates. Buckets seen in fewer than `min_df` fitting
prompts are dropped, and of the rest only the `max_buckets` most frequent are kept: the
artefact travels inline in a ConfigMap, and its size is about ten bytes per bucket and model
(weights are rounded to 5 decimals before the artefact is hashed). Fractional scores (judge
ratings) are fitted as soft labels: each row counts as a success with weight `score` and a
failure with weight 1 − score. The inverse regularization C is chosen by 3-fold
cross-validation on the fitting rows (lowest summed log loss over models is only the
tie-break): the C whose held-out predictions route cheapest at 95 % of the best single
model's score wins, because a router is judged on routing, not on log loss. Folds are fixed
by a seeded shuffle of the rows sorted by id. The same held-out predictions give the
calibration figures and the default operating point (the largest trade-off λ whose held-out
point keeps 95 % of the best single model's score).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

from tierroute_bench.routing_eval.baselines import best_single, single_models
from tierroute_bench.routing_eval.curve import cost_at_score
from tierroute_bench.routing_eval.learned_sweep import COST_WEIGHTS, sweep
from tierroute_bench.routing_eval.outcomes import OutcomeError, OutcomeRow, Price
from tierroute_gateway.learned_router import FeatureSpec, Featurizer, LearnedRouter, Prediction
from tierroute_gateway.learned_router.artefact import (
    INLINE_ROW_IDS_MAX,
    Calibration,
    FittedOn,
    ModelWeights,
    OperatingPoint,
    rows_digest,
)
from tierroute_gateway.learned_router.features import PromptFeatures, bucket_counts

REGULARIZATION_GRID: tuple[float, ...] = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1)
"""Candidate values of C (inverse L2 strength)."""

_FOLDS = 3
DEFAULT_SPEC = FeatureSpec()
"""The feature spec of `tierroute router fit`."""
_EPSILON = 1e-6


@dataclass(frozen=True, slots=True)
class FitOptions:
    """What `fit_router` may vary."""

    spec: FeatureSpec = DEFAULT_SPEC
    min_df: int = 3
    max_buckets: int = 2048
    regularization: float | None = None
    target_share: float = 0.95


def fit_router(
    rows: Sequence[OutcomeRow],
    models: Sequence[str],
    prices: Mapping[str, Price],
    sources: Sequence[str],
    options: FitOptions = FitOptions(),
) -> LearnedRouter:
    """Fit a learned router for `models` on `rows` (all of them: split beforehand)."""
    if len(rows) < _FOLDS:
        raise OutcomeError(f"{len(rows)} fitting rows; need at least {_FOLDS}")
    rows = sorted(rows, key=lambda row: row.id)
    models = sorted(models)
    featurize = Featurizer(options.spec)
    features = [featurize(row.prompt) for row in rows]
    buckets = kept_buckets(bucket_counts(features), options.min_df, options.max_buckets)
    matrix = _design(features, buckets)
    scores = np.array([[row.outcomes[m].score for m in models] for row in rows], dtype=float)
    folds = list(KFold(_FOLDS, shuffle=True, random_state=0).split(matrix))
    grid = (options.regularization,) if options.regularization else REGULARIZATION_GRID
    held_out = {c: _cross_validate(matrix, scores, folds, c) for c in grid}
    costs = _cost_estimates(rows, models, prices)
    routed = {c: _held_out_routing(rows, models, costs, held_out[c], options) for c in grid}
    losses = {c: float(_log_loss(held_out[c], scores).sum()) for c in grid}
    chosen = min(grid, key=lambda c: (routed[c][0], losses[c], c))
    coefficients = [_fit_one(matrix, scores[:, j], chosen) for j in range(len(models))]
    draft = _assemble(
        rows,
        models=models,
        prices=prices,
        sources=sources,
        buckets=buckets,
        coefficients=coefficients,
        c=chosen,
        spec=options.spec,
    )
    return draft.model_copy(
        update={
            "calibration": _calibration(models, held_out[chosen], scores),
            "operating_point": OperatingPoint(rule="tradeoff", value=routed[chosen][1]),
        }
    )


def kept_buckets(counts: Mapping[int, int], min_df: int, max_buckets: int) -> list[int]:
    """Buckets in at least `min_df` prompts, the `max_buckets` most frequent, ascending.

    Ties in frequency go to the lower bucket number, so the choice is deterministic.
    """
    frequent = sorted((-count, bucket) for bucket, count in counts.items() if count >= min_df)
    return sorted(bucket for _, bucket in frequent[:max_buckets])


def _design(features: Sequence[PromptFeatures], buckets: Sequence[int]) -> sparse.csr_matrix:
    """Binary bucket columns, then the length column."""
    column = {bucket: index for index, bucket in enumerate(buckets)}
    indptr, indices, data = [0], [], []
    for item in features:
        kept = [column[b] for b in item.buckets if b in column]
        indices += [*kept, len(buckets)]
        data += [1.0] * len(kept) + [item.length]
        indptr.append(len(indices))
    shape = (len(features), len(buckets) + 1)
    return sparse.csr_matrix((data, indices, indptr), shape=shape)


def _fit_one(matrix: sparse.csr_matrix, target: np.ndarray, c: float) -> np.ndarray:
    """Coefficients (bucket weights, length weight, then bias) of one model."""
    if target.min() == target.max():  # one class only: a constant predictor
        bias = float(np.log((target[0] + _EPSILON) / (1 - target[0] + _EPSILON)))
        return np.concatenate([np.zeros(matrix.shape[1]), [bias]])
    soft = (target > 0) & (target < 1)
    if soft.any():
        stacked = sparse.vstack([matrix, matrix]).tocsr()
        labels = np.concatenate([np.ones(len(target)), np.zeros(len(target))])
        weights = np.concatenate([target, 1 - target])
    else:
        stacked, labels, weights = matrix, target, np.ones(len(target))
    model = LogisticRegression(C=c, solver="liblinear", tol=1e-4, max_iter=1000, random_state=0)
    model.fit(stacked, labels, sample_weight=weights)
    return np.concatenate([model.coef_[0], model.intercept_])


def _cross_validate(
    matrix: sparse.csr_matrix,
    scores: np.ndarray,
    folds: list[tuple[np.ndarray, np.ndarray]],
    c: float,
) -> np.ndarray:
    """Held-out P(success) of every row and model."""
    predicted = np.zeros_like(scores)
    for train, test in folds:
        for j in range(scores.shape[1]):
            coefficients = _fit_one(matrix[train], scores[train, j], c)
            logits = matrix[test] @ coefficients[:-1] + coefficients[-1]
            predicted[test, j] = 1 / (1 + np.exp(-logits))
    return predicted


def _log_loss(predicted: np.ndarray, scores: np.ndarray) -> np.ndarray:
    clipped = np.clip(predicted, _EPSILON, 1 - _EPSILON)
    losses = -(scores * np.log(clipped) + (1 - scores) * np.log(1 - clipped))
    result: np.ndarray = losses.mean(axis=0)
    return result


def _calibration(
    models: Sequence[str], predicted: np.ndarray, scores: np.ndarray
) -> tuple[Calibration, ...]:
    losses = _log_loss(predicted, scores)
    brier = ((predicted - scores) ** 2).mean(axis=0)
    return tuple(
        Calibration(
            model=model,
            success_rate=round(float(scores[:, j].mean()), 6),
            brier=round(float(brier[j]), 6),
            log_loss=round(float(losses[j]), 6),
        )
        for j, model in enumerate(models)
    )


def _assemble(
    rows: Sequence[OutcomeRow],
    *,
    models: Sequence[str],
    prices: Mapping[str, Price],
    sources: Sequence[str],
    buckets: Sequence[int],
    coefficients: Sequence[np.ndarray],
    c: float,
    spec: FeatureSpec,
) -> LearnedRouter:
    """The artefact, weights rounded to 5 decimals and all-zero buckets dropped."""
    rounded = [np.round(values, 5) for values in coefficients]
    keep = [i for i in range(len(buckets)) if any(values[i] != 0 for values in rounded)]
    weights = []
    for model, values in sorted(zip(models, rounded, strict=True)):
        price = prices.get(model) or _effective_price(rows, model)
        completions = [row.outcomes[model].completion_tokens for row in rows]
        weights.append(
            ModelWeights(
                name=model,
                bias=float(values[-1]),
                length_weight=float(values[-2]),
                weights=tuple(float(values[i]) for i in keep),
                input_per_million=price.input,
                output_per_million=price.output,
                expected_output_tokens=round(sum(completions) / len(completions), 3),
            )
        )
    ids = tuple(sorted(row.id for row in rows))
    fitted_on = FittedOn(
        sources=tuple(sorted(sources)),
        row_count=len(ids),
        row_ids=ids if len(ids) <= INLINE_ROW_IDS_MAX else (),
        digest=rows_digest(ids),
    )
    return LearnedRouter(
        schema_version=1,
        kind="tierroute.io/learned-router",
        features=spec,
        buckets=tuple(buckets[i] for i in keep),
        models=tuple(weights),
        operating_point=OperatingPoint(rule="tradeoff", value=0.0),
        regularization=c,
        calibration=(),
        fitted_on=fitted_on,
    )


def _effective_price(rows: Sequence[OutcomeRow], model: str) -> Price:
    """A flat per-token price from the rows' costs, for models without a listed price."""
    cost = sum(row.outcomes[model].cost for row in rows)
    tokens = sum(
        row.outcomes[model].prompt_tokens + row.outcomes[model].completion_tokens for row in rows
    )
    per_million = cost / tokens * 1_000_000 if tokens else 0.0
    return Price(per_million, per_million)


def _cost_estimates(
    rows: Sequence[OutcomeRow], models: Sequence[str], prices: Mapping[str, Price]
) -> list[tuple[float, ...]]:
    """What the gateway would estimate per row and model: as `Predictor` does."""
    rates = {m: prices.get(m) or _effective_price(rows, m) for m in models}
    expected = {
        m: sum(row.outcomes[m].completion_tokens for row in rows) / len(rows) for m in models
    }
    estimates = []
    for row in rows:
        tokens = next(iter(row.outcomes.values())).prompt_tokens
        estimates.append(
            tuple(
                (tokens * rates[m].input + expected[m] * rates[m].output) / 1_000_000
                for m in models
            )
        )
    return estimates


def _held_out_routing(
    rows: Sequence[OutcomeRow],
    models: Sequence[str],
    costs: Sequence[tuple[float, ...]],
    held_out: np.ndarray,
    options: FitOptions,
) -> tuple[float, float]:
    """(cost at `target_share` of the best single model, largest λ reaching it), held out.

    The cost is infinite when no λ reaches the target; λ is then 0 (always the likeliest).
    """
    names = tuple(models)
    predictions = [
        Prediction(names, tuple(float(v) for v in held_out[i]), costs[i]) for i in range(len(rows))
    ]
    target = options.target_share * best_single(single_models(rows, models)).score
    points = sweep(rows, predictions, "tradeoff", COST_WEIGHTS)
    cost = cost_at_score(points, target)
    reaching = [v for v, p in zip(COST_WEIGHTS, points, strict=True) if p.score >= target]
    if cost is None or not reaching:
        return (float("inf"), 0.0)
    return (cost, max(reaching))
