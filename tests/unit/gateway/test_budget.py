"""Budget arithmetic: snapshot plus local spend, warning and exhaustion, period roll-over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.gateway.tables import NOW, seed_budget
from tierroute_gateway.decision import defaults
from tierroute_gateway.decision.budget import (
    BudgetLedger,
    BudgetStatus,
    budget_view,
    snapshot_state,
)
from tierroute_gateway.decision.errors import UnknownCategory
from tierroute_gateway.routing_table import RoutingTableError

PERIOD_END = datetime(2026, 12, 1, tzinfo=UTC)


def ledger(**spent: str) -> BudgetLedger:
    return BudgetLedger.from_snapshot(seed_budget(spent=spent))


def test_snapshot_spend_and_local_spend_add_up() -> None:
    books = ledger(critical="1000.00")
    books.record("critical", 500.0, NOW)
    state = books.state("critical", NOW)
    assert state.spent == pytest.approx(1500.0)
    assert state.remaining == pytest.approx(2500.0)
    assert state.status is BudgetStatus.OK
    assert books.local_spend("critical") == pytest.approx(500.0)


def test_warning_from_the_warning_fraction() -> None:
    allocated = 4000.0
    books = ledger(critical=f"{allocated * defaults.BUDGET_WARNING_FRACTION:.2f}")
    assert books.state("critical", NOW).status is BudgetStatus.WARNING


def test_exhausted_once_spend_reaches_the_allocation() -> None:
    books = ledger(batch="2499.00")
    assert books.state("batch", NOW).status is BudgetStatus.WARNING
    books.record("batch", 1.0, NOW)
    state = books.state("batch", NOW)
    assert state.status is BudgetStatus.EXHAUSTED
    assert state.remaining == 0.0


def test_an_ended_period_counts_as_a_new_one_with_nothing_spent() -> None:
    books = ledger(standard="3500.00")
    books.record("standard", 10.0, NOW)
    assert books.state("standard", NOW).status is BudgetStatus.EXHAUSTED
    later = PERIOD_END + timedelta(days=3)
    state = books.state("standard", later)
    assert state.status is BudgetStatus.OK
    assert state.spent == 0.0
    assert state.period_end > later
    books.record("standard", 7.0, later)
    assert books.state("standard", later).spent == pytest.approx(7.0)


def test_snapshot_state_without_a_ledger_rolls_over_too() -> None:
    view = budget_view(seed_budget(spent={"standard": "3500.00"}))
    assert snapshot_state(view, "standard", NOW).status is BudgetStatus.EXHAUSTED
    assert snapshot_state(view, "standard", PERIOD_END).status is BudgetStatus.OK


def test_a_zero_allocation_is_exhausted_at_once() -> None:
    snapshot = seed_budget()
    zero = snapshot.categories[0].model_copy(update={"allocated": "0"})
    snapshot = snapshot.model_copy(update={"categories": (zero, *snapshot.categories[1:])})
    books = BudgetLedger.from_snapshot(snapshot)
    assert books.state(zero.name, NOW).status is BudgetStatus.EXHAUSTED


def test_unknown_categories_are_named() -> None:
    books = ledger()
    with pytest.raises(UnknownCategory, match=r"'gold'.*batch, critical, standard"):
        books.state("gold", NOW)
    with pytest.raises(UnknownCategory, match="'gold'"):
        books.record("gold", 1.0, NOW)


def test_a_period_that_ends_before_it_starts_is_refused() -> None:
    snapshot = seed_budget().model_copy(update={"period_end": "2026-10-01T00:00:00Z"})
    with pytest.raises(RoutingTableError, match="periodEnd"):
        budget_view(snapshot)


@given(st.lists(st.floats(0, 100, allow_nan=False), max_size=30))
def test_remaining_is_allocation_minus_spend_and_never_negative(spends: list[float]) -> None:
    books = ledger()
    for spend in spends:
        books.record("batch", spend, NOW)
    state = books.state("batch", NOW)
    assert state.remaining == pytest.approx(max(2500.0 - sum(spends), 0.0))
    assert state.remaining >= 0
