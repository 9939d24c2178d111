"""Budget arithmetic: the operator's snapshot plus this gateway's spend since, per category.

The snapshot in the routing table says what was spent as of the operator's last sync; each
gateway adds what it has spent since (`BudgetLedger.record`), so a budget holds between syncs.
A category is `exhausted` once its spend reaches its allocation (at once when the allocation
is 0) and in `warning` from `warning_fraction` of it. A snapshot whose period has ended counts
as a new period of the same length with nothing spent, until the operator's next snapshot
brings the exact calendar bounds. Asking about a category the snapshot does not have raises
`UnknownCategory`: the decision core checks categories before it asks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from tierroute_gateway.decision import defaults
from tierroute_gateway.decision.errors import UnknownCategory
from tierroute_gateway.routing_table import (
    BudgetSnapshot,
    RoutingTableError,
    WhenExhausted,
    decimal_value,
)


class BudgetStatus(StrEnum):
    """Where a category stands in its period."""

    OK = "ok"
    WARNING = "warning"
    EXHAUSTED = "exhausted"


@dataclass(frozen=True, slots=True)
class CategoryBudget:
    """One category of the snapshot, as floats."""

    name: str
    allocated: float
    spent: float
    when_exhausted: WhenExhausted


@dataclass(frozen=True, slots=True)
class BudgetView:
    """A budget snapshot, parsed once per table load."""

    name: str
    period_start: datetime
    period_end: datetime
    categories: Mapping[str, CategoryBudget]


class BudgetState(NamedTuple):
    """A category's standing at one moment."""

    category: str
    status: BudgetStatus
    allocated: float
    spent: float
    remaining: float
    when_exhausted: WhenExhausted
    period_end: datetime


_OK, _WARNING, _EXHAUSTED = BudgetStatus.OK, BudgetStatus.WARNING, BudgetStatus.EXHAUSTED


def _moment(text: str, field: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise RoutingTableError(f"budget.{field}: {text!r} is not an RFC 3339 time") from error
    if moment.tzinfo is None:
        raise RoutingTableError(f"budget.{field}: {text!r} has no time zone offset")
    return moment


def budget_view(snapshot: BudgetSnapshot) -> BudgetView:
    """Parse a snapshot; raise RoutingTableError when its period is not a valid interval."""
    start = _moment(snapshot.period_start, "periodStart")
    end = _moment(snapshot.period_end, "periodEnd")
    if end <= start:
        raise RoutingTableError(
            f"budget.periodEnd: {snapshot.period_end!r} is not after periodStart "
            f"{snapshot.period_start!r}"
        )
    categories = {
        c.name: CategoryBudget(
            name=c.name,
            allocated=float(decimal_value(c.allocated)),
            spent=float(decimal_value(c.spent)),
            when_exhausted=c.when_exhausted,
        )
        for c in snapshot.categories
    }
    return BudgetView(snapshot.name, start, end, categories)


def _category(view: BudgetView, category: str) -> CategoryBudget:
    found = view.categories.get(category)
    if found is None:
        known = ", ".join(sorted(view.categories)) or "none"
        raise UnknownCategory(
            f"budget category {category!r} is not in budget {view.name!r} (categories: {known})"
        )
    return found


def _state(
    budget: CategoryBudget, spent: float, period_end: datetime, warning_fraction: float
) -> BudgetState:
    allocated = budget.allocated
    if spent >= allocated:
        status = _EXHAUSTED
    elif spent >= warning_fraction * allocated:
        status = _WARNING
    else:
        status = _OK
    return BudgetState(
        category=budget.name,
        status=status,
        allocated=allocated,
        spent=spent,
        remaining=max(allocated - spent, 0.0),
        when_exhausted=budget.when_exhausted,
        period_end=period_end,
    )


def snapshot_state(
    view: BudgetView,
    category: str,
    now: datetime,
    warning_fraction: float = defaults.BUDGET_WARNING_FRACTION,
) -> BudgetState:
    """A category's state from the snapshot alone (no local spend)."""
    budget = _category(view, category)
    if now >= view.period_end:
        length = view.period_end - view.period_start
        periods = (now - view.period_end) // length + 1
        return _state(budget, 0.0, view.period_end + length * periods, warning_fraction)
    return _state(budget, budget.spent, view.period_end, warning_fraction)


class BudgetLedger:
    """The snapshot plus this gateway's spend since it; one per loaded snapshot."""

    def __init__(
        self, view: BudgetView, warning_fraction: float = defaults.BUDGET_WARNING_FRACTION
    ) -> None:
        self.view = view
        self.warning_fraction = warning_fraction
        self._period_start = view.period_start
        self._period_end = view.period_end
        self._snapshot_period = True
        self._local: dict[str, float] = dict.fromkeys(view.categories, 0.0)

    @classmethod
    def from_snapshot(cls, snapshot: BudgetSnapshot) -> BudgetLedger:
        """A ledger with nothing spent locally yet."""
        return cls(budget_view(snapshot))

    def _advance(self, now: datetime) -> None:
        """Roll over to the period containing `now` once the current one has ended."""
        if now < self._period_end:
            return
        length = self._period_end - self._period_start
        periods = (now - self._period_end) // length + 1
        self._period_start += length * periods
        self._period_end += length * periods
        self._snapshot_period = False
        self._local = dict.fromkeys(self._local, 0.0)

    def record(self, category: str, usd: float, now: datetime) -> None:
        """Add `usd` spent at `now` by this gateway to `category`."""
        _category(self.view, category)
        self._advance(now)
        self._local[category] += usd

    def local_spend(self, category: str) -> float:
        """USD this gateway recorded for `category` in the current period."""
        _category(self.view, category)
        return self._local[category]

    def state(self, category: str, now: datetime) -> BudgetState:
        """Where `category` stands at `now`: snapshot spend (in its own period) plus local."""
        budget = _category(self.view, category)
        self._advance(now)
        spent = self._local[category] + (budget.spent if self._snapshot_period else 0.0)
        return _state(budget, spent, self._period_end, self.warning_fraction)
