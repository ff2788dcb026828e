"""Working days skip weekends and England and Wales bank holidays."""

from datetime import date

from qa.working_days import add_working_days, is_working_day, working_days_between

MONDAY = date(2026, 11, 23)


def test_same_day_is_zero():
    assert working_days_between(MONDAY, MONDAY) == 0


def test_monday_to_wednesday_is_two():
    assert working_days_between(MONDAY, date(2026, 11, 25)) == 2


def test_friday_to_monday_is_one():
    assert working_days_between(date(2026, 11, 27), date(2026, 11, 30)) == 1


def test_friday_to_tuesday_is_two():
    assert working_days_between(date(2026, 11, 27), date(2026, 12, 1)) == 2


# England and Wales bank holidays (from the holidays package) are not working days.
GOOD_FRIDAY_2026 = date(2026, 4, 3)
EASTER_MONDAY_2026 = date(2026, 4, 6)


def test_a_bank_holiday_is_not_a_working_day():
    assert not is_working_day(GOOD_FRIDAY_2026)
    assert not is_working_day(EASTER_MONDAY_2026)
    assert not is_working_day(date(2026, 12, 28))  # Boxing Day falls on a Saturday; the Monday is the substitute
    assert is_working_day(date(2026, 4, 7))


def test_the_easter_weekend_counts_as_no_working_days():
    thursday = date(2026, 4, 2)
    assert working_days_between(thursday, EASTER_MONDAY_2026) == 0
    assert working_days_between(thursday, date(2026, 4, 7)) == 1
    assert working_days_between(thursday, date(2026, 4, 8)) == 2


def test_christmas_skips_both_holidays_and_the_substitute_day():
    christmas_eve = date(2026, 12, 24)  # a Thursday
    # 25 Fri (holiday), 26 Sat, 27 Sun, 28 Mon (substitute Boxing Day): the 29th is the first working day.
    assert working_days_between(christmas_eve, date(2026, 12, 28)) == 0
    assert working_days_between(christmas_eve, date(2026, 12, 29)) == 1


def test_adding_working_days_lands_on_the_first_day_that_many_working_days_later():
    thursday = date(2026, 4, 2)
    assert add_working_days(thursday, 2) == date(2026, 4, 8)
    assert add_working_days(date(2026, 11, 27), 1) == date(2026, 11, 30)
    assert add_working_days(date(2026, 4, 8), -2) == thursday
    assert add_working_days(MONDAY, 0) == MONDAY
    for days in range(0, 8):
        assert working_days_between(thursday, add_working_days(thursday, days)) == days


def test_long_spans_count_the_same_as_going_day_by_day():
    # working_days_between counts whole weeks and subtracts bank holidays; going day by day is the definition.
    for start_offset in range(0, 400, 37):
        start = date.fromordinal(date(2021, 11, 1).toordinal() + start_offset)
        for span in (0, 1, 6, 7, 8, 30, 365, 1000, 1830):
            end = date.fromordinal(start.toordinal() + span)
            by_day = sum(is_working_day(date.fromordinal(d)) for d in range(start.toordinal() + 1, end.toordinal() + 1))
            assert working_days_between(start, end) == by_day
