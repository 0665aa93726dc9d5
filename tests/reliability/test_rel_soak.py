"""tools_env soak: 100,000 sandboxed calls with 5% injected faults (errors, 5xx, crashes, hangs) and a stream of
misbehaving tools (print floods, huge results, forks, sockets, writes outside, memory hogs, segfaults, exits),
then the same through ToolEnv with the FaultInjector: every call answered, the right outcome per call,
and afterwards no leaked process, file descriptor or temp dir, and memory flat (parent and workers)."""

from __future__ import annotations

import gc
import os
import tempfile
from pathlib import Path

import bad_tools
import pytest
from leak_probe import HERE, child_pids, open_fds

from tlbench.types import ErrorKind, ToolCall, ToolDoc
from tools_env.env import ToolEnv
from tools_env.registry import ToolRegistry
from tools_env.sandbox import ErrorClass, SandboxLimits, SandboxPool, SandboxRequest

N = int(os.environ.get("TLBENCH_SOAK_N") or 100_000)
BATCH = 1000
#: (target, kwargs) of misbehaving tools; each must come back as a failure, never take the pool down.
MISBEHAVE = [
    ("bad_tools:print_flood", {"mb": 2}),
    ("bad_tools:huge_result", {"mb": 4}),
    ("bad_tools:fork", {}),
    ("bad_tools:spawn", {}),
    ("bad_tools:connect", {}),
    ("bad_tools:write_outside", {"path": "/etc/tlbench-soak"}),
    ("bad_tools:hog_memory", {"chunk_mb": 64}),
    ("bad_tools:segfault", {}),
    ("bad_tools:exit_now", {}),
    ("bad_tools:spin", {}),
    ("bad_tools:returns_bytes", {}),
    ("bad_tools:kill_parent", {}),
]


def _temp_dirs() -> set[str]:
    return {
        p for p in os.listdir(tempfile.gettempdir()) if p.startswith(("tlbench-sandbox-", "tlbench-episode-"))
    }


def _rss_kib(pid: int | str = "self") -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return 0
    return 0


@pytest.fixture(autouse=True)
def _private_tempdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Temp dirs go to a private folder: other processes on the machine create tlbench-* dirs in /tmp too."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


def test_soak_100k_calls_with_faults_and_misbehaving_tools() -> None:
    fds0, kids0, dirs0 = open_fds(), child_pids(), _temp_dirs()
    rate, seed = 0.05, 7
    limits = SandboxLimits(timeout_s=0.5, memory_bytes=768 << 20)
    rss: list[tuple[int, int]] = []
    spurious = 0
    counts = {"ok": 0, "error": 0, "unstable": 0, "crash": 0, "hang": 0, "misbehave": 0}
    with SandboxPool(2, limits, sys_path=[HERE]) as pool:
        for start in range(0, N, BATCH):
            reqs = [
                SandboxRequest("bad_tools:flaky", {"i": i, "rate": rate, "seed": seed})
                for i in range(start, start + BATCH)
            ]
            k = (start // BATCH) % len(MISBEHAVE)
            target, kwargs = MISBEHAVE[k]
            reqs.insert(BATCH // 2, SandboxRequest(target, kwargs))
            outs = pool.run_many(reqs)
            assert len(outs) == len(reqs)
            bad = outs.pop(BATCH // 2)
            assert not bad.ok, (target, bad)
            counts["misbehave"] += 1
            for i, o in zip(range(start, start + BATCH), outs, strict=True):
                mode = bad_tools.fault_mode(i, rate, seed)
                counts[mode] += 1
                if o.error_class is ErrorClass.TIMEOUT and mode != "hang":
                    spurious += 1  # a healthy call that missed its wall-clock deadline on a loaded machine
                elif mode == "ok":
                    assert o.ok and o.value == {"i": i, "sq": i * i}, (i, o)
                elif mode == "error":
                    assert o.status == "failed" and "flaky failure" in o.text, (i, o)
                else:
                    assert o.status == "unstable", (i, o)
            del outs, reqs
            if start // BATCH in (min(10, N // BATCH - 2), N // BATCH - 1):
                gc.collect()
                rss.append((_rss_kib(), sum(_rss_kib(p) for p in pool.worker_pids)))
            # the pool still answers ordinary calls right after every kind of misbehaviour
            assert pool.run("bad_tools:add", {"a": start, "b": 1}).value == start + 1
        pids = pool.worker_pids
    assert sum(counts.values()) == N + N // BATCH
    assert spurious <= N // 2000, spurious
    assert counts["crash"] > N / 1000 and counts["hang"] > N / 4000 and counts["error"] > N / 50, counts
    (parent0, workers0), (parent1, workers1) = rss
    assert parent1 - parent0 < 32 * 1024, rss  # KiB: flat, not growing with the number of calls
    assert workers1 - workers0 < 64 * 1024, rss
    assert child_pids() - kids0 == set()
    for pid in pids:
        assert not os.path.exists(f"/proc/{pid}")
    assert open_fds() <= fds0  # no descriptor leaked (a few held at the start may have closed since)
    assert _temp_dirs() == dirs0


def test_soak_tool_env_with_fault_injection_and_sandboxed_tools() -> None:
    fds0, kids0, dirs0 = open_fds(), child_pids(), _temp_dirs()
    reg = ToolRegistry()
    reg.tool(bad_tools.add)
    web = ToolDoc("search_news", parameters={"type": "object", "properties": {"q": {"type": "string"}}})
    reg.add(web, "faults")
    from tools_env.faults import FaultInjector
    from tools_env.simulate import SimulatedExecutor

    faults = FaultInjector(SimulatedExecutor(), {"timeout": 0.02, "http_5xx": 0.02, "garbled": 0.01}, seed=3)
    kinds: dict[ErrorKind, int] = {}
    with ToolEnv(reg, executors={"faults": faults}, pool_size=2) as env:
        for start in range(0, 20_000, BATCH):
            calls = []
            for i in range(start, start + BATCH):
                if i % 2:
                    calls.append(ToolCall("add", {"a": i, "b": 1}))
                elif i % 10 == 4:
                    calls.append(ToolCall("add", {"a": "x", "b": 1}))  # type error -> validation feedback
                else:
                    calls.append(ToolCall("search_news", {"q": f"q{i}"}))
            fbs = env.execute_many(calls)
            assert len(fbs) == len(calls)
            for c, fb in zip(calls, fbs, strict=True):
                kinds[fb.category] = kinds.get(fb.category, 0) + 1
                if c.name == "add" and isinstance(c.arguments["a"], int):
                    assert fb.ok and fb.text == str(c.arguments["a"] + 1), fb
    assert kinds.get(ErrorKind.TOOL_INSTABILITY, 0) > 100
    assert kinds.get(ErrorKind.CORRECT, 0) > 10_000
    assert child_pids() - kids0 == set()
    assert open_fds() <= fds0  # no descriptor leaked (a few held at the start may have closed since)
    assert _temp_dirs() == dirs0
