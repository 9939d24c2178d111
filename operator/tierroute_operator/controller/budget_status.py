"""The status of a BudgetAllocation: the current period and each category's allocation.

Pure. Spend (the durable ledger) is advanced by the automation; here it is only carried over
within the same period, and starts at zero in a new one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from tierroute_operator.api import BudgetAllocation
from tierroute_operator.api.budget_allocation import CategoryState
from tierroute_operator.budget_period import BudgetPeriod, current_period, rfc3339
from tierroute_operator.controller import reasons
from tierroute_operator.controller import status as conditions
from tierroute_operator.controller.entries import InvalidObject, parse_budget
from tierroute_operator.controller.outcomes import Failure, StatusPlan, transition_events

_CENT = Decimal("0.01")
_TENTH = Decimal("0.1")


def reconcile_budget(body: Mapping[str, Any], *, now: datetime) -> StatusPlan:
    """The status patch, Events and failure for one BudgetAllocation."""
    generation = body["metadata"].get("generation")
    stored: Mapping[str, Any] = body.get("status") or {}
    budget = parse_budget(body)
    desired: dict[str, Any] = {"observedGeneration": generation}
    failure = None
    wanted: tuple[conditions.DesiredCondition, ...]
    if isinstance(budget, InvalidObject):
        failure = Failure(reasons.SPEC_INVALID, budget.describe(), permanent=True)
        wanted = (
            conditions.false(conditions.VALID, failure.reason, failure.message),
            conditions.false(conditions.READY, failure.reason, failure.message),
        )
    else:
        period = current_period(budget.spec, now)
        categories = allocation(budget, period, stored, now)
        desired |= {
            "periodStart": rfc3339(period.start),
            "periodEnd": rfc3339(period.end),
            "categories": categories,
            "exhaustedCategories": sum(
                1 for category in categories if category["state"] == CategoryState.EXHAUSTED
            ),
        }
        shares = ", ".join(f"{item['name']} {item['allocated']}" for item in categories)
        message = f"{budget.spec.amount} {budget.spec.currency} {budget.spec.period}: {shares}."
        wanted = (
            conditions.true(conditions.VALID, reasons.VALID, "The spec is valid."),
            conditions.true(conditions.READY, reasons.PERIOD_COMPUTED, message),
        )
    desired["conditions"] = conditions.merge_conditions(
        stored.get("conditions") or (), wanted, generation=generation, now=now
    )
    ready = wanted[-1]
    events = transition_events(
        conditions.condition_of(stored, conditions.READY),
        ready=ready.is_true,
        reason=ready.reason,
        message=conditions.shorten(ready.message),
    )
    return StatusPlan(conditions.status_patch(stored, desired), events, failure)


def allocation(
    budget: BudgetAllocation, period: BudgetPeriod, stored: Mapping[str, Any], now: datetime
) -> list[dict[str, Any]]:
    """Each category's allocated, spent, remaining, utilization, projection and state."""
    spent = _ledger(stored, period)
    amount = Decimal(budget.spec.amount)
    elapsed = (now - period.start) / (period.end - period.start)
    warn_at = min((t for t in budget.spec.alert_thresholds if t < 100), default=100)
    categories = []
    for category in budget.spec.categories:
        allocated = (amount * category.percent / 100).quantize(_CENT)
        used = spent.get(category.name, Decimal(0))
        utilization = (used * 100 / allocated).quantize(_TENTH) if allocated else Decimal(0)
        projected = used / Decimal(str(elapsed)) if elapsed > 0 else used
        state = CategoryState.OK
        if allocated and used >= allocated:
            state = CategoryState.EXHAUSTED
        elif utilization >= warn_at:
            state = CategoryState.WARNING
        categories.append(
            {
                "name": category.name,
                "allocated": _money(allocated),
                "spent": _money(used),
                "remaining": _money(allocated - used),
                "utilization": format(utilization, "f"),
                "projectedSpend": _money(projected),
                "state": state.value,
            }
        )
    return categories


def _ledger(stored: Mapping[str, Any], period: BudgetPeriod) -> dict[str, Decimal]:
    """Spend per category from the stored status, when it belongs to this period."""
    if stored.get("periodStart") != rfc3339(period.start):
        return {}
    spent = {}
    for item in stored.get("categories") or ():
        if isinstance(item, Mapping) and isinstance(item.get("spent"), str):
            spent[str(item.get("name"))] = Decimal(item["spent"])
    return spent


def _money(value: Decimal) -> str:
    return format(value.quantize(_CENT), "f")
