"""lunar-python, which converts lunar birthdays, agrees with cnlunar over 1901–2099.

ARCHITECTURE: "lunar-python (checked against cnlunar in a test over 1901–2099)". The two
libraries are independent (lunar-python computes new moons and solar terms
astronomically; cnlunar reads published tables), so agreement on every sampled day of
199 years is good evidence that both are right (lunardate, for one, is wrong in 1933,
1954 and 1978).

Converting each sampled day through lunar-python's `Solar.getLunar()` would take a
minute (it recomputes a whole lunar year for each call), so the test reads lunar-python's
month table once per lunar year (`LunarYear.getMonths()`: each month's first day, length
and leap flag — the data `getLunar()` itself uses) and checks that the table agrees with
`Solar.getLunar()` and `Lunar.getSolar()` on one day of each year.
"""

from __future__ import annotations

import bisect
import datetime

import cnlunar
import pytest
from lunar_python import Lunar, LunarYear, Solar

FIRST, LAST = 1901, 2099
# The one month where the two disagree: the new moon that starts lunar 2057's ninth month
# falls next to midnight (Beijing time), and cnlunar's table puts it on 28 September
# while lunar-python's computation puts it on 29 September. Every other day agrees.
KNOWN_DIFFERENCE = (datetime.date(2057, 9, 28), datetime.date(2057, 10, 27))
STEP_DAYS = 7  # every 7th day: about 10,400 days, every weekday and every day of the month
JULIAN_DAY_OF_1970_01_01 = 2440588


def _julian_day(day: datetime.date) -> int:
    return JULIAN_DAY_OF_1970_01_01 + (day - datetime.date(1970, 1, 1)).days


def _lunar_python_months() -> tuple[list[int], list[tuple[int, int, bool]]]:
    """(first Julian day, month, leap) of every lunar month from lunar 1900 to 2100."""
    starts: list[int] = []
    months: list[tuple[int, int, bool]] = []
    seen = set()
    for year in range(FIRST - 1, LAST + 2):
        for month in LunarYear.fromYear(year).getMonths():
            first = int(month.getFirstJulianDay())
            if first in seen:
                continue
            seen.add(first)
            starts.append(first)
            months.append((first, month.getMonth(), month.isLeap()))
    order = sorted(range(len(starts)), key=starts.__getitem__)
    return [starts[i] for i in order], [months[i] for i in order]


@pytest.fixture(scope="module")
def month_table():
    return _lunar_python_months()


def _from_table(table, day: datetime.date) -> tuple[int, int, bool]:
    starts, months = table
    index = bisect.bisect_right(starts, _julian_day(day)) - 1
    first, month, leap = months[index]
    return abs(month), _julian_day(day) - first + 1, leap


def test_the_month_table_is_what_lunar_python_converts_with(month_table):
    for year in range(FIRST, LAST + 1):
        day = datetime.date(year, 1 + year % 12, 1 + year % 28)
        lunar = Solar.fromYmd(day.year, day.month, day.day).getLunar()
        expected = (abs(lunar.getMonth()), lunar.getDay(), lunar.getMonth() < 0)
        assert _from_table(month_table, day) == expected, day
        back = Lunar.fromYmd(lunar.getYear(), lunar.getMonth(), lunar.getDay()).getSolar()
        assert (back.getYear(), back.getMonth(), back.getDay()) == (day.year, day.month, day.day)


def test_lunar_python_agrees_with_cnlunar_from_1901_to_2099(month_table):
    disagreements = []
    day = datetime.date(FIRST, 1, 1)
    # cnlunar's tables start at lunar new year 1901; days before it belong to lunar 1900.
    day += datetime.timedelta(days=STEP_DAYS * 7)
    checked = 0
    while day <= datetime.date(LAST, 12, 31):
        theirs = cnlunar.Lunar(datetime.datetime(day.year, day.month, day.day, 12))
        expected = (theirs.lunarMonth, theirs.lunarDay, bool(theirs.isLunarLeapMonth))
        ours = _from_table(month_table, day)
        known = KNOWN_DIFFERENCE[0] <= day <= KNOWN_DIFFERENCE[1]
        if ours != expected and not known:
            disagreements.append((day.isoformat(), ours, expected))
        checked += 1
        day += datetime.timedelta(days=STEP_DAYS)

    assert checked > 10_000
    assert disagreements == []


def test_the_known_difference_is_one_day_at_the_turn_of_a_month(month_table):
    first, last = KNOWN_DIFFERENCE
    theirs = cnlunar.Lunar(datetime.datetime(first.year, first.month, first.day, 12))
    assert (theirs.lunarMonth, theirs.lunarDay) == (9, 1)
    assert _from_table(month_table, first) == (8, 30, False)
    assert _from_table(month_table, last + datetime.timedelta(days=1)) == (10, 1, False)


@pytest.mark.parametrize("year", [1933, 1954, 1978])
def test_the_years_lunardate_gets_wrong_are_right(year, month_table):
    """Every day of the years where lunardate fails, not only a sample."""
    day = datetime.date(year, 1, 1)
    while day.year == year:
        theirs = cnlunar.Lunar(datetime.datetime(day.year, day.month, day.day, 12))
        assert _from_table(month_table, day) == (
            theirs.lunarMonth,
            theirs.lunarDay,
            bool(theirs.isLunarLeapMonth),
        ), day
        day += datetime.timedelta(days=1)
