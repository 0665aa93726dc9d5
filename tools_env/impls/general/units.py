"""``convert_units``: conversion between units of one dimension, and the table of unit names.

Covered here: length, mass, volume, time, data, speed and area by a factor to the dimension's base unit
(m, kg, m^3, s, byte, m/s, m^2), several spellings per unit; temperature (Celsius, Fahrenheit, Kelvin)
through Kelvin; results rounded to 10 significant digits. Not covered: compound units beyond the table
(``kWh``, ``mpg``), currencies.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tools_env.impls.general.values import number, unit_key

__all__ = ["convert_units"]

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


def convert_units(value: Any, from_unit: str, to_unit: str) -> dict[str, Any]:
    """Convert ``value`` between units of one dimension (length, mass, volume, time, data, speed, area,
    temperature); returns ``{"value", "unit"}`` with the value rounded to 10 significant digits."""
    x = number(value, "value")
    src, dst = unit_key(from_unit), unit_key(to_unit)
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
