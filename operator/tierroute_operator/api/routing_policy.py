"""RoutingPolicy: how requests are classified and routed over the models of a ModelCatalog."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from tierroute_gateway.decision import defaults
from tierroute_gateway.routing_table import (
    Capability,
    Complexity,
    EscalationTrigger,
    Strategy,
    Tier,
)
from tierroute_operator.api.cel import LIST_MAP_BY_NAME, LIST_SET, rule, validations
from tierroute_operator.api.experiments import Experiment
from tierroute_operator.api.fallback import Fallback
from tierroute_operator.api.field_types import (
    Duration,
    HttpUrl,
    Name,
    ObjectName,
    RegexPattern,
    Score,
    Timeout,
)
from tierroute_operator.api.issues import FieldIssue, duplicate_names, raise_if_any
from tierroute_operator.api.learned_router import LearnedRouterRef
from tierroute_operator.api.meta import API_VERSION, ApiModel, ObjectMeta
from tierroute_operator.api.routing_policy_status import RoutingPolicyStatus

MAX_ROUTES = 64
MAX_PATTERNS = 64
MAX_LIST = 1000
MAX_FEATURES = 64
MAX_EXPERIMENTS = 32


class ObjectRef(ApiModel):
    """A reference to another object of the same namespace."""

    name: ObjectName = Field(description="Name of the object.")


class Route(ApiModel):
    """A virtual model name clients send in `model`, such as `auto`."""

    name: Name = Field(description="The name clients put in `model`; unique.")
    category: Name = Field(
        description="Budget category charged when the request names none "
        "(header `x-tierroute-category`)."
    )
    strategy: Strategy = Field(
        default=Strategy.COST_OPTIMIZED,
        description="How eligible models are ordered: cost-optimized, quality-first or "
        "latency-first within each tier; learned: the policy's learned router "
        "(`spec.learnedRouter`) picks among the eligible models it knows.",
    )
    allow_models: tuple[Name, ...] = Field(
        default=(),
        max_length=MAX_LIST,
        description="If not empty, only these models serve the route.",
        json_schema_extra=LIST_SET,
    )
    deny_models: tuple[Name, ...] = Field(
        default=(),
        max_length=MAX_LIST,
        description="Models that never serve the route.",
        json_schema_extra=LIST_SET,
    )
    fallback_chain: Name | None = Field(
        default=None,
        description="Name of a chain in `spec.fallback.chains` used for every request of the "
        "route; absent means a chain derived from the selection.",
    )


PatternList = Annotated[tuple[RegexPattern, ...], Field(max_length=MAX_PATTERNS)]
"""Regular expressions of one capability."""

_CAPABILITY_NAMES = ", ".join(f"'{capability.value}'" for capability in Capability)


class Classification(ApiModel):
    """Rules that turn a request into a complexity and required capabilities.

    An omitted pattern list means the seed's defaults; an empty list means none.
    """

    complex_patterns: tuple[RegexPattern, ...] | None = Field(
        default=None,
        max_length=MAX_PATTERNS,
        description="Regexes whose matches suggest high complexity; omitted means the "
        "built-in defaults.",
    )
    simple_patterns: tuple[RegexPattern, ...] | None = Field(
        default=None,
        max_length=MAX_PATTERNS,
        description="Regexes whose matches suggest low complexity; omitted means the "
        "built-in defaults.",
    )
    capability_patterns: dict[Capability, PatternList] | None = Field(
        default=None,
        max_length=len(Capability),
        description="Per capability, regexes whose match requires it; omitted means the "
        "built-in defaults.",
        json_schema_extra=validations(
            rule(
                f"self.all(k, k in [{_CAPABILITY_NAMES}])",
                "keys must be capabilities: " + _CAPABILITY_NAMES.replace("'", ""),
            ),
        ),
    )
    high_complexity_context_tokens: int = Field(
        default=defaults.HIGH_COMPLEXITY_CONTEXT_TOKENS,
        ge=0,
        description="Above this many context tokens a request is high.",
    )
    long_context_tokens: int = Field(
        default=defaults.LONG_CONTEXT_TOKENS,
        ge=0,
        description="Above this many estimated tokens a request requires long_context.",
    )
    max_scan_chars: int = Field(
        default=defaults.MAX_SCAN_CHARS,
        ge=1,
        le=1_000_000,
        description="Only this many characters of prompt text are matched, which caps the "
        "cost of classification.",
    )


class TierPriority(ApiModel):
    """Order of tiers to try for each complexity."""

    high: tuple[Tier, ...] = Field(
        default=(Tier.PREMIUM, Tier.STANDARD, Tier.ECONOMY),
        min_length=1,
        max_length=3,
        description="Tiers for high complexity.",
        json_schema_extra=LIST_SET,
    )
    medium: tuple[Tier, ...] = Field(
        default=(Tier.STANDARD, Tier.PREMIUM, Tier.ECONOMY),
        min_length=1,
        max_length=3,
        description="Tiers for medium complexity.",
        json_schema_extra=LIST_SET,
    )
    low: tuple[Tier, ...] = Field(
        default=(Tier.ECONOMY, Tier.STANDARD, Tier.PREMIUM),
        min_length=1,
        max_length=3,
        description="Tiers for low complexity.",
        json_schema_extra=LIST_SET,
    )

    @field_validator("high", "medium", "low")
    @classmethod
    def _unique_tiers(cls, value: tuple[Tier, ...]) -> tuple[Tier, ...]:
        seen: set[Tier] = set()
        for index, tier in enumerate(value):
            if tier in seen:
                raise_if_any([FieldIssue(f"[{index}]", f"duplicate tier {tier.value!r}")])
            seen.add(tier)
        return value

    def for_complexity(self, complexity: Complexity) -> tuple[Tier, ...]:
        """The tier order for one complexity."""
        return {
            Complexity.HIGH: self.high,
            Complexity.MEDIUM: self.medium,
            Complexity.LOW: self.low,
        }[complexity]


class Constraints(ApiModel):
    """Policy-wide eligibility filters; request headers may tighten them."""

    max_latency: Duration | None = Field(
        default=None, description="Models with a higher declared latency are not eligible."
    )
    min_quality: Score | None = Field(
        default=None, description="Models with a lower quality score are not eligible."
    )
    preferred_providers: tuple[Name, ...] = Field(
        default=(),
        max_length=64,
        description="If not empty, only models of these providers are eligible.",
        json_schema_extra=LIST_SET,
    )
    allow_models: tuple[Name, ...] = Field(
        default=(),
        max_length=MAX_LIST,
        description="If not empty, only these models are eligible.",
        json_schema_extra=LIST_SET,
    )
    deny_models: tuple[Name, ...] = Field(
        default=(),
        max_length=MAX_LIST,
        description="Models that are never eligible.",
        json_schema_extra=LIST_SET,
    )


class QualitySource(StrEnum):
    """Which quality score of a model selection uses."""

    DECLARED = "declared"
    MEASURED = "measured"


class QualityGate(ApiModel):
    """Escalation to a higher tier when an answer is unusable."""

    enabled: bool = Field(default=False, description="Whether the gate runs.")
    escalate_on: tuple[EscalationTrigger, ...] = Field(
        default=tuple(EscalationTrigger),
        max_length=3,
        description="What counts as unusable: empty, truncated or invalid_json (when JSON "
        "output was requested).",
        json_schema_extra=LIST_SET,
    )


class Automation(ApiModel):
    """Automatic adjustments from Prometheus signals."""

    enabled: bool = Field(default=False, description="Whether the operator adjusts routing.")
    prometheus_url: HttpUrl = Field(
        alias="prometheusURL", description="Base URL of the Prometheus HTTP API."
    )
    interval: Timeout = Field(default="1m", description="How often signals are evaluated.")
    cooldown: Duration = Field(
        default="10m", description="Minimum time between two changes of one target."
    )


_CHAIN_DECLARED = (
    "has(self.fallback) && has(self.fallback.chains) && "
    "self.fallback.chains.exists(c, c.name == r.fallbackChain)"
)


class RoutingPolicySpec(ApiModel):
    """Desired state of a RoutingPolicy."""

    model_config = ConfigDict(
        json_schema_extra=validations(
            rule(
                f"self.routes.all(r, !has(r.fallbackChain) || ({_CHAIN_DECLARED}))",
                "fallbackChain must name a chain declared in spec.fallback.chains",
                field_path=".routes",
                reason="FieldValueInvalid",
            ),
            rule(
                "has(self.learnedRouter) || "
                "self.routes.all(r, !has(r.strategy) || r.strategy != 'learned')",
                "strategy learned needs spec.learnedRouter (the fitted router to route with)",
                field_path=".routes",
                reason="FieldValueRequired",
            ),
            rule(
                "!has(self.experiments) || self.experiments.all(e, !has(e.route) || "
                "self.routes.exists(r, r.name == e.route))",
                "route must name a route declared in spec.routes",
                field_path=".experiments",
                reason="FieldValueInvalid",
            ),
        )
    )

    catalog_ref: ObjectRef = Field(description="The ModelCatalog whose models are routed to.")
    budget_ref: ObjectRef | None = Field(
        default=None, description="The BudgetAllocation charged; absent means no budget."
    )
    routes: tuple[Route, ...] = Field(
        min_length=1,
        max_length=MAX_ROUTES,
        description="Virtual model names clients may use; names are unique.",
        json_schema_extra=LIST_MAP_BY_NAME,
    )
    classification: Classification = Field(
        default=Classification(), description="Request classification rules."
    )
    tier_priority: TierPriority = Field(
        default=TierPriority(), description="Tier order per complexity."
    )
    constraints: Constraints = Field(
        default=Constraints(), description="Policy-wide eligibility filters."
    )
    fallback: Fallback = Field(default=Fallback(), description="Retries and fallback.")
    quality_gate: QualityGate = Field(
        default=QualityGate(), description="Escalation on unusable answers."
    )
    quality_source: QualitySource = Field(
        default=QualitySource.DECLARED,
        description="Quality score used for `minQuality` and quality-first routing: "
        "`declared` (the catalog's spec) or `measured` (the catalog status' measuredQuality, "
        "published by `tierroute bench publish`, where a model has one; declared otherwise).",
    )
    experiments: tuple[Experiment, ...] = Field(
        default=(),
        max_length=MAX_EXPERIMENTS,
        description="A/B tests between models; names are unique.",
        json_schema_extra=LIST_MAP_BY_NAME,
    )
    features: tuple[Name, ...] = Field(
        default=(),
        max_length=MAX_FEATURES,
        description="Declared feature names (header `x-tierroute-feature`); others are "
        "counted as `other` in metrics.",
        json_schema_extra=LIST_SET,
    )
    automation: Automation | None = Field(
        default=None, description="Automatic adjustments from Prometheus signals."
    )
    learned_router: LearnedRouterRef | None = Field(
        default=None,
        description="The fitted learned router that routes with strategy `learned` use; "
        "required when one does.",
    )

    @field_validator("routes", "experiments")
    @classmethod
    def _unique_names(cls, value: tuple[Route | Experiment, ...]) -> tuple[object, ...]:
        raise_if_any(duplicate_names([item.name for item in value]))
        return value

    @model_validator(mode="after")
    def _references_within_policy(self) -> RoutingPolicySpec:
        chains = {chain.name for chain in self.fallback.chains}
        routes = {route.name for route in self.routes}
        issues = [
            FieldIssue(
                f"routes[{index}].fallbackChain",
                f"{route.fallback_chain!r} is not declared in spec.fallback.chains",
            )
            for index, route in enumerate(self.routes)
            if route.fallback_chain is not None and route.fallback_chain not in chains
        ]
        issues += [
            FieldIssue(
                f"experiments[{index}].route",
                f"{experiment.route!r} is not declared in spec.routes",
            )
            for index, experiment in enumerate(self.experiments)
            if experiment.route is not None and experiment.route not in routes
        ]
        if self.learned_router is None:
            issues += [
                FieldIssue(
                    f"routes[{index}].strategy",
                    "'learned' needs spec.learnedRouter (the fitted router to route with)",
                )
                for index, route in enumerate(self.routes)
                if route.strategy is Strategy.LEARNED
            ]
        raise_if_any(issues)
        return self

    def route(self, name: str) -> Route | None:
        """The route of that name, if declared."""
        return next((route for route in self.routes if route.name == name), None)


class RoutingPolicy(ApiModel):
    """How requests are routed over a ModelCatalog (`kubectl get rpol`)."""

    api_version: Literal["tierroute.io/v1alpha1"] = Field(
        default=API_VERSION, description="tierroute.io/v1alpha1"
    )
    kind: Literal["RoutingPolicy"] = Field(default="RoutingPolicy", description="RoutingPolicy")
    metadata: ObjectMeta = Field(description="Object metadata.")
    spec: RoutingPolicySpec = Field(description="Desired state.")
    status: RoutingPolicyStatus | None = Field(default=None, description="Observed state.")
