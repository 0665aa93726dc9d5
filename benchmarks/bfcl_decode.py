"""BFCL's prompting decoder, reproduced without ``eval`` (``benchmarks/bfcl`` upstream mode).

What gorilla's ``default_decode_ast_prompting`` / ``default_decode_execute_prompting`` do with a prompted
model's text (``bfcl/model_handler/utils.py`` at ``d6b5fb8``), and what this module does the same way:

* strip backticks, newlines and spaces at both ends; prepend ``[`` / append ``]`` when missing; then strip
  every ``[``, ``]`` and ``'`` at both ends (so ``['f(a=1)']`` and ``[f(a=1)]]`` decode, and
  ``[f(a=1)] # done`` does not: the appended ``]`` is lost in the comment once the first is stripped);
* parse the rest as one Python expression: a call is the one call, a list / tuple / set display of calls
  is the call list (any other element, or any other expression, is a decode failure);
* a call's name is its dotted name; only keyword arguments are kept (positional ones are dropped);
* argument values (upstream ``resolve_ast_by_type``): constants as they are, ``...`` as the string
  ``"..."``; *any* unary operator on a constant number negates it (``+5``, ``not 5`` and ``~5`` all read
  as ``-5``; a unary operator on anything but a constant, ``-(-5)``, fails); lists, tuples (kept as
  tuples: the official functions receive them, and ``polygon_area`` fails on one) and dicts element by
  element; arithmetic (a binary operator anywhere in the value) is evaluated with
  Python's semantics (``10/2`` = ``5.0``, ``[1] + [2]``, ``'a' + 'b'``, ``'ab' * 2``); a bare name is
  its name as a string (``true`` -> ``"true"``); a call without keyword arguments is its source text as
  a string (``float(5)`` -> ``"float(5)"``), a call with keyword arguments is ``{name: {key: value}}``; a
  subscript is its source text; a lambda, an attribute, a set, an f-string, a comparison and every other
  expression fail.

Not reproduced (a decode failure here; never in the agreement sweep): upstream ``eval``-uates arithmetic,
so it also computes operands that are names or calls of Python builtins (``len('ab') * 2``), comparisons
and subscripts inside arithmetic; it keeps ``bytes`` / ``complex`` constants, non-string dict keys and a
``**`` unpacking (as an argument named ``None``). Arithmetic here is bounded (results up to
``MAX_INT_BITS`` bits, sequences up to ``MAX_ITEMS`` items), so ``9**9**9`` fails instead of hanging.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Sequence
from typing import Any

from tlbench.parsers._literal import BINOPS, MAX_INT_BITS, literal_value, read_dict
from tlbench.parsers._util import MAX_DEPTH, Failed
from tlbench.parsers.python_format import _Source
from tlbench.types import ParseFailure, ParseResult, ToolCall, ToolDoc

__all__ = ["MAX_CALLS", "MAX_OUTPUT", "MAX_ITEMS", "decode_upstream", "calls_from_nodes", "upstream_value"]

MAX_CALLS = 64
MAX_OUTPUT = 200_000
#: Longest list / string an arithmetic value may produce (``'ab' * 10**9`` fails instead of allocating).
MAX_ITEMS = 1_000_000

ValueReader = Callable[[ast.expr], Any]

_BINOPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    **BINOPS,
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
    ast.BitOr: operator.or_,
    ast.BitXor: operator.xor,
    ast.BitAnd: operator.and_,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.Not: operator.not_,
    ast.Invert: operator.invert,
}


def _bits(v: Any) -> int:
    return abs(v).bit_length() if isinstance(v, int) else 0


def _size(v: Any) -> int:
    return len(v) if isinstance(v, str | list | tuple | dict) else 0


def _guard_binop(op: ast.operator, a: Any, b: Any) -> None:
    """Refuse operations whose result would be huge (Python would compute them, slowly or not at all)."""
    if isinstance(op, ast.Pow) and isinstance(a, int) and isinstance(b, int) and b > 0:
        if _bits(a) * b > MAX_INT_BITS:
            raise Failed("bad_value", "power too large")
    if isinstance(op, ast.Pow) and isinstance(b, int | float) and abs(b) > 10_000:
        raise Failed("bad_value", "exponent too large")
    if isinstance(op, ast.LShift) and isinstance(b, int) and _bits(a) + b > MAX_INT_BITS:
        raise Failed("bad_value", "shift too large")
    if isinstance(op, ast.Mult):
        if isinstance(a, int) and isinstance(b, int) and _bits(a) + _bits(b) > MAX_INT_BITS:
            raise Failed("bad_value", "product too large")
        for seq, n in ((a, b), (b, a)):
            if _size(seq) and isinstance(n, int) and _size(seq) * n > MAX_ITEMS:
                raise Failed("bad_value", "repetition too long")
    if isinstance(op, ast.Add) and _size(a) + _size(b) > MAX_ITEMS:
        raise Failed("bad_value", "concatenation too long")


def _fold(node: ast.expr, depth: int) -> Any:
    """The value of a literal arithmetic expression with Python's semantics (what upstream's ``eval`` of a
    binary operation gives when its operands are literals); ``Failed`` for anything else."""
    if depth > MAX_DEPTH:
        raise Failed("too_deep", "expression nested too deeply")
    d = depth + 1
    if isinstance(node, ast.Constant):
        if node.value is None or isinstance(node.value, str | bool | int | float):
            return node.value
        raise Failed("bad_value", f"unsupported constant of type {type(node.value).__name__}")
    if isinstance(node, ast.List):
        return [_fold(e, d) for e in node.elts]
    if isinstance(node, ast.Tuple):
        return tuple(_fold(e, d) for e in node.elts)
    if isinstance(node, ast.Dict) and all(k is not None for k in node.keys):
        return {
            _fold(k, d): _fold(v, d) for k, v in zip(node.keys, node.values, strict=True) if k is not None
        }
    try:
        if isinstance(node, ast.UnaryOp):
            return _UNARY[type(node.op)](_fold(node.operand, d))
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            a, b = _fold(node.left, d), _fold(node.right, d)
            _guard_binop(node.op, a, b)
            out = _BINOPS[type(node.op)](a, b)
            if _bits(out) > MAX_INT_BITS or _size(out) > MAX_ITEMS or isinstance(out, complex):
                raise Failed("bad_value", "result too large or complex")
            return out
    except (TypeError, ValueError, ZeroDivisionError, OverflowError, KeyError) as exc:
        raise Failed("bad_value", f"{type(exc).__name__}: {exc}") from None
    except (RecursionError, MemoryError):
        raise Failed("too_deep", "expression too complex") from None
    raise Failed("bad_value", f"unsupported expression {type(node).__name__} in arithmetic")


def _string_keys(value: Any) -> Any:
    """``value`` after checking that every dict in it has string keys (others are not reproduced)."""
    if isinstance(value, list | tuple):
        for v in value:
            _string_keys(v)
    elif isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise Failed("bad_value", "dict keys must be strings")
        for v in value.values():
            _string_keys(v)
    return value


def _call_name(func: ast.expr) -> str:
    """Upstream's name of a called expression: the attribute chain and the name at its root."""
    parts: list[str] = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
    return ".".join(reversed(parts))


def upstream_value(node: ast.expr, plus_is_minus: bool = True, depth: int = 0) -> Any:
    """An argument value as upstream's ``resolve_ast_by_type`` reads it (see the module docstring)."""
    if depth > MAX_DEPTH:
        raise Failed("too_deep", "expression nested too deeply")
    d = depth + 1
    if isinstance(node, ast.Constant):
        v = node.value
        if v is Ellipsis:
            return "..."
        if v is None or isinstance(v, str | bool | int | float):
            return v
        raise Failed("bad_value", f"unsupported constant of type {type(v).__name__}")
    if isinstance(node, ast.UnaryOp):
        inner = node.operand.value if isinstance(node.operand, ast.Constant) else None
        if not isinstance(inner, bool | int | float):
            raise Failed("bad_value", "a unary operator applies to a constant number only")
        return +inner if isinstance(node.op, ast.UAdd) and not plus_is_minus else -inner
    if isinstance(node, ast.List):
        return [upstream_value(e, plus_is_minus, d) for e in node.elts]
    if isinstance(node, ast.Tuple):
        return tuple(upstream_value(e, plus_is_minus, d) for e in node.elts)
    if isinstance(node, ast.Dict):
        return read_dict(node, lambda n: upstream_value(n, plus_is_minus, d))
    if isinstance(node, ast.BinOp):
        return _string_keys(_fold(node, d))
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Call):
        if not node.keywords:
            return ast.unparse(node)
        args: dict[str, Any] = {}
        for kw in node.keywords:
            if kw.arg is None:
                raise Failed("bad_value", "'**' unpacking in a call")
            args[kw.arg] = upstream_value(kw.value, plus_is_minus, d)
        return {_call_name(node.func): args}
    if isinstance(node, ast.Subscript):
        return ast.unparse(node.value) + "[" + ast.unparse(node.slice) + "]"
    raise Failed("bad_value", f"unsupported expression {type(node).__name__}")


def _dotted(node: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def calls_from_nodes(
    elts: Sequence[ast.expr], text: str, docs: Sequence[ToolDoc], read: ValueReader, positional: bool
) -> ParseResult:
    """Calls of the decoded expressions ``elts`` (keyword arguments; positional ones named by the doc's
    parameter order when ``positional``, else dropped), values read with ``read``."""
    if not elts:
        return ParseResult(failure=ParseFailure("no_call", "empty call list", text[:200]))
    if len(elts) > MAX_CALLS:
        return ParseResult(failure=ParseFailure("too_many_calls", f"more than {MAX_CALLS} calls", text[:200]))
    by_name = {d.name: d for d in docs}
    src = _Source(text)
    calls: list[ToolCall] = []
    try:
        for elt in elts:
            name = _dotted(elt.func) if isinstance(elt, ast.Call) else None
            if name is None or not isinstance(elt, ast.Call):
                return ParseResult(failure=ParseFailure("not_call", "list element is not a call", text[:200]))
            args: dict[str, Any] = {}
            if positional and elt.args:
                order = by_name[name].param_names if name in by_name else ()
                for i, arg in enumerate(elt.args):
                    args[order[i] if i < len(order) else f"_{i}"] = read(arg)
            for kw in elt.keywords:
                if kw.arg is None:
                    return ParseResult(failure=ParseFailure("bad_call", "'**' unpacking", text[:200]))
                args[kw.arg] = read(kw.value)
            calls.append(ToolCall(name=name, arguments=args, raw=src.segment(elt)))
    except Failed as exc:
        return ParseResult(failure=exc.failure)
    except (RecursionError, MemoryError):
        return ParseResult(failure=ParseFailure("too_deep", "expression too complex", text[:200]))
    return ParseResult(calls=tuple(calls))


def decode_upstream(
    text: object, docs: Sequence[ToolDoc] = (), *, positional: bool = False, unary_plus: bool = False
) -> ParseResult:
    """BFCL's prompting decoder (module docstring). Never raises.

    ``positional`` names positional arguments by the doc's parameter order (upstream drops them);
    ``unary_plus`` reads ``+x`` as ``x`` (upstream: ``-x``).
    """
    if not isinstance(text, str):
        return ParseResult(failure=ParseFailure("not_text", "output is not a string"))
    if len(text) > MAX_OUTPUT:
        return ParseResult(failure=ParseFailure("too_long", f"output longer than {MAX_OUTPUT} characters"))
    body = text.strip("`\n ")
    if not body.startswith("["):
        body = "[" + body
    if not body.endswith("]"):
        body = body + "]"
    body = body.strip("[]'")
    try:
        node = ast.parse(body, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return ParseResult(failure=ParseFailure("bad_syntax", str(exc)[:200], text[:200]))
    if isinstance(node, ast.Call):
        elts: list[ast.expr] = [node]
    elif isinstance(node, ast.List | ast.Tuple | ast.Set):
        elts = list(node.elts)
    else:
        return ParseResult(failure=ParseFailure("not_call", "not a call or a list of calls", text[:200]))

    def read(value: ast.expr) -> Any:
        return upstream_value(value, plus_is_minus=not unary_plus)

    return calls_from_nodes(elts, body, docs, read, positional)


def read_literal_calls(text: str, docs: Sequence[ToolDoc]) -> ParseResult:
    """Calls of ``f(a=1)`` / ``[f(a=1), ...]`` with Python-literal values, constant arithmetic folded and
    positional arguments named by doc order (how gold call strings are read)."""
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return ParseResult(failure=ParseFailure("bad_syntax", str(exc)[:200], text[:200]))
    elts = list(node.elts) if isinstance(node, ast.List | ast.Tuple) else [node]
    return calls_from_nodes(elts, text.strip(), docs, literal_value, positional=True)
