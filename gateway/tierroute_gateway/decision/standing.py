"""A request's budget standing: its category, the category's state, and what that implies.

The category is the `x-tierroute-category` header (which must name a category of the policy)
or the route's default. Without a ledger, the table's snapshot alone counts. A category
downgraded by automation (`downgrade-category` adjustment) is downgraded whatever its spend.
Exhausted: `reject` raises `BudgetExhausted`, `downgrade` restricts selection to the economy
tier, then standard, never premium; `allow` lets the request pass with a note.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from tierroute_gateway.decision.budget import (
    BudgetLedger,
    BudgetState,
    BudgetStatus,
    snapshot_state,
)
from tierroute_gateway.decision.errors import BudgetExhausted, InvalidHint
from tierroute_gateway.decision.hints import CATEGORY_HEADER, Hints
from tierroute_gateway.decision.index import RoutingIndex
from tierroute_gateway.routing_table import WhenExhausted


class Standing(NamedTuple):
    """The budget side of a request: its category, state and what the state implies."""

    category: str | None
    state: BudgetState | None
    downgraded: bool
    note: str | None


_OK, _WARNING = BudgetStatus.OK, BudgetStatus.WARNING


def budget_standing(
    index: RoutingIndex,
    hints: Hints,
    default_category: str | None,
    *,
    ledger: BudgetLedger | None,
    now: datetime,
) -> Standing:
    """The request's category and budget state; raise BudgetExhausted when it rejects."""
    category = hints.category or default_category
    if hints.category is not None and hints.category not in index.categories:
        known = ", ".join(sorted(index.categories)) or "none"
        raise InvalidHint(
            f"{CATEGORY_HEADER}: {hints.category!r} is not a category of this policy "
            f"(categories: {known})",
            param=CATEGORY_HEADER,
        )
    if category is None or index.budget is None or category not in index.budget_categories:
        return Standing(category, None, False, None)
    if ledger is not None:
        state = ledger.state(category, now)
    else:
        state = snapshot_state(index.budget, category, now)
    adjustment = index.downgraded_categories.get(category)
    if adjustment is not None:
        note = f"budget category {category} downgraded by automation ({adjustment})"
        return Standing(category, state, True, note)
    if state.status is _WARNING:
        share = state.spent / state.allocated if state.allocated else 1.0
        return Standing(category, state, False, f"budget {category} at {share:.0%}")
    if state.status is _OK:
        return Standing(category, state, False, None)
    return _exhausted(category, state)


def _exhausted(category: str, state: BudgetState) -> Standing:
    spent = f"spent ${state.spent:,.2f} of ${state.allocated:,.2f}"
    if state.when_exhausted is WhenExhausted.REJECT:
        raise BudgetExhausted(
            f"budget category {category!r} is exhausted ({spent}; the period ends "
            f"{state.period_end.isoformat()}) and its policy rejects requests until then"
        )
    if state.when_exhausted is WhenExhausted.ALLOW:
        return Standing(category, state, False, f"budget {category} exhausted ({spent}), allowed")
    note = f"budget {category} exhausted ({spent}): downgraded to economy, then standard"
    return Standing(category, state, True, note)
