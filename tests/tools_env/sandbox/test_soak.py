"""A 10,000-call soak with 5% injected faults, and leak checks (processes, fds, temp dirs) after close()."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import bad_tools
from leak_probe import HERE, child_pids, open_fds

from tools_env.sandbox import SandboxLimits, SandboxPool, SandboxRequest


def _sandbox_dirs() -> set[str]:
    return {p for p in os.listdir(tempfile.gettempdir()) if p.startswith("tlbench-sandbox-")}


def test_soak_10000_calls_5_percent_faults_loses_nothing_and_leaks_nothing() -> None:
    fds0, kids0, dirs0 = open_fds(), child_pids(), _sandbox_dirs()
    n, rate, seed = 10_000, 0.05, 11
    expected = [bad_tools.fault_mode(i, rate, seed) for i in range(n)]
    assert 0.04 * n < sum(m != "ok" for m in expected) < 0.06 * n
    # the hangs get a short deadline; every other call a generous one, so that a loaded machine does not turn
    # a normal call into a time-out (how fast the soak runs: tests/perf/bench_worst_case.py, soak_calls_per_s)
    limits = SandboxLimits(timeout_s=30.0)
    with SandboxPool(2, limits, sys_path=[HERE]) as pool:
        pids = pool.worker_pids
        outs = []
        for start in range(0, n, 1000):  # batches, like a rollout step
            reqs = [
                SandboxRequest(
                    "bad_tools:flaky",
                    {"i": i, "rate": rate, "seed": seed},
                    timeout_s=0.25 if expected[i] == "hang" else None,
                )
                for i in range(start, start + 1000)
            ]
            outs += pool.run_many(reqs)
        replaced = pool.replaced
    assert len(outs) == n
    for i, (o, mode) in enumerate(zip(outs, expected, strict=True)):
        if mode == "ok":
            assert o.ok and o.value == {"i": i, "sq": i * i}, (i, o)
        elif mode == "error":
            assert o.status == "failed" and o.text == f"ValueError: flaky failure {i}", (i, o)
        elif mode == "unstable":
            assert o.status == "unstable" and "503" in o.text, (i, o)
        elif mode == "crash":
            assert o.status == "unstable" and "SIGABRT" in o.text, (i, o)
        else:
            assert o.status == "unstable" and "timed out" in o.text, (i, o)
    assert replaced == sum(m in ("crash", "hang") for m in expected)
    # nothing left behind: every worker reaped, every pipe closed, every temp dir gone
    assert child_pids() - kids0 == set()
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists()
    assert open_fds() == fds0
    assert _sandbox_dirs() == dirs0


def test_close_after_misbehaviour_leaks_nothing() -> None:
    fds0, kids0, dirs0 = open_fds(), child_pids(), _sandbox_dirs()
    pool = SandboxPool(2, SandboxLimits(timeout_s=0.3), sys_path=[HERE])
    pool.run("bad_tools:hang", {})
    pool.run("bad_tools:abort", {})
    pool.run("bad_tools:fork", {})
    pool.run_many([SandboxRequest("bad_tools:hang", {}), SandboxRequest("bad_tools:add", {"a": 1, "b": 2})])
    assert len(child_pids() - kids0) == 2
    pool.close()
    pool.close()
    assert child_pids() - kids0 == set()
    assert open_fds() == fds0
    assert _sandbox_dirs() == dirs0


def test_context_manager_closes_even_on_error() -> None:
    kids0 = child_pids()
    try:
        with SandboxPool(1, sys_path=[HERE]) as pool:
            assert pool.run("bad_tools:add", {"a": 1, "b": 1}).value == 2
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert child_pids() - kids0 == set()


def test_threads_share_a_pool() -> None:
    from concurrent.futures import ThreadPoolExecutor

    with SandboxPool(2, sys_path=[HERE]) as pool:
        with ThreadPoolExecutor(4) as ex:
            results = list(ex.map(lambda i: pool.run("bad_tools:add", {"a": i, "b": 1}).value, range(200)))
    assert results == [i + 1 for i in range(200)]
