"""Build small run directories for the report tests through the real scoring path.

``build_run`` writes ``<root>/<name>/manifest.json`` and, per benchmark, ``predictions.jsonl`` and the
``results.json`` / ``items.jsonl`` pair that ``tlbench score --predictions ... --out`` writes (it calls
``benchmarks.predictions.score_predictions``, the function behind that command). ``write_summary_run``
writes hand-chosen ``results.json`` summaries only (for the table tests, where every number is set by hand).

Predictions: ``gold_output(bench, item)`` renders an item's first gold answer in the benchmark's format
(the same rule as ``tests/perf/bench_score_gold.py``); ``perturb`` turns it into a known error.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from benchmarks import BENCHMARKS
from benchmarks.predictions import score_predictions


def _render(call: Any, fmt: str) -> str:
    if fmt == "react":
        args = json.dumps(dict(call.arguments), ensure_ascii=False)
        return f"Thought:\nAction: {call.name}\nAction Input: {args}"
    args = ", ".join(f"{k}={json.dumps(v)}" for k, v in call.arguments.items())
    return f"{call.name}({args})"


def gold_output(bench: Any, item: Any) -> str:
    """The item's first gold answer as model output."""
    hook = getattr(bench, "gold_output", None)
    if hook is not None:
        return hook(item)
    alt = item.gold[0] if item.gold else ()
    fmt = getattr(bench, "default_format", "react")
    return "\n".join(_render(c, fmt) for c in alt)


def finish_transcript(item: Any, calls: list[tuple[str, dict[str, Any], str]] = ()) -> dict[str, Any]:
    """A ToolEyes transcript: the given (tool, args, feedback) steps, then a finish."""
    msgs: list[dict[str, Any]] = [dict(m) for m in item.messages]
    for name, args, feedback in calls:
        text = f"Thought: call\nAction: {name}\nAction Input: {json.dumps(args)}"
        msgs += [{"role": "assistant", "content": text}, {"role": "function", "content": feedback}]
    msgs.append(
        {"role": "assistant", "content": 'Thought: done\nAction: finish\nAction Input: {"answer": "ok"}'}
    )
    return {"index": item.index, "messages": msgs}


def build_run(
    root: Path,
    name: str,
    data_dir: Path,
    outputs: Mapping[str, Callable[[Any, Any], dict[str, Any] | str | None]],
    *,
    mode: str = "upstream",
    resamples: int = 50,
) -> Path:
    """A run dir scoring ``outputs[bench](bench, item)`` per item (None = no prediction, a dict = a record)."""
    run = root / name
    run.mkdir(parents=True, exist_ok=True)
    for bench_name, make in outputs.items():
        bench = BENCHMARKS.get(bench_name)
        folder = run / bench_name
        folder.mkdir(exist_ok=True)
        lines = []
        for item in bench.load(data_dir):
            out = make(bench, item)
            if out is None:
                continue
            lines.append(
                out if isinstance(out, dict) else {"index": item.index, "id": item.id, "output": out}
            )
        preds = folder / "predictions.jsonl"
        preds.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
        result = score_predictions(bench_name, preds, data_dir, mode=mode, resamples=resamples)
        head = {k: v for k, v in result.items() if k != "items"}
        (folder / "results.json").write_text(json.dumps(head, indent=2), encoding="utf-8")
        with open(folder / "items.jsonl", "w", encoding="utf-8") as fh:
            for rec in result["items"]:
                fh.write(json.dumps(rec) + "\n")
    _manifest(run, name, list(outputs), mode)
    return run


def _manifest(run: Path, name: str, benchmarks: list[str], mode: str) -> None:
    manifest = {
        "name": name,
        "model": name,
        "model_id": f"test:{name}",
        "backend": "mock",
        "prompt_format": "react",
        "mode": mode,
        "sampling": {},
        "seed": 0,
        "limit": None,
        "benchmarks": benchmarks,
        "versions": {},
        "data_hashes": {},
        "wall_time_s": 0.0,
        "tokens_generated": 0,
        "generations": 0,
        "cache_hits": 0,
        "created": "2026-01-01T00:00:00Z",
        "status": "complete",
    }
    (run / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def write_summary_run(root: Path, name: str, summaries: Mapping[str, Mapping[str, float]]) -> Path:
    """A run dir whose ``results.json`` files hold only the given summaries (no items)."""
    run = root / name
    run.mkdir(parents=True, exist_ok=True)
    for bench, summary in summaries.items():
        (run / bench).mkdir(exist_ok=True)
        head = {
            "benchmark": bench,
            "mode": "upstream",
            "summary": dict(summary),
            "per_scenario": {},
            "ci95": {},
        }
        (run / bench / "results.json").write_text(json.dumps(head), encoding="utf-8")
        (run / bench / "items.jsonl").write_text("", encoding="utf-8")
    _manifest(run, name, list(summaries), "upstream")
    return run


def write_items_run(root: Path, name: str, benchmark: str, items: list[dict[str, Any]]) -> Path:
    """A run dir with hand-written item records for one benchmark (summary left empty)."""
    run = root / name
    (run / benchmark).mkdir(parents=True, exist_ok=True)
    head = {"benchmark": benchmark, "mode": "upstream", "summary": {"n": len(items)}}
    (run / benchmark / "results.json").write_text(json.dumps(head), encoding="utf-8")
    (run / benchmark / "items.jsonl").write_text(
        "".join(json.dumps(x) + "\n" for x in items), encoding="utf-8"
    )
    _manifest(run, name, [benchmark], "upstream")
    return run
