"""One model turn judged: the predicted calls matched to the calls of each gold alternative (parallel calls,
order-free and one-to-one), the alternative that gives the least severe turn chosen (:func:`classify`), and
:func:`classify_output`, which parses the raw text first. The gold shapes accepted and the rules for missing
and extra calls are listed in :mod:`tlbench.classify`.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

from tlbench.classify.calls import call_cost, check_against_docs, classify_call, doc_index
from tlbench.classify.names import wrong_tool_kind
from tlbench.classify.severity import BY_RANK, RANK, most_severe
from tlbench.types import CallVerdict, ErrorKind, ParseResult, ToolCall, ToolDoc, Verdict

__all__ = ["classify", "classify_output"]

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
        rank, _, n_params = call_cost(v)
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
    if n <= _EXACT_MATCH_LIMIT and m <= _EXACT_MATCH_LIMIT:
        pairs = _exhaustive(table, n, m)
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


_UNMATCHED_COST = RANK[ErrorKind.WRONG_TOOL] * 100


def _pairs_cost(
    table: Sequence[Sequence[CallVerdict]], pairs: Sequence[tuple[int, int]], n: int, m: int
) -> tuple[int, int]:
    worst = 0
    total = (n - len(pairs) + m - len(pairs)) * _UNMATCHED_COST
    if n != len(pairs) or m != len(pairs):
        worst = RANK[ErrorKind.WRONG_TOOL]
    for i, j in pairs:
        c = call_cost(table[i][j])
        worst = max(worst, c[0])
        total += c[0] * 100 + c[2]
    return (worst, total)


def _exhaustive(table: Sequence[Sequence[CallVerdict]], n: int, m: int) -> list[tuple[int, int]]:
    """The cheapest one-to-one pairing of ``n`` predicted with ``m`` gold calls, over every permutation of the
    larger side (the first found wins a tie)."""
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
    return best[1] if best is not None else []


def _greedy(table: Sequence[Sequence[CallVerdict]], n: int, m: int) -> list[tuple[int, int]]:
    """Cheapest pairs first, each call used once (beyond the exhaustive limit)."""
    cells = sorted((call_cost(table[i][j]), i, j) for i in range(n) for j in range(m))
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
    index = doc_index(docs)
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
    return Verdict(kind=BY_RANK[best_cost[0]], calls=tuple(best), parse=parse)  # worst rank: most severe


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
