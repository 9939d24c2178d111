"""The routing table: the one contract between the operator and the gateway.

The operator (or `tierroute compile`) produces it from the custom resources; the gateway loads
it, validates it and serves from it. It is versioned: a gateway refuses a table whose
`schemaVersion` it does not know and keeps the one it has. Nothing in it is secret: providers
carry only the *name* of a credential, never its value.

Money and scores are decimal strings so that the canonical JSON, and therefore the content
hash, is exact and identical across Python versions. Lists whose order carries no meaning are
sorted when the table is built, so reordering the input manifests never changes the hash.
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated, Any, Literal

import orjson
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from tierroute_gateway.learned_router.artefact import LearnedRouter, artefact_hash

SCHEMA_VERSION = 1
"""The schema version this gateway reads and the operator writes."""

_DECIMAL = re.compile(r"^(0|[1-9][0-9]*)(\.[0-9]+)?$")
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_HEADER_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_GATEWAY_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "x-api-key", "api-key"})


def header_problem(name: str, value: str) -> str | None:
    """Why a provider header cannot be sent as configured, or None; never quotes the value."""
    if not _HEADER_NAME.match(name):
        return f"header name {name!r} is not an HTTP token"
    if name.lower() in _GATEWAY_HEADERS:
        return f"header {name!r} is set by the gateway and cannot be configured"
    if _HEADER_CONTROL.search(value):
        return f"header {name!r} has a control character (such as CR or LF) in its value"
    if not value.isascii() and any(ord(char) > 0xFF for char in value):
        return f"header {name!r} has a value that is not Latin-1 text"
    return None


class RoutingTableError(ValueError):
    """A routing table that cannot be loaded: bad JSON, unknown version or invalid content."""


class Tier(StrEnum):
    """Price/quality tier of a model; the seed's three tiers."""

    PREMIUM = "premium"
    STANDARD = "standard"
    ECONOMY = "economy"


class Capability(StrEnum):
    """What a model can do; the seed's list plus audio input."""

    REASONING = "reasoning"
    CODING = "coding"
    CREATIVE = "creative"
    FACTUAL = "factual"
    MULTILINGUAL = "multilingual"
    VISION = "vision"
    LONG_CONTEXT = "long_context"
    AUDIO = "audio"


class Complexity(StrEnum):
    """Complexity class of a request, which picks the tier priority."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class WireApi(StrEnum):
    """The HTTP API a provider speaks."""

    OPENAI = "openai"
    ANTHROPIC = "anthropic"


class ErrorClass(StrEnum):
    """Classes of upstream failure a fallback step may retry on."""

    TIMEOUT = "timeout"
    CONNECTION = "connection"
    RATE_LIMIT = "rate_limit"
    SERVER_ERROR = "server_error"


class Strategy(StrEnum):
    """How a route orders the eligible models of a tier."""

    COST_OPTIMIZED = "cost-optimized"
    QUALITY_FIRST = "quality-first"
    LATENCY_FIRST = "latency-first"
    LEARNED = "learned"
    """The policy's learned router picks among the eligible models it knows (all tiers the
    budget allows); cost-optimized tier order when it knows none of them."""


class WhenExhausted(StrEnum):
    """What a budget category does once its allocation is spent."""

    DOWNGRADE = "downgrade"
    REJECT = "reject"
    ALLOW = "allow"


class EscalationTrigger(StrEnum):
    """Answers the quality gate escalates to a higher tier."""

    EMPTY = "empty"
    TRUNCATED = "truncated"
    INVALID_JSON = "invalid_json"


def _check_score(value: str) -> str:
    if Decimal(value) > 1:
        raise ValueError(f"{value!r} is a score and must lie in [0, 1]")
    return value


DecimalString = Annotated[str, Field(pattern=_DECIMAL.pattern)]
"""A non-negative decimal number written as a string, such as "2.50"."""


class _Strict(BaseModel):
    """Base of every table model: camelCase JSON, unknown fields refused, immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


class CredentialRef(_Strict):
    """Where a gateway finds a provider's key: never the key itself."""

    key: str = Field(
        description="File name of the key in the mounted credentials directory "
        "(the key of the `<policy>-credentials` Secret)."
    )
    env: str = Field(
        description="Environment variable that holds the key when no credentials directory "
        "is mounted (the embedded default)."
    )
    secret_name: str | None = Field(
        default=None, description="The Secret the operator copied the key from, for humans."
    )


class Provider(_Strict):
    """An upstream LLM API."""

    name: str = Field(description="Provider name, referenced by models.")
    api: WireApi = Field(description="Wire API the provider speaks.")
    base_url: str = Field(description="Base URL, up to and including the version path.")
    credential: CredentialRef | None = Field(
        default=None, description="Where the key lives; absent for endpoints without auth."
    )
    timeout_ms: int = Field(ge=1, description="Whole-request timeout in milliseconds.")
    connect_timeout_ms: int = Field(ge=1, description="Connect timeout in milliseconds.")
    headers: dict[str, str] = Field(
        default_factory=dict, description="Extra non-secret headers sent with every request."
    )

    @field_validator("headers")
    @classmethod
    def _sendable_headers(cls, headers: dict[str, str]) -> dict[str, str]:
        for name, value in headers.items():
            if name.lower() in _SECRET_HEADERS:
                raise ValueError(f"header {name!r} would carry a credential: use `credential`")
            problem = header_problem(name, value)
            if problem is not None:
                raise ValueError(problem)
        return headers


class Pricing(_Strict):
    """Prices in USD, as decimal strings."""

    input_per_million: DecimalString = Field(description="USD per 1M input tokens.")
    output_per_million: DecimalString = Field(description="USD per 1M output tokens.")
    cached_input_per_million: DecimalString | None = Field(
        default=None, description="USD per 1M cached input tokens, when the provider bills them."
    )
    cache_write_input_per_million: DecimalString | None = Field(
        default=None,
        description="USD per 1M input tokens written to the provider's prompt cache, when billed "
        "differently from other input; absent means the input price.",
    )
    per_image: DecimalString | None = Field(
        default=None, description="USD per input image on top of its tokens, if billed so."
    )
    per_audio_minute: DecimalString | None = Field(
        default=None, description="USD per minute of input audio, if billed so."
    )


class Model(_Strict):
    """A concrete model the gateway can call, with everything selection needs."""

    name: str = Field(description="Catalog name, used in requests and metrics.")
    provider: str = Field(description="Name of the provider serving it.")
    provider_model: str = Field(description="The model id sent to the provider.")
    tier: Tier = Field(description="Price/quality tier.")
    pricing: Pricing = Field(description="Prices used for estimates and accounting.")
    context_window: int = Field(ge=1, description="Maximum input plus output tokens.")
    max_output_tokens: int = Field(ge=1, description="Maximum output tokens.")
    capabilities: tuple[Capability, ...] = Field(description="What it can do, sorted.")
    latency_ms: int = Field(ge=0, description="Typical latency in milliseconds (declared).")
    quality: DecimalString = Field(
        description="Quality score in [0, 1] used by selection: measured when the catalog has "
        "a measurement and the policy prefers it, declared otherwise."
    )
    tokens_per_image: int = Field(ge=0, description="Token estimate of one input image.")
    max_concurrency: int | None = Field(
        default=None, ge=1, description="In-flight requests per gateway replica, if limited."
    )
    requests_per_minute: int | None = Field(
        default=None, ge=1, description="Provider rate limit in requests per minute, if known."
    )
    tokens_per_minute: int | None = Field(
        default=None, ge=1, description="Provider rate limit in tokens per minute, if known."
    )

    _quality_in_range = field_validator("quality")(_check_score)

    @field_validator("capabilities")
    @classmethod
    def _sorted_unique(cls, value: tuple[Capability, ...]) -> tuple[Capability, ...]:
        return tuple(sorted(set(value)))


class Route(_Strict):
    """A virtual model name clients may send (such as `auto`)."""

    name: str = Field(description="The name clients put in `model`.")
    category: str = Field(description="Budget category charged when no header names one.")
    strategy: Strategy = Field(description="How models of one tier are ordered.")
    allow_models: tuple[str, ...] = Field(
        default=(), description="If not empty, only these models may serve the route."
    )
    deny_models: tuple[str, ...] = Field(default=(), description="Models never used.")
    fallback_chain: str | None = Field(
        default=None, description="Declared chain used for every request of this route."
    )


class Classification(_Strict):
    """Rules that turn a request into complexity and required capabilities."""

    complex_patterns: tuple[str, ...] = Field(description="Regexes that suggest high complexity.")
    simple_patterns: tuple[str, ...] = Field(description="Regexes that suggest low complexity.")
    capability_patterns: dict[Capability, tuple[str, ...]] = Field(
        description="Regexes whose match in the prompt requires a capability."
    )
    high_complexity_context_tokens: int = Field(
        ge=0, description="Above this many context tokens a request is high complexity."
    )
    long_context_tokens: int = Field(
        ge=0, description="Above this many estimated tokens a request needs long_context."
    )
    max_scan_chars: int = Field(
        ge=1,
        description="Only this many characters of prompt text are matched against "
        "patterns, which caps the cost of classification.",
    )


class Constraints(_Strict):
    """Policy-wide eligibility filters; request headers may tighten them."""

    max_latency_ms: int | None = Field(default=None, ge=0, description="Latency ceiling.")
    min_quality: DecimalString | None = Field(default=None, description="Quality floor.")
    preferred_providers: tuple[str, ...] = Field(
        default=(), description="If not empty, only these providers are used."
    )
    allow_models: tuple[str, ...] = Field(default=(), description="If not empty, only these.")
    deny_models: tuple[str, ...] = Field(default=(), description="Never these.")


class ChainStep(_Strict):
    """One model of a fallback chain with its retry rules, defaults already applied."""

    model: str = Field(description="Model to call.")
    max_retries: int = Field(ge=0, le=10, description="Retries after the first attempt.")
    timeout_ms: int = Field(ge=1, description="Per-attempt timeout in milliseconds.")
    retry_on: tuple[ErrorClass, ...] = Field(description="Failure classes that are retried.")


class Chain(_Strict):
    """An ordered list of models to try."""

    name: str = Field(description="Chain name, referenced by routes.")
    steps: tuple[ChainStep, ...] = Field(min_length=1, description="Models in order.")


class Fallback(_Strict):
    """How failures move along models."""

    default_model: str | None = Field(
        default=None,
        description="Model used when nothing is eligible; absent means answer "
        "503 with an explanation.",
    )
    defaults: ChainStep = Field(
        description="Retry rules for steps of derived chains (its `model` is ignored)."
    )
    chains: tuple[Chain, ...] = Field(default=(), description="Declared chains, by name.")

    @field_validator("chains")
    @classmethod
    def _sorted_chains(cls, value: tuple[Chain, ...]) -> tuple[Chain, ...]:
        return tuple(sorted(value, key=lambda chain: chain.name))


class QualityGate(_Strict):
    """Escalation to a higher tier when an answer is unusable."""

    enabled: bool = Field(description="Whether the gate runs.")
    escalate_on: tuple[EscalationTrigger, ...] = Field(description="What counts as unusable.")


class Variant(_Strict):
    """One arm of an experiment."""

    name: str = Field(description="Variant name, used in metrics.")
    model: str = Field(description="Model this arm routes to.")
    weight: int = Field(ge=1, description="Integer share of traffic.")


class Experiment(_Strict):
    """An A/B test: requests of a route or category are split between models."""

    name: str = Field(description="Experiment name; part of the assignment hash.")
    route: str | None = Field(default=None, description="Route it applies to, if limited.")
    category: str | None = Field(default=None, description="Category it applies to, if limited.")
    variants: tuple[Variant, ...] = Field(min_length=2, description="Arms, sorted by name.")
    stickiness: Literal["user", "request"] = Field(
        description="Assign by user id (sticky) or by request id."
    )

    @field_validator("variants")
    @classmethod
    def _sorted_variants(cls, value: tuple[Variant, ...]) -> tuple[Variant, ...]:
        return tuple(sorted(value, key=lambda variant: variant.name))


class BudgetCategory(_Strict):
    """One budget category as of the snapshot."""

    name: str = Field(description="Category name.")
    allocated: DecimalString = Field(description="USD allocated for the period.")
    spent: DecimalString = Field(description="USD spent in the period as of the snapshot.")
    when_exhausted: WhenExhausted = Field(description="Action once spent reaches allocated.")


class BudgetSnapshot(_Strict):
    """The budget as the operator last saw it; gateways add their own spend since."""

    name: str = Field(description="The BudgetAllocation it comes from.")
    currency: Literal["USD"] = Field(description="Currency of every amount.")
    period_start: str = Field(description="Start of the current period, RFC 3339.")
    period_end: str = Field(description="End of the current period, RFC 3339.")
    categories: tuple[BudgetCategory, ...] = Field(description="Categories, sorted by name.")

    @field_validator("categories")
    @classmethod
    def _sorted_categories(cls, value: tuple[BudgetCategory, ...]) -> tuple[BudgetCategory, ...]:
        return tuple(sorted(value, key=lambda category: category.name))


class Adjustment(_Strict):
    """An automatic change made by the operator's automation, with its reason."""

    kind: Literal["disable-model", "penalize-model", "downgrade-category", "promote-variant"] = (
        Field(description="What was changed.")
    )
    target: str = Field(description="Model, category or experiment it applies to.")
    reason: str = Field(description="Why, with the signal value that triggered it.")
    since: str = Field(description="When it took effect, RFC 3339.")
    value: str | None = Field(default=None, description="Parameter, such as a penalty.")


class LearnedRouting(_Strict):
    """The learned router of routes with strategy `learned`, carried inline.

    The artefact travels inside the table, so one ConfigMap update delivers table and router
    together and the table's content hash covers both. `artefactHash` is the hash the
    RoutingPolicy pins; a table whose artefact hashes differently is refused.
    """

    artefact_hash: str = Field(
        pattern=r"^sha256:[0-9a-f]{64}$",
        description="sha256 of the artefact's canonical JSON, as pinned by the policy.",
    )
    source: str = Field(
        description="Where the operator read it, such as `configmap team-a/router-v3 "
        "router.json` (for humans; not used to load it)."
    )
    rule: Literal["threshold", "tradeoff"] = Field(
        description="Decision rule: the policy's, else the artefact's operating point."
    )
    value: DecimalString = Field(description="The threshold or the cost weight λ of the rule.")
    artefact: LearnedRouter = Field(description="The fitted router (learned-router schema).")

    @model_validator(mode="after")
    def _hash_matches(self) -> LearnedRouting:
        actual = artefact_hash(self.artefact)
        if actual != self.artefact_hash:
            raise ValueError(
                f"learned router artefact hashes to {actual}, not the pinned {self.artefact_hash}"
            )
        return self


class Source(_Strict):
    """Which objects the table was compiled from."""

    namespace: str = Field(description="Namespace of the objects.")
    policy: str = Field(description="RoutingPolicy name.")
    catalog: str = Field(description="ModelCatalog name.")
    budget: str | None = Field(default=None, description="BudgetAllocation name, if any.")


class RoutingTable(_Strict):
    """Everything a gateway needs to route, validated and in canonical order."""

    schema_version: Literal[1] = Field(description="Schema version of this table.")
    source: Source = Field(description="Objects it was compiled from.")
    providers: tuple[Provider, ...] = Field(description="Providers, sorted by name.")
    models: tuple[Model, ...] = Field(description="Models, sorted by name.")
    routes: tuple[Route, ...] = Field(description="Routes, sorted by name.")
    classification: Classification = Field(description="Classifier rules.")
    tier_priority: dict[Complexity, tuple[Tier, ...]] = Field(
        description="Tier order to try for each complexity."
    )
    constraints: Constraints = Field(description="Policy-wide eligibility filters.")
    fallback: Fallback = Field(description="Fallback rules and chains.")
    quality_gate: QualityGate = Field(description="Escalation on unusable answers.")
    experiments: tuple[Experiment, ...] = Field(default=(), description="A/B tests, by name.")
    budget: BudgetSnapshot | None = Field(default=None, description="Budget snapshot, if any.")
    adjustments: tuple[Adjustment, ...] = Field(
        default=(), description="Automatic adjustments in force, sorted by target and kind."
    )
    features: tuple[str, ...] = Field(
        default=(), description="Declared feature names; others are counted as `other`."
    )
    learned_router: LearnedRouting | None = Field(
        default=None, description="The learned router of `learned` routes, if the policy has one."
    )

    @field_validator("providers", "models", "routes", "experiments")
    @classmethod
    def _sorted_by_name(cls, value: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(sorted(value, key=lambda item: item.name))

    @field_validator("adjustments")
    @classmethod
    def _sorted_adjustments(cls, value: tuple[Adjustment, ...]) -> tuple[Adjustment, ...]:
        return tuple(sorted(value, key=lambda item: (item.target, item.kind, item.since)))

    @field_validator("features")
    @classmethod
    def _sorted_features(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted(set(value)))


def canonical_json(table: RoutingTable) -> bytes:
    """The table as canonical JSON: camelCase keys sorted, no whitespace, UTF-8."""
    data = table.model_dump(mode="json", by_alias=True, exclude_none=True)
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)


def content_hash(table: RoutingTable) -> str:
    """`sha256:<hex>` of the canonical JSON; equal tables have equal hashes."""
    return "sha256:" + hashlib.sha256(canonical_json(table)).hexdigest()


def load_routing_table(document: bytes | str) -> RoutingTable:
    """Parse and validate a routing table, refusing unknown schema versions."""
    try:
        data = orjson.loads(document)
    except orjson.JSONDecodeError as error:
        raise RoutingTableError(f"routing table is not valid JSON: {error}") from error
    if not isinstance(data, dict):
        raise RoutingTableError("routing table must be a JSON object")
    version = data.get("schemaVersion")
    if version != SCHEMA_VERSION:
        raise RoutingTableError(
            f"routing table schemaVersion {version!r} is not supported "
            f"(this gateway reads version {SCHEMA_VERSION})"
        )
    try:
        table = RoutingTable.model_validate(data)
    except ValidationError as error:
        raise RoutingTableError(f"routing table is invalid: {_describe(error)}") from error
    return table


def _describe(error: ValidationError) -> str:
    problems = []
    for item in error.errors()[:5]:
        path = ".".join(str(part) for part in item["loc"])
        problems.append(f"{path}: {item['msg']}")
    more = error.error_count() - len(problems)
    return "; ".join(problems) + (f" (and {more} more)" if more > 0 else "")


def decimal_value(text: str) -> Decimal:
    """A decimal string of the table as a Decimal (the schema guarantees it parses)."""
    try:
        return Decimal(text)
    except InvalidOperation as error:
        raise RoutingTableError(f"{text!r} is not a decimal number") from error
