"""Every executor satisfies the ``tools_env.base.Executor`` protocol and is reachable by its registry target."""

from __future__ import annotations

import pytest

from tlbench.registry import Registry
from tools_env.base import Executor

TARGETS = {
    "local": "tools_env.impls.local:LocalExecutor",
    "simulate": "tools_env.simulate:SimulatedExecutor",
    "replay": "tools_env.replay:ReplayExecutor",
    "record": "tools_env.replay:RecordingExecutor",
    "cached": "tools_env.replay:CachedExecutor",
    "llm_sim": "tools_env.llm_sim:LLMSimulatedExecutor",
    "live_http": "tools_env.live_http:LiveHttpExecutor",
    "faults": "tools_env.faults:FaultInjector",
    "user": "tools_env.user:SimulatedUser",
    "run_local_tool": "tools_env.impls.local:run_local_tool",
}


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_targets_resolve(name: str) -> None:
    reg: Registry[object] = Registry("executor")
    reg.add(name, TARGETS[name])
    obj = reg.get(name)
    assert callable(obj)
    if isinstance(obj, type):
        assert callable(getattr(obj, "execute", None))


def test_instances_satisfy_the_protocol(tmp_path) -> None:
    from tools_env.faults import FaultInjector
    from tools_env.impls.local import LocalExecutor
    from tools_env.live_http import LiveHttpExecutor
    from tools_env.llm_sim import ChatEndpoint, LLMSimulatedExecutor
    from tools_env.replay import CachedExecutor, RecordingExecutor, ReplayExecutor, ReplayStore
    from tools_env.simulate import SimulatedExecutor
    from tools_env.user import SimulatedUser

    store = ReplayStore(tmp_path / "s.sqlite")
    sim = SimulatedExecutor()
    executors = [
        LocalExecutor(),
        sim,
        ReplayExecutor(store),
        RecordingExecutor(sim, store),
        CachedExecutor(sim, store),
        LLMSimulatedExecutor(ChatEndpoint("http://127.0.0.1:9/v1", "m")),
        LiveHttpExecutor({}),
        FaultInjector(sim, {"timeout": 0.1}),
        SimulatedUser(),
    ]
    for ex in executors:
        assert isinstance(ex, Executor), type(ex).__name__
        assert isinstance(ex.name, str) and ex.name
