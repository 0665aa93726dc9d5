"""A tiny, safe evaluator for Python literal values in model output (never ``eval``).

Model outputs in call syntax (``f(a='x', p=1/6)``) and ReAct inputs written as Python dicts need more than
JSON but far less than Python. This walks an :mod:`ast` tree and accepts only:

* constants: ``str``, ``int``, ``float``, ``bool``, ``None`` (bytes, complex and ``...`` are rejected);
* the JSON spellings ``true``/``false``/``null`` as bare names (models mix the two languages);
* lists, tuples (returned as lists, to stay JSON-shaped) and dicts with string keys;
* unary ``-``/``+`` and binary ``+ - * / // % **`` on numbers only, with operand sizes bounded so that
  ``9**9**9`` or ``10**10**6`` cannot exhaust memory or time.

Everything else - names, calls, attributes, comprehensions, string arithmetic - raises ``Failed("bad_value")``.
``unary_plus="minus"`` reproduces BFCL's upstream decoder, which reads ``+x`` as ``-x``.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from typing import Any, Literal

from tlbench.parsers._util import MAX_DEPTH, Failed, gc_paused, too_deep

__all__ = ["literal_value", "parse_literal", "read_dict", "BINOPS", "UnaryPlus"]

UnaryPlus = Literal["plus", "minus"]

#: Largest integer result (in bits) any folded operation may produce.
MAX_INT_BITS = 4096
_JSON_NAMES: dict[str, Any] = {"true": True, "false": False, "null": None, "True": True, "False": False}
#: The arithmetic operators folded in values (``benchmarks/bfcl_decode.py`` adds the bitwise ones).
BINOPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _bits(v: int | float) -> int:
    return abs(v).bit_length() if isinstance(v, int) else 64


def _binop(op: ast.operator, a: Any, b: Any) -> int | float:
    """Fold one arithmetic operation, refusing results that would be huge or slow to compute."""
    fn = BINOPS.get(type(op))
    if fn is None or not (_is_number(a) and _is_number(b)):
        raise Failed("bad_value", f"unsupported operation {type(op).__name__} on {type(a).__name__}")
    if isinstance(op, ast.Pow):
        if isinstance(a, int) and isinstance(b, int) and b > 0 and _bits(a) * b > MAX_INT_BITS:
            raise Failed("bad_value", "power too large")
        if abs(b) > 10_000:
            raise Failed("bad_value", "exponent too large")
    if isinstance(op, ast.Mult) and isinstance(a, int) and isinstance(b, int):
        if _bits(a) + _bits(b) > MAX_INT_BITS:
            raise Failed("bad_value", "product too large")
    try:
        out = fn(a, b)
    except (ZeroDivisionError, OverflowError, ValueError) as exc:
        raise Failed("bad_value", f"{type(exc).__name__}: {exc}") from None
    if isinstance(out, complex):  # (-8) ** 0.5
        raise Failed("bad_value", "complex result")
    if isinstance(out, int) and _bits(out) > MAX_INT_BITS:
        raise Failed("bad_value", "integer too large")
    return out


def literal_value(node: ast.AST, unary_plus: UnaryPlus = "plus", depth: int = 0) -> Any:
    """The JSON-shaped value of an expression node, or ``Failed("bad_value")``."""
    if depth > MAX_DEPTH:
        raise Failed("too_deep", "expression nested too deeply")
    d = depth + 1
    if isinstance(node, ast.Constant):
        v = node.value
        if v is None or isinstance(v, str | bool | int):
            return v
        if isinstance(v, float):
            return v
        raise Failed("bad_value", f"unsupported constant of type {type(v).__name__}")
    if isinstance(node, ast.Name):
        if node.id in _JSON_NAMES:
            return _JSON_NAMES[node.id]
        if node.id == "None":
            return None
        raise Failed("bad_value", f"a bare name {node.id!r} is not a value")
    if isinstance(node, ast.List | ast.Tuple):
        return [literal_value(e, unary_plus, d) for e in node.elts]
    if isinstance(node, ast.Dict):
        return read_dict(node, lambda n: literal_value(n, unary_plus, d))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        v = literal_value(node.operand, unary_plus, d)
        if not _is_number(v):
            raise Failed("bad_value", "unary sign on a non-number")
        negate = isinstance(node.op, ast.USub) or unary_plus == "minus"
        return -v if negate else v
    if isinstance(node, ast.BinOp):
        return _binop(
            node.op, literal_value(node.left, unary_plus, d), literal_value(node.right, unary_plus, d)
        )
    raise Failed("bad_value", f"unsupported expression {type(node).__name__}")


def read_dict(node: ast.Dict, read: Callable[[ast.expr], Any]) -> dict[str, Any]:
    """A dict display's value, keys and values read with ``read``; ``Failed`` for ``**`` or a non-string key."""
    out: dict[str, Any] = {}
    for k, v in zip(node.keys, node.values, strict=True):
        if k is None:
            raise Failed("bad_value", "'**' unpacking in a dict")
        key = read(k)
        if not isinstance(key, str):
            raise Failed("bad_value", "dict keys must be strings")
        out[key] = read(v)
    return out


def parse_literal(text: str, unary_plus: UnaryPlus = "plus") -> Any:
    """Parse ``text`` as one Python literal expression (depth-checked before ``ast.parse``)."""
    if too_deep(text):
        raise Failed("too_deep", f"more than {MAX_DEPTH} nested brackets", text)
    try:
        with gc_paused(len(text)):
            tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError) as exc:  # ValueError: NUL bytes in source
        raise Failed("bad_syntax", str(exc)[:200], text) from None
    except (RecursionError, MemoryError):
        raise Failed("too_deep", "expression too complex to parse", text) from None
    return literal_value(tree.body, unary_plus)
