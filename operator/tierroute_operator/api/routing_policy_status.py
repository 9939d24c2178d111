"""Observed state of a RoutingPolicy, written by the operator."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, WithJsonSchema

from tierroute_operator.api.cel import LIST_MAP_BY_NAME
from tierroute_operator.api.field_types import Money, Name, ObjectName, Score, Text, string_schema
from tierroute_operator.api.meta import CONDITIONS_EXTRAS, MAX_CONDITIONS, ApiModel, Condition

HASH_PATTERN = r"^sha256:[0-9a-f]{64}$"
MAX_WARNINGS = 64
MAX_ADJUSTMENTS = 50

ContentHash = Annotated[str, WithJsonSchema(string_schema(HASH_PATTERN, 71))]
ShortText = Annotated[str, WithJsonSchema(string_schema(None, 253))]


class GatewayReplicas(ApiModel):
    """How many gateway replicas serve the current routing table."""

    total: int = Field(ge=0, description="Gateway replicas selected by the policy.")
    current: int = Field(ge=0, description="Replicas that loaded the current hash.")


class AdjustmentRecord(ApiModel):
    """One automatic change, with the signal that caused it."""

    time: datetime = Field(description="When the change was made (RFC 3339).")
    kind: Name = Field(description="What changed, such as `disable-model`.")
    target: ShortText = Field(description="Model, category or experiment changed.")
    reason: Text = Field(description="Why, in a sentence.")
    signal: Text = Field(
        description="The signal value that triggered it, such as `error_rate=0.31 over 5m`."
    )


class ExperimentState(StrEnum):
    """Where an experiment stands."""

    RUNNING = "running"
    PROMOTED = "promoted"


class VariantResult(ApiModel):
    """Measured outcome of one variant."""

    name: Name = Field(description="Variant name.")
    samples: int = Field(ge=0, description="Requests served.")
    average_quality: Score | None = Field(default=None, description="Mean quality score.")
    cost_per_quality: Money | None = Field(
        default=None, description="USD spent per unit of quality."
    )


class ExperimentResult(ApiModel):
    """Measured outcome of one experiment."""

    name: Name = Field(description="Experiment name.")
    state: ExperimentState = Field(description="`running` or `promoted`.")
    winner: Name | None = Field(default=None, description="Promoted variant, if any.")
    variants: tuple[VariantResult, ...] = Field(
        default=(), max_length=16, description="Per variant.", json_schema_extra=LIST_MAP_BY_NAME
    )


class RoutingPolicyStatus(ApiModel):
    """Observed state of a RoutingPolicy."""

    observed_generation: int | None = Field(
        default=None, ge=0, description="The `metadata.generation` this status describes."
    )
    conditions: tuple[Condition, ...] = Field(
        default=(),
        max_length=MAX_CONDITIONS,
        description="Conditions such as `Ready`.",
        json_schema_extra=CONDITIONS_EXTRAS,
    )
    config_map: ObjectName | None = Field(
        default=None, description="The ConfigMap holding the compiled routing table."
    )
    hash: ContentHash | None = Field(
        default=None, description="Content hash of the routing table (`sha256:...`)."
    )
    short_hash: Annotated[str, WithJsonSchema(string_schema(None, 16))] | None = Field(
        default=None, description="First 12 hex digits of the hash, for `kubectl get`."
    )
    models: int | None = Field(default=None, ge=0, description="Models in the table.")
    routes: int | None = Field(default=None, ge=0, description="Routes in the table.")
    chains: int | None = Field(default=None, ge=0, description="Declared chains in the table.")
    warnings: tuple[Text, ...] = Field(
        default=(), max_length=MAX_WARNINGS, description="Compiler warnings."
    )
    gateway_replicas: GatewayReplicas | None = Field(
        default=None, description="Gateway replicas on the current hash."
    )
    adjustments: tuple[AdjustmentRecord, ...] = Field(
        default=(),
        max_length=MAX_ADJUSTMENTS,
        description="Recent automatic adjustments, newest last.",
    )
    experiments: tuple[ExperimentResult, ...] = Field(
        default=(),
        max_length=32,
        description="Experiment outcomes.",
        json_schema_extra=LIST_MAP_BY_NAME,
    )
