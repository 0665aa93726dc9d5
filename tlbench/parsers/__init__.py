"""Safe parsers for every tool-call output format (placeholder: being written).

Contract: ``parse(text, fmt, docs=None) -> ParseResult`` never raises, uses only ``json``/``ast``.
"""

from __future__ import annotations

from collections.abc import Sequence

from tlbench.types import ParseResult, ToolDoc

FORMATS = ("react", "json", "python", "qwen", "llama3", "glm", "openai")


def parse(text: object, fmt: str, docs: Sequence[ToolDoc] | None = None) -> ParseResult:
    """Parse one model output in format ``fmt``."""
    raise NotImplementedError
