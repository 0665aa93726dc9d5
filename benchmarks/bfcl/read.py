"""A model output to calls: BFCL's prompting decoder (upstream), the shared python parser (``python_parser``)
or the shared parser of another format.
"""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks.base import Item
from benchmarks.bfcl.repairs import UPSTREAM, Repairs
from benchmarks.bfcl_decode import decode_upstream as _decode
from tlbench.errors import UsageError
from tlbench.types import ParseFailure, ParseResult, ToolDoc


def decode_upstream(text: object, docs: Sequence[ToolDoc] = (), repairs: Repairs = UPSTREAM) -> ParseResult:
    """BFCL's prompting decoder (:mod:`benchmarks.bfcl_decode`); ``repairs`` may name positional arguments
    and read ``+x`` as ``x``. Never raises."""
    return _decode(text, docs, positional=repairs.positional, unary_plus=repairs.unary_plus)


def read_output(output: object, item: Item, repairs: Repairs, fmt: str | None) -> ParseResult:
    docs = list(item.tools)
    if fmt in (None, "python"):
        if not repairs.python_parser:
            return decode_upstream(output, docs, repairs)
        from tlbench.parsers.python_format import parse_python

        if not isinstance(output, str):
            return ParseResult(failure=ParseFailure("not_text", "output is not a string"))
        return parse_python(
            output,
            docs,
            positional="map" if repairs.positional else "drop",
            unary_plus="plus" if repairs.unary_plus else "minus",
        )
    from tlbench.parsers import parse

    try:
        return parse(output, fmt, docs)
    except NotImplementedError:
        raise UsageError(f"the {fmt!r} parser is not available yet") from None
