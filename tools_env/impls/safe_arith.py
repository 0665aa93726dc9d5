"""A bounded arithmetic evaluator over ``ast``: the calculator's engine, and the only one we need.

It parses the text with :func:`ast.parse` in ``eval`` mode and walks the tree itself; nothing is ever
evaluated by Python. Accepted: int/float literals, unary ``+``/``-``, binary ``+ - * / // % **`` and
parentheses. ``^`` is read as power (calculator habit), ``×``/``÷`` as ``*``/``/``. Everything else (names,
calls, attributes, subscripts, strings, comparisons) is rejected with a ``ValueError``.

Bounds, so that a hostile expression cannot burn CPU or memory:

* at most :data:`MAX_CHARS` characters and :data:`MAX_NODES` syntax nodes (deep nesting is rejected
  before any recursion can overflow);
* a power is refused when its result would need more than :data:`MAX_INT_BITS` bits, and every integer
  intermediate is kept under that size;
* float overflow and division by zero surface as ``ValueError``/``ZeroDivisionError`` texts.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable

__all__ = ["evaluate", "MAX_CHARS", "MAX_NODES", "MAX_INT_BITS"]

MAX_CHARS = 1000
MAX_NODES = 400
MAX_DEPTH = 60
MAX_INT_BITS = 10_000  # about 3,000 decimal digits: far beyond any sensible answer, cheap to compute

Number = int | float

_BINOPS: dict[type[ast.operator], Callable[[Number, Number], Number]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_TRANSLATE = str.maketrans({"^": "**", "×": "*", "÷": "/", "−": "-"})


def evaluate(expression: str) -> Number:
    """The value of an arithmetic ``expression``; raises ``ValueError``/``ZeroDivisionError`` on bad input."""
    if not isinstance(expression, str):
        raise ValueError(f"expression must be a string, not {type(expression).__name__}")
    text = expression.strip().translate(_TRANSLATE)
    if not text:
        raise ValueError("empty expression")
    if len(text) > MAX_CHARS:
        raise ValueError(f"expression too long ({len(text)} characters, limit {MAX_CHARS})")
    if _paren_depth(text) > MAX_DEPTH:
        raise ValueError(f"expression nested too deeply (limit {MAX_DEPTH})")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise ValueError(f"invalid expression: {expression!r}") from exc
    nodes = sum(1 for _ in ast.walk(tree))
    if nodes > MAX_NODES:
        raise ValueError(f"expression too large ({nodes} nodes, limit {MAX_NODES})")
    return _eval(tree.body, 0)


def _paren_depth(text: str) -> int:
    depth = best = 0
    for ch in text:
        if ch == "(":
            depth += 1
            best = max(best, depth)
        elif ch == ")":
            depth -= 1
    return best


def _eval(node: ast.AST, depth: int) -> Number:
    if depth > MAX_DEPTH:
        raise ValueError(f"expression nested too deeply (limit {MAX_DEPTH})")
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"unsupported literal: {value!r}")
        return _check(value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
        operand = _eval(node.operand, depth + 1)
        return operand if isinstance(node.op, ast.UAdd) else -operand
    if isinstance(node, ast.BinOp):
        left = _eval(node.left, depth + 1)
        right = _eval(node.right, depth + 1)
        if isinstance(node.op, ast.Pow):
            return _check(_power(left, right))
        op = _BINOPS.get(type(node.op))
        if op is None:
            raise ValueError(f"unsupported operator: {type(node.op).__name__}")
        try:
            return _check(op(left, right))
        except OverflowError as exc:
            raise ValueError("numerical result out of range") from exc
    raise ValueError(f"unsupported expression element: {type(node).__name__}")


def _power(base: Number, exp: Number) -> Number:
    """``base ** exp`` after checking that the result stays small enough to compute quickly."""
    if isinstance(base, int) and isinstance(exp, int) and exp >= 0:
        if abs(base) > 1 and exp * max(abs(base).bit_length() - 1, 1) > MAX_INT_BITS:
            raise ValueError(f"exponent too large: result would exceed {MAX_INT_BITS} bits")
        return base**exp
    if base == 0 and exp < 0:
        raise ZeroDivisionError("0.0 cannot be raised to a negative power")
    try:
        fbase, fexp = float(base), float(exp)
        if abs(fexp) > 1e6 and abs(fbase) not in (0.0, 1.0):
            raise ValueError("exponent too large")
        result = fbase**fexp
    except OverflowError as exc:
        raise ValueError("numerical result out of range") from exc
    if isinstance(result, complex):
        raise ValueError("result is not a real number")
    return result


def _check(value: Number) -> Number:
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise ValueError(f"result too large (more than {MAX_INT_BITS} bits)")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("numerical result out of range")
    return value
