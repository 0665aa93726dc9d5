"""The classifier's and the metrics' speed-ups keep their answers.

* the doc index is cached for the last *tuple* of docs only, so a different tuple (even with the same tool
  names) or a mutated list is never judged against stale docs;
* the shared bootstrap draws and the C-level sums give the intervals the plain formula gives.
"""

from __future__ import annotations

import random

from benchmarks.metrics import bootstrap_ci, bootstrap_indices, ratio_ci
from tlbench.classify import classify
from tlbench.types import ErrorKind, ToolCall, ToolDoc


def _doc(*props: str) -> ToolDoc:
    return ToolDoc("f", parameters={"type": "object", "properties": {p: {"type": "string"} for p in props}})


def test_doc_index_cache_never_serves_other_docs() -> None:
    call = [ToolCall("f", {"a": "x", "b": "y"})]
    with_b = (_doc("a", "b"),)
    without_b = (_doc("a"),)
    for _ in range(2):  # alternate, so that each call follows the other tuple
        assert classify(call, with_b).kind is ErrorKind.CORRECT
        assert classify(call, without_b).kind is ErrorKind.PARAMETER_HALLUCINATION
    assert classify(call, with_b).kind is ErrorKind.CORRECT  # the same tuple twice in a row
    assert classify(call, with_b).kind is ErrorKind.CORRECT


def test_doc_index_of_a_mutated_list_is_fresh() -> None:
    call = [ToolCall("g", {})]
    docs = [_doc("a")]
    assert classify(call, docs).kind is ErrorKind.TOOL_HALLUCINATION
    docs.append(ToolDoc("g"))
    assert classify(call, docs).kind is ErrorKind.CORRECT


def _plain_draws(n: int, resamples: int, seed: int) -> list[list[int]]:
    rng = random.Random(seed)
    return [rng.choices(range(n), k=n) for _ in range(resamples)]


def _plain_ci(stats: list[float]) -> tuple[float, float]:
    stats.sort()
    lo = stats[int(0.025 * len(stats))]
    hi = stats[min(len(stats) - 1, int(0.975 * len(stats)))]
    return (round(lo, 2), round(hi, 2))


def test_bootstrap_matches_the_plain_formula() -> None:
    rng = random.Random(7)
    values = [float(rng.random() < 0.3) for _ in range(57)]
    dens = [float(rng.random() < 0.8) for _ in range(57)]
    draws = _plain_draws(57, 400, 11)
    assert [list(d) for d in bootstrap_indices(57, 400, 11)] == draws
    assert bootstrap_indices(57, 400, 11) is bootstrap_indices(57, 400, 11)  # computed once, shared
    want = _plain_ci([100.0 * sum(values[i] for i in idx) / 57 for idx in draws])
    assert bootstrap_ci(values, 400, 11) == want
    ratio = []
    for idx in draws:
        den = sum(dens[i] for i in idx)
        ratio.append(100.0 * sum(values[i] for i in idx) / den if den else 0.0)
    assert ratio_ci(values, dens, 400, 11) == _plain_ci(ratio)
    assert bootstrap_ci((1.0, 0.0, 1.0), 50, 0) == bootstrap_ci([1.0, 0.0, 1.0], 50, 0)  # tuples too
