"""Working days skip weekends."""

from datetime import date

from qa.working_days import working_days_between

MONDAY = date(2026, 11, 23)


def test_same_day_is_zero():
    assert working_days_between(MONDAY, MONDAY) == 0


def test_monday_to_wednesday_is_two():
    assert working_days_between(MONDAY, date(2026, 11, 25)) == 2


def test_friday_to_monday_is_one():
    assert working_days_between(date(2026, 11, 27), date(2026, 11, 30)) == 1


def test_friday_to_tuesday_is_two():
    assert working_days_between(date(2026, 11, 27), date(2026, 12, 1)) == 2
