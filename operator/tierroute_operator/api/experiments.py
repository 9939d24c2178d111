"""The experiments section of a RoutingPolicy: A/B tests between models."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, field_validator

from tierroute_operator.api.cel import LIST_MAP_BY_NAME
from tierroute_operator.api.field_types import Name
from tierroute_operator.api.issues import duplicate_names, raise_if_any
from tierroute_operator.api.meta import ApiModel

MAX_VARIANTS = 16
MAX_WEIGHT = 10_000


class Stickiness(StrEnum):
    """What keeps a requester on one variant."""

    USER = "user"
    REQUEST = "request"


class PromotionMetric(StrEnum):
    """What decides an experiment's winner."""

    QUALITY = "quality"
    COST_PER_QUALITY = "cost_per_quality"


class Variant(ApiModel):
    """One arm of an experiment."""

    name: Name = Field(description="Variant name, used in metrics; unique in the experiment.")
    model: Name = Field(description="Catalog model this arm routes to.")
    weight: int = Field(
        ge=1, le=MAX_WEIGHT, description="Integer share of traffic; must be at least 1."
    )


class Promotion(ApiModel):
    """When the automation promotes the winning variant."""

    metric: PromotionMetric = Field(
        default=PromotionMetric.COST_PER_QUALITY,
        description="Winner by `quality` (higher is better) or `cost_per_quality` (lower).",
    )
    min_samples: int = Field(
        default=1000, ge=1, description="Requests each variant needs before a decision."
    )
    min_improvement_percent: int = Field(
        default=5, ge=0, le=100, description="How much better the winner must be, in percent."
    )


class Experiment(ApiModel):
    """Splits the requests of a route or category between models."""

    name: Name = Field(description="Experiment name; part of the assignment hash.")
    route: Name | None = Field(
        default=None, description="Route it applies to; absent means every route."
    )
    category: Name | None = Field(
        default=None, description="Budget category it applies to; absent means every one."
    )
    variants: tuple[Variant, ...] = Field(
        min_length=2,
        max_length=MAX_VARIANTS,
        description="Arms with integer weights; names are unique.",
        json_schema_extra=LIST_MAP_BY_NAME,
    )
    stickiness: Stickiness = Field(
        default=Stickiness.USER,
        description="Assign by user id (`user`, sticky) or by request id (`request`).",
    )
    promotion: Promotion | None = Field(
        default=None, description="Automatic promotion of the winner; absent means manual."
    )

    @field_validator("variants")
    @classmethod
    def _unique_names(cls, value: tuple[Variant, ...]) -> tuple[Variant, ...]:
        raise_if_any(duplicate_names([variant.name for variant in value]))
        return value
