"""One call judged: against the documentation alone (:func:`check_against_docs`), or against the documentation
and a list of acceptable gold calls (:func:`classify_call`). The decisions this module applies (finish names,
defaults, hallucination vs redundancy, type mismatch with gold, the wildcard) are listed in
:mod:`tlbench.classify`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tlbench.classify.names import wrong_tool_kind
from tlbench.classify.severity import RANK, ordered
from tlbench.classify.values import same_value, type_matches, values_normalised_equal
from tlbench.types import CallVerdict, ErrorKind, ToolCall, ToolDoc

__all__ = ["check_against_docs", "classify_call"]


#: The last tuple of docs indexed and its index: a scorer judges many outputs against the same docs.
_LAST_INDEX: tuple[object, Mapping[str, ToolDoc]] = ((), {})


def doc_index(docs: Sequence[ToolDoc] | Mapping[str, ToolDoc]) -> Mapping[str, ToolDoc]:
    """The docs by name (a mapping is used as it is); the index of the last *tuple* is reused."""
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
    return doc is not None and key in doc.defaults and same_value(doc.defaults[key], value)


def check_against_docs(call: ToolCall, docs: Sequence[ToolDoc] | Mapping[str, ToolDoc]) -> CallVerdict:
    """Documentation-only judgement of one call (no gold needed).

    Finds TOOL_HALLUCINATION (the exact name is not documented; a finish call is always allowed),
    PARAMETER_HALLUCINATION (keys outside the doc's properties), MISSING_PARAMETER (required keys absent) and
    TYPE_MISMATCH (value vs the property's JSON type or enum; an integer passes for a number, a bool is not an
    integer, ``null`` passes where the documented default is ``null``). A doc without a properties schema
    disables the parameter checks.
    """
    index = doc_index(docs)
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
        kinds=ordered(kinds),
        hallucinated_params=hallucinated,
        missing_params=missing,
        mismatched_params=mismatched,
    )


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
        if not same_value(pred[k], g):
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


def call_cost(cv: CallVerdict) -> tuple[int, int, int]:
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
    return (RANK[kinds[0]], len(kinds), n_params - (1 if cv.content_normalised_equal else 0))


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
    index = doc_index(docs)
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
        cost = call_cost(cv)
        if best is None or cost < best_cost:
            best, best_cost = cv, cost
    if best is not None:
        return best
    if doc is None and not finish:
        return CallVerdict(call=call, kinds=(ErrorKind.TOOL_HALLUCINATION,))
    kind, closest = wrong_tool_kind(name, [g.name for g in gold])
    gi = next(i for i, g in enumerate(gold) if g.name == closest)
    return CallVerdict(call=call, kinds=(ErrorKind.WRONG_TOOL,), wrong_tool=kind, gold_index=gi)
