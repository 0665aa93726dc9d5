"""Tool-name tokens and the paper's Table 1 sub-types of a wrong tool (first token vs shared prefix)."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from tlbench.types import WrongToolKind

__all__ = ["name_tokens", "wrong_tool_kind"]

_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


@functools.lru_cache(maxsize=8192)  # tool names repeat across a benchmark: tokenise each once
def name_tokens(name: str) -> tuple[str, ...]:
    """Split a tool name into lower-case tokens on ``_ . - /`` spaces, camelCase and digit boundaries.

    >>> name_tokens("getWeatherData_v2")
    ('get', 'weather', 'data', 'v', '2')
    """
    return tuple(m.group(0).lower() for m in _CAMEL.finditer(name))


def _common_prefix(a: Sequence[str], b: Sequence[str]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def wrong_tool_kind(pred_name: str, gold_names: Sequence[str]) -> tuple[WrongToolKind, str]:
    """Table 1 sub-type of a wrong tool, against the closest gold name (longest shared token prefix).

    FIRST_TOKEN when even the first token differs from the closest gold name, SHARED_PREFIX otherwise.
    Returns the sub-type and the gold name compared with.
    """
    pt = name_tokens(pred_name)
    best_name, best_len = (gold_names[0] if gold_names else ""), -1
    for g in gold_names:
        n = _common_prefix(pt, name_tokens(g))
        if n > best_len:
            best_name, best_len = g, n
    kind = WrongToolKind.SHARED_PREFIX if best_len > 0 else WrongToolKind.FIRST_TOKEN
    return kind, best_name
