"""Type names and JSON schemas: upstream pseudo-types and Python type names mapped to one JSON vocabulary."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

#: Upstream pseudo-types and Python type names -> JSON-schema types ("" = no type constraint).
TYPE_MAP: dict[str, str] = {
    "string": "string",
    "str": "string",
    "text": "string",
    "integer": "integer",
    "int": "integer",
    "number": "number",
    "float": "number",
    "double": "number",
    "boolean": "boolean",
    "bool": "boolean",
    "array": "array",
    "list": "array",
    "tuple": "array",
    "object": "object",
    "dict": "object",
    "null": "null",
    "none": "null",
    "any": "",
}


_MAX_DEPTH = 32


_OPTIONAL = re.compile(r"(?:typing\.)?Optional\[(.*)\]")


_BASE_END = re.compile(r"[\[\s|]")


def json_type(name: Any) -> str:
    """Map one upstream type name (``float``, ``List[str]``, ``Optional[int]``) to a JSON type ("" if unknown)."""
    if not isinstance(name, str):
        return ""
    return _json_type_of(name)


@functools.lru_cache(maxsize=4096)  # a benchmark repeats a few dozen type names thousands of times
def _json_type_of(name: str) -> str:
    s = name.strip()
    m = _OPTIONAL.fullmatch(s)
    if m:
        s = m.group(1)
    base = _BASE_END.split(s, maxsplit=1)[0].lower()
    return TYPE_MAP.get(base, "")


def normalise_schema(schema: Any, _depth: int = 0) -> dict[str, Any]:
    """A JSON-schema copy of ``schema`` with pseudo-types mapped, recursing into properties and items.

    ``any`` (or an unknown type name) drops the ``type`` key: any value is then accepted. A non-mapping
    schema becomes ``{}``.
    """
    if not isinstance(schema, Mapping) or _depth > _MAX_DEPTH:
        return {}
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "type":
            if isinstance(value, list):
                mapped = [t for t in (json_type(v) for v in value) if t]
                if mapped:
                    out["type"] = mapped
            else:
                t = json_type(value)
                if t:
                    out["type"] = t
        elif key == "properties" and isinstance(value, Mapping):
            out["properties"] = {str(k): normalise_schema(v, _depth + 1) for k, v in value.items()}
        elif key == "items" and isinstance(value, Mapping):
            out["items"] = normalise_schema(value, _depth + 1)
        elif key == "required":
            out["required"] = [str(r) for r in value] if isinstance(value, list | tuple) else []
        else:
            out[str(key)] = value
    return out


def object_schema(parameters: Any) -> dict[str, Any]:
    """Normalise a tool's top-level parameter schema to ``{"type": "object", "properties", "required"}``."""
    schema = normalise_schema(parameters)
    schema["type"] = "object"
    if not isinstance(schema.get("properties"), dict):
        schema["properties"] = {}
    props = schema["properties"]
    schema["required"] = [r for r in schema.get("required", []) if isinstance(r, str) and r in props]
    return schema


def defaults_of(props: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v["default"] for k, v in props.items() if isinstance(v, Mapping) and "default" in v}
