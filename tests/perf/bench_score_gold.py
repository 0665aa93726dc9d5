"""Time scoring every registered benchmark's gold answers as predictions, on one core.

Run: ``python tests/perf/bench_score_gold.py [--data-dir DIR] [--mode upstream|fixed]``. Prints ONE JSON
object: per benchmark the item count, load and scoring seconds and the headline summary, plus
``total_score_s`` (target: under 10 s for all four benchmarks). Benchmarks whose module is not there yet
or whose data is missing are listed under ``skipped`` with the reason.

Gold output per item: the benchmark's ``gold_output(item)`` when it defines one; else the first gold
alternative rendered in the benchmark's default format (ReAct ``Action:``/``Action Input:``, or Python
call syntax); ToolEyes (no gold) gets a one-step transcript that finishes at once.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import BENCHMARKS, NAMES
from benchmarks.metrics import aggregate_for
from benchmarks.predictions import Matching, Record, score_item_records

#: Every registered benchmark, scored once (the BFCL sub-splits are parts of bfcl-v3-exec).
FAMILIES = tuple(n for n in NAMES if not n.startswith("bfcl-v3-exec-"))


def _render(call: Any, fmt: str) -> str:
    if fmt == "react":
        return f"Thought:\nAction: {call.name}\nAction Input: {json.dumps(dict(call.arguments), ensure_ascii=False)}"
    args = ", ".join(f"{k}={json.dumps(v)}" for k, v in call.arguments.items())
    return f"{call.name}({args})"


def _gold_record(bench: Any, item: Any) -> dict[str, Any]:
    if bench.episodic:
        finish = {
            "role": "assistant",
            "content": 'Thought: done\nAction: finish\nAction Input: {"answer": "ok"}',
        }
        return {"index": item.index, "messages": [*item.messages, finish]}
    hook = getattr(bench, "gold_output", None)
    if hook is not None:
        return {"index": item.index, "output": hook(item)}
    alt = item.gold[0] if item.gold else ()
    fmt = getattr(bench, "default_format", "react")
    if fmt == "react" and alt:
        return {"index": item.index, "output": alt[0].raw or _render(alt[0], fmt)}
    return {"index": item.index, "output": "\n".join(_render(c, fmt) for c in alt)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--data-dir", type=Path, default=Path(os.environ.get("TLBENCH_DATA") or "/work/shared/data")
    )
    parser.add_argument("--mode", default="upstream", choices=("upstream", "fixed"))
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    results: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    total_score = total_load = 0.0
    for name in FAMILIES:
        try:
            bench = BENCHMARKS.get(name)
            t0 = time.perf_counter()
            items = bench.load(args.data_dir)
            t1 = time.perf_counter()
        except (ImportError, AttributeError) as exc:
            skipped[name] = f"module not available: {exc}"
            continue
        except Exception as exc:  # noqa: BLE001 - a perf script reports and goes on
            skipped[name] = f"{type(exc).__name__}: {exc}"
            continue
        records = {
            it.index: Record(line=i + 1, ordinal=i, data=_gold_record(bench, it))
            for i, it in enumerate(items)
        }
        t2 = time.perf_counter()
        scores = score_item_records(bench, items, Matching(by_index=records), args.mode, None)
        agg = aggregate_for(bench, scores)
        t3 = time.perf_counter()
        total_load += t1 - t0
        total_score += t3 - t2
        results[name] = {
            "n": len(items),
            "load_s": round(t1 - t0, 3),
            "score_s": round(t3 - t2, 3),
            "summary": {k: v for k, v in agg.summary.items() if isinstance(v, int | float)},
        }
    print(
        json.dumps(
            {
                "bench": "score_gold",
                "mode": args.mode,
                "cores": 1,
                "python": platform.python_version(),
                "benchmarks": results,
                "skipped": skipped,
                "total_load_s": round(total_load, 3),
                "total_score_s": round(total_score, 3),
                "target_s": 10.0,
                "ok": total_score < 10.0,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
