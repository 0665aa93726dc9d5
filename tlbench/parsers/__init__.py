"""Safe parsers for every tool-call output format, selected by name.

::

    from tlbench.parsers import parse, FORMATS, PARSERS
    result = parse(model_output, "react", docs)     # -> ParseResult, never raises on any output

One module per format (``react``, ``json_format`` for ``json``/``llama3``, ``python_format``, ``qwen``,
``glm``, ``openai_format``); the shared scanner, limits and guards live in ``_util`` and the safe literal
evaluator in ``_literal``. Output is read with :mod:`json` and :mod:`ast` only: nothing a model writes is
ever evaluated. Each module docstring states its format's rules, including what counts as a final answer:

========  =====================================================================================
format    output with no call at all
========  =====================================================================================
react     ``Final Answer: ...`` -> final answer; anything else -> ``ParseFailure("no_call")``
json      final answer, unless it looks like a broken call (starts with ``{``/``[``/fence)
python    final answer, unless it starts like a call (``[`` or ``name(``)
qwen      final answer (no ``<tool_call>`` block)
llama3    final answer, unless it looks like a broken call
glm       final answer (first line not ``name`` + JSON object after it)
openai    the message ``content``; text not starting with ``{`` is taken as content
========  =====================================================================================

Input limits (all formats): non-``str`` input -> ``ParseFailure("not_text")`` (``openai`` also takes a
message dict), more than ``MAX_CHARS`` (2,000,000) characters -> ``"too_long"``, blank -> ``"empty"``,
more than ``MAX_DEPTH`` (100) nested brackets -> ``"too_deep"``. Time is linear in the input length.
An unknown format name is a caller error: :class:`tlbench.errors.UsageError`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tlbench.errors import UsageError
from tlbench.parsers._util import MAX_CHARS, MAX_DEPTH
from tlbench.parsers.glm import parse_glm
from tlbench.parsers.json_format import parse_json, parse_llama3
from tlbench.parsers.openai_format import parse_openai
from tlbench.parsers.python_format import parse_python
from tlbench.parsers.qwen import parse_qwen
from tlbench.parsers.react import parse_react
from tlbench.registry import Registry
from tlbench.types import ParseResult, ToolDoc

__all__ = [
    "FORMATS",
    "PARSERS",
    "MAX_CHARS",
    "MAX_DEPTH",
    "Parser",
    "parse",
    "parse_react",
    "parse_json",
    "parse_python",
    "parse_qwen",
    "parse_llama3",
    "parse_glm",
    "parse_openai",
]

#: A parser: ``(text, docs) -> ParseResult``; never raises.
Parser = Callable[[object, Sequence[ToolDoc] | None], ParseResult]

FORMATS: tuple[str, ...] = ("react", "json", "python", "qwen", "llama3", "glm", "openai")

PARSERS: Registry[Parser] = Registry("output format")
PARSERS.add("react", parse_react)
PARSERS.add("json", parse_json)
PARSERS.add("python", parse_python)
PARSERS.add("qwen", parse_qwen, "hermes")
PARSERS.add("llama3", parse_llama3)
PARSERS.add("glm", parse_glm)
PARSERS.add("openai", parse_openai)


def parse(text: object, fmt: str, docs: Sequence[ToolDoc] | None = None) -> ParseResult:
    """Parse one model output written in format ``fmt``.

    Never raises for any ``text`` (non-text, huge or adversarial input gives a ``ParseFailure``); an
    unknown ``fmt`` raises :class:`UsageError`. ``docs`` lets the ``python`` format name positional
    arguments by documentation order; the other formats ignore it. Lenient defaults throughout: use
    :func:`parse_react` with ``strict=True`` or :func:`parse_python` with its options for upstream-exact
    scorers.
    """
    if not isinstance(fmt, str):
        raise UsageError(f"output format must be a string, got {type(fmt).__name__}")
    return PARSERS.get(fmt)(text, docs)
