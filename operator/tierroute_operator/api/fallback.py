"""The fallback section of a RoutingPolicy: retry rules and declared fallback chains."""

from __future__ import annotations

from pydantic import Field, field_validator

from tierroute_gateway.routing_table import ErrorClass
from tierroute_operator.api.cel import LIST_MAP_BY_NAME, LIST_SET
from tierroute_operator.api.field_types import Name, Timeout
from tierroute_operator.api.issues import duplicate_names, raise_if_any
from tierroute_operator.api.meta import ApiModel

MAX_RETRIES = 10
MAX_CHAINS = 64
MAX_STEPS = 16


class RetryDefaults(ApiModel):
    """Retry rules of a step that does not set its own."""

    max_retries: int = Field(
        default=2, ge=0, le=MAX_RETRIES, description="Retries after the first attempt."
    )
    timeout: Timeout = Field(default="30s", description="Timeout of one attempt.")
    retry_on: tuple[ErrorClass, ...] = Field(
        default=tuple(ErrorClass),
        max_length=len(ErrorClass),
        description="Failure classes retried: timeout, connection, rate_limit, server_error.",
        json_schema_extra=LIST_SET,
    )


class ChainStep(ApiModel):
    """One model of a fallback chain; unset rules come from `spec.fallback.defaults`."""

    model: Name = Field(description="Catalog model to call.")
    max_retries: int | None = Field(
        default=None, ge=0, le=MAX_RETRIES, description="Retries after the first attempt."
    )
    timeout: Timeout | None = Field(default=None, description="Timeout of one attempt.")
    retry_on: tuple[ErrorClass, ...] | None = Field(
        default=None,
        max_length=len(ErrorClass),
        description="Failure classes retried.",
        json_schema_extra=LIST_SET,
    )


class FallbackChain(ApiModel):
    """An ordered list of models to try until one answers."""

    name: Name = Field(description="Chain name, referenced by `routes[].fallbackChain`.")
    steps: tuple[ChainStep, ...] = Field(
        min_length=1, max_length=MAX_STEPS, description="Models in the order they are tried."
    )


class Fallback(ApiModel):
    """How failures move along models."""

    default_model: Name | None = Field(
        default=None,
        description="Model used when nothing is eligible; absent means answer 503 with "
        "an explanation.",
    )
    defaults: RetryDefaults = Field(
        default=RetryDefaults(), description="Retry rules of steps that set none."
    )
    chains: tuple[FallbackChain, ...] = Field(
        default=(),
        max_length=MAX_CHAINS,
        description="Declared chains; names are unique.",
        json_schema_extra=LIST_MAP_BY_NAME,
    )

    @field_validator("chains")
    @classmethod
    def _unique_names(cls, value: tuple[FallbackChain, ...]) -> tuple[FallbackChain, ...]:
        raise_if_any(duplicate_names([chain.name for chain in value]))
        return value

    def chain(self, name: str) -> FallbackChain | None:
        """The chain of that name, if declared."""
        return next((chain for chain in self.chains if chain.name == name), None)
