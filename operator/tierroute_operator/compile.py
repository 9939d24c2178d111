"""The compiler: custom resources in, routing table out.

`compile_policy` is pure: it takes the resolved ModelCatalog, RoutingPolicy, optional
BudgetAllocation and learned-router artefact plus `now`, and returns the routing table the
gateways load with its canonical JSON, or raises `CompileError` listing every problem with the
object and field path at fault. The operator and `tierroute compile` run this same function.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tierroute_gateway import routing_table as table
from tierroute_gateway.decision import defaults
from tierroute_gateway.learned_router.artefact import canonical_artefact
from tierroute_operator.api import BudgetAllocation, ModelCatalog, RoutingPolicy
from tierroute_operator.api.field_types import parse_duration_ms
from tierroute_operator.api.model_catalog import CatalogModel
from tierroute_operator.api.model_catalog import Provider as CatalogProvider
from tierroute_operator.api.routing_policy import Classification, QualitySource, Route
from tierroute_operator.budget_period import current_period, rfc3339
from tierroute_operator.compile_checks import Problem, check_references, label
from tierroute_operator.compile_learned_router import learned_routing
from tierroute_operator.learned_router_source import ResolvedLearnedRouter

_CENT = Decimal("0.01")

CONFIG_MAP_LIMIT_BYTES = 1_048_576
"""Kubernetes refuses a ConfigMap whose keys and values add up to more than 1 MiB."""

TABLE_KEY = "routing.json"
"""The key of the generated ConfigMap that holds the table (counted in its size)."""


class CompileError(ValueError):
    """The objects cannot be compiled; `problems` says where and why."""

    def __init__(self, problems: tuple[Problem, ...]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = problems


@dataclass(frozen=True)
class CompileResult:
    """A compiled routing table and what deserves a human's attention."""

    table: table.RoutingTable
    warnings: tuple[str, ...]
    document: bytes
    """The table's canonical JSON (what the ConfigMap holds and the content hash covers)."""

    @property
    def table_hash(self) -> str:
        """`sha256:<hex>` of `document`: the table's content hash."""
        return "sha256:" + hashlib.sha256(self.document).hexdigest()


def compile_policy(
    catalog: ModelCatalog,
    policy: RoutingPolicy,
    budget: BudgetAllocation | None,
    *,
    now: datetime,
    learned_router: ResolvedLearnedRouter | None = None,
) -> CompileResult:
    """Compile one RoutingPolicy with the objects it references into a routing table.

    `learned_router` is the artefact `spec.learnedRouter` names, already read (required when
    the policy has one).
    """
    if policy.spec.budget_ref is None:
        budget = None
    errors, warnings = check_references(catalog, policy, budget)
    learned = learned_routing(catalog, policy, learned_router)
    errors += learned.errors
    warnings += learned.warnings
    if errors:
        raise CompileError(tuple(errors))
    spec = policy.spec
    enabled = [model for model in catalog.spec.models if not model.disabled]
    enabled_names = {model.name for model in enabled}
    measured = _measured_quality(catalog) if spec.quality_source is QualitySource.MEASURED else {}
    routing_table = table.RoutingTable(
        schema_version=table.SCHEMA_VERSION,
        source=table.Source(
            namespace=policy.metadata.namespace or "default",
            policy=policy.metadata.name,
            catalog=catalog.metadata.name,
            budget=budget.metadata.name if budget is not None else None,
        ),
        providers=tuple(_provider(provider) for provider in catalog.spec.providers),
        models=tuple(_model(model, measured.get(model.name)) for model in enabled),
        routes=tuple(_route(route) for route in spec.routes),
        classification=_classification(spec.classification),
        tier_priority={
            complexity: spec.tier_priority.for_complexity(complexity)
            for complexity in table.Complexity
        },
        constraints=table.Constraints(
            max_latency_ms=_optional_ms(spec.constraints.max_latency),
            min_quality=spec.constraints.min_quality,
            preferred_providers=tuple(sorted(spec.constraints.preferred_providers)),
            allow_models=tuple(sorted(spec.constraints.allow_models)),
            deny_models=tuple(sorted(spec.constraints.deny_models)),
        ),
        fallback=_fallback(policy, enabled_names),
        quality_gate=table.QualityGate(
            enabled=spec.quality_gate.enabled,
            escalate_on=tuple(sorted(set(spec.quality_gate.escalate_on))),
        ),
        experiments=tuple(
            table.Experiment(
                name=experiment.name,
                route=experiment.route,
                category=experiment.category,
                variants=tuple(
                    table.Variant(name=variant.name, model=variant.model, weight=variant.weight)
                    for variant in experiment.variants
                ),
                stickiness=experiment.stickiness.value,
            )
            for experiment in spec.experiments
            if all(variant.model in enabled_names for variant in experiment.variants)
        ),
        budget=_budget(budget, now) if budget is not None else None,
        features=spec.features,
        learned_router=learned.routing,
    )
    document = table.canonical_json(routing_table)
    _check_size(policy, document, learned.routing)
    return CompileResult(table=routing_table, warnings=tuple(warnings), document=document)


def _check_size(
    policy: RoutingPolicy, document: bytes, learned: table.LearnedRouting | None
) -> None:
    """Refuse a table its ConfigMap could not hold, rather than let the API server refuse it."""
    size = len(TABLE_KEY) + len(document)
    if size <= CONFIG_MAP_LIMIT_BYTES:
        return
    message = (
        f"the routing table is {size:,} bytes, over Kubernetes' {CONFIG_MAP_LIMIT_BYTES:,}-byte "
        "limit for a ConfigMap"
    )
    path = "spec"
    if learned is not None:
        path = "spec.learnedRouter"
        artefact = len(canonical_artefact(learned.artefact))
        message += (
            f"; the learned router from {learned.source} takes {artefact:,} bytes of it and "
            f"the rest of the table {size - artefact:,}: fit with fewer buckets (or fewer "
            "models) so that the artefact fits"
        )
    raise CompileError((Problem(label(policy), path, message),))


def credential_env_name(provider: str) -> str:
    """Environment variable a gateway reads a provider's key from without a mounted Secret."""
    return "TIERROUTE_API_KEY_" + re.sub(r"[^A-Z0-9]", "_", provider.upper())


def _provider(provider: CatalogProvider) -> table.Provider:
    credential = None
    if provider.credentials is not None:
        credential = table.CredentialRef(
            key=provider.name,
            env=credential_env_name(provider.name),
            secret_name=provider.credentials.secret_ref.name,
        )
    return table.Provider(
        name=provider.name,
        api=provider.api,
        base_url=provider.base_url.rstrip("/"),
        credential=credential,
        timeout_ms=parse_duration_ms(provider.timeout),
        connect_timeout_ms=parse_duration_ms(provider.connect_timeout),
        headers=provider.headers,
    )


def _measured_quality(catalog: ModelCatalog) -> dict[str, str]:
    """Measured quality per model from the catalog's status (benchmark or Prometheus)."""
    if catalog.status is None:
        return {}
    return {
        observation.name: observation.measured_quality
        for observation in catalog.status.models
        if observation.measured_quality is not None
    }


def _model(model: CatalogModel, measured_quality: str | None) -> table.Model:
    pricing = model.pricing
    limits = model.limits
    return table.Model(
        name=model.name,
        provider=model.provider,
        provider_model=model.provider_model_id,
        tier=model.tier,
        pricing=table.Pricing(
            input_per_million=pricing.input_per_million,
            output_per_million=pricing.output_per_million,
            cached_input_per_million=pricing.cached_input_per_million,
            cache_write_input_per_million=pricing.cache_write_input_per_million,
            per_image=pricing.per_image,
            per_audio_minute=pricing.per_audio_minute,
        ),
        context_window=model.context_window,
        max_output_tokens=model.max_output_tokens,
        capabilities=model.capabilities,
        latency_ms=parse_duration_ms(model.latency),
        quality=measured_quality if measured_quality is not None else model.quality,
        tokens_per_image=model.tokens_per_image,
        max_concurrency=limits.max_concurrency if limits else None,
        requests_per_minute=limits.requests_per_minute if limits else None,
        tokens_per_minute=limits.tokens_per_minute if limits else None,
    )


def _route(route: Route) -> table.Route:
    return table.Route(
        name=route.name,
        category=route.category,
        strategy=route.strategy,
        allow_models=tuple(sorted(route.allow_models)),
        deny_models=tuple(sorted(route.deny_models)),
        fallback_chain=route.fallback_chain,
    )


def _classification(rules: Classification) -> table.Classification:
    capability_patterns = (
        rules.capability_patterns
        if rules.capability_patterns is not None
        else defaults.CAPABILITY_PATTERNS
    )
    return table.Classification(
        complex_patterns=(
            rules.complex_patterns
            if rules.complex_patterns is not None
            else defaults.COMPLEX_PATTERNS
        ),
        simple_patterns=(
            rules.simple_patterns if rules.simple_patterns is not None else defaults.SIMPLE_PATTERNS
        ),
        capability_patterns={
            capability: tuple(patterns)
            for capability, patterns in sorted(capability_patterns.items())
        },
        high_complexity_context_tokens=rules.high_complexity_context_tokens,
        long_context_tokens=rules.long_context_tokens,
        max_scan_chars=rules.max_scan_chars,
    )


def _fallback(policy: RoutingPolicy, enabled: set[str]) -> table.Fallback:
    fallback = policy.spec.fallback
    defaults_step = table.ChainStep(
        model="",
        max_retries=fallback.defaults.max_retries,
        timeout_ms=parse_duration_ms(fallback.defaults.timeout),
        retry_on=tuple(sorted(set(fallback.defaults.retry_on))),
    )
    chains = tuple(
        table.Chain(
            name=chain.name,
            steps=tuple(
                table.ChainStep(
                    model=step.model,
                    max_retries=(
                        step.max_retries
                        if step.max_retries is not None
                        else defaults_step.max_retries
                    ),
                    timeout_ms=(
                        parse_duration_ms(step.timeout)
                        if step.timeout is not None
                        else defaults_step.timeout_ms
                    ),
                    retry_on=(
                        tuple(sorted(set(step.retry_on)))
                        if step.retry_on is not None
                        else defaults_step.retry_on
                    ),
                )
                for step in chain.steps
                if step.model in enabled
            ),
        )
        for chain in fallback.chains
        if any(step.model in enabled for step in chain.steps)
    )
    return table.Fallback(
        default_model=fallback.default_model, defaults=defaults_step, chains=chains
    )


def _budget(budget: BudgetAllocation, now: datetime) -> table.BudgetSnapshot:
    spec = budget.spec
    period = current_period(spec, now)
    spent = _ledger(budget, period.start)
    amount = Decimal(spec.amount)
    return table.BudgetSnapshot(
        name=budget.metadata.name,
        currency=spec.currency,
        period_start=rfc3339(period.start),
        period_end=rfc3339(period.end),
        categories=tuple(
            table.BudgetCategory(
                name=category.name,
                allocated=_money(amount * category.percent / 100),
                spent=spent.get(category.name, "0.00"),
                when_exhausted=category.when_exhausted,
            )
            for category in spec.categories
        ),
    )


def _ledger(budget: BudgetAllocation, period_start: datetime) -> dict[str, str]:
    """Spend per category recorded in status, if it belongs to the current period."""
    status = budget.status
    if status is None or status.period_start is None or status.period_start != period_start:
        return {}
    return {category.name: _money(Decimal(category.spent)) for category in status.categories}


def _money(value: Decimal) -> str:
    return format(value.quantize(_CENT), "f")


def _optional_ms(duration: str | None) -> int | None:
    return parse_duration_ms(duration) if duration is not None else None
