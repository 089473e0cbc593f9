"""The birthday rules: solar 29 February, lunar day 30, lunar leap months, the year's turn."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from guanxi.activities.birthdays import (
    lunar_birthday_on_or_after,
    lunar_to_solar,
    next_birthday,
    solar_birthday_in,
    solar_birthday_on_or_after,
)


@pytest.mark.parametrize(
    ("year", "expected"),
    [(2024, date(2024, 2, 29)), (2025, date(2025, 2, 28)), (2100, date(2100, 2, 28))],
)
def test_29_february_falls_on_28_february_outside_leap_years(year, expected):
    assert solar_birthday_in(year, 2, 29) == expected


def test_solar_birthday_already_past_comes_next_year():
    assert solar_birthday_on_or_after(3, 1, date(2025, 3, 2)) == date(2026, 3, 1)
    assert solar_birthday_on_or_after(3, 1, date(2025, 3, 1)) == date(2025, 3, 1)


def test_29_february_birthday_seen_from_a_non_leap_year():
    assert solar_birthday_on_or_after(2, 29, date(2025, 2, 1)) == date(2025, 2, 28)
    assert solar_birthday_on_or_after(2, 29, date(2027, 3, 1)) == date(2028, 2, 29)


def test_lunar_date_converts_with_lunar_python():
    # 2025 中秋 (八月十五) is 6 October.
    assert lunar_to_solar(2025, 8, 15) == date(2025, 10, 6)


def test_leap_month_birthday_in_a_year_with_that_leap_month():
    # 2023 has a leap second month: 闰二月初一 is 22 March, the ordinary 二月初一 20 February.
    assert lunar_to_solar(2023, 2, 1, leap=True) == date(2023, 3, 22)
    assert lunar_to_solar(2023, 2, 1, leap=False) == date(2023, 2, 20)


def test_leap_month_birthday_in_a_year_without_it_falls_in_the_ordinary_month():
    # 2024 has no leap month: 二月初一 is 10 March.
    assert lunar_to_solar(2024, 2, 1, leap=True) == date(2024, 3, 10)
    # 2026 has no leap sixth month (2025 had one).
    assert lunar_to_solar(2026, 6, 10, leap=True) == lunar_to_solar(2026, 6, 10, leap=False)


def test_ordinary_month_birthday_stays_in_the_ordinary_month_of_a_leap_year():
    # 2025: 六月初十 is 4 July; 闰六月初十 (3 August) is only for people born in the leap month.
    assert lunar_to_solar(2025, 6, 10, leap=False) == date(2025, 7, 4)
    assert lunar_to_solar(2025, 6, 10, leap=True) == date(2025, 8, 3)


def test_day_30_in_a_29_day_month_falls_on_day_29():
    # 2024's third lunar month has 29 days; 2025's has 30.
    assert lunar_to_solar(2024, 3, 30) == lunar_to_solar(2024, 3, 29) == date(2024, 5, 7)
    assert lunar_to_solar(2025, 3, 30) == date(2025, 4, 27)


def test_day_30_of_a_short_leap_month():
    # 2023's 闰二月 has 29 days: 闰二月三十 → 闰二月廿九, 19 April.
    assert lunar_to_solar(2023, 2, 30, leap=True) == date(2023, 4, 19)


def test_twelfth_month_birthday_early_in_the_solar_year_belongs_to_last_lunar_year():
    # 腊月二十 of lunar 2024 is 19 January 2025; after it, the next is lunar 2025's.
    assert lunar_birthday_on_or_after(12, 20, False, date(2025, 1, 5)) == date(2025, 1, 19)
    assert lunar_birthday_on_or_after(12, 20, False, date(2025, 1, 20)) == date(2026, 2, 7)


@pytest.mark.parametrize(
    ("args", "message"),
    [((1900, 1, 1), "outside"), ((2025, 13, 1), "no lunar date"), ((2025, 1, 31), "no lunar date")],
)
def test_impossible_lunar_dates_are_refused(args, message):
    with pytest.raises(ValueError, match=message):
        lunar_to_solar(*args)


def _contact(**fields):
    defaults = {
        "birthday_calendar": "solar",
        "birthday": None,
        "lunar_birth_month": None,
        "lunar_birth_day": None,
        "lunar_birth_leap": False,
    }
    return SimpleNamespace(**{**defaults, **fields})


def test_next_birthday_of_a_contact():
    today = date(2025, 9, 1)
    assert next_birthday(_contact(birthday=date(1980, 9, 3)), today) == date(2025, 9, 3)
    lunar = _contact(birthday_calendar="lunar", lunar_birth_month=8, lunar_birth_day=15)
    assert next_birthday(lunar, today) == date(2025, 10, 6)
    assert next_birthday(_contact(), today) is None
    assert next_birthday(_contact(birthday_calendar="lunar", lunar_birth_month=8), today) is None
