"""The one writer of a benchmark's scored results (docs/formats.md), for every path that scores:

* ``tlbench score --model`` (the runner): ``RUN/<benchmark>/`` with ``results.json``, ``items.jsonl``,
  ``predictions.jsonl`` and ``failed.jsonl`` (only when some items failed for infrastructure reasons);
* ``tlbench score --predictions ... --out DIR``: ``DIR/results.json`` and ``DIR/items.jsonl``;
* :func:`benchmarks.predictions.score_predictions`, which builds the same ``results.json`` object.

Why one module: the reports read both kinds of folder, and a re-scored ``predictions.jsonl`` must give the
same object as the run that wrote it; one :func:`result_object` keeps the keys and their order in one place.
Everything goes through :mod:`tlbench.jsonio` (strict JSON: a NaN is an error, not a corrupt file), and
each file is written atomically (temp file + rename), so a reader never sees half a file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tlbench import jsonio

__all__ = ["result_object", "write_json", "write_jsonl", "write_results"]


def result_object(
    *,
    benchmark: str,
    mode: str,
    fmt: str,
    predictions: str,
    n_items: int,
    n_predictions: int,
    missing_ids: Sequence[str],
    aggregate: Mapping[str, Any],
    prompt_format: str | None = None,
    infra_failures: Mapping[str, Any] | None = None,
    load_warnings: Sequence[str] = (),
) -> dict[str, Any]:
    """The ``results.json`` object of one benchmark (without its items).

    ``prompt_format`` and ``infra_failures`` are a model run's (the prompt format it rendered with; the
    items left unscored because their generation failed): absent from a ``--predictions`` result.
    ``aggregate`` is :meth:`benchmarks.metrics.Aggregate.to_dict` (``summary``, ``ci95``, ...).
    """
    out: dict[str, Any] = {"benchmark": benchmark, "mode": mode, "format": fmt}
    if prompt_format is not None:
        out["prompt_format"] = prompt_format
    out |= {
        "predictions": predictions,
        "n_items": n_items,
        "n_predictions": n_predictions,
        "missing_ids": list(missing_ids),
        # a load problem is an error now (load_complete); the key stays for readers
        "load_warnings": list(load_warnings),
    }
    if infra_failures is not None:
        out["infra_failures"] = dict(infra_failures)
    return {**out, **aggregate}


def write_results(
    out_dir: Path,
    result: Mapping[str, Any],
    items: Sequence[Mapping[str, Any]],
    *,
    predictions: Sequence[Mapping[str, Any]] | None = None,
    failures: Sequence[Mapping[str, Any]] | None = None,
) -> None:
    """Write one benchmark's folder: ``predictions.jsonl`` (when given), ``failed.jsonl`` (``failures``
    given: written when there are some, removed when there are none, so a completed re-run leaves no stale
    list), ``items.jsonl`` and last ``results.json`` (a folder with ``results.json`` is finished)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if predictions is not None:
        write_jsonl(out_dir / "predictions.jsonl", predictions)
    if failures:
        write_jsonl(out_dir / "failed.jsonl", failures)
    elif failures is not None:
        (out_dir / "failed.jsonl").unlink(missing_ok=True)
    write_jsonl(out_dir / "items.jsonl", items)
    write_json(out_dir / "results.json", result)


def write_json(path: Path, data: Any) -> None:
    """Atomic JSON write (temp file + rename), indented, so readers never see half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(jsonio.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def write_jsonl(path: Path, rows: Sequence[Mapping[str, Any]]) -> None:
    """Atomic JSON Lines write: one compact object per line."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(jsonio.dumps(row) + "\n")
    tmp.replace(path)
