"""Date arithmetic on ISO dates: ``date_add``, ``date_diff``, ``day_of_week``.

Covered here: moving a date by days, weeks, months and years (months and years clamp the day: Jan 31 + 1
month = Feb 28/29), signed distances in days, weeks (a float) or whole months/years, English weekday names;
years stay within 1-9999. Not covered: times of day and time zones (a time part is ignored).
"""

from __future__ import annotations

import calendar
import datetime as _dt
from typing import Any

from tools_env.impls.general.values import integer, iso_date, unit_key

__all__ = ["date_add", "date_diff", "day_of_week"]


def date_add(date: str, days: Any = 0, weeks: Any = 0, months: Any = 0, years: Any = 0) -> dict[str, str]:
    """``date`` moved by the given amounts (months/years clamp the day, e.g. Jan 31 + 1 month = Feb 28/29)."""
    d = iso_date(date, "date")
    total_months = d.month - 1 + integer(months, "months") + 12 * integer(years, "years")
    year, month = d.year + total_months // 12, total_months % 12 + 1
    if not 1 <= year <= 9999:
        raise ValueError("date value out of range")
    d = d.replace(year=year, month=month, day=min(d.day, calendar.monthrange(year, month)[1]))
    try:
        d = d + _dt.timedelta(days=integer(days, "days") + 7 * integer(weeks, "weeks"))
    except OverflowError:
        raise ValueError("date value out of range") from None
    return {"date": d.isoformat(), "weekday": d.strftime("%A")}


def date_diff(start_date: str, end_date: str, unit: str = "days") -> dict[str, Any]:
    """The signed distance from ``start_date`` to ``end_date`` in days, weeks (float), or whole months/years."""
    a, b = iso_date(start_date, "start_date"), iso_date(end_date, "end_date")
    key = unit_key(unit).rstrip("s") + "s"
    if key == "days":
        value: float | int = (b - a).days
    elif key == "weeks":
        value = round((b - a).days / 7.0, 4)
    elif key == "months":
        months = (b.year - a.year) * 12 + (b.month - a.month)
        if months > 0 and b.day < a.day:
            months -= 1
        elif months < 0 and b.day > a.day:
            months += 1
        value = months
    elif key == "years":
        years = b.year - a.year
        if years > 0 and (b.month, b.day) < (a.month, a.day):
            years -= 1
        elif years < 0 and (b.month, b.day) > (a.month, a.day):
            years += 1
        value = years
    else:
        raise ValueError(f"unknown unit: '{unit}' (use days, weeks, months or years)")
    return {"value": value, "unit": key}


def day_of_week(date: str) -> str:
    """The English weekday name of an ISO date."""
    return iso_date(date, "date").strftime("%A")
