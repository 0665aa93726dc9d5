"""The single error classifier: every scorer, the MAE masker, the IRM reward and ``tools_env`` call this.

Three entry points, from the narrowest to the widest:

* :func:`check_against_docs` judges one call against the documentation only (tool hallucination,
  parameter hallucination, missing required parameter, type mismatch);
* :func:`classify_call` judges one call against the documentation **and** a list of acceptable gold calls
  (adds wrong tool with its Table 1 sub-type, redundant parameter, content error with a normalised-equal flag);
* :func:`classify` judges a whole turn (a :class:`ParseResult` or a list of calls), matching parallel calls to
  the gold order-free and one-to-one; :func:`classify_output` parses the raw text first.

:func:`classify_feedback` maps an execution feedback (a ``tools_env`` :class:`Feedback` or a recorded upstream
text such as ``"f() missing 1 required positional argument: 'p'"``) to an :class:`ErrorKind`, so that recorded
trajectories without labels can be judged from their feedback alone.

Severity order (most severe first; a turn's headline is its most severe call kind)::

    UNPARSABLE > TOOL_HALLUCINATION > WRONG_TOOL > PARAMETER_HALLUCINATION > MISSING_PARAMETER
    > REDUNDANT_PARAMETER > TYPE_MISMATCH > CONTENT_ERROR > TOOL_CALL_FAILURE > TOOL_INSTABILITY > OTHER > CORRECT

Decisions the paper leaves open (documented here, tested in ``tests/classify``):

* **Finish.** A call whose name is a finish name (``finish``, ``final_answer``) is never a tool hallucination,
  even when the docs do not list it (BFCL docs have no finish tool). A parsed final answer without calls counts
  as a ``finish`` call when the gold is compared; two finish names always match each other. The *text* of a
  finish or ask-user call is free text and is not compared (as RoTBench's CF does); its keys are.
* **Gold shapes.** ``gold`` for :func:`classify` is a list of alternatives, each a list of calls (parallel calls,
  matched order-free). A flat list of calls means "any one of these single calls" (RoTBench's answer lists).
  An empty alternative (``[[]]``) means "no call expected": a final answer is then CORRECT, any call is
  WRONG_TOOL. ``None`` or an empty list means "no gold": documentation-only checks.
* **Missing / extra calls.** A gold call left unmatched gives a ``CallVerdict(call=None, kinds=(WRONG_TOOL,))``;
  a predicted call left unmatched is WRONG_TOOL (or TOOL_HALLUCINATION when it is not documented). A final
  answer where the gold expects a call is therefore WRONG_TOOL.
* **Defaults.** A predicted key the gold omits is not redundant when its value equals the documented default;
  a gold key the prediction omits is not missing when the gold value equals the documented default.
* **Hallucination vs redundancy.** With gold, a key that the gold uses is never hallucinated (gold wins over an
  incomplete doc); a key outside the gold is hallucinated if the doc has a properties schema without it,
  otherwise redundant.
* **Type mismatch with gold.** Only values that differ from the gold are type-checked (a value equal to the gold
  is right whatever the doc says); such a value is both TYPE_MISMATCH and CONTENT_ERROR.
* **Wildcard.** ``wildcard="None"`` reproduces RoTBench's rule that a gold value ``"None"`` accepts any value
  (the key must still be present).
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from tlbench import jsonio
from tlbench.feedback import FeedbackDetail, classify_feedback, classify_feedback_detail
from tlbench.types import (
    CallVerdict,
    ErrorKind,
    ParseResult,
    ToolCall,
    ToolDoc,
    Verdict,
    WrongToolKind,
)

__all__ = [
    "SEVERITY",
    "severity_rank",
    "most_severe",
    "check_against_docs",
    "classify_call",
    "classify",
    "classify_output",
    "classify_feedback",
    "classify_feedback_detail",
    "FeedbackDetail",
    "name_tokens",
    "wrong_tool_kind",
    "normalise_value",
    "values_normalised_equal",
    "type_matches",
    "gold_alternatives",
]

# ---------------------------------------------------------------------------------------------- severity

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
_RANK = {kind: len(SEVERITY) - 1 - i for i, kind in enumerate(SEVERITY)}  # CORRECT = 0, UNPARSABLE = 11
_BY_RANK = tuple(reversed(SEVERITY))  # rank -> kind


def severity_rank(kind: ErrorKind) -> int:
    """0 for CORRECT, growing with severity (UNPARSABLE is the largest)."""
    return _RANK[kind]


def most_severe(kinds: Sequence[ErrorKind] | set[ErrorKind]) -> ErrorKind:
    """The most severe of ``kinds`` (CORRECT when empty)."""
    return max(kinds, key=_RANK.__getitem__, default=ErrorKind.CORRECT)


def _ordered(kinds: set[ErrorKind]) -> tuple[ErrorKind, ...]:
    return tuple(sorted(kinds, key=_RANK.__getitem__, reverse=True))


# ----------------------------------------------------------------------------------------------- types

_TYPE_ALIASES: dict[str, str] = {
    "str": "string",
    "text": "string",
    "int": "integer",
    "float": "number",
    "double": "number",
    "bool": "boolean",
    "dict": "object",
    "list": "array",
    "tuple": "array",
    "any": "",
}


def _value_is(value: Any, json_type: str) -> bool:
    """True when ``value`` is an instance of the JSON-schema type ``json_type`` (unknown types accept all)."""
    t = _TYPE_ALIASES.get(json_type, json_type)
    if t == "string":
        return isinstance(value, str)
    if t == "integer":
        if isinstance(value, bool):
            return False
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if t == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if t == "boolean":
        return isinstance(value, bool)
    if t == "array":
        return isinstance(value, list | tuple)
    if t == "object":
        return isinstance(value, Mapping)
    if t == "null":
        return value is None
    return True  # "", unknown or exotic type names: no opinion


def type_matches(value: Any, schema: Any) -> bool:
    """A light, fast JSON-schema check of one value: ``type`` (string or list), ``enum``, array ``items`` type.

    Deliberately shallow (one level of ``items``), since model arguments are small and speed matters; a schema
    that is not a mapping, or has no ``type``, accepts anything.
    """
    if not isinstance(schema, Mapping):
        return True
    enum = schema.get("enum")
    if isinstance(enum, list | tuple) and enum and value not in enum:
        return False
    t = schema.get("type")
    if isinstance(t, str):
        if not _value_is(value, t):
            return False
    elif isinstance(t, list | tuple) and t:
        if not any(_value_is(value, x) for x in t if isinstance(x, str)):
            return False
    items = schema.get("items")
    if isinstance(value, list | tuple) and isinstance(items, Mapping):
        it = items.get("type")
        if isinstance(it, str) and not all(_value_is(v, it) for v in value):
            return False
    return True


# ------------------------------------------------------------------------------------------ doc-only check


#: The last tuple of docs indexed and its index: a scorer judges many outputs against the same docs.
_LAST_INDEX: tuple[object, Mapping[str, ToolDoc]] = ((), {})


def _doc_index(docs: Sequence[ToolDoc] | Mapping[str, ToolDoc]) -> Mapping[str, ToolDoc]:
    global _LAST_INDEX
    if type(docs) is dict or isinstance(docs, Mapping):
        return docs
    last = _LAST_INDEX
    if docs is last[0]:
        return last[1]
    index = {d.name: d for d in docs}
    if type(docs) is tuple:  # immutable (ToolDoc is frozen): safe to reuse while it is the same object
        _LAST_INDEX = (docs, index)
    return index


def _schema_properties(doc: ToolDoc | None) -> Mapping[str, Any] | None:
    """The doc's ``properties`` mapping, or None when there is no doc or it does not describe its parameters
    (no object schema with a ``properties`` mapping)."""
    if doc is None:
        return None
    props = doc.parameters.get("properties")
    return props if type(props) is dict or isinstance(props, Mapping) else None


def _is_default(doc: ToolDoc | None, key: str, value: Any) -> bool:
    return doc is not None and key in doc.defaults and _same(doc.defaults[key], value)


def check_against_docs(call: ToolCall, docs: Sequence[ToolDoc] | Mapping[str, ToolDoc]) -> CallVerdict:
    """Documentation-only judgement of one call (no gold needed).

    Finds TOOL_HALLUCINATION (the exact name is not documented; a finish call is always allowed),
    PARAMETER_HALLUCINATION (keys outside the doc's properties), MISSING_PARAMETER (required keys absent) and
    TYPE_MISMATCH (value vs the property's JSON type or enum; an integer passes for a number, a bool is not an
    integer, ``null`` passes where the documented default is ``null``). A doc without a properties schema
    disables the parameter checks.
    """
    index = _doc_index(docs)
    doc = index.get(call.name)
    if doc is None:
        if call.is_finish:
            return CallVerdict(call=call, kinds=())
        return CallVerdict(call=call, kinds=(ErrorKind.TOOL_HALLUCINATION,))
    props = _schema_properties(doc)
    if props is None:  # no properties schema: the parameter checks are off
        return CallVerdict(call=call, kinds=())
    args = call.arguments if isinstance(call.arguments, Mapping) else {}
    hallucinated = tuple(k for k in args if k not in props)
    missing = tuple(k for k in doc.required if k not in args)
    mismatched = tuple(
        k
        for k, v in args.items()
        if k in props
        and not type_matches(v, props[k])
        and not (v is None and k in doc.defaults and doc.defaults[k] is None)
    )
    kinds: set[ErrorKind] = set()
    if hallucinated:
        kinds.add(ErrorKind.PARAMETER_HALLUCINATION)
    if missing:
        kinds.add(ErrorKind.MISSING_PARAMETER)
    if mismatched:
        kinds.add(ErrorKind.TYPE_MISMATCH)
    return CallVerdict(
        call=call,
        kinds=_ordered(kinds),
        hallucinated_params=hallucinated,
        missing_params=missing,
        mismatched_params=mismatched,
    )


# ------------------------------------------------------------------------------------------- tool names

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


# -------------------------------------------------------------------------------------------- values

_WS = re.compile(r"\s+")
_SCALARS = frozenset({str, int, float, bool, type(None)})


def _same(a: Any, b: Any) -> bool:
    """Exact JSON equality, but a bool never equals a number (Python's ``True == 1`` is not JSON's)."""
    ta = type(a)
    if ta is type(b) and ta in _SCALARS:  # the common case, and exact: same type, no bool/number mixing
        return bool(a == b)
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    try:
        return bool(a == b)
    except Exception:  # exotic objects with a broken __eq__: not equal
        return False


def normalise_value(value: Any, _depth: int = 0) -> Any:
    """A canonical form used for the paper's "synonym" flag.

    Strings are NFKC-normalised, case-folded, stripped and whitespace-collapsed; numeric strings become
    numbers; integral floats become ints; lists become order-insensitive (sorted by canonical text); dicts
    are normalised value-wise.
    """
    if _depth > 20:
        return repr(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        s = _WS.sub(" ", unicodedata.normalize("NFKC", value)).strip().casefold()
        if s in ("true", "false"):
            return s == "true"
        try:
            num = float(s.replace(",", "")) if len(s) < 64 else None
        except ValueError:
            num = None
        if num is not None and num == num and abs(num) != float("inf"):
            return int(num) if num.is_integer() else num
        return s
    if isinstance(value, int | float):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value
    if isinstance(value, Mapping):
        return {str(k): normalise_value(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        items = [normalise_value(v, _depth + 1) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, default=str))
    return repr(value)


def values_normalised_equal(a: Any, b: Any) -> bool:
    """True when ``a`` and ``b`` are equal after :func:`normalise_value`."""
    return _same(normalise_value(a), normalise_value(b))


# ------------------------------------------------------------------------------------- call vs gold


def _against_gold(
    call: ToolCall, doc: ToolDoc | None, gold: ToolCall, gold_index: int, wildcard: str | None
) -> CallVerdict:
    """Judge ``call`` against one gold call with the same name."""
    pred = call.arguments
    if type(pred) is not dict and not isinstance(pred, Mapping):
        pred = {}
    want = gold.arguments
    if type(want) is not dict and not isinstance(want, Mapping):
        want = {}
    known = _schema_properties(doc)
    hallucinated: list[str] = []
    redundant: list[str] = []
    for k, v in pred.items():
        if k in want:
            continue
        if known is not None and k not in known:
            hallucinated.append(k)
        elif not _is_default(doc, k, v):
            redundant.append(k)
    missing = [k for k, v in want.items() if k not in pred and not _is_default(doc, k, v)]
    free_text = gold.is_finish or gold.is_ask_user
    differing: list[str] = []
    for k, g in want.items():
        if k not in pred or free_text:
            continue
        if wildcard is not None and isinstance(g, str) and g == wildcard:
            continue
        if not _same(pred[k], g):
            differing.append(k)
    mismatched = tuple(
        k for k in differing if known is not None and k in known and not type_matches(pred[k], known[k])
    )
    if not (hallucinated or missing or redundant or differing):  # the common case: all right
        return CallVerdict(call=call, kinds=(), gold_index=gold_index)
    kinds: list[ErrorKind] = []  # appended in SEVERITY order (what _ordered would sort them into)
    if hallucinated:
        kinds.append(ErrorKind.PARAMETER_HALLUCINATION)
    if missing:
        kinds.append(ErrorKind.MISSING_PARAMETER)
    if redundant:
        kinds.append(ErrorKind.REDUNDANT_PARAMETER)
    if mismatched:
        kinds.append(ErrorKind.TYPE_MISMATCH)
    if differing:
        kinds.append(ErrorKind.CONTENT_ERROR)
    normalised_equal = bool(differing) and all(values_normalised_equal(pred[k], want[k]) for k in differing)
    return CallVerdict(
        call=call,
        kinds=tuple(kinds),
        hallucinated_params=tuple(hallucinated),
        redundant_params=tuple(redundant),
        missing_params=tuple(missing),
        mismatched_params=mismatched,
        content_normalised_equal=normalised_equal,
        gold_index=gold_index,
    )


def _cost(cv: CallVerdict) -> tuple[int, int, int]:
    """Smaller is better: headline severity, then number of kinds, then number of flagged parameters."""
    kinds = cv.kinds
    if not kinds:
        return (0, 0, 0)  # CORRECT: no flagged parameter either
    n_params = (
        len(cv.hallucinated_params)
        + len(cv.redundant_params)
        + len(cv.missing_params)
        + len(cv.mismatched_params)
    )
    return (_RANK[kinds[0]], len(kinds), n_params - (1 if cv.content_normalised_equal else 0))


def classify_call(
    call: ToolCall,
    docs: Sequence[ToolDoc] | Mapping[str, ToolDoc],
    gold: Sequence[ToolCall] = (),
    *,
    wildcard: str | None = None,
) -> CallVerdict:
    """Judge one call against the docs and a list of acceptable gold calls (any one suffices).

    Without gold this is :func:`check_against_docs`. With gold: a name that no gold uses is TOOL_HALLUCINATION
    when undocumented, else WRONG_TOOL with its Table 1 sub-type (against the closest gold name); otherwise the
    best-matching gold with the same name decides (CORRECT beats content errors beats parameter errors).
    ``gold_index`` is the index in ``gold`` of the gold call used.
    """
    if not gold:
        return check_against_docs(call, docs)
    index = _doc_index(docs)
    name = call.name
    finish = call.is_finish
    doc = index.get(name)
    best: CallVerdict | None = None
    best_cost = (0, 0, 0)
    for i, g in enumerate(gold):
        if g.name != name and not (finish and g.is_finish):  # same name, or two finish names
            continue
        cv = _against_gold(call, doc, g, i, wildcard)
        if not cv.kinds:
            return cv
        cost = _cost(cv)
        if best is None or cost < best_cost:
            best, best_cost = cv, cost
    if best is not None:
        return best
    if doc is None and not finish:
        return CallVerdict(call=call, kinds=(ErrorKind.TOOL_HALLUCINATION,))
    kind, closest = wrong_tool_kind(name, [g.name for g in gold])
    gi = next(i for i, g in enumerate(gold) if g.name == closest)
    return CallVerdict(call=call, kinds=(ErrorKind.WRONG_TOOL,), wrong_tool=kind, gold_index=gi)


# ------------------------------------------------------------------------------------------- turn level

_EXACT_MATCH_LIMIT = 6  # up to 6 calls a side, matching is exhaustive; beyond it, greedy


def _missing_call(gold: ToolCall, index: int) -> CallVerdict:
    return CallVerdict(call=None, kinds=(ErrorKind.WRONG_TOOL,), gold_index=index)


def _extra_call(call: ToolCall, index: Mapping[str, ToolDoc], golds: Sequence[ToolCall]) -> CallVerdict:
    if call.name not in index and not call.is_finish:
        return CallVerdict(call=call, kinds=(ErrorKind.TOOL_HALLUCINATION,))
    names = [g.name for g in golds]
    kind = wrong_tool_kind(call.name, names)[0] if names else None
    return CallVerdict(call=call, kinds=(ErrorKind.WRONG_TOOL,), wrong_tool=kind)


def _turn_cost(verdicts: Sequence[CallVerdict]) -> tuple[int, int]:
    worst = total = 0
    for v in verdicts:
        rank, _, n_params = _cost(v)
        worst = max(worst, rank)
        total += rank * 100 + n_params
    return (worst, total)


def _match_alternative(
    calls: Sequence[ToolCall],
    index: Mapping[str, ToolDoc],
    alt: Sequence[ToolCall],
    wildcard: str | None,
) -> list[CallVerdict]:
    """One-to-one, order-free matching of predicted calls to the calls of one gold alternative."""
    if not alt:
        return [_extra_call(c, index, ()) for c in calls]
    if len(calls) == 1 and len(alt) == 1:  # the common case: one call against one gold call
        return [_with_gold_index(classify_call(calls[0], index, alt, wildcard=wildcard), 0)]
    table = [
        [_with_gold_index(classify_call(c, index, [g], wildcard=wildcard), j) for j, g in enumerate(alt)]
        for c in calls
    ]
    n, m = len(calls), len(alt)
    pairs: list[tuple[int, int]]
    if n <= _EXACT_MATCH_LIMIT and m <= _EXACT_MATCH_LIMIT:
        best: tuple[tuple[int, int], list[tuple[int, int]]] | None = None
        k = min(n, m)
        for chosen in itertools.permutations(range(m), k) if n <= m else ():
            cand = list(zip(range(n), chosen, strict=True))
            score = _pairs_cost(table, cand, n, m)
            if best is None or score < best[0]:
                best = (score, cand)
        if n > m:
            for chosen in itertools.permutations(range(n), m):
                cand = list(zip(chosen, range(m), strict=True))
                score = _pairs_cost(table, cand, n, m)
                if best is None or score < best[0]:
                    best = (score, cand)
        pairs = best[1] if best is not None else []
    else:
        pairs = _greedy(table, n, m)
    out: list[CallVerdict] = []
    used_pred = {i for i, _ in pairs}
    used_gold = {j for _, j in pairs}
    for i, j in sorted(pairs):
        out.append(table[i][j])
    for i in range(n):
        if i not in used_pred:
            out.append(_extra_call(calls[i], index, alt))
    for j in range(m):
        if j not in used_gold:
            out.append(_missing_call(alt[j], j))
    return out


def _with_gold_index(cv: CallVerdict, j: int) -> CallVerdict:
    if cv.gold_index == j or cv.gold_index is None:  # None stays None: nothing to rewrite
        return cv
    return CallVerdict(
        call=cv.call,
        kinds=cv.kinds,
        wrong_tool=cv.wrong_tool,
        hallucinated_params=cv.hallucinated_params,
        redundant_params=cv.redundant_params,
        missing_params=cv.missing_params,
        mismatched_params=cv.mismatched_params,
        content_normalised_equal=cv.content_normalised_equal,
        gold_index=j if cv.gold_index is not None else None,
    )


_UNMATCHED_COST = _RANK[ErrorKind.WRONG_TOOL] * 100


def _pairs_cost(
    table: Sequence[Sequence[CallVerdict]], pairs: Sequence[tuple[int, int]], n: int, m: int
) -> tuple[int, int]:
    worst = 0
    total = (n - len(pairs) + m - len(pairs)) * _UNMATCHED_COST
    if n != len(pairs) or m != len(pairs):
        worst = _RANK[ErrorKind.WRONG_TOOL]
    for i, j in pairs:
        c = _cost(table[i][j])
        worst = max(worst, c[0])
        total += c[0] * 100 + c[2]
    return (worst, total)


def _greedy(table: Sequence[Sequence[CallVerdict]], n: int, m: int) -> list[tuple[int, int]]:
    cells = sorted((_cost(table[i][j]), i, j) for i in range(n) for j in range(m))
    used_i: set[int] = set()
    used_j: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for _, i, j in cells:
        if i not in used_i and j not in used_j:
            pairs.append((i, j))
            used_i.add(i)
            used_j.add(j)
    return pairs


def classify(
    result: ParseResult | Sequence[ToolCall],
    docs: Sequence[ToolDoc] | Mapping[str, ToolDoc],
    gold: Sequence[Sequence[ToolCall]] | Sequence[ToolCall] | None = None,
    *,
    wildcard: str | None = None,
) -> Verdict:
    """Judge one model turn.

    ``result`` is a parser's :class:`ParseResult` (a failed parse is UNPARSABLE) or a plain list of calls.
    Without ``gold`` every call gets the doc-only checks (a turn with no calls is CORRECT). With ``gold``
    (alternatives; see the module docstring for the accepted shapes) the alternative that gives the least
    severe turn is chosen. The headline ``kind`` is the most severe call kind.
    """
    parse = result if isinstance(result, ParseResult) else None
    if parse is not None and not parse.ok:
        return Verdict(kind=ErrorKind.UNPARSABLE, calls=(), parse=parse)
    calls = tuple(parse.calls) if parse is not None else tuple(result)  # type: ignore[arg-type]
    index = _doc_index(docs)
    if not gold:  # None or no alternatives at all: documentation-only checks
        verdicts = tuple(check_against_docs(c, index) for c in calls)
        return Verdict(kind=most_severe([v.kind for v in verdicts]), calls=verdicts, parse=parse)
    if not calls:
        answer = parse.final_answer if parse is not None else None
        calls = (ToolCall(name="finish", arguments={"answer": answer or ""}),)
        finish_is_correct_for_empty = True
    else:
        finish_is_correct_for_empty = False
    best: list[CallVerdict] | None = None
    best_cost = (0, 0)
    for entry in gold:  # alternatives are read one by one: a correct first one ends the search
        if isinstance(entry, ToolCall):
            alt = [entry]
        else:
            alt = [c for c in entry if isinstance(c, ToolCall)]
        if not alt and finish_is_correct_for_empty:
            verdicts = [CallVerdict(call=None, kinds=())]
        else:
            verdicts = _match_alternative(calls, index, alt, wildcard)
        cost = _turn_cost(verdicts)
        if best is None or cost < best_cost:
            best, best_cost = verdicts, cost
            if cost[0] == 0:
                break
    assert best is not None
    return Verdict(kind=_BY_RANK[best_cost[0]], calls=tuple(best), parse=parse)  # worst rank: most severe


def classify_output(
    text: str,
    fmt: str,
    docs: Sequence[ToolDoc] | Mapping[str, ToolDoc],
    gold: Sequence[Sequence[ToolCall]] | Sequence[ToolCall] | None = None,
    *,
    wildcard: str | None = None,
) -> Verdict:
    """Parse ``text`` in format ``fmt`` (``tlbench.parsers.parse``) and :func:`classify` the result."""
    from tlbench.parsers import parse

    doc_list = list(docs.values()) if isinstance(docs, Mapping) else list(docs)
    return classify(parse(text, fmt, doc_list), docs, gold, wildcard=wildcard)


def _call_from_any(value: Any) -> ToolCall | None:
    """A gold call from ``{"name", "arguments"|"parameters"}``, ToolAlpaca's ``{"Action", "Action_Input"}`` or a
    ToolCall; None when the value is not one."""
    if isinstance(value, ToolCall):
        return value
    if not isinstance(value, Mapping):
        return None
    if "Action" in value:
        value = {"name": value.get("Action"), "arguments": value.get("Action_Input") or {}}
    inner = value.get("function")
    if isinstance(inner, Mapping) and "name" in inner:  # OpenAI tool_calls entry
        value = inner
    name = value.get("name")
    if not isinstance(name, str):
        return None
    args = value.get("arguments", value.get("parameters", {}))
    if isinstance(args, str):
        try:
            args = jsonio.parse(args) if args.strip() else {}
        except ValueError:
            return None
    if not isinstance(args, Mapping):
        return None
    return ToolCall(name=name, arguments=dict(args))


def gold_alternatives(
    value: Any, fmt: str | None = None, docs: Sequence[ToolDoc] = ()
) -> list[list[ToolCall]] | None:
    """Normalise a loose gold value into alternatives (each a list of parallel calls), or None when absent.

    Accepted: a call dict / ToolCall (one alternative of one call); a list of calls (alternatives, each one
    call: RoTBench's answer lists); a list of lists (alternatives of parallel calls); a JSON string of any of
    these; and, when ``fmt`` is given, gold *text* in the model's output format (``"Action: f\nAction Input:
    {...}"``, ``"f(a='x')"``), or a list of such texts, parsed with the same parser as the predictions.
    Raises ValueError for a value it cannot read.
    """
    if value is None:
        return None
    if isinstance(value, str):
        s = value.strip()
        if s[:1] in "[{":
            try:
                return gold_alternatives(jsonio.parse(s), fmt, docs)
            except ValueError:
                pass
        return [_gold_text(s, fmt, docs)]
    call = _call_from_any(value)
    if call is not None:
        return [[call]]
    if isinstance(value, Mapping):
        raise ValueError("gold call needs a string 'name' and object 'arguments'")
    if not isinstance(value, Sequence):
        raise ValueError(
            f"gold must be a call, a list of calls or a list of lists, not {type(value).__name__}"
        )
    alts: list[list[ToolCall]] = []
    for entry in value:
        one = _call_from_any(entry)
        if one is not None:
            alts.append([one])
        elif isinstance(entry, str):
            alts.append(_gold_text(entry, fmt, docs))
        elif isinstance(entry, Sequence) and not isinstance(entry, bytes):
            calls = [_call_from_any(c) for c in entry]
            if any(c is None for c in calls):
                raise ValueError("every call of a gold alternative needs 'name' and 'arguments'")
            alts.append([c for c in calls if c is not None])
        else:
            raise ValueError("gold entries must be calls or lists of calls")
    return alts


def _gold_text(text: str, fmt: str | None, docs: Sequence[ToolDoc]) -> list[ToolCall]:
    if fmt is None:
        raise ValueError("gold given as text needs a format to parse it")
    from tlbench.parsers import parse

    result = parse(text, fmt, list(docs))
    if not result.ok:
        raise ValueError(f"gold text does not parse as {fmt}: {result.failure}")
    return list(result.calls)
