"""JSON utilities: ``json_query`` (the value at a path) and ``json_validate``.

Covered here: paths such as ``a.b[0].c``, ``["key with dots"]`` or ``$.a``, applied to JSON text or an
already parsed value; texts of at most :data:`~tools_env.impls.general.values.MAX_TEXT` characters; too
deep nesting is an error, never a crash. Not covered: JSONPath filters and wildcards.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tools_env.impls.general.values import MAX_TEXT

__all__ = ["json_query", "json_validate"]


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
