"""tierroute's rule-based policy as a router: the real classifier and selection, untouched.

The catalog is the dataset's models. Prices come from the price file. Quality is each
model's mean score on the fitting (train) rows. Tiers are fitted from the same figure: the
models sorted by train quality (best first, ties by price) are cut into thirds, top third
premium, middle standard, bottom economy (a third rounded up, so two models give one premium
and one standard). Every model declares every capability (the data says nothing about
capabilities, and a keyword such as "picture" in a text prompt must not make a row
unroutable), a 1M-token context window and the same latency. The policy is the built-in
one (the seed's patterns and tier priorities) with one route `auto`.

Operating points: strategy cost-optimized and quality-first, each with the policy's
`constraints.minQuality` at 0 and at every distinct train quality, i.e. every knob a
RoutingPolicy offers that moves along the cost–quality line. Each row is sent through
`extract_features` and `decide` as a single user message.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from tierroute_bench.routing_eval.baselines import score_choices
from tierroute_bench.routing_eval.curve import Point
from tierroute_bench.routing_eval.outcomes import OutcomeRow, Price
from tierroute_gateway.decision import build_index, decide, extract_features
from tierroute_gateway.decision import defaults as policy_defaults
from tierroute_gateway.decision.errors import NothingEligible
from tierroute_gateway.routing_table import (
    Capability,
    ChainStep,
    Classification,
    Constraints,
    Fallback,
    Model,
    Pricing,
    Provider,
    QualityGate,
    Route,
    RoutingTable,
    Source,
    Strategy,
    Tier,
    WireApi,
)

_NOW = datetime(2026, 1, 1, tzinfo=UTC)
_EVERY_CAPABILITY = tuple(Capability)


def fitted_catalog(
    train: Sequence[OutcomeRow], models: Sequence[str], prices: Mapping[str, Price]
) -> dict[str, tuple[Tier, float]]:
    """Tier and quality of each model, fitted from the train rows (see the module doc)."""
    quality = {m: sum(row.outcomes[m].score for row in train) / len(train) for m in models}
    ranked = sorted(models, key=lambda m: (-quality[m], prices[m].input, m))
    third = math.ceil(len(ranked) / 3)
    tiers = [Tier.PREMIUM] * third + [Tier.STANDARD] * third
    tiers += [Tier.ECONOMY] * (len(ranked) - len(tiers))
    return {m: (tier, round(quality[m], 4)) for m, tier in zip(ranked, tiers, strict=False)}


def policy_table(
    catalog: Mapping[str, tuple[Tier, float]],
    prices: Mapping[str, Price],
    strategy: Strategy,
    min_quality: float | None,
) -> RoutingTable:
    """The routing table of one operating point."""
    models = tuple(
        Model(
            name=name,
            provider="dataset",
            provider_model=name,
            tier=tier,
            pricing=Pricing(
                input_per_million=_decimal(prices[name].input),
                output_per_million=_decimal(prices[name].output),
            ),
            context_window=1_000_000,
            max_output_tokens=4_096,
            capabilities=_EVERY_CAPABILITY,
            latency_ms=1_000,
            quality=f"{quality:.4f}",
            tokens_per_image=0,
        )
        for name, (tier, quality) in catalog.items()
    )
    return RoutingTable(
        schema_version=1,
        source=Source(namespace="routing-eval", policy="rule", catalog="dataset"),
        providers=(
            Provider(
                name="dataset",
                api=WireApi.OPENAI,
                base_url="http://127.0.0.1:9/v1",
                timeout_ms=60_000,
                connect_timeout_ms=1_000,
            ),
        ),
        models=models,
        routes=(Route(name="auto", category="default", strategy=strategy),),
        classification=Classification(
            complex_patterns=policy_defaults.COMPLEX_PATTERNS,
            simple_patterns=policy_defaults.SIMPLE_PATTERNS,
            capability_patterns=dict(policy_defaults.CAPABILITY_PATTERNS),
            high_complexity_context_tokens=policy_defaults.HIGH_COMPLEXITY_CONTEXT_TOKENS,
            long_context_tokens=policy_defaults.LONG_CONTEXT_TOKENS,
            max_scan_chars=policy_defaults.MAX_SCAN_CHARS,
        ),
        tier_priority=dict(policy_defaults.TIER_PRIORITY),
        constraints=Constraints(
            min_quality=f"{min_quality:.4f}" if min_quality is not None else None
        ),
        fallback=Fallback(
            defaults=ChainStep(
                model="",
                max_retries=0,
                timeout_ms=60_000,
                retry_on=policy_defaults.DEFAULT_RETRY_ON,
            )
        ),
        quality_gate=QualityGate(enabled=False, escalate_on=()),
    )


def _decimal(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text or "0"


def route_rows(table: RoutingTable, rows: Sequence[OutcomeRow]) -> list[str]:
    """The model `decide` picks for each row, sent to route `auto`."""
    index = build_index(table)
    max_scan = table.classification.max_scan_chars
    choices = []
    for position, row in enumerate(rows):
        body = {"model": "auto", "messages": [{"role": "user", "content": row.prompt}]}
        features = extract_features(body, max_scan_chars=max_scan)
        decision = decide(index, "auto", features, request_id=f"row-{position}", now=_NOW)
        choices.append(decision.model)
    return choices


def rule_points(
    train: Sequence[OutcomeRow],
    rows: Sequence[OutcomeRow],
    models: Sequence[str],
    prices: Mapping[str, Price],
) -> list[Point]:
    """Every operating point of the rule-based policy, scored on `rows`."""
    catalog = fitted_catalog(train, models, prices)
    floors: list[float | None] = [None, *sorted({quality for _, quality in catalog.values()})]
    points = []
    for strategy in (Strategy.COST_OPTIMIZED, Strategy.QUALITY_FIRST):
        for floor in floors:
            table = policy_table(catalog, prices, strategy, floor)
            label = f"rule {strategy.value} minQuality={floor if floor is not None else 0:g}"
            try:
                choices = route_rows(table, rows)
            except NothingEligible:
                continue
            points.append(score_choices(rows, choices, label))
    return points
