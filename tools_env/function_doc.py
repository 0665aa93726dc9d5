"""A tool's documentation from a typed Python function: its signature and docstring as a ``ToolDoc``.

Covered here: ``str``/``int``/``float``/``bool``/``list``/``dict`` (and ``None``, tuples, sets, other
mappings and sequences) map to JSON-schema types; ``list[int]`` adds ``items``; ``Literal[...]`` gives an
``enum``; ``X | None`` / ``Optional[X]`` is not required; unions of simple types list their types; defaults
that are JSON values are recorded; parameter descriptions come from a Google-style (``Args:``) or
``:param x:`` docstring; keyword-only parameters in :data:`~tools_env.base.CONTEXT_PARAMS` are context,
not documented. Refused (``UsageError``): ``**kwargs`` (the tool would accept anything) and positional-only
parameters (a call passes arguments by name). Not covered: nested object schemas (a ``TypedDict`` or a
dataclass parameter is documented without a type).
"""

from __future__ import annotations

import inspect
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, Union

from tlbench.errors import UsageError
from tlbench.types import ToolDoc
from tools_env.base import CONTEXT_PARAMS

__all__ = ["doc_from_function"]

_JSON_TYPES: dict[Any, str] = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    list: "array",
    tuple: "array",
    set: "array",
    frozenset: "array",
    dict: "object",
    type(None): "null",
}
_ARG_LINE = re.compile(r"^\s*(?::param\s+)?(\*{0,2}\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")
_SECTION = re.compile(
    r"^\s*(Args|Arguments|Parameters|Params|Returns?|Raises|Yields|Examples?|Notes?)\s*:\s*$"
)


def _schema_for(annotation: Any) -> tuple[dict[str, Any], bool]:
    """JSON schema of a type annotation, and whether it admits None (Optional)."""
    if annotation is inspect.Parameter.empty or annotation is Any:
        return {}, False
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Union or (hasattr(types, "UnionType") and origin is types.UnionType):
        rest = [a for a in args if a is not type(None)]
        optional = len(rest) != len(args)
        if len(rest) == 1:
            return _schema_for(rest[0])[0], optional
        kinds = [_schema_for(a)[0].get("type") for a in rest]
        return ({"type": [k for k in kinds if k]} if all(kinds) else {}), optional
    if origin is Literal:
        values = list(args)
        schema: dict[str, Any] = {"enum": values}
        kinds = {_JSON_TYPES.get(type(v)) for v in values}
        if len(kinds) == 1 and None not in kinds:
            schema["type"] = kinds.pop()
        return schema, None in values
    if origin is not None:
        base = _JSON_TYPES.get(origin)
        if base is None and isinstance(origin, type):
            if issubclass(origin, Mapping):
                base = "object"
            elif issubclass(origin, Sequence) and not issubclass(origin, str | bytes):
                base = "array"
        schema = {"type": base} if base else {}
        if base == "array" and args and args[0] is not Ellipsis:
            item = _schema_for(args[0])[0]
            if item:
                schema["items"] = item
        return schema, False
    base = _JSON_TYPES.get(annotation)
    return ({"type": base} if base else {}), annotation is type(None)


def _parse_docstring(text: str) -> tuple[str, dict[str, str]]:
    """(description, {param: description}) from a Google-style or ``:param x:`` docstring."""
    lines = inspect.cleandoc(text or "").splitlines()
    desc: list[str] = []
    params: dict[str, str] = {}
    section: str | None = None
    current: str | None = None
    for line in lines:
        m = _SECTION.match(line)
        if m:
            section = m.group(1).lower()
            current = None
            continue
        if line.strip().startswith(":param"):
            section = "args"
        if section is None:
            desc.append(line)
            continue
        if section.startswith(("arg", "param")):
            m = _ARG_LINE.match(line)
            indent = len(line) - len(line.lstrip())
            if m and (current is None or indent <= 4 or line.strip().startswith(":param")):
                current = m.group(1).lstrip("*")
                params[current] = m.group(2).strip()
            elif current and line.strip():
                params[current] = (params[current] + " " + line.strip()).strip()
    description = " ".join(" ".join(desc).split())
    return description, params


def doc_from_function(fn: Callable[..., Any], *, name: str | None = None) -> tuple[ToolDoc, tuple[str, ...]]:
    """A :class:`ToolDoc` from a typed signature and docstring, plus the context parameters it declares.

    ``str``/``int``/``float``/``bool``/``list``/``dict`` map to string/integer/number/boolean/array/object
    (``list[int]`` adds ``items``; ``Literal[...]`` gives an ``enum``); a parameter with a default, or typed
    ``Optional[...]``, is not required; JSON-able defaults are recorded. ``*args``/``**kwargs`` are not
    documented (and a function with ``**kwargs`` would accept anything: it is refused).
    """
    sig = inspect.signature(fn)
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # noqa: BLE001 - unresolvable forward references: fall back to raw annotations
        hints = {}
    description, param_docs = _parse_docstring(inspect.getdoc(fn) or "")
    props: dict[str, Any] = {}
    required: list[str] = []
    defaults: dict[str, Any] = {}
    context: list[str] = []
    for p in sig.parameters.values():
        if p.kind is p.VAR_KEYWORD:
            raise UsageError(f"tool {fn.__name__!r} takes **{p.name}: its parameters cannot be documented")
        if p.kind is p.VAR_POSITIONAL:
            continue
        if p.kind is p.KEYWORD_ONLY and p.name in CONTEXT_PARAMS:
            context.append(p.name)
            continue
        if p.kind is p.POSITIONAL_ONLY:
            raise UsageError(
                f"tool {fn.__name__!r}: positional-only parameter {p.name!r} cannot be passed by name"
            )
        schema, optional = _schema_for(hints.get(p.name, p.annotation))
        if p.name in param_docs and param_docs[p.name]:
            schema["description"] = param_docs[p.name]
        if p.default is not p.empty:
            if p.default is None or isinstance(p.default, str | int | float | bool | list | dict):
                defaults[p.name] = p.default
                schema["default"] = p.default
        elif not optional:
            required.append(p.name)
        props[p.name] = schema
    parameters = {"type": "object", "properties": props, "required": required}
    doc = ToolDoc(
        name=name or fn.__name__,
        description=description,
        parameters=parameters,
        required=tuple(required),
        defaults=defaults,
    )
    return doc, tuple(context)
