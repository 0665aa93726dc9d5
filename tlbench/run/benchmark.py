"""One benchmark of a run: load its items, generate (single-shot or episodes), score, write its folder.

Scoring reuses the benchmarks' own ``score_item`` / ``score_transcript`` and ``aggregate_for``, so a run's
``results.json`` is the same object as the ``--predictions`` path's (:mod:`tlbench.run.results`), and
re-scoring ``predictions.jsonl`` gives the same figures. An item whose generation failed for an
infrastructure reason has no model output: it is left out of numerator and denominator, listed in
``failed.jsonl``, and counted in ``results.json`` and the manifest (``infra_failures``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tlbench.backends import GenConfig
from tlbench.run.config import RunConfig
from tlbench.run.context import RunContext
from tlbench.run.episodes import run_episodes
from tlbench.run.results import result_object, write_results
from tlbench.run.single_shot import run_single_shot

__all__ = ["load_items", "run_benchmark"]


def load_items(cfg: RunConfig, name: str) -> tuple[Any, list[Any]]:
    """The benchmark and its first ``limit`` items; ``DataError`` for data that differs from its pin."""
    from benchmarks import BENCHMARKS
    from benchmarks.base import load_complete

    bench = BENCHMARKS.get(name)
    items = load_complete(bench, cfg.data_dir)
    return bench, items if cfg.limit is None else items[: cfg.limit]


def run_benchmark(ctx: RunContext, name: str, bench: Any, items: list[Any]) -> None:
    """Generate, score and write one benchmark (``RUN/<name>/``)."""
    from tlbench.prompts import parser_for, stop_for

    fmt = ctx.formats[name]
    parser = parser_for(fmt, ctx.tokenizer)
    config = GenConfig(max_new_tokens=ctx.cfg.max_new_tokens, stop=stop_for(fmt), seed=ctx.cfg.seed)
    (ctx.cfg.out / name).mkdir(parents=True, exist_ok=True)
    if bench.episodic:
        records, extras = run_episodes(ctx, name, items, fmt, parser, config)
        errors = [extra.pop("infra_error", None) for extra in extras]
    else:
        records, extras, errors = run_single_shot(ctx, name, items, fmt, config)
    # an item whose generation failed has no model output: it is listed, not scored (module docstring)
    keep = [k for k, err in enumerate(errors) if err is None]
    failures = [
        {"index": items[k].index, "id": items[k].id, "error": err}
        for k, err in enumerate(errors)
        if err is not None
    ]
    if bench.episodic:
        scores = [bench.score_transcript(items[k], records[k], ctx.cfg.mode) for k in keep]
    else:
        scores = [bench.score_item(items[k], records[k]["output"], ctx.cfg.mode, parser) for k in keep]
    _note_failures(ctx, name, len(items), failures)
    kept = [items[k] for k in keep]
    _write(
        ctx,
        name,
        bench,
        parser,
        kept,
        scores,
        [records[k] for k in keep],
        [extras[k] for k in keep],
        failures,
        len(items),
    )


def _note_failures(ctx: RunContext, name: str, n_items: int, failures: Sequence[Mapping[str, Any]]) -> None:
    """Add the benchmark's items and failures to the run's ``infra_failures``."""
    ctx.infra["n_items"] += n_items
    if failures:
        ctx.infra["count"] += len(failures)
        ctx.infra["benchmarks"][name] = len(failures)
        if ctx.infra["first_error"] is None:
            ctx.infra["first_error"] = str(failures[0]["error"])


def _write(
    ctx: RunContext,
    name: str,
    bench: Any,
    parser: str,
    items: Sequence[Any],
    scores: Sequence[Any],
    records: Sequence[Mapping[str, Any]],
    extras: Sequence[Mapping[str, Any]],
    failures: Sequence[Mapping[str, Any]],
    n_items: int,
) -> None:
    """results.json / items.jsonl / predictions.jsonl: the ``--predictions`` objects plus the extras, and
    failed.jsonl with the items left unscored by an infrastructure failure (removed when there are none)."""
    from benchmarks.metrics import aggregate_for

    out_dir = ctx.cfg.out / name
    agg = aggregate_for(bench, list(scores), resamples=ctx.cfg.resamples, seed=ctx.cfg.seed)
    first_error = str(failures[0]["error"]) if failures else None
    result = result_object(
        benchmark=name,
        mode=ctx.cfg.mode,
        fmt=parser,
        prompt_format=ctx.formats[name],
        predictions=str(out_dir / "predictions.jsonl"),
        n_items=n_items,
        n_predictions=len(records),
        missing_ids=[],
        infra_failures={"count": len(failures), "first_error": first_error},
        aggregate=agg.to_dict(),
    )
    rows = []
    for item, score, extra in zip(items, scores, extras, strict=True):
        gold = [[c.to_dict() for c in alt] for alt in item.gold]
        rows.append({**score.to_dict(), **extra, "gold": gold[0] if len(gold) == 1 else gold})
    write_results(out_dir, result, rows, predictions=records, failures=failures)
