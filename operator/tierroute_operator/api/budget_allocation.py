"""BudgetAllocation: a spending limit per period, split between categories."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from tierroute_gateway.routing_table import WhenExhausted
from tierroute_operator.api.cel import LIST_MAP_BY_NAME, LIST_SET, rule, validations
from tierroute_operator.api.field_types import Money, Name, Percent, SignedMoney, TimezoneName
from tierroute_operator.api.issues import FieldIssue, duplicate_names, raise_if_any
from tierroute_operator.api.meta import (
    API_VERSION,
    CONDITIONS_EXTRAS,
    MAX_CONDITIONS,
    ApiModel,
    Condition,
    ObjectMeta,
)

MAX_CATEGORIES = 64
MAX_MONTHLY_RESET_DAY = 28
MAX_WEEKLY_RESET_DAY = 7


class Period(StrEnum):
    """How often a budget starts over."""

    MONTHLY = "monthly"
    WEEKLY = "weekly"
    DAILY = "daily"


class BudgetCategory(ApiModel):
    """A share of the budget, charged by requests of that category."""

    name: Name = Field(description="Category name, such as `critical`; unique.")
    percent: Percent = Field(description="Integer share of the amount; all shares sum to 100.")
    when_exhausted: WhenExhausted = Field(
        default=WhenExhausted.DOWNGRADE,
        description="What happens once the share is spent: `downgrade` to cheaper tiers, "
        "`reject` with 429, or `allow` (alert only).",
    )


class Reallocation(ApiModel):
    """Moving unused share from one category to another within the period."""

    enabled: bool = Field(default=False, description="Whether unused share may move.")
    max_percent: Percent = Field(
        default=10, description="Most percentage points of the amount one category may gain."
    )


AlertThreshold = Annotated[int, Field(ge=1, le=1000)]
"""A utilization percentage at which an alert fires (above 100 means overspent)."""

_PERCENT_SUM = "self.categories.map(c, c.percent).sum()"


class BudgetAllocationSpec(ApiModel):
    """Desired state of a BudgetAllocation."""

    model_config = ConfigDict(
        json_schema_extra=validations(
            rule(
                f"{_PERCENT_SUM} == 100",
                "percentages must sum to 100",
                field_path=".categories",
                reason="FieldValueInvalid",
            ),
            rule(
                f"self.period != 'weekly' || self.resetDay <= {MAX_WEEKLY_RESET_DAY}",
                "a weekly budget resets on a day from 1 (Monday) to 7 (Sunday)",
                field_path=".resetDay",
                reason="FieldValueInvalid",
            ),
        )
    )

    amount: Money = Field(description='Budget per period in `currency`, such as `"10000"`.')
    currency: Literal["USD"] = Field(default="USD", description="Currency; only USD for now.")
    period: Period = Field(description="`monthly`, `weekly` or `daily`.")
    reset_day: int = Field(
        default=1,
        ge=1,
        le=MAX_MONTHLY_RESET_DAY,
        description="Day the period starts: day of month (1-28) for monthly budgets, day of "
        "week (1 = Monday to 7) for weekly ones; ignored for daily ones.",
    )
    timezone: TimezoneName = Field(
        default="UTC", description="IANA time zone in which periods start at midnight."
    )
    categories: tuple[BudgetCategory, ...] = Field(
        min_length=1,
        max_length=MAX_CATEGORIES,
        description="Shares of the amount; names are unique and percentages sum to 100.",
        json_schema_extra=LIST_MAP_BY_NAME,
    )
    alert_thresholds: tuple[AlertThreshold, ...] = Field(
        default=(50, 80, 100),
        max_length=16,
        description="Utilization percentages (1-1000) at which alerts fire.",
        json_schema_extra=LIST_SET,
    )
    reallocation: Reallocation | None = Field(
        default=None, description="Moving unused share between categories."
    )

    @field_validator("categories")
    @classmethod
    def _unique_names(cls, value: tuple[BudgetCategory, ...]) -> tuple[BudgetCategory, ...]:
        raise_if_any(duplicate_names([category.name for category in value]))
        return value

    @field_validator("alert_thresholds")
    @classmethod
    def _unique_thresholds(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        issues = [
            FieldIssue(f"[{index}]", f"duplicate threshold {threshold}")
            for index, threshold in enumerate(value)
            if threshold in value[:index]
        ]
        raise_if_any(issues)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> BudgetAllocationSpec:
        issues = []
        total = sum(category.percent for category in self.categories)
        if total != 100:
            issues.append(FieldIssue("categories", f"percentages must sum to 100, not {total}"))
        if self.period is Period.WEEKLY and self.reset_day > MAX_WEEKLY_RESET_DAY:
            issues.append(
                FieldIssue(
                    "resetDay",
                    f"{self.reset_day} is not a day of the week (1 = Monday to 7 = Sunday)",
                )
            )
        raise_if_any(issues)
        return self


class CategoryState(StrEnum):
    """Spending state of a category."""

    OK = "ok"
    WARNING = "warning"
    EXHAUSTED = "exhausted"


class CategoryStatus(ApiModel):
    """Spending of one category in the current period; money as decimal strings."""

    name: Name = Field(description="Category name.")
    allocated: Money = Field(description="USD allocated for the period.")
    spent: Money = Field(description="USD spent so far in the period (the durable ledger).")
    remaining: SignedMoney = Field(description="USD left; negative when overspent.")
    utilization: Money = Field(description="Spent as a percentage of allocated, such as `41.2`.")
    projected_spend: Money = Field(description="USD projected by the end of the period.")
    state: CategoryState = Field(description="`ok`, `warning` or `exhausted`.")


class BudgetAllocationStatus(ApiModel):
    """Observed state of a BudgetAllocation, written by the operator."""

    observed_generation: int | None = Field(
        default=None, ge=0, description="The `metadata.generation` this status describes."
    )
    conditions: tuple[Condition, ...] = Field(
        default=(),
        max_length=MAX_CONDITIONS,
        description="Conditions such as `Ready`.",
        json_schema_extra=CONDITIONS_EXTRAS,
    )
    period_start: datetime | None = Field(
        default=None, description="Start of the current period (RFC 3339)."
    )
    period_end: datetime | None = Field(
        default=None, description="End of the current period (RFC 3339)."
    )
    last_sync_time: datetime | None = Field(
        default=None, description="When spend was last advanced from Prometheus (RFC 3339)."
    )
    exhausted_categories: int | None = Field(
        default=None, ge=0, description="Number of categories in state `exhausted`."
    )
    categories: tuple[CategoryStatus, ...] = Field(
        default=(),
        max_length=MAX_CATEGORIES,
        description="Spending per category.",
        json_schema_extra=LIST_MAP_BY_NAME,
    )


class BudgetAllocation(ApiModel):
    """A spending limit per period split between categories (`kubectl get budget`)."""

    api_version: Literal["tierroute.io/v1alpha1"] = Field(
        default=API_VERSION, description="tierroute.io/v1alpha1"
    )
    kind: Literal["BudgetAllocation"] = Field(
        default="BudgetAllocation", description="BudgetAllocation"
    )
    metadata: ObjectMeta = Field(description="Object metadata.")
    spec: BudgetAllocationSpec = Field(description="Desired state.")
    status: BudgetAllocationStatus | None = Field(default=None, description="Observed state.")
