"""A small general-purpose tool set: unit conversion, date arithmetic, JSON and regex utilities.

Plain functions of JSON values (no context parameters), each documented by a JSON-schema ``ToolDoc`` in
:data:`GENERAL_DOCS` so that an environment can offer them without any other source of documentation.
Inputs are bounded (text sizes, regex time) so that no call can stall a worker.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import json
import re
from collections.abc import Mapping
from typing import Any

from tlbench.types import ToolDoc

__all__ = [
    "convert_units",
    "date_add",
    "date_diff",
    "day_of_week",
    "json_query",
    "json_validate",
    "regex_search",
    "regex_replace",
    "GENERAL_DOCS",
    "MAX_TEXT",
    "MAX_PATTERN",
    "REGEX_TIMEOUT_S",
]

MAX_TEXT = 100_000  # characters of text/JSON accepted by the JSON and regex tools
MAX_PATTERN = 500
MAX_MATCHES = 100
REGEX_TIMEOUT_S = 0.5

# --------------------------------------------------------------------------- units

# factor to the dimension's base unit (m, kg, m^3, s, byte, m/s, m^2)
_LINEAR: dict[str, tuple[str, float]] = {}


def _units(dimension: str, table: Mapping[str, float]) -> None:
    for names, factor in table.items():
        for name in names.split("|"):
            _LINEAR[name] = (dimension, factor)


_units(
    "length",
    {
        "m|meter|meters|metre|metres": 1.0,
        "km|kilometer|kilometers|kilometre|kilometres": 1000.0,
        "cm|centimeter|centimeters|centimetre|centimetres": 0.01,
        "mm|millimeter|millimeters|millimetre|millimetres": 0.001,
        "mi|mile|miles": 1609.344,
        "yd|yard|yards": 0.9144,
        "ft|foot|feet": 0.3048,
        "in|inch|inches": 0.0254,
        "nmi|nautical mile|nautical miles": 1852.0,
    },
)
_units(
    "mass",
    {
        "kg|kilogram|kilograms": 1.0,
        "g|gram|grams": 0.001,
        "mg|milligram|milligrams": 1e-6,
        "t|tonne|tonnes|metric ton|metric tons": 1000.0,
        "lb|lbs|pound|pounds": 0.45359237,
        "oz|ounce|ounces": 0.028349523125,
        "st|stone|stones": 6.35029318,
    },
)
_units(
    "volume",
    {
        "l|liter|liters|litre|litres": 0.001,
        "ml|milliliter|milliliters|millilitre|millilitres": 1e-6,
        "m3|cubic meter|cubic meters": 1.0,
        "gal|gallon|gallons": 0.003785411784,
        "qt|quart|quarts": 0.000946352946,
        "pt|pint|pints": 0.000473176473,
        "cup|cups": 0.0002365882365,
        "fl oz|fluid ounce|fluid ounces": 2.95735295625e-5,
    },
)
_units(
    "time",
    {
        "s|sec|second|seconds": 1.0,
        "ms|millisecond|milliseconds": 0.001,
        "min|minute|minutes": 60.0,
        "h|hr|hour|hours": 3600.0,
        "d|day|days": 86400.0,
        "wk|week|weeks": 604800.0,
        "yr|year|years": 31557600.0,  # Julian year
    },
)
_units(
    "data",
    {
        "b|byte|bytes": 1.0,
        "bit|bits": 0.125,
        "kb|kilobyte|kilobytes": 1e3,
        "mb|megabyte|megabytes": 1e6,
        "gb|gigabyte|gigabytes": 1e9,
        "tb|terabyte|terabytes": 1e12,
        "kib|kibibyte|kibibytes": 1024.0,
        "mib|mebibyte|mebibytes": 1024.0**2,
        "gib|gibibyte|gibibytes": 1024.0**3,
    },
)
_units(
    "speed",
    {
        "m/s|mps|meters per second": 1.0,
        "km/h|kph|kmh|kilometers per hour": 1000.0 / 3600.0,
        "mph|miles per hour": 1609.344 / 3600.0,
        "kn|knot|knots": 1852.0 / 3600.0,
        "ft/s|feet per second": 0.3048,
    },
)
_units(
    "area",
    {
        "m2|square meter|square meters": 1.0,
        "km2|square kilometer|square kilometers": 1e6,
        "ft2|sq ft|square foot|square feet": 0.09290304,
        "acre|acres": 4046.8564224,
        "ha|hectare|hectares": 1e4,
    },
)
_TEMPERATURE = {
    "c": "c",
    "celsius": "c",
    "°c": "c",
    "f": "f",
    "fahrenheit": "f",
    "°f": "f",
    "k": "k",
    "kelvin": "k",
}


def _unit_key(unit: Any) -> str:
    if not isinstance(unit, str) or not unit.strip():
        raise ValueError("unit must be a non-empty string")
    return " ".join(unit.strip().lower().split())


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number, not a boolean")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        return float(value.strip())  # "abc" -> "could not convert string to float: 'abc'"
    raise ValueError(f"{name} must be a number, not {type(value).__name__}")


def convert_units(value: Any, from_unit: str, to_unit: str) -> dict[str, Any]:
    """Convert ``value`` between units of one dimension (length, mass, volume, time, data, speed, area,
    temperature); returns ``{"value", "unit"}`` with the value rounded to 10 significant digits."""
    x = _number(value, "value")
    src, dst = _unit_key(from_unit), _unit_key(to_unit)
    if src in _TEMPERATURE and dst in _TEMPERATURE:
        kelvin = {"c": x + 273.15, "f": (x - 32.0) * 5.0 / 9.0 + 273.15, "k": x}[_TEMPERATURE[src]]
        out = {"c": kelvin - 273.15, "f": (kelvin - 273.15) * 9.0 / 5.0 + 32.0, "k": kelvin}[
            _TEMPERATURE[dst]
        ]
    else:
        if src not in _LINEAR:
            raise ValueError(f"unknown unit: '{from_unit}'")
        if dst not in _LINEAR:
            raise ValueError(f"unknown unit: '{to_unit}'")
        (dim_a, fa), (dim_b, fb) = _LINEAR[src], _LINEAR[dst]
        if dim_a != dim_b:
            raise ValueError(f"cannot convert {dim_a} ('{from_unit}') to {dim_b} ('{to_unit}')")
        out = x * fa / fb
    return {"value": float(f"{out:.10g}"), "unit": to_unit}


# --------------------------------------------------------------------------- dates


def _date(value: Any, name: str) -> _dt.date:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be an ISO date string (YYYY-MM-DD)")
    try:
        return _dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise ValueError(f"time data '{value}' does not match format '%Y-%m-%d'") from None


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{name} must be an integer")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, str):
        value = int(value.strip())  # "x" -> "invalid literal for int() with base 10: 'x'"
    if not isinstance(value, int):
        raise ValueError(f"{name} must be an integer")
    if abs(value) > 1_000_000:
        raise ValueError(f"{name} out of range: {value}")
    return value


def date_add(date: str, days: Any = 0, weeks: Any = 0, months: Any = 0, years: Any = 0) -> dict[str, str]:
    """``date`` moved by the given amounts (months/years clamp the day, e.g. Jan 31 + 1 month = Feb 28/29)."""
    d = _date(date, "date")
    total_months = d.month - 1 + _int(months, "months") + 12 * _int(years, "years")
    year, month = d.year + total_months // 12, total_months % 12 + 1
    if not 1 <= year <= 9999:
        raise ValueError("date value out of range")
    d = d.replace(year=year, month=month, day=min(d.day, calendar.monthrange(year, month)[1]))
    try:
        d = d + _dt.timedelta(days=_int(days, "days") + 7 * _int(weeks, "weeks"))
    except OverflowError:
        raise ValueError("date value out of range") from None
    return {"date": d.isoformat(), "weekday": d.strftime("%A")}


def date_diff(start_date: str, end_date: str, unit: str = "days") -> dict[str, Any]:
    """The signed distance from ``start_date`` to ``end_date`` in days, weeks (float), or whole months/years."""
    a, b = _date(start_date, "start_date"), _date(end_date, "end_date")
    key = _unit_key(unit).rstrip("s") + "s"
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
    return _date(date, "date").strftime("%A")


# --------------------------------------------------------------------------- JSON


def _json_value(data: Any) -> Any:
    if isinstance(data, str):
        if len(data) > MAX_TEXT:
            raise ValueError(f"JSON text too large (limit {MAX_TEXT} characters)")
        try:
            return json.loads(data)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
    return data


_PATH_TOKEN = re.compile(r"\[(-?\d{1,9})\]|\[\"([^\"]*)\"\]|\['([^']*)'\]|\.?([^.\[\]]+)")


def json_query(data: Any, path: str) -> Any:
    """The value at ``path`` (``a.b[0].c``, ``["key with dots"]``) inside ``data`` (JSON text or value)."""
    value = _json_value(data)
    if not isinstance(path, str) or len(path) > 1000:
        raise ValueError("path must be a string of at most 1000 characters")
    p = path.strip()
    if p.startswith("$"):
        p = p[1:]
    pos = 0
    while pos < len(p):
        m = _PATH_TOKEN.match(p, pos)
        if m is None or m.end() == pos:
            raise ValueError(f"invalid path at character {pos}: '{path}'")
        pos = m.end()
        index, dq, sq, name = m.groups()
        if index is not None:
            if not isinstance(value, list):
                raise ValueError(f"cannot index {type(value).__name__} with [{index}]")
            value = value[int(index)]  # IndexError: list index out of range
        else:
            key = dq if dq is not None else sq if sq is not None else name
            if isinstance(value, list) and key.lstrip("-").isdigit():
                value = value[int(key)]
            elif isinstance(value, dict):
                if key not in value:
                    raise KeyError(key)
                value = value[key]
            else:
                raise ValueError(f"cannot look up '{key}' in {type(value).__name__}")
    return value


def json_validate(text: str) -> dict[str, Any]:
    """Whether ``text`` is valid JSON; the parse message and position when it is not."""
    if not isinstance(text, str):
        raise ValueError("text must be a string")
    if len(text) > MAX_TEXT:
        raise ValueError(f"JSON text too large (limit {MAX_TEXT} characters)")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return {"valid": False, "message": exc.msg, "line": exc.lineno, "column": exc.colno}
    except RecursionError:
        return {"valid": False, "message": "nested too deeply", "line": 1, "column": 1}
    return {"valid": True, "type": type(value).__name__, "message": ""}


# --------------------------------------------------------------------------- regex

_FLAGS = {"i": "IGNORECASE", "m": "MULTILINE", "s": "DOTALL", "x": "VERBOSE"}


def _compile(pattern: Any, flags: Any) -> Any:
    import regex  # a transformers dependency; unlike ``re`` it can stop a runaway match (timeout=)

    if not isinstance(pattern, str) or not pattern:
        raise ValueError("pattern must be a non-empty string")
    if len(pattern) > MAX_PATTERN:
        raise ValueError(f"pattern too long (limit {MAX_PATTERN} characters)")
    bits = 0
    for ch in str(flags or "").lower():
        if ch not in _FLAGS:
            raise ValueError(f"unknown regex flag '{ch}' (use i, m, s, x)")
        bits |= getattr(regex, _FLAGS[ch])
    try:
        return regex.compile(pattern, bits | regex.VERSION0)
    except regex.error as exc:
        raise ValueError(f"invalid regular expression: {exc}") from None


def _text(text: Any) -> str:
    if not isinstance(text, str):
        raise ValueError("text must be a string")
    if len(text) > MAX_TEXT:
        raise ValueError(f"text too large (limit {MAX_TEXT} characters)")
    return text


def regex_search(pattern: str, text: str, flags: str = "", max_matches: Any = MAX_MATCHES) -> dict[str, Any]:
    """All matches of ``pattern`` in ``text`` (at most ``max_matches``, each with span and groups)."""
    rx = _compile(pattern, flags)
    body = _text(text)
    limit = max(1, min(_int(max_matches, "max_matches"), MAX_MATCHES))
    matches: list[dict[str, Any]] = []
    try:
        for m in rx.finditer(body, timeout=REGEX_TIMEOUT_S):
            matches.append(
                {"match": m.group(0), "start": m.start(), "end": m.end(), "groups": list(m.groups())}
            )
            if len(matches) >= limit:
                break
    except TimeoutError:
        raise ValueError(f"regex took longer than {REGEX_TIMEOUT_S} s (catastrophic backtracking?)") from None
    return {"count": len(matches), "matches": matches}


def regex_replace(pattern: str, replacement: str, text: str, flags: str = "", count: Any = 0) -> str:
    """``text`` with matches of ``pattern`` replaced (``count`` = 0 replaces all)."""
    rx = _compile(pattern, flags)
    body = _text(text)
    if not isinstance(replacement, str):
        raise ValueError("replacement must be a string")
    n = _int(count, "count")
    try:
        out = rx.sub(replacement, body, count=max(n, 0), timeout=REGEX_TIMEOUT_S)
    except TimeoutError:
        raise ValueError(f"regex took longer than {REGEX_TIMEOUT_S} s (catastrophic backtracking?)") from None
    except Exception as exc:  # bad group references in the replacement
        raise ValueError(f"invalid replacement: {exc}") from None
    if len(out) > 4 * MAX_TEXT:
        raise ValueError("result too large")
    return out


# --------------------------------------------------------------------------- docs


def _doc(name: str, description: str, props: dict[str, dict[str, Any]], required: tuple[str, ...]) -> ToolDoc:
    schema = {"type": "object", "properties": props, "required": list(required)}
    return ToolDoc(name=name, description=description, parameters=schema, required=required)


_S = {"type": "string"}
_N = {"type": ["number", "string"]}
_I = {"type": ["integer", "string"]}

GENERAL_DOCS: dict[str, ToolDoc] = {
    d.name: d
    for d in (
        _doc(
            "convert_units",
            "Convert a value between units of length, mass, volume, time, data, speed, area or temperature.",
            {"value": _N, "from_unit": _S, "to_unit": _S},
            ("value", "from_unit", "to_unit"),
        ),
        _doc(
            "date_add",
            "Add days, weeks, months or years to an ISO date (YYYY-MM-DD).",
            {"date": _S, "days": _I, "weeks": _I, "months": _I, "years": _I},
            ("date",),
        ),
        _doc(
            "date_diff",
            "Distance between two ISO dates in days, weeks, months or years.",
            {
                "start_date": _S,
                "end_date": _S,
                "unit": {"type": "string", "enum": ["days", "weeks", "months", "years"]},
            },
            ("start_date", "end_date"),
        ),
        _doc("day_of_week", "The weekday of an ISO date.", {"date": _S}, ("date",)),
        _doc(
            "json_query",
            "Extract the value at a path such as 'a.b[0].c' from JSON data.",
            {"data": {}, "path": _S},
            ("data", "path"),
        ),
        _doc("json_validate", "Check whether a text is valid JSON.", {"text": _S}, ("text",)),
        _doc(
            "regex_search",
            "Find the matches of a regular expression in a text (flags: i, m, s, x).",
            {"pattern": _S, "text": _S, "flags": _S, "max_matches": _I},
            ("pattern", "text"),
        ),
        _doc(
            "regex_replace",
            "Replace the matches of a regular expression in a text (count 0 = all).",
            {"pattern": _S, "replacement": _S, "text": _S, "flags": _S, "count": _I},
            ("pattern", "replacement", "text"),
        ),
    )
}
