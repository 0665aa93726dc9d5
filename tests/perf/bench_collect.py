"""Throughput of the collect engine: synthetic ToolEyes tasks, tools_env episodes, labelling, fsync'd writes.

Run: ``TLBENCH_DATA=../shared/data python tests/perf/bench_collect.py [--n N] [--model oracle|noisy]
[--batch-size B]``. Uses the scripted mock teacher (no model), so it measures everything ``tlbench collect``
does around generation: task generation, prompt rendering, parsing, tools_env execution (simulated tools),
gold tracking, the shared classifier, IRM rewards and one fsync per record. Prints ONE JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from tlbench.backends.base import GenConfig
from tlbench.backends.mock import MockBackend
from tlbench.prompts import stop_for
from training.collector import collect
from training.tasks.synthetic import generate_tasks, load_tool_library


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--model", default="noisy", choices=("oracle", "noisy"))
    ap.add_argument("--batch-size", type=int, default=8)
    args = ap.parse_args()
    data = Path(os.environ.get("TLBENCH_DATA") or "/work/shared/data")
    t0 = time.monotonic()
    tasks = generate_tasks(load_tool_library(data), n=args.n, seed=0)
    t_tasks = time.monotonic() - t0
    replies: dict[str, str] = {}
    fmt = "toolllama-react"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bench.jsonl"
        stats = collect(
            tasks,
            out,
            MockBackend(replies, model=args.model),
            fmt=fmt,
            config=GenConfig(max_new_tokens=256, stop=stop_for(fmt)),
            batch_size=args.batch_size,
            scripted=args.model,
            replies=replies,
            log=open(os.devnull, "w"),  # noqa: SIM115 - closed at exit
        )
        size = out.stat().st_size
    result = {
        "bench": "collect",
        "model": f"mock:{args.model}",
        "episodes": stats.written,
        "turns": stats.turns,
        "task_generation_s": round(t_tasks, 3),
        "collect_s": round(stats.wall_s, 3),
        "episodes_per_s": round(stats.written / stats.wall_s, 1),
        "turns_per_s": round(stats.turns / stats.wall_s, 1),
        "bytes_per_episode": size // max(stats.written, 1),
        "python": sys.version.split()[0],
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
