"""ToolAlpaca's deterministic TS / PI / CF: the ``fixed`` repairs, value equality by doc type, and the Mode A
(first call) and Mode B (every call) verdicts (see the package docstring).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks import base
from benchmarks.bfcl.match import perfect_matching
from tlbench.types import ToolCall, ToolDoc

_EMPTY: tuple[Any, ...] = ("", None, [], {})


@dataclass(frozen=True, slots=True)
class Repairs(base.Repairs):
    """Lenient variants (all off = ``upstream``, all on = ``fixed``). Counts: items whose verdict changes with
    gold answers as predictions - 0 each, since gold matches itself; the repairs matter for model outputs."""

    case: bool = False
    """Strings compared case-insensitively with whitespace runs collapsed (gold "Las vegas")."""
    list_string: bool = False
    """A list and a comma-joined string of the same elements are equal (``symbols`` is typed string, "A
    list of currencies"; the repaired gold gives lists)."""
    errata: bool = False
    """The gold typo ``"chart_name": "Arriivals"`` (AviationAPI 2) also accepts "Arrivals"."""
    empty_optional: bool = False
    """A predicted optional parameter whose value is empty (``""``, ``None``, ``[]``, ``{}``) and that the
    gold call does not use is ignored for PI."""


UPSTREAM = Repairs.upstream()


FIXED = Repairs.fixed()


repairs_for = Repairs.for_mode


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            out = float(value.strip())
        except ValueError:
            return None
        return out if math.isfinite(out) else None
    return None


def _norm_text(value: str, repairs: Repairs) -> str:
    s = value.strip()
    return " ".join(s.split()).casefold() if repairs.case else s


def _joined(value: Any) -> str | None:
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return ",".join(str(v).strip() for v in value)
    if isinstance(value, str):
        return ",".join(p.strip() for p in value.split(","))
    return None


def values_match(
    pred: Any, gold: Any, doc_type: str = "", repairs: Repairs = UPSTREAM, _depth: int = 0
) -> bool:
    """Equality of one parameter value under the doc type (see the module docstring)."""
    if _depth > 50:
        return False
    numeric = (
        doc_type in ("integer", "number")
        or (isinstance(pred, int | float) and not isinstance(pred, bool))
        or (isinstance(gold, int | float) and not isinstance(gold, bool))
    )
    if numeric:
        a, b = _as_number(pred), _as_number(gold)
        if a is not None and b is not None:
            return a == b or math.isclose(a, b, rel_tol=1e-9, abs_tol=0.0)
    if isinstance(pred, str) and isinstance(gold, str):
        return _norm_text(pred, repairs) == _norm_text(gold, repairs)
    if repairs.list_string and isinstance(pred, list) != isinstance(gold, list):
        a_s, b_s = _joined(pred), _joined(gold)
        return a_s is not None and b_s is not None and _norm_text(a_s, repairs) == _norm_text(b_s, repairs)
    if isinstance(pred, list) and isinstance(gold, list):
        return len(pred) == len(gold) and all(
            values_match(p, g, "", repairs, _depth + 1) for p, g in zip(pred, gold, strict=True)
        )
    if isinstance(pred, Mapping) and isinstance(gold, Mapping):
        return set(pred) == set(gold) and all(
            values_match(pred[k], gold[k], "", repairs, _depth + 1) for k in pred
        )
    return type(pred) is type(gold) and pred == gold


@dataclass(frozen=True, slots=True)
class Context:
    """What scoring one item needs: docs by name, auth parameters, errata, repairs."""

    docs: Mapping[str, ToolDoc]
    auth: frozenset[str]
    errata: Mapping[int, Mapping[str, tuple[Any, ...]]]
    repairs: Repairs


def _pred_args(call: ToolCall, gold: ToolCall | None, ctx: Context) -> dict[str, Any]:
    """Prediction arguments without auth parameters (and, in fixed mode, empty unused optional ones)."""
    doc = ctx.docs.get(call.name)
    out = {}
    for key, value in call.arguments.items():
        if key in ctx.auth:
            continue
        if (
            ctx.repairs.empty_optional
            and value in _EMPTY
            and (gold is None or key not in gold.arguments)
            and (doc is None or key not in doc.required)
        ):
            continue
        out[key] = value
    return out


def _doc_type(doc: ToolDoc | None, key: str) -> str:
    schema = doc.properties.get(key) if doc is not None else None
    t = schema.get("type") if isinstance(schema, Mapping) else None
    return t if isinstance(t, str) else ""


def _call_verdict(pred: ToolCall, gold: ToolCall, gold_index: int, ctx: Context) -> tuple[bool, bool, bool]:
    if pred.name != gold.name:
        return False, False, False
    args = _pred_args(pred, gold, ctx)
    if set(args) != set(gold.arguments):
        return True, False, False
    doc = ctx.docs.get(gold.name)
    extra = ctx.errata.get(gold_index, {}) if ctx.repairs.errata else {}
    for key, g in gold.arguments.items():
        accepted = (g, *extra.get(key, ()))
        if not any(values_match(args[key], a, _doc_type(doc, key), ctx.repairs) for a in accepted):
            return True, True, False
    return True, True, True


def score_first(
    pred: Sequence[ToolCall], gold: Sequence[ToolCall], ctx: Context
) -> tuple[bool, bool, bool, int | None]:
    """Mode A: the first predicted call against the best gold call; returns TS, PI, CF, gold index."""
    if not pred:
        return False, False, False, None
    best: tuple[bool, bool, bool] = (False, False, False)
    best_i: int | None = None
    for i, g in enumerate(gold):
        ts, pi, cf = _call_verdict(pred[0], g, i, ctx)
        if (cf, pi, ts) > (best[2], best[1], best[0]):
            best, best_i = (ts, pi, cf), i
    return best[0], best[1], best[2], best_i


def score_all(
    pred: Sequence[ToolCall], gold: Sequence[ToolCall], ctx: Context
) -> tuple[bool, bool, bool, list[int] | None]:
    """Mode B: every gold call, order-free and one-to-one; returns TS, PI, CF and the CF pairing."""
    ts = len(pred) == len(gold) and Counter(c.name for c in pred) == Counter(c.name for c in gold)
    if not ts:
        return False, False, False, None
    table = [[_call_verdict(p, g, i, ctx) for p in pred] for i, g in enumerate(gold)]
    pi = perfect_matching(len(gold), [[v[1] for v in row] for row in table]) is not None
    if not pi:
        return True, False, False, None
    match = perfect_matching(len(gold), [[v[2] for v in row] for row in table])
    return True, True, match is not None, match
