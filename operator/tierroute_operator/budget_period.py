"""Budget periods: when the current period of a BudgetAllocation started and when it ends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tierroute_operator.api.budget_allocation import BudgetAllocationSpec, Period


@dataclass(frozen=True)
class BudgetPeriod:
    """A half-open interval [start, end) in UTC."""

    start: datetime
    end: datetime


def current_period(spec: BudgetAllocationSpec, now: datetime) -> BudgetPeriod:
    """The period of `spec` that contains `now` (an aware datetime)."""
    zone = ZoneInfo(spec.timezone)
    today = now.astimezone(zone).date()
    if spec.period is Period.DAILY:
        start_day, end_day = today, today + timedelta(days=1)
    elif spec.period is Period.WEEKLY:
        days_back = (today.isoweekday() - spec.reset_day) % 7
        start_day = today - timedelta(days=days_back)
        end_day = start_day + timedelta(days=7)
    else:
        start_day = _monthly_start(today, spec.reset_day)
        end_day = _add_month(start_day)
    return BudgetPeriod(start=_midnight_utc(start_day, zone), end=_midnight_utc(end_day, zone))


def _monthly_start(today: date, reset_day: int) -> date:
    if today.day >= reset_day:
        return today.replace(day=reset_day)
    previous = today.replace(day=1) - timedelta(days=1)
    return previous.replace(day=reset_day)


def _add_month(day: date) -> date:
    # reset days stop at 28, so the same day exists in every month
    if day.month == 12:
        return day.replace(year=day.year + 1, month=1)
    return day.replace(month=day.month + 1)


def _midnight_utc(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(ZoneInfo("UTC"))


def rfc3339(moment: datetime) -> str:
    """`2026-11-01T00:00:00Z` form of an aware datetime, in UTC, to the second."""
    return moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")
