"""Values of call arguments: the light JSON-schema type check, exact JSON equality, and the normalised form
behind the paper's "synonym" flag (a content error whose values are equal after normalising).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

__all__ = ["type_matches", "normalise_value", "values_normalised_equal"]

_TYPE_ALIASES: dict[str, str] = {
    "str": "string",
    "text": "string",
    "int": "integer",
    "float": "number",
    "double": "number",
    "bool": "boolean",
    "dict": "object",
    "list": "array",
    "tuple": "array",
    "any": "",
}


def _value_is(value: Any, json_type: str) -> bool:
    """True when ``value`` is an instance of the JSON-schema type ``json_type`` (unknown types accept all)."""
    t = _TYPE_ALIASES.get(json_type, json_type)
    if t == "string":
        return isinstance(value, str)
    if t == "integer":
        if isinstance(value, bool):
            return False
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if t == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if t == "boolean":
        return isinstance(value, bool)
    if t == "array":
        return isinstance(value, list | tuple)
    if t == "object":
        return isinstance(value, Mapping)
    if t == "null":
        return value is None
    return True  # "", unknown or exotic type names: no opinion


def type_matches(value: Any, schema: Any) -> bool:
    """A light, fast JSON-schema check of one value: ``type`` (string or list), ``enum``, array ``items`` type.

    Deliberately shallow (one level of ``items``), since model arguments are small and speed matters; a schema
    that is not a mapping, or has no ``type``, accepts anything.
    """
    if not isinstance(schema, Mapping):
        return True
    enum = schema.get("enum")
    if isinstance(enum, list | tuple) and enum and value not in enum:
        return False
    t = schema.get("type")
    if isinstance(t, str):
        if not _value_is(value, t):
            return False
    elif isinstance(t, list | tuple) and t:
        if not any(_value_is(value, x) for x in t if isinstance(x, str)):
            return False
    items = schema.get("items")
    if isinstance(value, list | tuple) and isinstance(items, Mapping):
        it = items.get("type")
        if isinstance(it, str) and not all(_value_is(v, it) for v in value):
            return False
    return True


_WS = re.compile(r"\s+")
_SCALARS = frozenset({str, int, float, bool, type(None)})


def same_value(a: Any, b: Any) -> bool:
    """Exact JSON equality, but a bool never equals a number (Python's ``True == 1`` is not JSON's)."""
    ta = type(a)
    if ta is type(b) and ta in _SCALARS:  # the common case, and exact: same type, no bool/number mixing
        return bool(a == b)
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    try:
        return bool(a == b)
    except Exception:  # exotic objects with a broken __eq__: not equal
        return False


def normalise_value(value: Any, _depth: int = 0) -> Any:
    """A canonical form used for the paper's "synonym" flag.

    Strings are NFKC-normalised, case-folded, stripped and whitespace-collapsed; numeric strings become
    numbers; integral floats become ints; lists become order-insensitive (sorted by canonical text); dicts
    are normalised value-wise.
    """
    if _depth > 20:
        return repr(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        s = _WS.sub(" ", unicodedata.normalize("NFKC", value)).strip().casefold()
        if s in ("true", "false"):
            return s == "true"
        try:
            num = float(s.replace(",", "")) if len(s) < 64 else None
        except ValueError:
            num = None
        if num is not None and num == num and abs(num) != float("inf"):
            return int(num) if num.is_integer() else num
        return s
    if isinstance(value, int | float):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value
    if isinstance(value, Mapping):
        return {str(k): normalise_value(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        items = [normalise_value(v, _depth + 1) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, default=str))
    return repr(value)


def values_normalised_equal(a: Any, b: Any) -> bool:
    """True when ``a`` and ``b`` are equal after :func:`normalise_value`."""
    return same_value(normalise_value(a), normalise_value(b))
