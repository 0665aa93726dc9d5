"""In-process throughput of the executors (no sandbox): prints ONE JSON object of calls per second.

Run: ``python tests/perf/perf_exec_executors.py [n]``. Measures the local calculator, the deterministic
simulator, a replay-store hit and miss, and the fault injector around the simulator.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tlbench.types import ToolCall, ToolDoc
from tools_env.base import CallContext, ToolExecError
from tools_env.faults import FaultInjector
from tools_env.impls.local import LocalExecutor
from tools_env.replay import RecordingExecutor, ReplayExecutor, ReplayStore
from tools_env.simulate import SimulatedExecutor


def _rate(n: int, fn: Callable[[int], object]) -> float:
    start = time.perf_counter()
    for i in range(n):
        try:
            fn(i)
        except ToolExecError:
            pass
    return round(n / (time.perf_counter() - start), 1)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    with tempfile.TemporaryDirectory() as tmp:
        ctx = CallContext(workdir=Path(tmp), seed=1)
        local, sim = LocalExecutor(), SimulatedExecutor()
        calc = ToolDoc(name="calculator")
        web = ToolDoc(name="search_news")
        store = ReplayStore(Path(tmp) / "r.sqlite")
        rec = RecordingExecutor(sim, store)
        replay = ReplayExecutor(store)
        faults = FaultInjector(sim, {"timeout": 0.05}, seed=1)
        out = {
            "n": n,
            "local_calculator_calls_per_s": _rate(
                n, lambda i: local.execute(ToolCall("calculator", {"input_query": f"{i}*3+1"}), calc, ctx)
            ),
            "simulate_calls_per_s": _rate(
                n, lambda i: sim.execute(ToolCall("search_news", {"q": f"x{i}"}), web, ctx)
            ),
            "record_calls_per_s": _rate(
                n, lambda i: rec.execute(ToolCall("search_news", {"q": f"x{i}"}), web, ctx)
            ),
            "replay_hit_calls_per_s": _rate(
                n, lambda i: replay.execute(ToolCall("search_news", {"q": f"x{i}"}), web, ctx)
            ),
            "replay_miss_calls_per_s": _rate(
                n, lambda i: replay.execute(ToolCall("search_news", {"q": f"y{i}"}), web, ctx)
            ),
            "faults_5pct_calls_per_s": _rate(
                n, lambda i: faults.execute(ToolCall("search_news", {"q": f"x{i}"}), web, ctx)
            ),
        }
        store.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
