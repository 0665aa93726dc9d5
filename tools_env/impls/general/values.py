"""Argument readers shared by the general tools: numbers, integers, ISO dates, unit names and bounded texts.

Covered here: what a model may pass for a number (a number or a numeric string, never a boolean), an integer
(integral floats and numeric strings too, at most a million in magnitude), an ISO date (``YYYY-MM-DD``, a
time part ignored), a unit name (case and spaces normalised) and a text (at most :data:`MAX_TEXT`
characters); anything else is a ``ValueError`` with the text Python's own parser would give where there is
one. Not covered: the tools themselves.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

__all__ = ["MAX_TEXT", "unit_key", "number", "integer", "iso_date", "bounded_text"]

#: Characters of text or JSON accepted by the JSON and regex tools.
MAX_TEXT = 100_000


def unit_key(unit: Any) -> str:
    if not isinstance(unit, str) or not unit.strip():
        raise ValueError("unit must be a non-empty string")
    return " ".join(unit.strip().lower().split())


def number(value: Any, name: str) -> float:
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number, not a boolean")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        return float(value.strip())  # "abc" -> "could not convert string to float: 'abc'"
    raise ValueError(f"{name} must be a number, not {type(value).__name__}")


def integer(value: Any, name: str) -> int:
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


def iso_date(value: Any, name: str) -> _dt.date:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be an ISO date string (YYYY-MM-DD)")
    try:
        return _dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise ValueError(f"time data '{value}' does not match format '%Y-%m-%d'") from None


def bounded_text(text: Any) -> str:
    if not isinstance(text, str):
        raise ValueError("text must be a string")
    if len(text) > MAX_TEXT:
        raise ValueError(f"text too large (limit {MAX_TEXT} characters)")
    return text
