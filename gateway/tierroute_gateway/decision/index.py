"""The routing index: everything the hot path needs, computed once per routing table load.

`build_index` converts decimal strings to floats, compiles the patterns, resolves chain,
experiment and default-model references, applies the automatic adjustments and precomputes
each route's candidate models and the learned router's predictor (`learned_index`), so that
a request does no repeated work. It refuses a table whose references do not resolve
(`RoutingTableError`): the gateway then keeps its last good table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tierroute_gateway.decision.budget import BudgetView, budget_view
from tierroute_gateway.decision.cost import ModelPrices, prices_from_pricing
from tierroute_gateway.decision.learned_index import LearnedIndex, build_learned_index
from tierroute_gateway.decision.patterns import PatternMatcher
from tierroute_gateway.routing_table import (
    Capability,
    Chain,
    ChainStep,
    Complexity,
    Experiment,
    Model,
    Route,
    RoutingTable,
    RoutingTableError,
    Tier,
    Variant,
    decimal_value,
)

TIER_RANK: Mapping[Tier, int] = {Tier.PREMIUM: 0, Tier.STANDARD: 1, Tier.ECONOMY: 2}
"""Tiers from the most to the least expensive."""

DEFAULT_ROUTE_NAME = "auto"
"""The route whose category a concrete-model request is charged to, when there is one."""


@dataclass(frozen=True, slots=True)
class ModelEntry:
    """A catalog model with the values selection compares, precomputed."""

    name: str
    provider: str
    tier: Tier
    prices: ModelPrices
    context_window: int
    max_output_tokens: int
    capabilities: frozenset[Capability]
    latency_ms: int
    quality: float
    penalized: bool
    disabled_reason: str | None
    policy_refusal: str | None
    default_step: ChainStep
    spec: Model


@dataclass(frozen=True, slots=True)
class ExperimentEntry:
    """An experiment with its cumulative weights and any promoted variant."""

    experiment: Experiment
    cumulative: tuple[int, ...]
    total: int
    promoted: Variant | None


@dataclass(frozen=True, slots=True)
class RouteEntry:
    """A route with the models its allow/deny lists, the policy and automation leave it."""

    route: Route
    candidates: tuple[ModelEntry, ...]
    candidates_by_tier: Mapping[Tier, tuple[ModelEntry, ...]]
    chain: Chain | None
    experiments: tuple[ExperimentEntry, ...]


@dataclass(frozen=True, slots=True)
class RoutingIndex:
    """A routing table, precomputed for the hot path. Immutable; rebuilt on every load."""

    table: RoutingTable
    models: Mapping[str, ModelEntry]
    routes: Mapping[str, RouteEntry]
    chains: Mapping[str, Chain]
    chains_by_first_model: Mapping[str, Chain]
    matcher: PatternMatcher
    tier_priority: Mapping[Complexity, tuple[Tier, ...]]
    max_latency_ms: int | None
    min_quality: float | None
    preferred_providers: frozenset[str]
    providers: frozenset[str]
    categories: frozenset[str]
    budget_categories: frozenset[str]
    budget: BudgetView | None
    downgraded_categories: Mapping[str, str]
    default_route: str | None
    default_model: ModelEntry | None
    max_scan_chars: int
    high_complexity_context_tokens: int
    long_context_tokens: int
    learned: LearnedIndex | None = None
    """The learned router of `learned` routes, if the table has one."""


def build_index(table: RoutingTable) -> RoutingIndex:
    """Precompute `table` for the hot path; raise RoutingTableError on a dangling reference."""
    models = _model_entries(table)
    chains = {chain.name: chain for chain in table.fallback.chains}
    _check_chains(table, models)
    experiments = _experiment_entries(table, models)
    routes = {
        route.name: _route_entry(
            table, index, route, models=models, chains=chains, experiments=experiments
        )
        for index, route in enumerate(table.routes)
    }
    classification = table.classification
    budget_categories = (
        frozenset(c.name for c in table.budget.categories) if table.budget else frozenset()
    )
    default_route = (
        DEFAULT_ROUTE_NAME
        if DEFAULT_ROUTE_NAME in routes
        else (table.routes[0].name if table.routes else None)
    )
    return RoutingIndex(
        table=table,
        models=models,
        routes=routes,
        chains=chains,
        chains_by_first_model=_chains_by_first_model(table.fallback.chains),
        matcher=_matcher(table),
        tier_priority=_tier_priority(table),
        max_latency_ms=table.constraints.max_latency_ms,
        min_quality=_optional_float(table.constraints.min_quality),
        preferred_providers=frozenset(table.constraints.preferred_providers),
        providers=frozenset(provider.name for provider in table.providers),
        categories=budget_categories | {route.category for route in table.routes},
        budget_categories=budget_categories,
        budget=budget_view(table.budget) if table.budget is not None else None,
        downgraded_categories={
            a.target: a.reason for a in table.adjustments if a.kind == "downgrade-category"
        },
        default_route=default_route,
        default_model=_default_model(table, models),
        max_scan_chars=classification.max_scan_chars,
        high_complexity_context_tokens=classification.high_complexity_context_tokens,
        long_context_tokens=classification.long_context_tokens,
        learned=build_learned_index(table, routes),
    )


def _matcher(table: RoutingTable) -> PatternMatcher:
    rules = table.classification
    try:
        return PatternMatcher(
            rules.complex_patterns, rules.simple_patterns, rules.capability_patterns
        )
    except ValueError as error:
        raise RoutingTableError(f"classification: {error}") from error


def _optional_float(text: str | None) -> float | None:
    return float(decimal_value(text)) if text is not None else None


def _model_entries(table: RoutingTable) -> dict[str, ModelEntry]:
    providers = {provider.name for provider in table.providers}
    disabled = {a.target: a.reason for a in table.adjustments if a.kind == "disable-model"}
    penalized = {a.target for a in table.adjustments if a.kind == "penalize-model"}
    entries = {}
    for position, model in enumerate(table.models):
        if model.provider not in providers:
            raise RoutingTableError(
                f"models[{position}].provider: {model.provider!r} of model {model.name!r} "
                f"is not a provider of the table"
            )
        entries[model.name] = ModelEntry(
            name=model.name,
            provider=model.provider,
            tier=model.tier,
            prices=prices_from_pricing(model.pricing),
            context_window=model.context_window,
            max_output_tokens=model.max_output_tokens,
            capabilities=frozenset(model.capabilities),
            latency_ms=model.latency_ms,
            quality=float(decimal_value(model.quality)),
            penalized=model.name in penalized,
            disabled_reason=disabled.get(model.name),
            policy_refusal=_policy_refusal(table, model.name),
            default_step=table.fallback.defaults.model_copy(update={"model": model.name}),
            spec=model,
        )
    return entries


def _policy_refusal(table: RoutingTable, name: str) -> str | None:
    constraints = table.constraints
    if name in constraints.deny_models:
        return "denied by the policy (constraints.denyModels)"
    if constraints.allow_models and name not in constraints.allow_models:
        return "not in the policy's constraints.allowModels"
    return None


def route_refusal(route: Route, model: ModelEntry) -> str | None:
    """Why the allow/deny lists of the policy or the route keep `model` off `route`, if so."""
    if model.policy_refusal is not None:
        return model.policy_refusal
    if model.name in route.deny_models:
        return f"denied by route {route.name!r} (denyModels)"
    if route.allow_models and model.name not in route.allow_models:
        return f"not in route {route.name!r} allowModels"
    return None


def _route_entry(
    table: RoutingTable,
    position: int,
    route: Route,
    *,
    models: Mapping[str, ModelEntry],
    chains: Mapping[str, Chain],
    experiments: tuple[ExperimentEntry, ...],
) -> RouteEntry:
    chain = None
    if route.fallback_chain is not None:
        chain = chains.get(route.fallback_chain)
        if chain is None:
            raise RoutingTableError(
                f"routes[{position}].fallbackChain: {route.fallback_chain!r} of route "
                f"{route.name!r} is not a declared chain"
            )
    if table.budget is not None and route.category not in {c.name for c in table.budget.categories}:
        raise RoutingTableError(
            f"routes[{position}].category: {route.category!r} of route {route.name!r} "
            f"is not a category of budget {table.budget.name!r}"
        )
    preferred = set(table.constraints.preferred_providers)
    candidates = tuple(
        model
        for model in models.values()
        if route_refusal(route, model) is None
        and model.disabled_reason is None
        and (not preferred or model.provider in preferred)
    )
    return RouteEntry(
        route=route,
        candidates=candidates,
        candidates_by_tier={
            tier: tuple(model for model in candidates if model.tier is tier) for tier in Tier
        },
        chain=chain,
        experiments=tuple(e for e in experiments if e.experiment.route in (None, route.name)),
    )


def _check_chains(table: RoutingTable, models: Mapping[str, ModelEntry]) -> None:
    for chain_position, chain in enumerate(table.fallback.chains):
        for step_position, step in enumerate(chain.steps):
            if step.model not in models:
                raise RoutingTableError(
                    f"fallback.chains[{chain_position}].steps[{step_position}].model: "
                    f"{step.model!r} of chain {chain.name!r} is not a model of the table"
                )


def _chains_by_first_model(chains: tuple[Chain, ...]) -> dict[str, Chain]:
    """Each model's declared chain that starts with it; the first by name when several do."""
    found: dict[str, Chain] = {}
    for chain in chains:
        found.setdefault(chain.steps[0].model, chain)
    return found


def _experiment_entries(
    table: RoutingTable, models: Mapping[str, ModelEntry]
) -> tuple[ExperimentEntry, ...]:
    promoted = {a.target: a.value for a in table.adjustments if a.kind == "promote-variant"}
    entries = []
    for position, experiment in enumerate(table.experiments):
        cumulative: list[int] = []
        total = 0
        for variant_position, variant in enumerate(experiment.variants):
            if variant.model not in models:
                raise RoutingTableError(
                    f"experiments[{position}].variants[{variant_position}].model: "
                    f"{variant.model!r} of experiment {experiment.name!r} is not a model"
                )
            total += variant.weight
            cumulative.append(total)
        winner = next(
            (v for v in experiment.variants if v.name == promoted.get(experiment.name)), None
        )
        entries.append(ExperimentEntry(experiment, tuple(cumulative), total, winner))
    return tuple(entries)


def _tier_priority(table: RoutingTable) -> dict[Complexity, tuple[Tier, ...]]:
    for complexity in Complexity:
        if complexity not in table.tier_priority:
            raise RoutingTableError(
                f"tierPriority: no tier order for complexity {complexity.value!r}"
            )
    return dict(table.tier_priority)


def _default_model(table: RoutingTable, models: Mapping[str, ModelEntry]) -> ModelEntry | None:
    name = table.fallback.default_model
    if name is None:
        return None
    if name not in models:
        raise RoutingTableError(f"fallback.defaultModel: {name!r} is not a model of the table")
    return models[name]
