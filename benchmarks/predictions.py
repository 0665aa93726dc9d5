"""Reading prediction files and matching their lines to benchmark items.

A prediction file is JSON Lines. For ordinary benchmarks a line is ``{"index"?: int, "id"?: str,
"output": str}``; for transcript benchmarks (ToolEyes) a line is an episode record with ``messages`` (see
``benchmarks/tooleyes.py``). Blank lines are skipped. Matching rules (``tlbench score`` depends on them):

* ``index`` (the item's position in the benchmark file) wins over ``id`` when present;
* else ``id`` is looked up among the item ids; upstream ids (``metadata["upstream_id"]``, e.g.
  RoTBench's ``"Turn 1: <query>"``) are accepted too when they name one item (a record ``path`` settles
  ToolEyes' two duplicated ids); an id that names several items is an error asking for ``index``;
* a line with neither takes the position of the line among the non-blank lines (upstream's evaluator
  aligns by position);
* an unknown index or id, or two lines for the same item, is an error (``DataError`` with file:line);
  a malformed line (not JSON, not an object, ``output`` not a string) is an error with file:line too;
* an item without a line is *missing*: it is scored as wrong and listed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.base import MODES, Benchmark, Item, ItemScore, load_complete
from benchmarks.registry import BENCHMARKS
from tlbench.errors import DataError, UsageError

__all__ = [
    "Record",
    "Matching",
    "read_records",
    "match_records",
    "load_matched",
    "score_item_records",
    "score_predictions",
]

#: Refuse absurd files early (a prediction line is a model output, not a data set).
MAX_LINE_CHARS = 50_000_000


@dataclass(frozen=True, slots=True)
class Record:
    """One non-blank line of a prediction file: its 1-based line number, ordinal and decoded object."""

    line: int
    ordinal: int
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Matching:
    """Records by item position, and the positions of items without a record."""

    by_index: Mapping[int, Record] = field(default_factory=dict)
    missing: tuple[int, ...] = ()


def read_records(path: Path | str, *, require_output: bool = True) -> list[Record]:
    """Decode every non-blank line; ``DataError(path, line)`` for the first malformed one.

    With ``require_output`` a line needs a string ``output``; ``index`` must be an int and ``id`` a
    string (or int) when present.
    """
    where = str(path)
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        raise UsageError(f"predictions file not found: {where}") from None
    except OSError as exc:
        raise UsageError(f"cannot read predictions file {where}: {exc.strerror or exc}") from None
    records: list[Record] = []
    with fh:
        for lineno, raw in enumerate(fh, start=1):  # bytes per line: a decoding error names its own line
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise DataError("not UTF-8 text", path=where, line=lineno) from None
            if not text.strip():
                continue
            if len(text) > MAX_LINE_CHARS:
                raise DataError("line too long", path=where, line=lineno)
            data = _decode(text, where, lineno)
            _check(data, where, lineno, require_output)
            records.append(Record(line=lineno, ordinal=len(records), data=data))
    if not records:  # scoring nothing as "all missing" would hide a wrong path or a failed export
        raise DataError("empty file: no prediction lines", path=where, line=1)
    return records


def _decode(text: str, where: str, lineno: int) -> Mapping[str, Any]:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise DataError(f"not valid JSON: {exc}", path=where, line=lineno) from None
    if not isinstance(data, dict):
        raise DataError("a prediction line must be a JSON object", path=where, line=lineno)
    return data


def _check(data: Mapping[str, Any], where: str, lineno: int, require_output: bool) -> None:
    index = data.get("index")
    if index is not None and (not isinstance(index, int) or isinstance(index, bool)):
        raise DataError(f"'index' must be an integer, not {index!r}", path=where, line=lineno)
    ident = data.get("id")
    if ident is not None and (not isinstance(ident, str | int) or isinstance(ident, bool)):
        raise DataError(f"'id' must be a string, not {ident!r}", path=where, line=lineno)
    if require_output and not isinstance(data.get("output"), str):
        raise DataError("missing string 'output'", path=where, line=lineno)


def _id_tables(items: Sequence[Item]) -> tuple[dict[str, int], dict[str, list[int]]]:
    own = {it.id: it.index for it in items}
    upstream: dict[str, list[int]] = {}
    for it in items:
        alias = it.metadata.get("upstream_id")
        if isinstance(alias, str) and alias and alias not in own:
            upstream.setdefault(alias, []).append(it.index)
    return own, upstream


def match_records(records: Sequence[Record], items: Sequence[Item], where: str = "predictions") -> Matching:
    """Assign records to items by the rules in the module docstring."""
    positions = {it.index: it for it in items}
    own, upstream = _id_tables(items)
    by_index: dict[int, Record] = {}
    for rec in records:
        target = _target(rec, positions, own, upstream, where)
        if target in by_index:
            first = by_index[target].line
            raise DataError(
                f"duplicate prediction for item {positions[target].id!r} (index {target}; first at line {first})",
                path=where,
                line=rec.line,
            )
        by_index[target] = rec
    missing = tuple(it.index for it in items if it.index not in by_index)
    return Matching(by_index=by_index, missing=missing)


def _target(
    rec: Record,
    positions: Mapping[int, Item],
    own: Mapping[str, int],
    upstream: Mapping[str, list[int]],
    where: str,
) -> int:
    data = rec.data
    if data.get("index") is not None:
        index = int(data["index"])
        if index not in positions:
            raise DataError(
                f"unknown index {index} (the benchmark has {len(positions)} items)", where, rec.line
            )
        return index
    if data.get("id") is not None:
        ident = str(data["id"])
        if ident in own:
            return own[ident]
        candidates = upstream.get(ident, [])
        path = data.get("path")
        if len(candidates) > 1 and isinstance(path, str):
            candidates = [i for i in candidates if positions[i].metadata.get("path") == path]
        if len(candidates) == 1:
            return candidates[0]
        if candidates:
            raise DataError(f"id {ident!r} names {len(candidates)} items; give 'index'", where, rec.line)
        raise DataError(f"unknown id {ident!r}", where, rec.line)
    if rec.ordinal not in positions:
        raise DataError(
            f"line has no index/id and its position {rec.ordinal} is past the last item", where, rec.line
        )
    return rec.ordinal


def load_matched(
    path: Path | str, items: Sequence[Item], *, require_output: bool = True
) -> tuple[list[Record], Matching]:
    """:func:`read_records` then :func:`match_records`."""
    records = read_records(path, require_output=require_output)
    return records, match_records(records, items, where=str(path))


def score_item_records(
    bench: Benchmark, items: Sequence[Item], matching: Matching, mode: str, fmt: str | None
) -> list[ItemScore]:
    """One score per item in file order: the matched record's, or the benchmark's missing score."""
    scores = []
    for item in items:
        rec = matching.by_index.get(item.index)
        if rec is None:
            scores.append(bench.missing_score(item))
        elif bench.episodic:
            scores.append(bench.score_transcript(item, rec.data, mode))
        else:
            scores.append(bench.score_item(item, rec.data["output"], mode, fmt))
    return scores


def score_predictions(
    benchmark: str,
    predictions: Path | str,
    data_dir: Path,
    *,
    mode: str = "upstream",
    fmt: str | None = None,
    resamples: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Everything ``tlbench score --json`` prints: load the benchmark, match, score, aggregate.

    Raises ``UsageError`` (unknown benchmark or mode, missing file) and ``DataError`` (file:line; a
    benchmark data file that differs from its pin or has a malformed item: :func:`load_complete`).
    """
    from benchmarks.metrics import aggregate_for
    from tlbench.run.results import result_object

    if mode not in MODES:
        raise UsageError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    bench = BENCHMARKS.get(benchmark)
    items = load_complete(bench, Path(data_dir))
    records, matching = load_matched(predictions, items, require_output=not bench.episodic)
    scores = score_item_records(bench, items, matching, mode, fmt)
    agg = aggregate_for(bench, scores, resamples=resamples, seed=seed)
    by_index = {it.index: it for it in items}
    result = result_object(
        benchmark=benchmark,
        mode=mode,
        fmt=fmt or bench.default_format,
        predictions=str(predictions),
        n_items=len(items),
        n_predictions=len(records),
        missing_ids=[by_index[i].id for i in matching.missing],
        aggregate=agg.to_dict(),
    )
    return {**result, "items": [s.to_dict() for s in scores]}
