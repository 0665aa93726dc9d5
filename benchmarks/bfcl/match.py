"""TS / PI / CF of BFCL calls: order-free, one-to-one matching with parsed-value equality."""

from __future__ import annotations

import ast
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from benchmarks.bfcl.repairs import UPSTREAM, Repairs
from tlbench.types import ToolCall, ToolDoc

#: Relative tolerance of numeric value comparison in CF (execution uses exact ``==``).
REL_TOL = 1e-9


def _lambda_dump(text: str) -> str | None:
    s = text.strip()
    if not s.startswith("lambda") or len(s) > 1000:
        return None
    try:
        return ast.dump(ast.parse(s, mode="eval"))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def values_equal(a: Any, b: Any, _depth: int = 0) -> bool:
    """Parsed-value equality for CF: numbers numerically (rel. tol. 1e-9), bools only with bools, lambda
    strings by syntax tree, lists element-wise (tuples as lists), dicts key-wise."""
    if _depth > 100:
        return False
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b or math.isclose(a, b, rel_tol=REL_TOL, abs_tol=0.0)
    if isinstance(a, str) and isinstance(b, str):
        if a == b:
            return True
        da = _lambda_dump(a)
        return da is not None and da == _lambda_dump(b)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(values_equal(x, y, _depth + 1) for x, y in zip(a, b, strict=True))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return set(a) == set(b) and all(values_equal(a[k], b[k], _depth + 1) for k in a)
    return a is None and b is None


def _normalised(
    call: ToolCall, docs: Mapping[str, ToolDoc], drop: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Arguments with documented defaults (given equal to the default) and ``drop`` keys removed."""
    doc = docs.get(call.name)
    out: dict[str, Any] = {}
    for key, value in call.arguments.items():
        if key in drop:
            continue
        if doc is not None and key not in doc.required and key in doc.defaults:
            if values_equal(value, doc.defaults[key]):
                continue
        out[key] = value
    return out


def perfect_matching(n: int, ok: Sequence[Sequence[bool]]) -> list[int] | None:
    """A perfect matching (gold i -> pred match[i]) in an n x n compatibility table, or None (Kuhn)."""
    owner = [-1] * n

    def augment(i: int, seen: list[bool]) -> bool:
        for j in range(n):
            if ok[i][j] and not seen[j]:
                seen[j] = True
                if owner[j] < 0 or augment(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    for i in range(n):
        if not augment(i, [False] * n):
            return None
    match = [0] * n
    for j, i in enumerate(owner):
        match[i] = j
    return match


def match_calls(
    pred: Sequence[ToolCall], gold: Sequence[ToolCall], docs: Sequence[ToolDoc], repairs: Repairs = UPSTREAM
) -> tuple[bool, bool, bool, list[int] | None]:
    """TS, PI, CF (cumulative) and the CF pairing ``gold i -> pred j``; order-free and one-to-one."""
    index = {d.name: d for d in docs}
    drop: set[str] = set()
    if repairs.undocumented_params:
        for g in gold:
            doc = index.get(g.name)
            drop.update(k for k in g.arguments if doc is not None and k not in doc.properties)
    ts = len(pred) == len(gold) and Counter(c.name for c in pred) == Counter(c.name for c in gold)
    if not ts:
        return False, False, False, None
    frozen_drop = frozenset(drop)
    p_args = [_normalised(c, index, frozen_drop) for c in pred]
    g_args = [_normalised(c, index, frozen_drop) for c in gold]
    pi = Counter((c.name, frozenset(a)) for c, a in zip(pred, p_args, strict=True)) == Counter(
        (c.name, frozenset(a)) for c, a in zip(gold, g_args, strict=True)
    )
    if not pi:
        return True, False, False, None
    table = [
        [gc.name == pc.name and values_equal(ga, pa) for pc, pa in zip(pred, p_args, strict=True)]
        for gc, ga in zip(gold, g_args, strict=True)
    ]
    match = perfect_matching(len(gold), table)
    return True, True, match is not None, match
