"""Birthday dates: a contact's solar or lunar (农历) birthday falling in a given year.

Rules (also in docs/user/activities.md):

- A solar birthday on 29 February falls on 28 February in a year that is not a leap year.
- A lunar birthday is converted to the solar calendar each year with lunar-python
  (`Lunar.fromYmd(year, month, day).getSolar()`, a negative month meaning the leap month):
  - day 30 in a year whose month has only 29 days is celebrated on day 29;
  - a birthday in a leap month (闰月) is celebrated in that leap month in the years that
    have it, and in the ordinary month of the same number in the years that do not;
  - a birthday in an ordinary month is celebrated in the ordinary month, also in a year
    that has a leap month of the same number.

lunar-python computes a whole lunar year (new moons and solar terms) before it converts a
date and caches only the last year, so conversions are cached here by their arguments.
"""

from __future__ import annotations

import calendar
import functools
from datetime import date, timedelta

from lunar_python import Lunar, LunarMonth, LunarYear

# lunar-python and cnlunar agree on this range (tests/activities/test_lunar.py).
FIRST_LUNAR_YEAR = 1901
LAST_LUNAR_YEAR = 2099


def solar_birthday_in(year: int, month: int, day: int) -> date:
    """Return the date of a solar birthday (month, day) in `year`; 29 Feb → 28 Feb."""
    if month == 2 and day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return date(year, month, day)


@functools.lru_cache(maxsize=256)
def lunar_leap_month(year: int) -> int:
    """Return the number of the leap month of lunar year `year`, 0 when it has none."""
    return int(LunarYear.fromYear(year).getLeapMonth())


@functools.lru_cache(maxsize=4096)
def lunar_month_days(year: int, month: int) -> int:
    """Return the days (29 or 30) of a lunar month; a negative `month` is the leap month."""
    return int(LunarMonth.fromYm(year, month).getDayCount())


@functools.lru_cache(maxsize=8192)
def lunar_to_solar(year: int, month: int, day: int, leap: bool = False) -> date:
    """Return the solar date of lunar `year`-`month`-`day` under the birthday rules above.

    Raise ValueError for a month outside 1–12, a day outside 1–30 or a year outside
    1901–2099.
    """
    if not (FIRST_LUNAR_YEAR <= year <= LAST_LUNAR_YEAR):
        raise ValueError(f"lunar year {year} is outside {FIRST_LUNAR_YEAR}–{LAST_LUNAR_YEAR}")
    if not (1 <= month <= 12 and 1 <= day <= 30):
        raise ValueError(f"no lunar date {month}-{day}")
    lunar_month = -month if leap and lunar_leap_month(year) == month else month
    day = min(day, lunar_month_days(year, lunar_month))
    solar = Lunar.fromYmd(year, lunar_month, day).getSolar()
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def lunar_birthday_on_or_after(month: int, day: int, leap: bool, today: date) -> date:
    """Return the first solar date on or after `today` of a lunar birthday.

    A lunar year starts in January or February, so the birthday of lunar year Y - 1
    (its twelfth month) may still be ahead early in solar year Y; three candidates cover it.
    """
    candidates = (
        lunar_to_solar(year, month, day, leap)
        for year in (today.year - 1, today.year, today.year + 1)
        if FIRST_LUNAR_YEAR <= year <= LAST_LUNAR_YEAR
    )
    return min(d for d in candidates if d >= today)


def solar_birthday_on_or_after(month: int, day: int, today: date) -> date:
    """Return the first date on or after `today` of a solar birthday."""
    this_year = solar_birthday_in(today.year, month, day)
    return this_year if this_year >= today else solar_birthday_in(today.year + 1, month, day)


def next_birthday(contact: object, today: date) -> date | None:
    """Return a contact's next birthday on or after `today`, None when it has none.

    `contact` is a parties.Contact: `birthday_calendar` says which calendar its birthday
    is in; a lunar birthday needs `lunar_birth_month` and `lunar_birth_day`.
    """
    calendar_kind = getattr(contact, "birthday_calendar", "solar")
    if calendar_kind == "lunar":
        month = getattr(contact, "lunar_birth_month", None)
        day = getattr(contact, "lunar_birth_day", None)
        if not month or not day:
            return None
        try:
            return lunar_birthday_on_or_after(
                int(month), int(day), bool(getattr(contact, "lunar_birth_leap", False)), today
            )
        except ValueError:
            return None
    birthday = getattr(contact, "birthday", None)
    if birthday is None:
        return None
    return solar_birthday_on_or_after(birthday.month, birthday.day, today)


def window(today: date, days: int) -> list[date]:
    """Return the dates from `today` to `today + days`, both included."""
    return [today + timedelta(days=offset) for offset in range(days + 1)]
