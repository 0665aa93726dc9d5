"""Shared machinery of the format parsers: input limits, a linear bracket scanner, guarded JSON decoding.

Why a scanner: model output is prose with a JSON value somewhere in it. Finding "the first balanced JSON
value" with ``json.loads`` on every suffix would be quadratic, and ``json``/``ast`` can hit RecursionError
or MemoryError on deep nesting. So every parser first locates candidates with one regex-driven pass that
jumps between structural characters (brackets and string quotes), measures the nesting depth on the way,
and hands only a bounded, balanced slice to ``json.loads``. Every step is linear in the input length.

Limits (documented, applied by :func:`guarded` to every public parser):

* ``MAX_CHARS`` = 2,000,000 characters: longer input is rejected with ``ParseFailure("too_long")``
  (not truncated: a truncated call would be scored as if the model had written it).
* ``MAX_DEPTH`` = 100 nested brackets inside a candidate value: deeper gives ``ParseFailure("too_deep")``.
* Integers longer than CPython's 4,300-digit limit give ``ParseFailure("bad_json")`` / ``("bad_value")``.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from tlbench.types import ParseFailure, ParseResult, ToolCall, ToolDoc, canonical_json

__all__ = [
    "MAX_CHARS",
    "MAX_DEPTH",
    "Failed",
    "Span",
    "fail",
    "guarded",
    "scan_balanced",
    "max_depth",
    "too_deep",
    "load_json",
    "load_json_text",
    "fast_decode",
    "iter_json_values",
    "call_from_obj",
    "looks_like_call",
    "doc_for",
    "gc_paused",
    "arguments_from",
    "result_from_calls",
    "finish_answer",
]

MAX_CHARS = 2_000_000
MAX_DEPTH = 100

#: Structural tokens of JSON text: a complete string, a lone (unterminated) quote, or a bracket.
#: The string alternative is the "unrolled loop" form, linear even when the string never closes.
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|["{}\[\]]', re.DOTALL)
#: The same for Python source: single- or double-quoted strings and all three bracket kinds.
_PY_TOKEN = re.compile(
    r'"[^"\\]*(?:\\.[^"\\]*)*"|\'[^\'\\]*(?:\\.[^\'\\]*)*\'|["\'(){}\[\]]',
    re.DOTALL,
)
_OPEN = {"{": "}", "[": "]", "(": ")"}
_CLOSE = frozenset("}])")
#: Reused decoders: ``json.loads(text, strict=...)`` builds a new decoder per call (measured: 4 us vs 1 us).
_DECODERS = {False: json.JSONDecoder(strict=False), True: json.JSONDecoder(strict=True)}


class Failed(Exception):
    """Internal control flow: a parser step gave up; carries the ParseFailure to return."""

    def __init__(self, reason: str, message: str = "", raw: str = "") -> None:
        super().__init__(message or reason)
        self.failure = ParseFailure(reason, message, raw[:2000])


def fail(reason: str, message: str = "", raw: str = "") -> ParseResult:
    """A ParseResult holding only a failure (``raw`` is clipped to 2,000 characters for reports)."""
    return ParseResult(failure=ParseFailure(reason, message, raw[:2000]))


@dataclass(frozen=True, slots=True)
class Span:
    """A balanced bracketed region ``text[start:end]`` found by :func:`scan_balanced`.

    ``depth`` is its deepest nesting, or -1 when :func:`fast_decode` found it (then it is only known to be
    within ``MAX_DEPTH``).
    """

    start: int
    end: int
    depth: int


F = TypeVar("F", bound=Callable[..., ParseResult])


def guarded(allow_mapping: bool = False) -> Callable[[F], F]:
    """Wrap a parser so that it never raises and never sees non-text or oversized input.

    Non-``str`` input gives ``ParseFailure("not_text")`` (a ``Mapping`` passes through when
    ``allow_mapping``: the openai parser accepts a message dict), more than ``MAX_CHARS`` characters gives
    ``"too_long"``, blank text gives ``"empty"``. ``Failed`` raised inside becomes its failure; any other
    exception becomes ``"internal_error"`` - a bug that the fuzz tests look for, never a crash of the caller.
    """

    def deco(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(text: object, *args: Any, **kwargs: Any) -> ParseResult:
            if type(text) is not str and allow_mapping and isinstance(text, Mapping):
                pass
            elif not isinstance(text, str):
                return fail("not_text", f"expected a string, got {type(text).__name__}")
            elif len(text) > MAX_CHARS:
                return fail("too_long", f"{len(text)} characters (limit {MAX_CHARS})")
            elif not text.strip():
                return fail("empty", "blank output", text)
            try:
                return fn(text, *args, **kwargs)
            except Failed as exc:
                return ParseResult(failure=exc.failure)
            except (RecursionError, MemoryError) as exc:
                return fail("too_deep", f"{type(exc).__name__} while parsing")
            except Exception as exc:  # noqa: BLE001 - the contract is "never raises"; tests hunt this reason
                return fail("internal_error", f"{type(exc).__name__}: {exc}")

        return wrapper  # type: ignore[return-value]

    return deco


#: Above this many characters, :func:`gc_paused` suspends the cyclic garbage collector.
GC_PAUSE_CHARS = 65_536


@contextlib.contextmanager
def gc_paused(size: int) -> Iterator[None]:
    """Suspend the cyclic GC while ``ast.parse`` builds a large tree.

    Why: building hundreds of thousands of AST nodes triggers repeated full collections that make parsing
    super-linear (measured: 0.08 s -> 0.64 s for 0.25 -> 1 MB of calls; linear with the GC paused). AST
    nodes hold no reference cycles, so reference counting frees them. Only done for large inputs, and the
    previous GC state is always restored.
    """
    if size < GC_PAUSE_CHARS or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def scan_balanced(text: str, start: int, python: bool = False) -> Span:
    """The balanced bracketed value opening at ``text[start]`` (which must be ``{``, ``[`` or ``(``).

    Strings are skipped (JSON double quotes, or Python single/double quotes when ``python``), so brackets
    inside them do not count. Raises ``Failed("too_deep")`` past ``MAX_DEPTH``, ``Failed("unterminated")``
    when the text ends first, ``Failed("bad_json")`` on a mismatched closing bracket. Linear time.
    """
    token = _PY_TOKEN if python else _JSON_TOKEN
    stack: list[str] = []
    deepest = 0
    for m in token.finditer(text, start):
        tok = m.group()
        if tok in _OPEN:
            stack.append(_OPEN[tok])
            if len(stack) > MAX_DEPTH:
                raise Failed("too_deep", f"more than {MAX_DEPTH} nested brackets", text[start : start + 200])
            deepest = max(deepest, len(stack))
        elif tok in _CLOSE:
            if not stack or stack.pop() != tok:
                raise Failed("bad_json", f"mismatched {tok!r} at offset {m.start()}", text[start : m.end()])
            if not stack:
                return Span(start, m.end(), deepest)
        elif len(tok) == 1:  # a lone quote: a string that never closes
            raise Failed("unterminated", "unterminated string", text[start:])
    raise Failed("unterminated", "unbalanced brackets: the output ends inside a value", text[start:])


def max_depth(text: str, python: bool = True) -> int:
    """The deepest bracket nesting in ``text`` (strings skipped, stops counting past ``MAX_DEPTH + 1``)."""
    token = _PY_TOKEN if python else _JSON_TOKEN
    depth = deepest = 0
    for m in token.finditer(text):
        tok = m.group()
        if tok in _OPEN:
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_DEPTH:
                    return deepest
        elif tok in _CLOSE:
            depth = max(0, depth - 1)
    return deepest


def fast_decode(text: str, at: int, strict: bool = False) -> tuple[Any, int] | None:
    """The JSON value starting at ``text[at]`` and its end, decoded in C - or None: use the scanner.

    The fast path of every parser: one ``raw_decode`` (linear, C speed) where the scanner would walk the
    tokens in Python first. It only answers when the answer is the scanner's: the value decodes and its
    slice has at most ``MAX_DEPTH`` opening brackets (so it cannot be too deep). Any other case - invalid
    JSON, a deep or huge value - returns None and the caller takes the precise path, which finds the span
    and the exact failure reason.
    """
    try:
        value, end = _DECODERS[strict].raw_decode(text, at)
    except (ValueError, RecursionError):
        return None
    if text.count("{", at, end) + text.count("[", at, end) > MAX_DEPTH:
        return None
    return value, end


def too_deep(text: str, python: bool = True) -> bool:
    """``max_depth(text) > MAX_DEPTH``, answered from the bracket count alone when that is small enough.

    At most ``MAX_DEPTH`` opening brackets in all (strings included) cannot nest deeper than that, so the
    usual short output costs two or three ``str.count`` calls instead of a token walk.
    """
    openers = text.count("[") + text.count("{") + (text.count("(") if python else 0)
    return openers > MAX_DEPTH and max_depth(text, python) > MAX_DEPTH


def load_json_text(text: str, strict: bool = False) -> Any:
    """``json.loads`` of a slice already known to be depth-bounded; every decoding error becomes ``Failed``.

    ``strict=False`` tolerates raw control characters (newlines, NUL) inside strings, as models print them.
    Over-long integers (CPython's 4,300-digit cap) raise ValueError, reported as ``bad_json``.
    """
    try:
        return _DECODERS[strict].decode(text)
    except RecursionError:
        raise Failed("too_deep", "nesting too deep for the JSON decoder", text) from None
    except ValueError as exc:  # JSONDecodeError is a ValueError; so is the int-digits limit
        raise Failed("bad_json", str(exc)[:200], text) from None


def load_json(text: str, strict: bool = False) -> Any:
    """Decode ``text`` that should be one JSON value (surrounding whitespace allowed), depth-checked first."""
    body = text.strip()
    if body[:1] in ("{", "["):
        fast = fast_decode(body, 0, strict)
        if fast is not None and fast[1] == len(body):
            return fast[0]
        span = scan_balanced(body, 0)
        if body[span.end :].strip():
            raise Failed("bad_json", "text after the JSON value", body)
    return load_json_text(body, strict=strict)


def iter_json_values(text: str, start: int = 0) -> Iterator[tuple[Any, Span, Failed | None]]:
    """Yield ``(value, span, error)`` for each top-level JSON object/array found in prose, left to right.

    A candidate that is balanced but not valid JSON comes with ``value=None`` and its ``error``; scanning
    resumes after it, so the total work stays linear. An unterminated, mismatched or too-deep candidate
    ends the scan by raising ``Failed``.
    """
    pos = start
    n = len(text)
    # cached next positions (-1: none left), so that each find only covers text not searched before
    brace = text.find("{", pos)
    bracket = text.find("[", pos)
    while pos < n:
        if 0 <= brace < pos:
            brace = text.find("{", pos)
        if 0 <= bracket < pos:
            bracket = text.find("[", pos)
        if brace < 0 and bracket < 0:
            return
        at = brace if bracket < 0 else bracket if brace < 0 else min(brace, bracket)
        fast = fast_decode(text, at)
        if fast is not None:
            yield fast[0], Span(at, fast[1], -1), None
            pos = fast[1]
            continue
        span = scan_balanced(text, at)
        try:
            yield load_json_text(text[span.start : span.end]), span, None
        except Failed as exc:
            yield None, span, exc
        pos = span.end


def arguments_from(value: Any, raw: str = "") -> dict[str, Any]:
    """Call arguments from a decoded ``arguments``/``parameters`` field.

    A dict is taken as is; a string is decoded as JSON (OpenAI encodes arguments as a JSON string; an empty
    string means no arguments); ``None`` is no arguments. Anything else is ``Failed("not_object")``.
    """
    if value is None:
        return {}
    if isinstance(value, str):
        if not value.strip():
            return {}
        value = load_json(value)
    if not isinstance(value, Mapping):
        raise Failed("not_object", f"arguments must be an object, got {type(value).__name__}", raw)
    return dict(value)


def call_from_obj(obj: Any, raw: str, keys: Sequence[str] = ("arguments", "parameters")) -> ToolCall:
    """A ToolCall from ``{"name", "arguments"|"parameters"}`` or ``{"function": {...}}`` (OpenAI nesting).

    ``keys`` says which argument field names are accepted, in order of preference. Raises ``Failed`` with
    ``not_call`` (no name), ``bad_name`` (name not a non-empty string) or ``not_object`` (bad arguments).
    """
    if not isinstance(obj, Mapping):
        raise Failed("not_call", f"expected a call object, got {type(obj).__name__}", raw)
    if "name" not in obj and isinstance(obj.get("function"), Mapping):
        obj = obj["function"]
    if "name" not in obj:
        raise Failed("not_call", "object has no 'name'", raw)
    name = obj["name"]
    if not isinstance(name, str) or not name.strip():
        raise Failed("bad_name", f"tool name must be a non-empty string, got {name!r}"[:200], raw)
    args: Any = None
    for key in keys:
        if key in obj:
            args = obj[key]
            break
    return ToolCall(name=name.strip(), arguments=arguments_from(args, raw), raw=raw)


def looks_like_call(obj: Any) -> bool:
    """True for a dict with a ``name`` (or an OpenAI ``function`` wrapper): a call attempt, not data."""
    return isinstance(obj, Mapping) and ("name" in obj or isinstance(obj.get("function"), Mapping))


def finish_answer(call: ToolCall) -> str:
    """The final answer carried by a finish call: ``answer`` / ``final_answer`` (ToolLLaMA), as text."""
    for key in ("answer", "final_answer", "response"):
        if key in call.arguments:
            value = call.arguments[key]
            return value if isinstance(value, str) else canonical_json(value)
    return ""


def result_from_calls(calls: Sequence[ToolCall], thought: str = "") -> ParseResult:
    """A ParseResult for ``calls``; ``final_answer`` is set when the first finish call is among them."""
    if not calls:
        return fail("no_call", "no tool call found")
    answer = None
    for c in calls:
        if c.is_finish:
            answer = finish_answer(c)
            break
    return ParseResult(calls=tuple(calls), final_answer=answer, thought=thought)


def doc_for(name: str, docs: Sequence[ToolDoc] | None) -> ToolDoc | None:
    """The doc named ``name`` (exact, then with dots as underscores as BFCL providers rename)."""
    if not docs:
        return None
    alt = name.replace(".", "_")
    found = None
    for doc in docs:
        if not isinstance(doc, ToolDoc):
            continue
        if doc.name == name:
            return doc
        if found is None and doc.name.replace(".", "_") == alt:
            found = doc
    return found
