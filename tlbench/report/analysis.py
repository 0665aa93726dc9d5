"""Error breakdown of a run (the paper's Table 1 / Figure 3) and RoTBench robustness curves.

The categories are the shared classifier's, already stored per item in ``items.jsonl`` (``categories``);
nothing here re-decides whether an item is wrong. Two Table 1 sub-types are not stored and are derived
with the same classifier (:func:`tlbench.classify.classify`) from the item's parsed ``calls`` and its gold:

* wrong tool: ``first_token`` (the name differs from the closest gold name from its first token) or
  ``shared_prefix`` (:class:`tlbench.types.WrongToolKind`), or ``no_call`` when the model answered
  without calling a tool where the gold expects a call (the classifier files that under wrong tool);
* content error: ``synonym`` (the differing values are equal after the classifier's normalisation: case,
  whitespace, Unicode form, numeric strings) or ``other``.

Gold and tool docs come from the benchmark data when it can be loaded (``--data-dir``/``$TLBENCH_DATA``),
else from the item's own ``gold`` key (``--model`` runs write it: a flat list of calls is one answer, a
list of lists holds alternatives) with name-only docs; an item with neither is counted under ``unknown``.

Units: single-turn benchmarks count *items* (an item with several problems counts once under each);
episode benchmarks (ToolEyes) count *call attempts*, one category per attempt, which also gives the
execution categories (tool call failure, instability, other).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tlbench.report.compare import is_episodic
from tlbench.report.runs import Run
from tlbench.types import ErrorKind

__all__ = [
    "CATEGORY_ROWS",
    "Breakdown",
    "breakdown",
    "analyze_run",
    "robustness",
    "ROBUSTNESS_LEVELS",
    "load_benchmark_items",
    "item_categories",
]

#: Rows of the breakdown table: key and label (sub-types, marked '- ', follow their parent). The keys are the
#: ``ErrorKind`` values stored in ``items.jsonl`` (every kind but ``correct`` has a row), ``missing``, and
#: ``<kind>:<sub-type>`` (``tests/report/test_analysis.py`` holds the table to the taxonomy).
CATEGORY_ROWS: tuple[tuple[str, str], ...] = (
    ("missing", "no prediction (missing)"),
    ("unparsable", "format error (unparsable)"),
    ("tool_hallucination", "tool hallucination"),
    ("wrong_tool", "wrong tool"),
    ("wrong_tool:first_token", "- first token differs"),
    ("wrong_tool:shared_prefix", "- shared prefix"),
    ("wrong_tool:no_call", "- answered without a call"),
    ("wrong_tool:unknown", "- sub-type unknown (no gold)"),
    ("parameter_hallucination", "parameter hallucination"),
    ("missing_parameter", "missing parameter"),
    ("redundant_parameter", "redundant parameter"),
    ("type_mismatch", "type mismatch"),
    ("content_error", "content error"),
    ("content_error:synonym", "- synonym (equal after normalising)"),
    ("content_error:other", "- other content"),
    ("content_error:unknown", "- sub-type unknown (no gold)"),
    ("tool_call_failure", "tool call failure"),
    ("tool_instability", "tool instability"),
    ("other", "other execution error"),
)

#: RoTBench noise levels of the robustness curve, in order.
ROBUSTNESS_LEVELS = ("clean", "slight", "medium", "heavy", "union")


@dataclass(frozen=True)
class Breakdown:
    """Category counts of one benchmark of one run; ``unit`` is ``items`` or ``call attempts``."""

    run: str
    benchmark: str
    unit: str
    n: int
    errors: int
    counts: Mapping[str, int] = field(default_factory=dict)

    def share(self, key: str) -> float:
        """``100 * count / n`` (two decimals)."""
        return round(100.0 * self.counts.get(key, 0) / self.n, 2) if self.n else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "run": self.run,
            "benchmark": self.benchmark,
            "unit": self.unit,
            "n": self.n,
            "errors": self.errors,
            "counts": dict(self.counts),
            "percent": {k: self.share(k) for k in self.counts},
        }


def _calls(value: Any) -> list[Any]:
    from tlbench.types import ToolCall

    out = []
    for raw in value or ():
        try:
            out.append(ToolCall.from_dict(raw))
        except (KeyError, ValueError, TypeError, AttributeError):
            continue
    return out


def _record_gold(record: Mapping[str, Any], benchmark: str) -> list[list[Any]] | None:
    from tlbench.classify import gold_alternatives

    gold = record.get("gold")
    if gold is None:
        return None
    if isinstance(gold, list) and gold and all(isinstance(g, Mapping) for g in gold):
        gold = [gold]  # a flat list is ONE answer (its calls in parallel), as ``--model`` runs write it
    try:
        return gold_alternatives(gold)
    except ValueError:
        return None


def _subtypes(record: Mapping[str, Any], cats: set[str], benchmark: str, item: Any | None) -> dict[str, int]:
    """Wrong-tool and content sub-types of one item, via the shared classifier."""
    from tlbench.classify import classify
    from tlbench.types import ToolDoc

    want_tool = ErrorKind.WRONG_TOOL.value in cats
    want_content = ErrorKind.CONTENT_ERROR.value in cats
    if not (want_tool or want_content):
        return {}
    calls = _calls(record.get("calls"))
    if item is not None and item.gold:
        gold, docs = [list(alt) for alt in item.gold], list(item.tools)
    else:
        gold = _record_gold(record, benchmark)
        names = {c.name for c in calls} | {c.name for alt in gold or () for c in alt}
        docs = [ToolDoc(name=n, parameters={}) for n in names]
    out: dict[str, int] = {}
    if gold and not calls and want_tool:  # a final answer (or nothing) where the gold expects a call
        out["wrong_tool:no_call"] = 1
        if want_content:
            out["content_error:unknown"] = 1
        return out
    if not gold or not calls:
        if want_tool:
            out["wrong_tool:unknown"] = 1
        if want_content:
            out["content_error:unknown"] = 1
        return out
    from benchmarks import BENCHMARKS

    bench = BENCHMARKS.find(benchmark)
    wildcard = bench.wildcard if bench is not None else None  # RoTBench's "None": any value
    verdict = classify(calls, docs, gold, wildcard=wildcard)
    tool_kinds = {cv.wrong_tool.value for cv in verdict.calls if cv.call is not None and cv.wrong_tool}
    content = [cv.content_normalised_equal for cv in verdict.calls if ErrorKind.CONTENT_ERROR in cv.kinds]
    if want_tool:
        for kind in tool_kinds or {"unknown"}:
            out[f"wrong_tool:{kind}"] = 1
    if want_content:
        if not content:
            out["content_error:unknown"] = 1
        elif all(content):
            out["content_error:synonym"] = 1
        else:
            out["content_error:other"] = 1
    return out


@functools.lru_cache(maxsize=32)
def _cached_items(benchmark: str, data_dir: str) -> Mapping[int, Any]:
    from benchmarks import BENCHMARKS
    from tlbench.errors import TlbenchError

    try:
        items = BENCHMARKS.get(benchmark).load(Path(data_dir))
    except (TlbenchError, OSError, ValueError, KeyError):
        return {}
    return {it.index: it for it in items}


def load_benchmark_items(benchmark: str, data_dir: Path | None) -> Mapping[int, Any]:
    """The benchmark's items by index when its data loads from ``data_dir`` (cached), else ``{}``."""
    if data_dir is None:
        return {}
    return _cached_items(benchmark, str(data_dir))


def item_categories(rec: Mapping[str, Any]) -> list[str]:
    """The stored categories of an item; for a wrong item with none stored, ``missing`` (no prediction)
    or ``unparsable`` (the scorer could not read the output)."""
    cats = [str(c) for c in rec.get("categories") or ()]
    if not cats and not rec.get("correct"):
        detail = rec.get("detail") if isinstance(rec.get("detail"), Mapping) else {}
        if detail.get("missing"):
            return ["missing"]
        if not rec.get("parsed", True):
            return [ErrorKind.UNPARSABLE.value]
    return cats


def breakdown(
    run_name: str,
    benchmark: str,
    records: Sequence[Mapping[str, Any]],
    items: Mapping[int, Any] | None = None,
) -> Breakdown:
    """Count the categories of one benchmark's item records (see the module docstring for units)."""
    counts: dict[str, int] = {}
    if is_episodic(benchmark):
        n = errors = 0
        for rec in records:
            for cat in rec.get("categories") or ():
                n += 1
                if cat != ErrorKind.CORRECT.value:
                    errors += 1
                    counts[cat] = counts.get(cat, 0) + 1
        return Breakdown(run_name, benchmark, "call attempts", n, errors, counts)
    errors = 0
    for rec in records:
        cats = {c for c in item_categories(rec) if c != ErrorKind.CORRECT.value}
        if not cats:
            continue
        errors += 1
        for cat in cats:
            counts[cat] = counts.get(cat, 0) + 1
        item = (items or {}).get(rec.get("index"))  # type: ignore[arg-type]
        for key, v in _subtypes(rec, cats, benchmark, item).items():
            counts[key] = counts.get(key, 0) + v
    return Breakdown(run_name, benchmark, "items", len(records), errors, counts)


def analyze_run(
    run: Run, benchmarks: Sequence[str] | None = None, data_dir: Path | None = None
) -> list[Breakdown]:
    """One breakdown per benchmark of the run (or per benchmark asked for that the run has)."""
    out = []
    for bench in benchmarks or run.benchmarks:
        if bench not in run.results:
            continue
        records = run.items(bench)
        out.append(breakdown(run.name, bench, records, load_benchmark_items(bench, data_dir)))
    return out


def robustness(runs: Sequence[Run], turn: str = "first") -> dict[str, dict[str, dict[str, float]]]:
    """``{run: {level: {"TS", "PI", "CF"}}}`` over the RoTBench levels each run scored (runs with none left out)."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for run in runs:
        levels: dict[str, dict[str, float]] = {}
        for level in ROBUSTNESS_LEVELS:
            summary = run.summary(f"rotbench-{turn}-{level}")
            if summary:
                levels[level] = {m: float(summary.get(m, 0.0)) for m in ("TS", "PI", "CF")}
        if levels:
            out[run.name] = levels
    return out
