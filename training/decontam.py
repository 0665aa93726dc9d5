"""Decontamination report: how much a training set overlaps the test sets of the benchmarks.

For every collected or imported trajectory file ``FILE``, ``FILE.decontam.json`` records, per test set (a
benchmark family: ToolAlpaca real, RoTBench, BFCL-v3 exec, ToolEyes; :func:`test_set_benchmarks`):

* **tool names**: distinct tool names of the training set (``finish`` / ``ask_to_user`` left out) that also
  occur in the test set's tool docs, and the fraction of the training set's *called* tools they cover;
* **query n-grams**: the fraction of training queries (first user message) sharing at least one word n-gram
  (``n = 8`` by default, lower-cased, punctuation dropped) with any test query, exact duplicate queries, and a
  few examples with the shared n-gram.

Tool-name overlap with ToolEyes is expected for the synthetic source (it is built on the ToolEyes tool
library, as the paper's training tasks were); query overlap is what signals leaked test items.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tlbench import jsonio
from tlbench.errors import DataError

__all__ = [
    "test_set_benchmarks",
    "SetIndex",
    "ngrams",
    "load_test_index",
    "report",
    "write_report",
    "summary_lines",
]


def test_set_benchmarks() -> dict[str, tuple[str, ...]]:
    """Test set (a benchmark family) -> the benchmarks whose items make it up (``Benchmark.test_set``;
    RoTBench's ten sets share queries: clean + union), families in registry order."""
    from benchmarks import BENCHMARKS

    out: dict[str, tuple[str, ...]] = {}
    for bench in BENCHMARKS.all():
        if bench.test_set:
            out[bench.family] = (*out.get(bench.family, ()), bench.name)
    return out


_RESERVED = frozenset({"finish", "ask_to_user", "final_answer"})
_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def ngrams(text: str, n: int) -> set[tuple[str, ...]]:
    """Lower-cased word n-grams of ``text`` (a text shorter than ``n`` words gives its whole word tuple)."""
    w = _words(text)
    if not w:
        return set()
    if len(w) < n:
        return {tuple(w)}
    return {tuple(w[i : i + n]) for i in range(len(w) - n + 1)}


@dataclass(frozen=True, slots=True)
class SetIndex:
    """The tool names, queries and query n-grams of one test set."""

    name: str
    tools: frozenset[str]
    queries: frozenset[str]
    grams: Mapping[tuple[str, ...], int]  # n-gram -> index of one test query holding it
    query_list: tuple[str, ...]
    n: int


def _first_user(messages: Iterable[Mapping[str, Any]]) -> str:
    for m in messages:
        if m.get("role") == "user":
            return str(m.get("content", ""))
    return ""


def _norm_query(q: str) -> str:
    return " ".join(_words(q))


_CACHE: dict[tuple[str, str, int], SetIndex] = {}


def load_test_index(name: str, data_dir: Path, n: int = 8) -> SetIndex:
    """Index test set ``name`` (a :func:`test_set_benchmarks` key) from the benchmark data (cached per process)."""
    key = (name, str(data_dir), n)
    if key in _CACHE:
        return _CACHE[key]
    from benchmarks import BENCHMARKS

    tools: set[str] = set()
    queries: list[str] = []
    for bench in test_set_benchmarks()[name]:
        items = BENCHMARKS.get(bench).load(Path(data_dir))
        for it in items:
            tools.update(d.name for d in it.tools if d.name.lower() not in _RESERVED)
            q = _first_user(it.messages)
            if q:
                queries.append(q)
    uniq = tuple(dict.fromkeys(queries))
    grams: dict[tuple[str, ...], int] = {}
    for i, q in enumerate(uniq):
        for g in ngrams(q, n):
            grams.setdefault(g, i)
    index = SetIndex(name, frozenset(tools), frozenset(_norm_query(q) for q in uniq), grams, uniq, n)
    _CACHE[key] = index
    return index


def report(
    records: Sequence[Mapping[str, Any]],
    data_dir: Path,
    *,
    n: int = 8,
    examples: int = 3,
    test_sets: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The overlap report of trajectory dicts ``records`` against ``test_sets`` (every family of
    :func:`test_set_benchmarks` by default; see the module docstring).

    A test set whose data is missing is reported with ``"error"`` instead of numbers.
    """
    train_tools, called, queries = _train_side(records)
    out: dict[str, Any] = {
        "records": len(records),
        "queries": len(queries),
        "distinct_tools": len(train_tools),
        "called_tools": len(called),
        "ngram_n": n,
        "test_sets": {},
    }
    for name in test_set_benchmarks() if test_sets is None else test_sets:
        try:
            idx = load_test_index(name, data_dir, n)
        except (DataError, OSError) as exc:
            out["test_sets"][name] = {"error": str(exc)}
            continue
        out["test_sets"][name] = _overlap(idx, train_tools, called, queries, n, examples)
    return out


def _train_side(records: Sequence[Mapping[str, Any]]) -> tuple[set[str], set[str], list[str]]:
    """(tool names shown, tool names called, first user queries) of the training records."""
    train_tools: set[str] = set()
    called: set[str] = set()
    queries: list[str] = []
    for r in records:
        train_tools.update(
            str(t.get("name"))
            for t in r.get("tools") or ()
            if str(t.get("name", "")).lower() not in _RESERVED
        )
        for turn in r.get("turns") or ():
            called.update(
                str(c.get("name"))
                for c in turn.get("calls") or ()
                if str(c.get("name", "")).lower() not in _RESERVED
            )
        for step in r.get("gold") or ():
            called.update(str(c.get("name")) for c in step if str(c.get("name", "")).lower() not in _RESERVED)
        q = _first_user(r.get("messages") or ())
        if q:
            queries.append(q)
    called &= train_tools or called
    return train_tools, called, queries


def _overlap(
    idx: SetIndex, train_tools: set[str], called: set[str], queries: Sequence[str], n: int, examples: int
) -> dict[str, Any]:
    """One test set's entry of the report: shared tool names, queries sharing an n-gram, exact duplicates."""
    shared_tools = sorted(train_tools & idx.tools)
    hit = 0
    exact = 0
    shown: list[dict[str, str]] = []
    for q in queries:
        if _norm_query(q) in idx.queries:
            exact += 1
        match = next((g for g in ngrams(q, n) if g in idx.grams), None)
        if match is not None:
            hit += 1
            if len(shown) < examples:
                shown.append(
                    {
                        "query": q[:200],
                        "test_query": idx.query_list[idx.grams[match]][:200],
                        "ngram": " ".join(match),
                    }
                )
    return {
        "test_tools": len(idx.tools),
        "test_queries": len(idx.query_list),
        "shared_tool_names": len(shared_tools),
        "shared_tool_fraction": round(len(shared_tools) / len(train_tools), 4) if train_tools else 0.0,
        "called_tools_in_test": round(len(called & idx.tools) / len(called), 4) if called else 0.0,
        "shared_tool_examples": shared_tools[:10],
        "queries_with_shared_ngram": hit,
        "query_ngram_overlap": round(hit / len(queries), 4) if queries else 0.0,
        "exact_duplicate_queries": exact,
        "examples": shown,
    }


def write_report(path: str | Path, data_dir: Path, *, n: int = 8) -> tuple[Path, dict[str, Any]]:
    """Read trajectory file ``path``, write ``path.decontam.json`` next to it; returns (report path, report)."""
    from training.trajectory import read_trajectories

    p = Path(path)
    records = [t.to_dict() for t in read_trajectories(p)]
    rep = report(records, data_dir, n=n)
    rep["file"] = str(p)
    out = p.with_name(p.name + ".decontam.json")
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(jsonio.dumps(rep, indent=2) + "\n", encoding="utf-8")
    tmp.replace(out)
    return out, rep


def summary_lines(rep: Mapping[str, Any]) -> list[str]:
    """A short human summary: one line per test set."""
    lines = [
        f"decontamination ({rep.get('records', 0)} records, {rep.get('distinct_tools', 0)} tool names, "
        f"{rep.get('ngram_n')}-gram queries):"
    ]
    for name, r in (rep.get("test_sets") or {}).items():
        if "error" in r:
            lines.append(f"  {name:<11} not checked: {r['error']}")
            continue
        lines.append(
            f"  {name:<11} tool names shared {r['shared_tool_names']} ({100 * r['shared_tool_fraction']:.1f}%), "
            f"queries with a shared n-gram {r['queries_with_shared_ngram']} "
            f"({100 * r['query_ngram_overlap']:.1f}%), exact duplicates {r['exact_duplicate_queries']}"
        )
    return lines
