"""Each containment promise of tools_env.sandbox, attacked by a real misbehaving tool (tests/.../bad_tools.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tlbench.classify import classify_feedback
from tlbench.types import ErrorKind
from tools_env.base import ToolCallFailed, ToolUnstable
from tools_env.sandbox import ErrorClass, SandboxOutcome, SandboxPool, SandboxRequest


def run(pool: SandboxPool, name: str, **kwargs: object) -> SandboxOutcome:
    return pool.run(f"bad_tools:{name}", kwargs)


def assert_serves(pool: SandboxPool) -> None:
    """The pool still answers correctly after a misbehaving call."""
    out = run(pool, "add", a=2, b=3)
    assert out.ok and out.value == 5


def assert_unstable(out: SandboxOutcome, fragment: str, error_class: ErrorClass) -> None:
    assert out.status == "unstable" and out.error_class is error_class, out
    assert fragment in out.text
    assert classify_feedback(out.text) is ErrorKind.TOOL_INSTABILITY, out.text


def assert_failed(out: SandboxOutcome, fragment: str, error_class: ErrorClass) -> None:
    assert out.status == "failed" and out.error_class is error_class, out
    assert fragment in out.text
    assert classify_feedback(out.text) is ErrorKind.TOOL_CALL_FAILURE, out.text


def test_trivial_call_and_workers_report_their_guards(pool: SandboxPool) -> None:
    assert_serves(pool)
    feats = pool.features
    assert feats["audit_hook"] and feats["rlimits"]


@pytest.mark.parametrize(("tool", "kwargs"), [("hang", {"seconds": 60.0}), ("spin", {})])
def test_hang_and_endless_loop_time_out_and_worker_is_replaced(
    pool: SandboxPool, tool: str, kwargs: dict[str, float]
) -> None:
    # a hang that ignored the deadline would wake up and succeed, a spin would hit RLIMIT_CPU instead; how soon
    # the deadline answers is measured by tests/perf/bench_worst_case.py
    before = pool.replaced
    out = pool.run(f"bad_tools:{tool}", kwargs, timeout_s=0.5)
    assert_unstable(out, "timed out after 0.5 seconds", ErrorClass.TIMEOUT)
    assert out.replaced and pool.replaced == before + 1
    assert_serves(pool)


@pytest.mark.parametrize(("tool", "signal_name"), [("abort", "SIGABRT"), ("segfault", "SIGSEGV")])
def test_crash_and_segfault_are_instability(pool: SandboxPool, tool: str, signal_name: str) -> None:
    out = run(pool, tool)
    assert_unstable(out, signal_name, ErrorClass.CRASH)
    assert out.replaced
    assert_serves(pool)


def test_silent_exit_is_instability(pool: SandboxPool) -> None:
    assert_unstable(run(pool, "exit_now", code=3), "exited with status 3", ErrorClass.CRASH)
    assert_serves(pool)


def test_unbounded_allocation_hits_the_address_space_limit(pool: SandboxPool) -> None:
    # A loaded machine can take seconds to touch 512 MiB: the limit must be what stops it, not the clock.
    out = pool.run("bad_tools:hog_memory", {"chunk_mb": 32}, timeout_s=60.0)
    assert_unstable(out, "memory limit exceeded", ErrorClass.MEMORY)
    assert out.replaced
    assert_serves(pool)


@pytest.mark.parametrize("tool", ["fork", "spawn", "ctypes_fork"])
def test_forking_and_spawning_are_refused(pool: SandboxPool, tool: str) -> None:
    out = run(pool, tool)
    assert_failed(out, "Operation not permitted", ErrorClass.REFUSED)
    assert out.exception == "PermissionError"
    assert_serves(pool)


def test_fork_without_audit_event_is_stopped_by_seccomp(pool: SandboxPool) -> None:
    if not pool.features.get("seccomp"):
        pytest.skip("seccomp filter not available on this platform")
    out = run(pool, "raw_fork_exec")
    assert not out.ok and "Operation not permitted" in out.text


def test_network_is_refused(pool: SandboxPool) -> None:
    out = run(pool, "connect", host="127.0.0.1", port=9)
    assert_failed(out, "network access is disabled", ErrorClass.REFUSED)


def test_network_namespace_when_permitted(tmp_path: Path) -> None:
    with SandboxPool(1, sys_path=[Path(__file__).parent]) as p:
        if not p.features.get("netns"):
            pytest.skip("no network namespace here (needs root or unprivileged user namespaces)")
        out = p.run("socket:if_nameindex", {})
        # the audit hook refuses socket calls; the namespace is the kernel-level layer behind it
        assert not out.ok or out.value == [[1, "lo"]]


def test_write_outside_the_directory_is_refused(pool: SandboxPool, tmp_path: Path) -> None:
    target = tmp_path / "escaped.txt"
    out = run(pool, "write_outside", path=str(target))
    assert_failed(out, "Permission denied", ErrorClass.REFUSED)
    assert not target.exists()


def test_symlink_escape_is_refused(pool: SandboxPool, tmp_path: Path) -> None:
    target = tmp_path / "via-link.txt"
    out = run(pool, "symlink_escape", target=str(target))
    assert_failed(out, "Permission denied", ErrorClass.REFUSED)
    assert not target.exists()


def test_remove_outside_is_refused(pool: SandboxPool, tmp_path: Path) -> None:
    victim = tmp_path / "keep.txt"
    victim.write_text("keep")
    out = run(pool, "remove_outside", path=str(victim))
    assert_failed(out, "Permission denied", ErrorClass.REFUSED)
    assert victim.exists()


def test_writes_inside_the_call_directory_work(pool: SandboxPool, tmp_path: Path) -> None:
    out = pool.run("bad_tools:write_inside", {"name": "n.txt", "text": "hi"}, workdir=tmp_path)
    assert out.ok, out
    assert out.value["content"] == "hi"
    assert Path(out.value["cwd"]) == tmp_path.resolve()
    assert (tmp_path / "n.txt").read_text() == "hi"


def test_file_size_limit(pool: SandboxPool, tmp_path: Path) -> None:
    out = pool.run("bad_tools:big_file", {"mb": 4}, workdir=tmp_path)
    assert_failed(out, "File too large", ErrorClass.RAISED)  # the kernel's EFBIG, seen by the tool
    assert (tmp_path / "big.bin").stat().st_size <= 1 << 20


def test_printing_megabytes_is_bounded(pool: SandboxPool) -> None:
    out = run(pool, "print_flood", mb=8)
    assert_unstable(out, "output limit exceeded", ErrorClass.OUTPUT)
    assert len(out.stdout) <= 2000
    ok = run(pool, "print_some", text="hello")
    assert ok.ok and ok.stdout == "hello\n"


def test_huge_result_is_refused(pool: SandboxPool) -> None:
    assert_unstable(run(pool, "huge_result", mb=4), "output limit exceeded", ErrorClass.OUTPUT)
    assert_serves(pool)


def test_exceptions_are_tool_call_failures_with_upstream_text(pool: SandboxPool) -> None:
    out = run(pool, "compare")
    assert_failed(out, "'<' not supported between instances of 'str' and 'int'", ErrorClass.RAISED)
    assert out.text == "'<' not supported between instances of 'str' and 'int'"
    out = run(pool, "returns_bytes")
    assert out.text == "Object of type bytes is not JSON serializable"
    out = run(pool, "fail", message="bad value")
    assert out.text == "ValueError: bad value" and out.exception == "ValueError"
    out = run(pool, "add", a=1)
    assert out.text == "add() missing 1 required positional argument: 'b'"


def test_unwrap_raises_the_executor_exceptions(pool: SandboxPool) -> None:
    with pytest.raises(ToolCallFailed):
        run(pool, "fail").unwrap()
    with pytest.raises(ToolUnstable):
        pool.run("bad_tools:hang", {}, timeout_s=0.3).unwrap()
    assert run(pool, "echo", value=[1, {"a": None}]).unwrap() == [1, {"a": None}]


def test_environment_is_minimal_and_parent_cannot_be_signalled(pool: SandboxPool) -> None:
    monkey_secret = "TLBENCH_TEST_SECRET"
    os.environ[monkey_secret] = "x"
    try:
        with SandboxPool(1, sys_path=[Path(__file__).parent]) as p:
            keys = p.run("bad_tools:env_keys", {}).unwrap()
    finally:
        del os.environ[monkey_secret]
    assert monkey_secret not in keys and "HOME" in keys
    assert_failed(run(pool, "kill_parent"), "Operation not permitted", ErrorClass.REFUSED)


def test_bad_targets_and_arguments_never_raise(pool: SandboxPool) -> None:
    assert not pool.run("no_such_module_xyz:f", {}).ok
    assert not pool.run("bad_tools:no_such_function", {}).ok
    assert not pool.run("not-a-target", {}).ok
    out = pool.run_many([SandboxRequest("bad_tools:echo", {"value": float("nan")})])[0]
    assert not out.ok and "JSON" in out.text or "nan" in out.text.lower()


def test_pipelined_batch_with_misbehaving_calls_keeps_order(pool: SandboxPool) -> None:
    reqs = [SandboxRequest("bad_tools:add", {"a": i, "b": 1}) for i in range(50)]
    reqs[10] = SandboxRequest("bad_tools:abort", {})
    reqs[20] = SandboxRequest("bad_tools:hang", {}, timeout_s=0.3)
    reqs[30] = SandboxRequest("bad_tools:fail", {})
    outs = pool.run_many(reqs)
    assert len(outs) == 50
    for i, o in enumerate(outs):
        if i == 10:
            assert o.status == "unstable" and "SIGABRT" in o.text
        elif i == 20:
            assert o.status == "unstable" and "timed out" in o.text
        elif i == 30:
            assert o.status == "failed"
        else:
            assert o.ok and o.value == i + 1, (i, o)


def test_guard_treats_negative_dir_fd_as_no_dir_fd(tmp_path) -> None:
    """Audit events pass dir_fd=-1 when no descriptor is used: a path inside the root must stay allowed."""
    from tools_env.sandbox.guards import AuditGuard

    guard = AuditGuard.__new__(AuditGuard)
    guard.root = str(tmp_path.resolve())
    import os

    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert guard.inside("a/b.txt", -1)
        assert not guard.inside("/etc/passwd", -1)
    finally:
        os.chdir(cwd)


def test_write_file_into_a_subfolder_works_in_the_pool(tmp_path) -> None:
    from tools_env.sandbox import SandboxPool

    with SandboxPool(1) as pool:
        out = pool.run(
            "tools_env.impls.local:run_local_tool",
            {
                "name": "write_file",
                "arguments": {"file_path": "a/b.txt", "text": "hi"},
                "workdir": str(tmp_path),
            },
            workdir=str(tmp_path),
        )
    assert out.ok, out.text
    assert (tmp_path / "a" / "b.txt").read_text() == "hi"
