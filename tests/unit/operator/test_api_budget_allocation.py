"""BudgetAllocation: the seed's budget, shares that sum to 100, periods and time zones."""

from __future__ import annotations

import copy
import itertools
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tierroute_gateway.routing_table import WhenExhausted
from tierroute_operator.api import BudgetAllocation
from tierroute_operator.api.validation_errors import describe_validation_error

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
SEED_BUDGET: dict[str, Any] = yaml.safe_load((EXAMPLES / "monthly-budget.yaml").read_text())


def problems(document: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as caught:
        BudgetAllocation.model_validate(document)
    return describe_validation_error(caught.value)


def with_percents(percents: list[int]) -> dict[str, Any]:
    document = copy.deepcopy(SEED_BUDGET)
    document["spec"]["categories"] = [
        {"name": f"c{index}", "percent": percent} for index, percent in enumerate(percents)
    ]
    return document


@pytest.fixture
def budget() -> dict[str, Any]:
    return copy.deepcopy(SEED_BUDGET)


def test_seed_budget_is_ten_thousand_a_month_split_40_35_25(budget: dict[str, Any]) -> None:
    spec = BudgetAllocation.model_validate(budget).spec
    assert (spec.amount, spec.currency, spec.period.value) == ("10000", "USD", "monthly")
    assert [(c.name, c.percent, c.when_exhausted) for c in spec.categories] == [
        ("critical", 40, WhenExhausted.DOWNGRADE),
        ("standard", 35, WhenExhausted.DOWNGRADE),
        ("batch", 25, WhenExhausted.REJECT),
    ]
    assert spec.alert_thresholds == (50, 80, 100)


def test_percentages_summing_to_90_name_the_categories() -> None:
    assert problems(with_percents([40, 25, 25])) == [
        ("spec.categories", "percentages must sum to 100, not 90")
    ]


@st.composite
def partitions_of_100(draw: st.DrawFn) -> list[int]:
    cuts = sorted(draw(st.lists(st.integers(0, 100), max_size=8)))
    bounds = [0, *cuts, 100]
    return [high - low for low, high in itertools.pairwise(bounds)]


@settings(deadline=None)  # behaviour, not timing
@given(partitions_of_100())
def test_any_split_of_100_is_accepted(percents: list[int]) -> None:
    spec = BudgetAllocation.model_validate(with_percents(percents)).spec
    assert sum(category.percent for category in spec.categories) == 100


@settings(deadline=None)  # behaviour, not timing
@given(st.lists(st.integers(0, 100), min_size=1, max_size=8).filter(lambda p: sum(p) != 100))
def test_any_other_sum_is_refused(percents: list[int]) -> None:
    assert ("spec.categories", f"percentages must sum to 100, not {sum(percents)}") in problems(
        with_percents(percents)
    )


def test_a_percentage_above_100_is_refused() -> None:
    assert "spec.categories[0].percent" in [path for path, _ in problems(with_percents([120]))]


def test_duplicate_category_names_are_refused(budget: dict[str, Any]) -> None:
    budget["spec"]["categories"][2]["name"] = "critical"
    assert [path for path, _ in problems(budget)] == ["spec.categories[2].name"]


def test_a_weekly_budget_resets_on_a_weekday(budget: dict[str, Any]) -> None:
    budget["spec"].update(period="weekly", resetDay=9)
    assert [path for path, _ in problems(budget)] == ["spec.resetDay"]


def test_a_monthly_budget_resets_on_day_28_at_the_latest(budget: dict[str, Any]) -> None:
    budget["spec"]["resetDay"] = 31
    assert [path for path, _ in problems(budget)] == ["spec.resetDay"]


def test_an_unknown_time_zone_is_refused(budget: dict[str, Any]) -> None:
    budget["spec"]["timezone"] = "Europe/Atlantis"
    assert problems(budget) == [
        ("spec.timezone", "'Europe/Atlantis' is not a known IANA time zone")
    ]


def test_only_usd_is_accepted(budget: dict[str, Any]) -> None:
    budget["spec"]["currency"] = "EUR"
    assert [path for path, _ in problems(budget)] == ["spec.currency"]


def test_an_unquoted_amount_asks_for_quotes(budget: dict[str, Any]) -> None:
    budget["spec"]["amount"] = 10000.5
    assert problems(budget) == [
        ("spec.amount", 'must be a string: quote the number in YAML ("10000.5")')
    ]


def test_duplicate_alert_thresholds_are_refused(budget: dict[str, Any]) -> None:
    budget["spec"]["alertThresholds"] = [50, 80, 50]
    assert [path for path, _ in problems(budget)] == ["spec.alertThresholds[2]"]
