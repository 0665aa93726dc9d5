"""The ``python`` format: call syntax as BFCL, TL-CodeLLaMA and NexusRaven print it.

Accepted shapes (read with :mod:`ast`, values folded by :mod:`tlbench.parsers._literal`, never executed)::

    get_weather(city='Paris', days=2)             one call
    [f(a=1), g(b=2)]                              BFCL list (a tuple works too)
    f(a=1); g(b=2)   /  one call per line         several statements
    math.sqrt(x=2)                                dotted names are kept as written ("math.sqrt")
    ```python\\n[f(a=1)]\\n```                     a fenced block: its content is parsed
    Call: f(a=1)\\nThought: ...                    NexusRaven-v2 prefix (text after "Thought:" is the thought)
    finish(answer='42')                           a finish call; ``final_answer`` is set to its answer

Choices (documented contract):

* Positional arguments: ``positional="map"`` (default) names them by the documented parameter order of the
  tool in ``docs``; positions beyond the documented ones, or with no doc for the tool, get the keys ``"_0"``,
  ``"_1"`` ... so the classifier reports them as hallucinated parameters instead of the parser guessing.
  ``"drop"`` ignores them (BFCL's upstream decoder), ``"error"`` fails with ``"positional"``.
* ``unary_plus="minus"`` reproduces BFCL's upstream decoder, which decodes ``+x`` as ``-x``.
* Text that is not a call attempt (it does not start with ``[`` or ``name(`` - no space - after the prefixes above) is a
  final answer (unless it parses as Python code containing a call: ``x = f()`` is ``"not_call"``); a
  ``Final Answer:`` line is one too. A call attempt that does not parse is
  ``ParseFailure("bad_syntax")``; an empty list ``[]`` is ``ParseFailure("no_call")``.
* Calls whose callee is not a plain dotted name (``__import__('os').system(...)``, ``f()()``), ``*args``,
  ``**kwargs`` and non-literal values (names, nested calls, string arithmetic) are ``ParseFailure``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from typing import Literal

from tlbench.parsers._literal import UnaryPlus, literal_value
from tlbench.parsers._util import (
    MAX_DEPTH,
    Failed,
    doc_for,
    fail,
    gc_paused,
    guarded,
    result_from_calls,
    too_deep,
)
from tlbench.types import ParseResult, ToolCall, ToolDoc

__all__ = ["parse_python", "Positional"]

Positional = Literal["map", "drop", "error"]

_CALL_START = re.compile(r"\s*(?:\[|[A-Za-z_][\w.]*\()")
_FENCE = "```"


class _Source:
    """Slices the source text of AST nodes in linear total time (col offsets are UTF-8 byte offsets)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines(keepends=True)
        self._bytes: dict[int, bytes] = {}

    def _col(self, lineno: int, col: int) -> int:
        line = self.lines[lineno - 1]
        if line.isascii():
            return col
        data = self._bytes.get(lineno)
        if data is None:
            data = self._bytes[lineno] = line.encode("utf-8", "surrogatepass")
        return len(data[:col].decode("utf-8", "replace"))

    def segment(self, node: ast.expr) -> str:
        end_line, end_col = node.end_lineno, node.end_col_offset
        if end_line is None or end_col is None or node.lineno > len(self.lines):
            return ""
        start = self._col(node.lineno, node.col_offset)
        stop = self._col(end_line, end_col)
        if node.lineno == end_line:
            return self.lines[node.lineno - 1][start:stop]
        parts = [self.lines[node.lineno - 1][start:]]
        parts.extend(self.lines[node.lineno : end_line - 1])
        parts.append(self.lines[end_line - 1][:stop])
        return "".join(parts)


def _dotted(func: ast.expr) -> str:
    """``a.b.c`` for a Name/Attribute chain; anything else is not a callable we accept."""
    parts: list[str] = []
    node = func
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        raise Failed("bad_call", f"callee {type(node).__name__} is not a plain (dotted) name")
    parts.append(node.id)
    return ".".join(reversed(parts))


def _to_call(
    node: ast.Call,
    src: _Source,
    docs: Sequence[ToolDoc] | None,
    positional: Positional,
    unary_plus: UnaryPlus,
) -> ToolCall:
    name = _dotted(node.func)
    raw = src.segment(node)
    args: dict[str, object] = {}
    if node.args:
        if positional == "error":
            raise Failed("positional", f"{name}: positional arguments are not accepted", raw)
        if positional == "map":
            doc = doc_for(name, docs)
            order = doc.param_names if doc is not None else ()
            for i, arg in enumerate(node.args):
                if isinstance(arg, ast.Starred):
                    raise Failed("bad_call", "'*' unpacking in a call", raw)
                key = order[i] if i < len(order) else f"_{i}"
                args[key] = literal_value(arg, unary_plus)
        elif any(isinstance(a, ast.Starred) for a in node.args):
            raise Failed("bad_call", "'*' unpacking in a call", raw)
    for kw in node.keywords:
        if kw.arg is None:
            raise Failed("bad_call", "'**' unpacking in a call", raw)
        if kw.arg in args:
            raise Failed("bad_call", f"{name}: multiple values for argument {kw.arg!r}", raw)
        args[kw.arg] = literal_value(kw.value, unary_plus)
    return ToolCall(name=name, arguments=args, raw=raw)


def _strip_wrappers(text: str) -> tuple[str, str]:
    """Remove a code fence and a NexusRaven ``Call:`` prefix; returns (code, thought)."""
    body = text
    thought = ""
    at = body.find(_FENCE)
    if at >= 0:
        end = body.find(_FENCE, at + 3)
        inner = body[at + 3 : end if end >= 0 else len(body)]
        first, nl, rest = inner.partition("\n")
        if nl and (not first.strip() or first.strip().replace("_", "").isalnum()):
            inner = rest  # drop a language tag such as "python" or "tool_code"
        thought = body[:at].strip()
        body = inner
    stripped = body.lstrip()
    if stripped.startswith("Call:"):
        body = stripped[5:]
        code, sep, after = body.partition("\nThought:")
        if sep:
            body, thought = code, after.strip()
    return body, thought


@guarded()
def parse_python(
    text: str,
    docs: Sequence[ToolDoc] | None = None,
    *,
    positional: Positional = "map",
    unary_plus: UnaryPlus = "plus",
) -> ParseResult:
    """Parse call-syntax output (see the module docstring for shapes and choices). Never raises."""
    with gc_paused(len(text)):  # the whole AST walk, not only ast.parse: see gc_paused
        return _parse(text, docs, positional, unary_plus)


def _parse(
    text: str, docs: Sequence[ToolDoc] | None, positional: Positional, unary_plus: UnaryPlus
) -> ParseResult:
    stripped = text.strip()
    if stripped.startswith("Final Answer:"):
        return ParseResult(final_answer=stripped[len("Final Answer:") :].strip())
    body, thought = _strip_wrappers(stripped)
    attempt = _CALL_START.match(body) is not None
    if too_deep(body):
        return fail("too_deep", f"more than {MAX_DEPTH} nested brackets", body)
    try:
        tree = ast.parse(body.strip(), mode="exec")
    except (SyntaxError, ValueError) as exc:  # ValueError: NUL bytes / int digit limit
        if attempt:
            return fail("bad_syntax", str(exc)[:200], body)
        return ParseResult(final_answer=stripped)
    src = _Source(body.strip())
    nodes: list[ast.Call] = []
    for stmt in tree.body:
        value = stmt.value if isinstance(stmt, ast.Expr) else None
        if isinstance(value, ast.Call):
            nodes.append(value)
        elif isinstance(value, ast.List | ast.Tuple) and all(isinstance(e, ast.Call) for e in value.elts):
            nodes.extend(e for e in value.elts if isinstance(e, ast.Call))
        elif attempt or any(isinstance(n, ast.Call) for n in ast.walk(stmt)):
            return fail("not_call", f"a {type(stmt).__name__} statement is not a tool call", body)
        else:
            return ParseResult(final_answer=stripped)
    if not nodes:
        return fail("no_call", "no tool call found", body)
    calls = [_to_call(n, src, docs, positional, unary_plus) for n in nodes]
    return result_from_calls(calls, thought)
