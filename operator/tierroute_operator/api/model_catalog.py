"""ModelCatalog: the providers a cluster may call and the models they serve, with prices."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from tierroute_gateway.routing_table import Capability, Tier, WireApi
from tierroute_operator.api.cel import LIST_MAP_BY_NAME, LIST_SET, merge_extras, rule, validations
from tierroute_operator.api.field_types import (
    HEADER_NAME_PATTERN,
    Duration,
    HttpUrl,
    Money,
    Name,
    ObjectName,
    ProviderModelId,
    Score,
    SecretKey,
    Timeout,
)
from tierroute_operator.api.issues import (
    FieldIssue,
    duplicate_names,
    duplicate_values,
    raise_if_any,
)
from tierroute_operator.api.meta import (
    API_VERSION,
    CONDITIONS_EXTRAS,
    MAX_CONDITIONS,
    ApiModel,
    Condition,
    ObjectMeta,
)

MAX_PROVIDERS = 64
MAX_MODELS = 1000
DEFAULT_TOKENS_PER_IMAGE = 500
SECRET_HEADER_NAMES = ("authorization", "proxy-authorization", "x-api-key", "api-key")


HeaderValue = Annotated[str, Field(max_length=1024)]
"""The value of an extra HTTP header."""


class SecretKeyRef(ApiModel):
    """A key of a Secret in the catalog's namespace."""

    name: ObjectName = Field(description="Name of the Secret.")
    key: SecretKey = Field(description="Key in the Secret's data that holds the API key.")


class ProviderCredentials(ApiModel):
    """Where the provider's API key lives; the key itself never leaves the Secret."""

    secret_ref: SecretKeyRef = Field(description="The Secret key holding the API key.")


class Provider(ApiModel):
    """An upstream LLM API endpoint."""

    name: Name = Field(description="Provider name, referenced by `models[].provider`.")
    api: WireApi = Field(description="Wire API the endpoint speaks: `openai` or `anthropic`.")
    base_url: HttpUrl = Field(
        alias="baseURL",
        description="Base URL up to and including the version path, such as "
        "`https://api.openai.com/v1`.",
    )
    credentials: ProviderCredentials | None = Field(
        default=None,
        description="API key reference; omit for endpoints that need none (self-hosted).",
    )
    timeout: Timeout = Field(default="60s", description="Whole-request timeout.")
    connect_timeout: Timeout = Field(default="5s", description="TCP/TLS connect timeout.")
    headers: dict[str, HeaderValue] = Field(
        default_factory=dict,
        max_length=32,
        description="Extra non-secret headers sent with every request (secrets belong in "
        "`credentials`).",
        json_schema_extra=validations(
            rule(
                f"self.all(k, k.matches('{HEADER_NAME_PATTERN}') && k.size() <= 128)",
                "header names must be HTTP tokens of at most 128 characters",
            ),
            rule(
                "self.all(k, !(k.lowerAscii() in "
                "['authorization', 'proxy-authorization', 'x-api-key', 'api-key']))",
                "headers must not carry credentials: use credentials.secretRef",
            ),
        ),
    )

    @field_validator("headers")
    @classmethod
    def _non_secret_headers(cls, headers: dict[str, str]) -> dict[str, str]:
        issues = []
        for header in headers:
            if header.lower() in SECRET_HEADER_NAMES:
                issues.append(
                    FieldIssue(header, "must not carry credentials: use credentials.secretRef")
                )
            elif len(header) > 128 or re.fullmatch(HEADER_NAME_PATTERN, header) is None:
                issues.append(FieldIssue(header, f"{header!r} is not an HTTP header name"))
        raise_if_any(issues)
        return headers


class Pricing(ApiModel):
    """Prices in USD as non-negative decimal strings."""

    input_per_million: Money = Field(description='USD per 1M input tokens, such as `"2.50"`.')
    output_per_million: Money = Field(description="USD per 1M output tokens.")
    cached_input_per_million: Money | None = Field(
        default=None, description="USD per 1M cached input tokens, when billed differently."
    )
    cache_write_input_per_million: Money | None = Field(
        default=None,
        description=(
            "USD per 1M input tokens written to the provider's prompt cache, when billed "
            "differently (Anthropic: 1.25 times the input price for 5-minute caching)."
        ),
    )
    per_image: Money | None = Field(
        default=None, description="USD per input image on top of its tokens, if billed so."
    )
    per_audio_minute: Money | None = Field(
        default=None, description="USD per minute of input audio, if billed so."
    )


class ModelLimits(ApiModel):
    """Provider-side limits of one model."""

    requests_per_minute: int | None = Field(
        default=None, ge=1, description="Requests per minute the provider allows."
    )
    tokens_per_minute: int | None = Field(
        default=None, ge=1, description="Tokens per minute the provider allows."
    )
    max_concurrency: int | None = Field(
        default=None, ge=1, description="In-flight requests per gateway replica."
    )


class CatalogModel(ApiModel):
    """A concrete model with what routing needs to know about it."""

    model_config = ConfigDict(
        json_schema_extra=validations(
            rule(
                "self.maxOutputTokens <= self.contextWindow",
                "maxOutputTokens must not exceed contextWindow",
                field_path=".maxOutputTokens",
                reason="FieldValueInvalid",
            )
        )
    )

    name: Name = Field(description="Catalog name, used in requests, policies and metrics.")
    provider: Name = Field(description="Name of a provider declared in `spec.providers`.")
    provider_model: ProviderModelId | None = Field(
        default=None, description="Model id sent to the provider; defaults to `name`."
    )
    tier: Tier = Field(description="Price/quality tier: `premium`, `standard` or `economy`.")
    pricing: Pricing = Field(description="Prices used for estimates and accounting.")
    context_window: int = Field(ge=1, description="Maximum input plus output tokens.")
    max_output_tokens: int = Field(ge=1, description="Maximum output tokens of one answer.")
    capabilities: tuple[Capability, ...] = Field(
        default=(),
        max_length=len(Capability),
        description="What the model can do: reasoning, coding, creative, factual, "
        "multilingual, vision, long_context, audio.",
        json_schema_extra=LIST_SET,
    )
    latency: Duration = Field(description='Declared typical latency, such as `"800ms"`.')
    quality: Score = Field(description='Declared quality score in [0, 1], such as `"0.92"`.')
    limits: ModelLimits | None = Field(default=None, description="Provider-side rate limits.")
    tokens_per_image: int = Field(
        default=DEFAULT_TOKENS_PER_IMAGE,
        ge=0,
        description="Tokens one input image costs, for estimates.",
    )
    disabled: bool = Field(default=False, description="Take the model out of routing.")

    @property
    def provider_model_id(self) -> str:
        """The id sent to the provider: `providerModel`, or the catalog name."""
        return self.provider_model or self.name

    @field_validator("capabilities")
    @classmethod
    def _unique_capabilities(cls, value: tuple[Capability, ...]) -> tuple[Capability, ...]:
        raise_if_any(duplicate_values(value))
        return value

    @model_validator(mode="after")
    def _output_fits_context(self) -> CatalogModel:
        if self.max_output_tokens > self.context_window:
            raise_if_any(
                [
                    FieldIssue(
                        "maxOutputTokens",
                        f"{self.max_output_tokens} exceeds contextWindow {self.context_window}",
                    )
                ]
            )
        return self


_UNDECLARED_PROVIDER = "self.providers.exists(p, p.name == m.provider)"


class ModelCatalogSpec(ApiModel):
    """Desired state of a ModelCatalog."""

    model_config = ConfigDict(
        json_schema_extra=validations(
            rule(
                f"self.models.all(m, {_UNDECLARED_PROVIDER})",
                "the provider of every model must be declared in spec.providers",
                field_path=".models",
                reason="FieldValueInvalid",
            )
        )
    )

    providers: tuple[Provider, ...] = Field(
        min_length=1,
        max_length=MAX_PROVIDERS,
        description="Provider endpoints; names are unique.",
        json_schema_extra=LIST_MAP_BY_NAME,
    )
    models: tuple[CatalogModel, ...] = Field(
        min_length=1,
        max_length=MAX_MODELS,
        description="Models; names are unique.",
        json_schema_extra=LIST_MAP_BY_NAME,
    )

    @field_validator("providers", "models")
    @classmethod
    def _unique_names(cls, value: tuple[Provider | CatalogModel, ...]) -> tuple[object, ...]:
        raise_if_any(duplicate_names([item.name for item in value]))
        return value

    @model_validator(mode="after")
    def _declared_providers(self) -> ModelCatalogSpec:
        declared = {provider.name for provider in self.providers}
        raise_if_any(
            [
                FieldIssue(
                    f"models[{index}].provider",
                    f"{model.provider!r} is not declared in spec.providers",
                )
                for index, model in enumerate(self.models)
                if model.provider not in declared
            ]
        )
        return self

    def model(self, name: str) -> CatalogModel | None:
        """The model of that name, if declared."""
        return next((model for model in self.models if model.name == name), None)

    def provider(self, name: str) -> Provider | None:
        """The provider of that name, if declared."""
        return next((provider for provider in self.providers if provider.name == name), None)


class QualitySource(StrEnum):
    """Where a measured quality score comes from."""

    DECLARED = "declared"
    PROMETHEUS = "prometheus"
    BENCHMARK = "benchmark"


class ModelObservation(ApiModel):
    """What the operator and the benchmark harness observed about one model."""

    name: Name = Field(description="Model name.")
    observed_latency: Duration | None = Field(
        default=None, description="Observed p95 latency, from Prometheus."
    )
    measured_latency: Duration | None = Field(
        default=None, description="p95 latency measured by the benchmark harness."
    )
    observed_error_rate: Score | None = Field(
        default=None, description="Observed fraction of failed requests in [0, 1]."
    )
    measured_quality: Score | None = Field(
        default=None, description="Measured quality score in [0, 1]."
    )
    quality_source: QualitySource = Field(
        default=QualitySource.DECLARED,
        description="Where the quality score comes from: declared, prometheus or benchmark.",
    )
    last_updated: datetime | None = Field(
        default=None, description="When these figures were last updated (RFC 3339)."
    )


class ModelCatalogStatus(ApiModel):
    """Observed state of a ModelCatalog, written by the operator."""

    observed_generation: int | None = Field(
        default=None, ge=0, description="The `metadata.generation` this status describes."
    )
    conditions: tuple[Condition, ...] = Field(
        default=(),
        max_length=MAX_CONDITIONS,
        description="Conditions such as `Ready`.",
        json_schema_extra=merge_extras(CONDITIONS_EXTRAS),
    )
    model_count: int | None = Field(default=None, ge=0, description="Number of models.")
    provider_count: int | None = Field(default=None, ge=0, description="Number of providers.")
    models: tuple[ModelObservation, ...] = Field(
        default=(),
        max_length=MAX_MODELS,
        description="Observed figures per model.",
        json_schema_extra=LIST_MAP_BY_NAME,
    )


class ModelCatalog(ApiModel):
    """The providers and models a RoutingPolicy can route to (`kubectl get mcat`)."""

    api_version: Literal["tierroute.io/v1alpha1"] = Field(
        default=API_VERSION, description="tierroute.io/v1alpha1"
    )
    kind: Literal["ModelCatalog"] = Field(default="ModelCatalog", description="ModelCatalog")
    metadata: ObjectMeta = Field(description="Object metadata.")
    spec: ModelCatalogSpec = Field(description="Desired state.")
    status: ModelCatalogStatus | None = Field(default=None, description="Observed state.")
