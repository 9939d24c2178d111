"""Aggregate result records per model and modality: accuracy with a Wilson interval, latency
percentiles, tokens and cost; plus accuracy per tag and the cost/accuracy Pareto frontier.
Pure: records in, figures out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from tierroute_bench.results import Outcome, ResultRecord

ALL_MODALITIES = "all"
Z_95 = 1.959963984540054


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion (95% by default)."""
    if trials == 0:
        return (0.0, 0.0)
    share = successes / trials
    denominator = 1 + z * z / trials
    centre = (share + z * z / (2 * trials)) / denominator
    margin = z * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials))
    low, high = centre - margin / denominator, centre + margin / denominator
    # Exact arithmetic puts the share inside; clamping absorbs float rounding at 0 and 1.
    return (max(0.0, min(low, share)), min(1.0, max(high, share)))


def percentile(values: Sequence[float], share: float) -> float | None:
    """The `share` quantile (0–1) with linear interpolation between ranks; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    position = share * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Point:
    """A model on the cost/accuracy plane."""

    name: str
    cost: float
    accuracy: float


def pareto_frontier(points: Sequence[Point]) -> list[Point]:
    """Points no other point beats on both cost (lower) and accuracy (higher), cheapest first."""
    frontier = [
        point
        for point in points
        if not any(
            other.cost <= point.cost
            and other.accuracy >= point.accuracy
            and (other.cost < point.cost or other.accuracy > point.accuracy)
            for other in points
        )
    ]
    return sorted(frontier, key=lambda point: (point.cost, -point.accuracy))


@dataclass
class _Accumulator:
    tasks: int = 0
    correct: int = 0
    errors: int = 0
    score_sum: float = 0.0
    latencies: list[float] = field(default_factory=list)
    ttfts: list[float] = field(default_factory=list)
    answered: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    image_tokens: int = 0
    audio_tokens: int = 0
    estimated: int = 0
    cost: Decimal = Decimal(0)
    priced: int = 0

    def add(self, record: ResultRecord) -> None:
        self.tasks += 1
        self.correct += record.correct
        self.score_sum += record.score
        if record.outcome != Outcome.OK:
            self.errors += 1
            return
        self.answered += 1
        if record.latency_ms is not None:
            self.latencies.append(record.latency_ms)
        if record.ttft_ms is not None:
            self.ttfts.append(record.ttft_ms)
        self.input_tokens += record.input_tokens
        self.output_tokens += record.output_tokens
        self.image_tokens += record.image_tokens
        self.audio_tokens += record.audio_tokens
        self.estimated += record.tokens_estimated
        if record.cost_usd is not None:
            self.cost += Decimal(record.cost_usd)
            self.priced += 1


@dataclass(frozen=True)
class GroupSummary:
    """Figures for one model on one modality (or on all of them)."""

    model: str
    modality: str
    tasks: int
    correct: int
    errors: int
    accuracy: float
    interval: tuple[float, float]
    mean_score: float
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    ttft_p50_ms: float | None
    ttft_p95_ms: float | None
    mean_input_tokens: float
    mean_output_tokens: float
    mean_image_tokens: float
    mean_audio_tokens: float
    estimated_share: float
    total_cost: Decimal | None
    cost_per_1k_tasks: Decimal | None


def summarize(records: Iterable[ResultRecord]) -> list[GroupSummary]:
    """One summary per (model, modality) and one per model over all modalities.

    Models and modalities keep the order they first appear in; a model's "all" row comes
    first. Failed requests count as wrong answers; their cost is not known.
    """
    groups: dict[tuple[str, str], _Accumulator] = {}
    model_order: dict[str, int] = {}
    modality_order: dict[str, int] = {ALL_MODALITIES: 0}
    for record in records:
        model_order.setdefault(record.model, len(model_order))
        modality_order.setdefault(record.modality, len(modality_order))
        for modality in (ALL_MODALITIES, record.modality):
            groups.setdefault((record.model, modality), _Accumulator()).add(record)
    ordered = sorted(groups, key=lambda key: (model_order[key[0]], modality_order[key[1]]))
    return [_finish(model, modality, groups[(model, modality)]) for model, modality in ordered]


def _finish(model: str, modality: str, acc: _Accumulator) -> GroupSummary:
    answered = max(1, acc.answered)
    total_cost = acc.cost if acc.priced else None
    per_1k = None
    if total_cost is not None and acc.tasks:
        per_1k = total_cost / acc.tasks * 1000
    return GroupSummary(
        model=model,
        modality=modality,
        tasks=acc.tasks,
        correct=acc.correct,
        errors=acc.errors,
        accuracy=acc.correct / acc.tasks if acc.tasks else 0.0,
        interval=wilson_interval(acc.correct, acc.tasks),
        mean_score=acc.score_sum / acc.tasks if acc.tasks else 0.0,
        latency_p50_ms=percentile(acc.latencies, 0.5),
        latency_p95_ms=percentile(acc.latencies, 0.95),
        ttft_p50_ms=percentile(acc.ttfts, 0.5),
        ttft_p95_ms=percentile(acc.ttfts, 0.95),
        mean_input_tokens=acc.input_tokens / answered,
        mean_output_tokens=acc.output_tokens / answered,
        mean_image_tokens=acc.image_tokens / answered,
        mean_audio_tokens=acc.audio_tokens / answered,
        estimated_share=acc.estimated / answered,
        total_cost=total_cost,
        cost_per_1k_tasks=per_1k,
    )


def tag_accuracy(records: Iterable[ResultRecord]) -> dict[tuple[str, str], tuple[int, int]]:
    """(model, tag) → (correct, tasks)."""
    counts: dict[tuple[str, str], tuple[int, int]] = {}
    for record in records:
        for tag in record.tags:
            correct, tasks = counts.get((record.model, tag), (0, 0))
            counts[(record.model, tag)] = (correct + record.correct, tasks + 1)
    return counts
