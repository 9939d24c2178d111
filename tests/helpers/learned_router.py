"""Hand-built learned-router artefacts whose right answers are known, for gateway tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from tierroute_gateway.learned_router import FeatureSpec, Featurizer, LearnedRouter
from tierroute_gateway.learned_router.artefact import (
    FittedOn,
    ModelWeights,
    OperatingPoint,
    artefact_hash,
    rows_digest,
)
from tierroute_gateway.routing_table import LearnedRouting

Rule = Literal["threshold", "tradeoff"]

SPEC = FeatureSpec(buckets=1 << 16, max_chars=1024)
"""A small hash space: the artefacts below carry a handful of buckets."""


def bucket_of(word: str, spec: FeatureSpec = SPEC) -> int:
    """The hash bucket of one lowercase word under `spec`."""
    return Featurizer(spec).of_tail(word, len(word)).buckets[0]


def learned_router(
    weights: Mapping[str, Mapping[str, float]],
    *,
    bias: Mapping[str, float] | None = None,
    expected_output_tokens: float = 100.0,
    spec: FeatureSpec = SPEC,
) -> LearnedRouter:
    """An artefact: per model, a weight per word (absent words weigh 0) and a bias (2.0).

    Prices in the artefact are 1 USD per 1M tokens: the gateway uses the catalog's instead.
    """
    words = sorted({word for per_model in weights.values() for word in per_model})
    by_bucket = {bucket_of(word, spec): word for word in words}
    buckets = tuple(sorted(by_bucket))
    models = tuple(
        ModelWeights(
            name=name,
            bias=(bias or {}).get(name, 2.0),
            length_weight=0.0,
            weights=tuple(weights[name].get(by_bucket[bucket], 0.0) for bucket in buckets),
            input_per_million=1.0,
            output_per_million=1.0,
            expected_output_tokens=expected_output_tokens,
        )
        for name in sorted(weights)
    )
    return LearnedRouter(
        schema_version=1,
        kind="tierroute.io/learned-router",
        features=spec,
        buckets=buckets,
        models=models,
        operating_point=OperatingPoint(rule="threshold", value=0.5),
        regularization=1.0,
        calibration=(),
        fitted_on=FittedOn(sources=("hand-built",), row_ids=("r1",), digest=rows_digest(["r1"])),
    )


def proof_router(premium: str, economy: str, *, others: Sequence[str] = ()) -> LearnedRouter:
    """P(success) ≈ 0.88 everywhere, except the economy model's ≈ 0.02 on prompts with "proof"."""
    weights: dict[str, dict[str, float]] = {premium: {"proof": 0.0}, economy: {"proof": -6.0}}
    weights.update({name: {"proof": -6.0} for name in others})
    return learned_router(weights)


def learned_routing(
    router: LearnedRouter, rule: Rule = "threshold", value: str = "0.5"
) -> LearnedRouting:
    """The routing table's `learnedRouter` carrying `router`, pinned to its hash."""
    return LearnedRouting(
        artefact_hash=artefact_hash(router),
        source="test: hand-built",
        rule=rule,
        value=value,
        artefact=router,
    )


def learned_routing_document(
    router: LearnedRouter, rule: Rule = "threshold", value: str = "0.5"
) -> dict[str, Any]:
    """The same as camelCase JSON, for routing.json documents."""
    routing = learned_routing(router, rule, value)
    document: dict[str, Any] = routing.model_dump(mode="json", by_alias=True)
    return document
