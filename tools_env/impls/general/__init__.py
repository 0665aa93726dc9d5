"""A small general-purpose tool set: unit conversion, date arithmetic, JSON and regex utilities.

Plain functions of JSON values (no context parameters), each documented by a JSON-schema ``ToolDoc`` in
:data:`GENERAL_DOCS` so that an environment can offer them without any other source of documentation.
Inputs are bounded (text sizes, regex time) so that no call can stall a worker.

The tools by theme: :mod:`~tools_env.impls.general.units` (``convert_units``),
:mod:`~tools_env.impls.general.dates` (``date_add``, ``date_diff``, ``day_of_week``),
:mod:`~tools_env.impls.general.json_tools` (``json_query``, ``json_validate``),
:mod:`~tools_env.impls.general.regex_tools` (``regex_search``, ``regex_replace``); the argument readers
they share are :mod:`~tools_env.impls.general.values`. This module holds the one table of their docs.
"""

from __future__ import annotations

from typing import Any

from tlbench.types import ToolDoc
from tools_env.impls.general.dates import date_add, date_diff, day_of_week
from tools_env.impls.general.json_tools import json_query, json_validate
from tools_env.impls.general.regex_tools import MAX_PATTERN, REGEX_TIMEOUT_S, regex_replace, regex_search
from tools_env.impls.general.units import convert_units
from tools_env.impls.general.values import MAX_TEXT

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
