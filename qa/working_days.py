"""Working-day arithmetic for deadlines such as "acknowledge within 2 working days".

A working day is a weekday that is not an England and Wales bank holiday. The
bank holidays come from the well-kept ``holidays`` package
(``holidays.UK(subdiv="ENG")``, which covers England and Wales), including the
substitute days when a holiday falls at a weekend, so nobody keeps a list of
dates by hand. A concern raised on the Thursday before Good Friday has had two
working days by the end of the Tuesday after Easter Monday, not by the Monday.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

__all__ = ["add_working_days", "is_working_day", "working_days_between"]


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.UK(subdiv="ENG", years=year).keys())


def is_working_day(day: date) -> bool:
    """A weekday that is not an England and Wales bank holiday."""
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def working_days_between(start: date, end: date) -> int:
    """Whole working days after ``start`` up to and including ``end``.

    Counted by whole weeks (five weekdays each) plus the days left over, less the bank holidays on
    weekdays in between: the cost follows the number of years spanned, not days (a home page lists
    concerns raised years ago).
    """
    if end <= start:
        return 0
    span = (end - start).days
    weeks, rest = divmod(span, 7)
    days = 5 * weeks + sum((start + timedelta(days=weeks * 7 + i)).weekday() < 5 for i in range(1, rest + 1))
    holidays_on_weekdays = sum(
        start < day <= end and day.weekday() < 5
        for year in range(start.year, end.year + 1)
        for day in _bank_holidays(year)
    )
    return days - holidays_on_weekdays


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days after ``start`` (before it, if ``days`` is negative).

    ``add_working_days(d, n)`` is the first day with ``working_days_between(d, day) == n``.
    """
    step = 1 if days >= 0 else -1
    remaining = abs(days)
    current = start
    while remaining:
        current += timedelta(days=step)
        if is_working_day(current):
            remaining -= 1
    return current
