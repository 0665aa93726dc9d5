"""Validation of a call against its documentation, before anything runs.

The category always comes from the shared classifier (:func:`tlbench.classify.check_against_docs`); this
module only adds the *text* the model sees, worded as the upstream ToolEyes / RoTBench environments word it
(``rotbench_tooleyes.md`` §4.1), so that a trained model meets familiar feedback:

===========================  =====================================================================
category                     text
===========================  =====================================================================
UNPARSABLE                   :data:`FORMAT_ERROR_TEXT` (ToolEyes' complaint, role ``user``)
TOOL_HALLUCINATION           ``cannot import name 'x' from 'tools.tool' (tools/tool.py)``; a name that is
                             not an identifier gives ``invalid syntax (<string>, line 1)``
PARAMETER_HALLUCINATION      ``x() got an unexpected keyword argument 'p'`` (first unknown key)
MISSING_PARAMETER            ``x() missing 1 required positional argument: 'p'`` /
                             ``x() missing 2 required positional arguments: 'a' and 'b'``
TYPE_MISMATCH (our wording)  ``TypeError: x() argument 'p' must be integer, not str`` or, for an enum,
                             ``ValueError: x() argument 'p' must be one of ['a', 'b'], not 'c'``
===========================  =====================================================================

When several problems co-occur, the text follows Python's own order (an unexpected keyword is reported
before a missing argument) and the category is the classifier's headline. Upstream tools never check types,
so there is no upstream text for a type mismatch; ours reads like a Python ``TypeError``/``ValueError``.

Nested values (arrays of objects, object properties) are checked with ``jsonschema``, one compiled validator
per schema (cached); a nested violation that the classifier's shallow check does not see is reported as
TYPE_MISMATCH too.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from tlbench import jsonio
from tlbench.classify import check_against_docs
from tlbench.types import CallVerdict, ErrorKind, Feedback, ToolCall, ToolDoc, canonical_json

__all__ = [
    "FORMAT_ERROR_TEXT",
    "validate_call",
    "format_error_feedback",
    "unknown_tool_text",
    "missing_text",
    "unexpected_text",
    "type_mismatch_text",
]

#: ToolEyes' feedback when the Action Input cannot be read (exact upstream text, shown with role "user").
FORMAT_ERROR_TEXT = (
    "Your output format does not match the specified format, please revise your answer to follow the desired "
    "format.\n\nDesired format:\nThought: <The thought>\nAction: <The tool you take to>\nAction Input: <The "
    "parameters for the tool, you should provide a dict similar to {parameter_1: value_1, parameter_2: value 2} "
    "to call action.>"
)

_NESTED_KEYS = ("properties", "items", "prefixItems", "additionalProperties", "anyOf", "oneOf", "allOf")
_PY_TYPE = {
    bool: "bool",
    int: "int",
    float: "float",
    str: "str",
    list: "list",
    dict: "dict",
    type(None): "NoneType",
}


def format_error_feedback(detail: str = "") -> Feedback:
    """The UNPARSABLE feedback for an output that matches no call format."""
    return Feedback(ErrorKind.UNPARSABLE, FORMAT_ERROR_TEXT, detail=detail)


def unknown_tool_text(name: str, module: str = "tools.tool") -> str:
    """ImportError text of a hallucinated tool (``invalid syntax`` when the name is not an identifier)."""
    if not name.isidentifier():
        return "invalid syntax (<string>, line 1)"
    return f"cannot import name '{name}' from '{module}' ({module.replace('.', '/')}.py)"


def _quote_list(names: tuple[str, ...]) -> str:
    quoted = [f"'{n}'" for n in names]
    if len(quoted) == 1:
        return quoted[0]
    if len(quoted) == 2:
        return f"{quoted[0]} and {quoted[1]}"
    return ", ".join(quoted[:-1]) + f", and {quoted[-1]}"


def missing_text(tool: str, names: tuple[str, ...]) -> str:
    """CPython's TypeError text for missing required arguments."""
    n = len(names)
    plural = "argument" if n == 1 else "arguments"
    return f"{tool}() missing {n} required positional {plural}: {_quote_list(names)}"


def unexpected_text(tool: str, name: str) -> str:
    """CPython's TypeError text for an unknown keyword argument."""
    return f"{tool}() got an unexpected keyword argument '{name}'"


def _type_name(value: Any) -> str:
    return _PY_TYPE.get(type(value), type(value).__name__)


def type_mismatch_text(tool: str, param: str, value: Any, schema: Any) -> str:
    """Our TypeError / ValueError-like text for a value of the wrong type or outside its enum."""
    schema = schema if isinstance(schema, Mapping) else {}
    enum = schema.get("enum")
    if isinstance(enum, list | tuple) and enum and value not in enum:
        shown = jsonio.dumps(value, default=str)[:80]
        return f"ValueError: {tool}() argument '{param}' must be one of {list(enum)!r}, not {shown}"
    expected = schema.get("type")
    if isinstance(expected, list | tuple):
        expected = " or ".join(str(t) for t in expected)
    if not expected:
        expected = "valid"
    return f"TypeError: {tool}() argument '{param}' must be {expected}, not {_type_name(value)}"


@functools.lru_cache(maxsize=4096)
def _validator(schema_text: str) -> Any:
    """A compiled jsonschema validator for one (canonical) schema; None when the schema itself is invalid."""
    import jsonschema

    schema = jsonio.parse(schema_text)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError:
        return None
    return cls(schema)


def _nested_error(doc: ToolDoc, args: Mapping[str, Any]) -> tuple[str, str] | None:
    """(param, message) of the first nested-schema violation, for params whose schema has structure."""
    props = doc.properties
    for key, value in args.items():
        schema = props.get(key)
        if not isinstance(schema, Mapping) or value is None:
            continue
        if not any(k in schema for k in _NESTED_KEYS):
            continue
        validator = _validator(canonical_json(schema))
        if validator is None:
            continue
        error = next(iter(validator.iter_errors(value)), None)
        if error is not None:
            where = "".join(f"[{p!r}]" for p in error.absolute_path)
            return key, f"{where}: {error.message}" if where else error.message
    return None


def validate_call(
    call: ToolCall,
    docs: Mapping[str, ToolDoc],
    *,
    module: str = "tools.tool",
    verdict: CallVerdict | None = None,
) -> Feedback | None:
    """None when ``call`` may run; otherwise the documentation-error feedback (category + upstream text).

    ``docs`` is name -> doc; ``module`` is the module path shown in the hallucinated-tool ImportError
    (e.g. ``"Random.Random.tool"`` for a ToolEyes item); ``verdict`` lets a caller that already ran the
    classifier skip a second run.
    """
    cv = verdict if verdict is not None else check_against_docs(call, docs)
    kind = cv.kind
    name = call.name
    if kind is ErrorKind.CORRECT:
        doc = docs.get(name)
        args = call.arguments if isinstance(call.arguments, Mapping) else {}
        if doc is None or not args:
            return None
        nested = _nested_error(doc, args)
        if nested is None:
            return None
        param, message = nested
        text = f"TypeError: {name}() argument '{param}' is invalid: {message}"
        return Feedback(ErrorKind.TYPE_MISMATCH, text, tool=name, detail=param)
    if kind is ErrorKind.TOOL_HALLUCINATION:
        return Feedback(kind, unknown_tool_text(name, module), tool=name)
    if cv.hallucinated_params:
        text = unexpected_text(name, cv.hallucinated_params[0])
    elif cv.missing_params:
        text = missing_text(name, cv.missing_params)
    elif cv.mismatched_params:
        param = cv.mismatched_params[0]
        doc = docs.get(name)
        schema = doc.properties.get(param) if doc is not None else None
        text = type_mismatch_text(name, param, call.arguments.get(param), schema)
    else:  # a category this module has no wording for (future classifier kinds): still refuse the call
        text = f"{name}() call rejected: {kind.value}"
    params = cv.hallucinated_params + cv.missing_params + cv.mismatched_params
    return Feedback(kind, text, tool=name, detail=",".join(params))
