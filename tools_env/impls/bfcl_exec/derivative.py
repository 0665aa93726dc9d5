"""``estimate_derivative``: BFCL's forward difference of a lambda given as source text, never ``eval``-ed.

Covered here: ``estimate_derivative(function, x)`` is ``(f(x + 1e-10) - f(x)) / 1e-10`` where ``f`` is the
lambda *source text*, read with :mod:`ast` into a small arithmetic tree (numbers, its one parameter, unary and
binary arithmetic, ``math.<name>(...)`` calls and ``math.pi`` / ``math.e``) and evaluated with Python's own
operators (upstream ``eval``-s it). Bounds: source at most 1,000 characters, nesting at most 60, powers at
most 64. Not covered: anything else a lambda could say (names, comprehensions, other modules): a
``ValueError``.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from typing import Any

from tools_env.impls.bfcl_exec.bounds import Number, num

__all__ = ["estimate_derivative"]


_H = 0.0000000001
#: ``math.<name>`` calls a lambda may use.
_MATH: Mapping[str, Callable[..., float]] = {
    name: getattr(math, name)
    for name in (
        "sin",
        "cos",
        "tan",
        "asin",
        "acos",
        "atan",
        "sinh",
        "cosh",
        "tanh",
        "exp",
        "log",
        "log10",
        "log2",
        "sqrt",
    )
}
_CONSTANTS: Mapping[str, float] = {"pi": math.pi, "e": math.e}
_OPS: Mapping[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: lambda p, q: p + q,
    ast.Sub: lambda p, q: p - q,
    ast.Mult: lambda p, q: p * q,
    ast.Div: lambda p, q: p / q,
    ast.FloorDiv: lambda p, q: p // q,
    ast.Mod: lambda p, q: p % q,
}


def _lambda_tree(source: str) -> tuple[str, ast.expr]:
    """The parameter name and body of ``lambda x: <arithmetic>`` (parsed, never executed)."""
    if not isinstance(source, str):
        raise TypeError("function must be the source text of a lambda")
    if len(source) > 1000:
        raise ValueError("function text longer than 1000 characters")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise ValueError("function is not a valid lambda expression") from None
    node = tree.body
    if not isinstance(node, ast.Lambda) or len(node.args.args) != 1 or node.args.defaults:
        raise ValueError("function must be a one-argument lambda, e.g. 'lambda x: x**2'")
    return node.args.args[0].arg, node.body


def _eval_at(node: ast.AST, var: str, x: Number, depth: int = 0) -> Any:
    """Evaluate the arithmetic tree at ``x`` with Python's operators (bounded depth and powers)."""
    if depth > 60:
        raise ValueError("function expression is nested too deeply")
    d = depth + 1
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return node.value
    if isinstance(node, ast.Name) and node.id == var:
        return x
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "math":
        if node.attr in _CONSTANTS:
            return _CONSTANTS[node.attr]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd | ast.Not):
        v = _eval_at(node.operand, var, x, d)
        if isinstance(node.op, ast.Not):
            return not v
        return -v if isinstance(node.op, ast.USub) else +v
    if isinstance(node, ast.BinOp):
        left, right = _eval_at(node.left, var, x, d), _eval_at(node.right, var, x, d)
        if isinstance(node.op, ast.Pow):
            if abs(right) > 64:
                raise ValueError("exponent larger than 64")
            return left**right
        op = _OPS.get(type(node.op))
        if op is not None:
            return op(left, right)
    if isinstance(node, ast.Call) and not node.keywords and node.args:
        fn = node.func
        if isinstance(fn, ast.Attribute) and isinstance(fn.value, ast.Name) and fn.value.id == "math":
            if fn.attr in _MATH:
                return _MATH[fn.attr](*(_eval_at(a, var, x, d) for a in node.args))
    raise ValueError(f"unsupported expression in function: {ast.dump(node)[:60]}")


def estimate_derivative(function: str, x: float) -> float:
    """Forward-difference derivative ``(f(x + h) - f(x)) / h`` with ``h = 1e-10``."""
    var, body = _lambda_tree(function)
    x0 = num(x, "x")
    return (_eval_at(body, var, x0 + _H) - _eval_at(body, var, x0)) / _H
