"""Code-execution tools run only under the OS sandbox (bubblewrap); escape attempts are contained.

Each test is an escape a model could try from a python/bash tool: the network, secrets in home directories and
/tmp, writing outside the episode dir, the parent's environment (API keys), fork bombs, endless loops, huge
memory, huge files and output. Without bubblewrap the calls must be refused and the code never run.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from tlbench.types import ErrorKind, ToolCall, ToolDoc
from tools_env import os_sandbox
from tools_env.base import CallContext, ToolUnstable
from tools_env.env import ToolEnv
from tools_env.os_sandbox import CodeExecutor, CodeLimits, run_code, sandbox_status
from tools_env.registry import ToolRegistry

HAVE_BWRAP = shutil.which("bwrap") is not None
needs_sandbox = pytest.mark.skipif(not HAVE_BWRAP, reason="bubblewrap not installed (.ci/run installs it)")
FAST = CodeLimits(timeout_s=4.0, cpu_s=2, processes=32)


def _nobody_pids() -> set[int]:
    out = subprocess.run(["ps", "-u", "65534", "-o", "pid="], capture_output=True, text=True, check=False)
    return {int(p) for p in out.stdout.split()}


@needs_sandbox
def test_sandbox_is_usable_where_bwrap_is_installed() -> None:
    ok, why = sandbox_status()
    assert ok, why


@needs_sandbox
def test_python_and_bash_run_and_return_their_output(tmp_path: Path) -> None:
    assert run_code("python", "print(6 * 7)", tmp_path, FAST).output == "42\n"
    assert run_code("python-ast", "x = 6\nx * 7", tmp_path, FAST).output == "42\n"
    r = run_code("bash", "echo hello > f.txt && cat f.txt", tmp_path, FAST)
    assert r.output == "hello\n" and r.returncode == 0
    assert (tmp_path / "f.txt").read_text() == "hello\n"  # the episode dir is writable and shared


@needs_sandbox
def test_no_network_even_to_a_server_on_the_host_loopback(tmp_path: Path) -> None:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    try:
        code = (
            "import socket\n"
            "for host in ('127.0.0.1', '1.1.1.1', 'example.com'):\n"
            "    try:\n"
            f"        socket.create_connection((host, {port} if host == '127.0.0.1' else 80), timeout=2)\n"
            "        print('CONNECTED', host)\n"
            "    except OSError as e:\n"
            "        print('blocked', host, type(e).__name__)\n"
        )
        out = run_code("python", code, tmp_path, FAST).output
    finally:
        srv.close()
    assert "CONNECTED" not in out
    assert out.count("blocked") == 3, out


@needs_sandbox
def test_home_and_tmp_secrets_are_invisible(tmp_path: Path) -> None:
    secret = tmp_path.parent / "secret-token.txt"  # under /tmp on the host: not inside the episode dir
    secret.write_text("s3cr3t-value")
    work = tmp_path / "episode"
    work.mkdir()
    assert "s3cr3t-value" not in run_code("bash", f"cat {secret} 2>&1", work, FAST).output
    assert "s3cr3t-value" not in run_code("python", f"print(open({str(secret)!r}).read())", work, FAST).output
    home = os.path.expanduser("~")
    assert any(Path(home).iterdir()) or Path("/root").exists()  # there is something to hide on the host
    out = run_code("bash", f"ls -A /root /home {home} 2>/dev/null", work, FAST).output
    entries = [line for line in out.splitlines() if line and not line.endswith(":")]
    assert entries == [], out


@needs_sandbox
def test_writes_outside_the_episode_dir_fail_and_leave_nothing(tmp_path: Path) -> None:
    work = tmp_path / "episode"
    work.mkdir()
    repo = Path(__file__).resolve().parents[2]
    targets = ["/etc/tlbench-escape", "/usr/tlbench-escape", str(tmp_path / "escape"), str(repo / "escape")]
    code = "\n".join(f"echo x > {t} 2>/dev/null && echo WROTE {t}" for t in targets) + "\necho done"
    out = run_code("bash", code, work, FAST).output
    assert "WROTE" not in out and "done" in out
    for t in targets:
        assert not Path(t).exists(), t
    py = "import os\ntry:\n    os.symlink('/etc', 'link'); open('link/x', 'w')\nexcept OSError as e:\n    print('blocked', e.errno)\n"
    assert "blocked" in run_code("python", py, work, FAST).output
    assert not Path("/etc/x").exists()


@needs_sandbox
def test_environment_api_keys_do_not_reach_the_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-must-not-leak-123")
    out = run_code("bash", "env; cat /proc/1/environ 2>/dev/null | tr '\\0' '\\n'", tmp_path, FAST).output
    assert "sk-test-must-not-leak-123" not in out
    assert "OPENAI_API_KEY" not in out


@needs_sandbox
def test_fork_bombs_are_bounded_and_leave_no_process(tmp_path: Path) -> None:
    before = _nobody_pids()
    py = (
        "import os, time\nn = 0\ntry:\n    while True:\n        if os.fork() == 0:\n"
        "            time.sleep(60); os._exit(0)\n        n += 1\nexcept OSError as e:\n    print('stopped', n)\n"
    )
    out = run_code("python", py, tmp_path, FAST).output
    assert out.startswith("stopped"), out
    assert int(out.split()[1]) <= FAST.processes
    r = run_code("bash", ":(){ :|:& };: ; sleep 30", tmp_path, FAST)
    assert r.timed_out
    assert _nobody_pids() - before == set()  # the pid namespace died with the sandbox


@needs_sandbox
def test_endless_loops_memory_files_and_output_are_bounded(tmp_path: Path) -> None:
    r = run_code("python", "while True:\n    pass", tmp_path, FAST)
    assert r.timed_out or r.returncode != 0
    r = run_code("python", "b = bytearray(8 << 30)", tmp_path, FAST)
    assert "MemoryError" in r.output
    r = run_code("bash", "head -c 100000000 /dev/zero > big", tmp_path, FAST)
    assert (tmp_path / "big").stat().st_size <= FAST.file_size_bytes
    r = run_code("bash", "yes", tmp_path, CodeLimits(timeout_s=1.0, max_output_chars=1000))
    assert r.truncated and len(r.output) == 1000


@needs_sandbox
def test_code_executor_through_the_tool_environment(tmp_path: Path) -> None:
    docs = [
        ToolDoc(
            "execute_bash_code", parameters={"type": "object", "properties": {"commands": {"type": "string"}}}
        ),
        ToolDoc("execute_pycode", parameters={"type": "object", "properties": {"code:": {"type": "string"}}}),
    ]
    reg = ToolRegistry.from_docs(docs, CodeExecutor(FAST))
    with ToolEnv(reg, workdir=tmp_path) as env:
        fb = env.execute(ToolCall("execute_pycode", {"code:": "print(sum(range(10)))"}))
        assert fb.ok and "45" in fb.text
        fb = env.execute(ToolCall("execute_bash_code", {"commands": "sleep 60"}))
        assert not fb.ok and fb.category is ErrorKind.TOOL_INSTABILITY


def test_without_a_sandbox_code_is_refused_and_never_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TLBENCH_BWRAP", str(tmp_path / "no-such-bwrap"))
    ok, why = sandbox_status()
    assert not ok and "bubblewrap" in why
    marker = tmp_path / "ran"
    with pytest.raises(ToolUnstable, match="code execution refused: bubblewrap"):
        run_code("bash", f"touch {marker}", tmp_path)
    ctx = CallContext(workdir=tmp_path)
    with pytest.raises(ToolUnstable, match="tool unavailable"):
        CodeExecutor().execute(
            ToolCall("execute_pycode", {"code": "open('ran','w')"}), ToolDoc("execute_pycode"), ctx
        )
    assert not marker.exists() and not (tmp_path / "ran").exists()


def test_a_broken_bwrap_is_refused_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to creating new namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("TLBENCH_BWRAP", str(fake))
    ok, why = os_sandbox.sandbox_status()
    assert not ok and "No permissions" in why
    with pytest.raises(ToolUnstable, match="refused"):
        run_code("python", "print(1)", tmp_path)
