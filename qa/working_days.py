"""Working-day arithmetic for deadlines such as "acknowledge within 2 working days".

Weekends are skipped. Bank holidays are not: counting them would make a
concern look less urgent on exactly the days cover is thinnest.
"""

from __future__ import annotations

from datetime import date, timedelta


def working_days_between(start: date, end: date) -> int:
    """Whole working days after ``start`` up to and including ``end``."""
    if end <= start:
        return 0
    days = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days += 1
    return days
