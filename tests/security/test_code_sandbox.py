"""Code-execution tools run only under the OS sandbox (bubblewrap); escape attempts are contained.

Each test is an escape a model could try from a python/bash tool: the network, host unix sockets (dbus,
docker.sock: a path socket is not covered by the network namespace), secrets in home directories and /tmp,
writing outside the episode dir, filling the disk, the parent's environment (API keys), fork bombs, endless
loops, huge memory, huge files and output. Without bubblewrap the calls must be refused and the code never run.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tlbench.types import ErrorKind, ToolCall, ToolDoc
from tools_env import os_sandbox
from tools_env.base import CallContext, ToolCallFailed, ToolUnstable
from tools_env.env import ToolEnv
from tools_env.os_sandbox import CodeExecutor, CodeLimits, jail, run_code, sandbox_status
from tools_env.registry import ToolRegistry

HAVE_BWRAP = shutil.which("bwrap") is not None
needs_sandbox = pytest.mark.skipif(not HAVE_BWRAP, reason="bubblewrap not installed (.ci/run installs it)")
FAST = CodeLimits(timeout_s=4.0, cpu_s=2, processes=32)


def _socket_dir() -> Path:
    """Where a host service would put its socket: /run (dbus, docker.sock, snapd) when this user may write
    there, else this test directory (the old sandbox bound the whole host root, this included)."""
    run = Path("/run")
    return run if os.access(run, os.W_OK) else Path(__file__).resolve().parent


@pytest.fixture
def host_socket() -> Iterator[tuple[Path, socket.socket]]:
    """A listening AF_UNIX socket on the host, writable by anyone (like /run/dbus/system_bus_socket)."""
    path = _socket_dir() / f"tlbench-test-{os.getpid()}.sock"
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        srv.bind(str(path))
        os.chmod(path, 0o666)
        srv.listen(4)
        srv.setblocking(False)
        yield path, srv
    finally:
        srv.close()
        path.unlink(missing_ok=True)


def _tree_bytes(root: Path) -> int:
    return sum(p.lstat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())


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
def test_host_unix_sockets_cannot_be_reached(tmp_path: Path, host_socket: tuple[Path, socket.socket]) -> None:
    path, srv = host_socket
    code = (
        "import socket\n"
        "s = socket.socket(socket.AF_UNIX)\n"
        "try:\n"
        f"    s.connect({str(path)!r})\n"
        "    s.sendall(b'data from the sandbox')\n"
        "    print('CONNECTED')\n"
        "except OSError as e:\n"
        "    print('blocked', type(e).__name__)\n"
    )
    out = run_code("python", code, tmp_path, FAST).output
    received = b""
    try:
        conn, _ = srv.accept()  # a connection made from inside would wait here, in the backlog
        conn.settimeout(2)
        received = conn.recv(100)
        conn.close()
    except BlockingIOError:
        pass
    assert received == b"" and "CONNECTED" not in out, (out, received)
    assert "blocked" in out, out


@needs_sandbox
def test_no_socket_file_and_no_host_only_directory_is_visible_inside(
    tmp_path: Path, host_socket: tuple[Path, socket.socket]
) -> None:
    # walk everything the code can see (but /proc, whose entries are the sandbox's own) for socket files
    walk = (
        "import os, stat\n"
        "for top, dirs, files in os.walk('/'):\n"
        "    if top == '/':\n"
        "        dirs[:] = [d for d in dirs if d != 'proc']\n"
        "    for name in dirs + files:\n"
        "        p = os.path.join(top, name)\n"
        "        try:\n"
        "            if stat.S_ISSOCK(os.lstat(p).st_mode):\n"
        "                print('SOCKET', p)\n"
        "        except OSError:\n"
        "            pass\n"
        "print('top', sorted(os.listdir('/')))\n"
    )
    r = run_code("python", walk, tmp_path, CodeLimits(timeout_s=60, cpu_s=60))
    assert not r.timed_out and "top" in r.output, r.output[-2000:]
    assert "SOCKET" not in r.output, r.output[-2000:]
    top = r.output.split("top", 1)[1]
    for host_only in ("run", "var", "home", "root", "srv", "sys", "mnt", "opt", "media", "boot"):
        assert f"'{host_only}'" not in top, top


@needs_sandbox
def test_the_episode_directory_is_capped_and_the_run_goes_on(tmp_path: Path) -> None:
    docs = [
        ToolDoc("execute_pycode", parameters={"type": "object", "properties": {"code:": {"type": "string"}}})
    ]
    limits = CodeLimits(timeout_s=20.0, cpu_s=20)
    cap = 64 << 20  # the documented default cap
    work = tmp_path / "episode"
    reg = ToolRegistry.from_docs(docs, CodeExecutor(limits))
    bomb = "for i in range(20):\n    with open(f'f{i}', 'wb') as f:\n        f.write(b'x' * (10 << 20))\n"
    with ToolEnv(reg, workdir=work) as env:
        fb = env.execute(ToolCall("execute_pycode", {"code:": bomb}))  # 200 MiB in 20 files of 10 MiB
        assert not fb.ok and fb.category is ErrorKind.TOOL_CALL_FAILURE, fb
        assert "No space left on device" in fb.text
        assert _tree_bytes(work) <= cap  # what reached the host disk
        assert _tree_bytes(tmp_path) <= cap
        fb = env.execute(
            ToolCall(
                "execute_pycode", {"code:": "import os\nfor n in os.listdir(): os.remove(n)\nprint('ok')"}
            )
        )
        assert fb.ok and "ok" in fb.text, fb
        assert _tree_bytes(work) == 0
        fb = env.execute(
            ToolCall("execute_pycode", {"code:": "open('a', 'w').write('fine')\nprint(open('a').read())"})
        )
        assert fb.ok and "fine" in fb.text, fb
    assert limits.workdir_bytes == cap
    small = CodeLimits(timeout_s=10.0, workdir_bytes=4 << 20)  # the cap is configurable
    r = run_code(
        "bash", "for i in 1 2 3; do head -c 3000000 /dev/zero > b$i; done; df -k .", tmp_path / "small", small
    )
    assert r.workdir_full and _tree_bytes(tmp_path / "small") <= 4 << 20, r
    r = run_code("bash", "head -c 20000000 /dev/zero > /tmp/t; ls -l /tmp", tmp_path / "small2", small)
    assert _tree_bytes(tmp_path / "small2") == 0 and "No space left" in r.output, r


@needs_sandbox
def test_episode_files_persist_across_calls_and_links_out_are_not_copied_back(tmp_path: Path) -> None:
    (tmp_path / "from_host.txt").write_text("written by a file tool")
    r = run_code("bash", "pwd; cat from_host.txt; mkdir -p d/e && echo deep > d/e/f", tmp_path, FAST)
    assert r.output == f"{os_sandbox.EPISODE_DIR}\nwritten by a file tool", r
    assert (tmp_path / "d" / "e" / "f").read_text() == "deep\n"
    py = "import os\nos.remove('from_host.txt')\nos.symlink('/etc/passwd', 'abs')\nos.symlink('../../x', 'up')\nos.symlink('d/e/f', 'rel')\nos.mkfifo('fifo')\n"
    r = run_code("python", py, tmp_path, FAST)
    assert r.returncode == 0 and not r.error, r
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d", "rel"]
    assert (tmp_path / "rel").read_text() == "deep\n"
    r = run_code("bash", "cat rel", tmp_path, FAST)
    assert r.output == "deep\n"


@needs_sandbox
def test_a_copy_back_the_code_sabotages_leaves_the_host_directory_as_it_was(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("before")
    ctx = CallContext(workdir=tmp_path)
    doc = ToolDoc("execute_bash_code")
    ex = CodeExecutor(FAST)
    with pytest.raises(ToolCallFailed, match="no report"):  # the code kills the process that saves its files
        ex.execute(
            ToolCall("execute_bash_code", {"commands": "rm keep.txt; echo x > new; kill -9 $PPID"}), doc, ctx
        )
    small = CodeExecutor(CodeLimits(timeout_s=10.0, workdir_bytes=1 << 20))  # the archive may hold 9 MiB
    with pytest.raises(ToolCallFailed, match="No space left on device: too many files"):  # 30,000 empty files
        small.execute(ToolCall("execute_bash_code", {"commands": "rm keep.txt; touch f{1..30000}"}), doc, ctx)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]
    assert ex.execute(ToolCall("execute_bash_code", {"commands": "cat keep.txt"}), doc, ctx) == "before"


@needs_sandbox
def test_an_interpreter_outside_usr_runs_from_its_prefix_bound_read_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefix = os.path.realpath(sys.base_prefix)
    if prefix == "/usr" or prefix.startswith("/usr/"):
        pytest.skip("this interpreter lives under /usr")
    exe = os.path.realpath(getattr(sys, "_base_executable", "") or sys.executable)
    monkeypatch.setattr(jail, "_python", lambda: (exe, prefix))  # as on a host without /usr/bin/python3
    r = run_code("python", "import sys\nprint(sys.version_info[:2])", tmp_path, FAST)
    assert r.output == f"{tuple(sys.version_info[:2])}\n", r
    r = run_code("bash", f"touch {prefix}/x 2>&1 || echo read-only", tmp_path, FAST)
    assert "read-only" in r.output and not os.path.exists(f"{prefix}/x")


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


def test_a_bwrap_that_cannot_cap_the_episode_directory_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "bwrap"  # bubblewrap < 0.7 (or setuid) rejects --size: code must not run uncapped
    fake.write_text("#!/bin/sh\necho 'bwrap: Unknown option --size' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("TLBENCH_BWRAP", str(fake))
    ok, why = sandbox_status()
    assert not ok and "0.7 or newer" in why
    with pytest.raises(ToolUnstable, match="refused"):
        run_code("python", "print(1)", tmp_path)
