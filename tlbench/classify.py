"""The single error classifier (placeholder: being written)."""

from __future__ import annotations

from collections.abc import Sequence

from tlbench.types import CallVerdict, ErrorKind, ToolCall, ToolDoc


def check_against_docs(call: ToolCall, docs: Sequence[ToolDoc]) -> CallVerdict:
    """Documentation-only checks of one call."""
    raise NotImplementedError


def classify_feedback(text: str) -> ErrorKind:
    """Map an execution feedback text to an execution category."""
    raise NotImplementedError
