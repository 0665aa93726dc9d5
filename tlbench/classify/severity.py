"""The severity order of the error taxonomy: a turn's headline is its most severe call kind.

::

    UNPARSABLE > TOOL_HALLUCINATION > WRONG_TOOL > PARAMETER_HALLUCINATION > MISSING_PARAMETER
    > REDUNDANT_PARAMETER > TYPE_MISMATCH > CONTENT_ERROR > TOOL_CALL_FAILURE > TOOL_INSTABILITY > OTHER > CORRECT

``RANK`` and ``BY_RANK`` are the lookup tables the classifier's inner loops read directly (a dict lookup, not a
call); other callers use :func:`severity_rank` and :func:`most_severe` (from :mod:`tlbench.classify`).
"""

from __future__ import annotations

from collections.abc import Sequence

from tlbench.types import ErrorKind

__all__ = ["SEVERITY", "severity_rank", "most_severe"]

#: Every ErrorKind, most severe first. The turn headline and ``CallVerdict.kinds`` follow this order.
SEVERITY: tuple[ErrorKind, ...] = (
    ErrorKind.UNPARSABLE,
    ErrorKind.TOOL_HALLUCINATION,
    ErrorKind.WRONG_TOOL,
    ErrorKind.PARAMETER_HALLUCINATION,
    ErrorKind.MISSING_PARAMETER,
    ErrorKind.REDUNDANT_PARAMETER,
    ErrorKind.TYPE_MISMATCH,
    ErrorKind.CONTENT_ERROR,
    ErrorKind.TOOL_CALL_FAILURE,
    ErrorKind.TOOL_INSTABILITY,
    ErrorKind.OTHER,
    ErrorKind.CORRECT,
)
#: ErrorKind -> rank: 0 for CORRECT, 11 for UNPARSABLE.
RANK: dict[ErrorKind, int] = {kind: len(SEVERITY) - 1 - i for i, kind in enumerate(SEVERITY)}
#: rank -> ErrorKind.
BY_RANK: tuple[ErrorKind, ...] = tuple(reversed(SEVERITY))


def severity_rank(kind: ErrorKind) -> int:
    """0 for CORRECT, growing with severity (UNPARSABLE is the largest)."""
    return RANK[kind]


def most_severe(kinds: Sequence[ErrorKind] | set[ErrorKind]) -> ErrorKind:
    """The most severe of ``kinds`` (CORRECT when empty)."""
    return max(kinds, key=RANK.__getitem__, default=ErrorKind.CORRECT)


def ordered(kinds: set[ErrorKind]) -> tuple[ErrorKind, ...]:
    """``kinds`` most severe first (the order of ``CallVerdict.kinds``)."""
    return tuple(sorted(kinds, key=RANK.__getitem__, reverse=True))
