"""Throughput of the sandbox pool for a trivial tool, against the same call in-process. Prints one JSON object.

Measured: ``pipelined`` (``SandboxPool.run_many`` over the pool, the batch path used by rollouts and
``ToolEnv.execute_many``), ``sequential`` (one ``SandboxPool.run`` at a time: a full round trip per call),
``env_many`` (``ToolEnv.execute_many`` on a decorated tool: validation + sandbox + feedback) and
``in_process`` (the bare function call, and with ``json`` round trips as a fairer floor).

Usage: ``python tests/perf/bench_sandbox.py [--calls N] [--workers W]``
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

HELPERS = Path(__file__).resolve().parents[1] / "tools_env" / "sandbox"
sys.path.insert(0, str(HELPERS))

import bad_tools  # noqa: E402

from tlbench.types import ToolCall  # noqa: E402
from tools_env.env import ToolEnv  # noqa: E402
from tools_env.registry import ToolRegistry  # noqa: E402
from tools_env.sandbox import SandboxPool, SandboxRequest  # noqa: E402


def _rate(n: int, seconds: float) -> float:
    return round(n / seconds, 1) if seconds > 0 else float("inf")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--calls", type=int, default=20_000, help="calls per measurement")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="pool size")
    args = ap.parse_args()
    n = args.calls
    reqs = [SandboxRequest("bad_tools:echo", {"value": i}) for i in range(n)]
    with SandboxPool(args.workers, sys_path=[HELPERS]) as pool:
        pool.run_many(reqs[:500])  # warm up imports in every worker
        t0 = time.perf_counter()
        outs = pool.run_many(reqs)
        pipelined = time.perf_counter() - t0
        assert all(o.ok for o in outs)
        m = max(1, n // 4)
        t0 = time.perf_counter()
        for i in range(m):
            pool.run("bad_tools:echo", {"value": i})
        sequential = time.perf_counter() - t0
        features = pool.features

    reg = ToolRegistry()
    reg.tool(bad_tools.add)
    calls = [ToolCall("add", {"a": i, "b": 1}) for i in range(n)]
    with ToolEnv(reg, pool_size=args.workers) as env:
        env.execute_many(calls[:500])
        t0 = time.perf_counter()
        fbs = env.execute_many(calls)
        env_many = time.perf_counter() - t0
        assert all(f.ok for f in fbs)

    t0 = time.perf_counter()
    for i in range(n):
        bad_tools.echo(value=i)
    bare = time.perf_counter() - t0
    t0 = time.perf_counter()
    for i in range(n):
        json.dumps(bad_tools.echo(**json.loads(json.dumps({"value": i}))))
    with_json = time.perf_counter() - t0

    print(
        json.dumps(
            {
                "benchmark": "sandbox_trivial_tool",
                "calls": n,
                "workers": args.workers,
                "cpu_count": os.cpu_count(),
                "sandbox_pipelined_calls_per_s": _rate(n, pipelined),
                "sandbox_sequential_calls_per_s": _rate(m, sequential),
                "toolenv_execute_many_calls_per_s": _rate(n, env_many),
                "in_process_calls_per_s": _rate(n, bare),
                "in_process_with_json_calls_per_s": _rate(n, with_json),
                "target_calls_per_s": 2000,
                "guards": features,
            }
        )
    )


if __name__ == "__main__":
    main()
