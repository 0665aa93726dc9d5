"""Code-execution tools (python / bash, like ToolEyes' ``Execute``) that run ONLY inside an OS sandbox.

The in-process guards of :mod:`tools_env.sandbox` protect against bad *arguments* to trusted tool code; a
code-execution tool runs *model-written code*, so it needs a kernel-level sandbox. This module runs such code
under bubblewrap (``bwrap``, Debian package ``bubblewrap``) with:

* **no network**: a private, empty network namespace (``--unshare-net``);
* **read-only filesystem** except the episode directory (bound read-write); ``/tmp``, ``/root``, ``/home``
  and the invoking user's ``$HOME`` are replaced by empty tmpfs mounts (no secrets to read); a fresh
  ``/proc`` and a minimal ``/dev``; an empty environment (no API keys);
* **private pid/ipc/uts namespaces**: when the call ends or times out, everything it spawned dies with it;
* **rlimits**: address space, CPU seconds, file size, open files and processes (``RLIMIT_NPROC`` binds only
  non-root users, so as root the code is switched to ``nobody`` with ``setpriv`` inside the sandbox);
* a wall-clock deadline that kills the whole process group; output captured to a bounded file.

When bubblewrap is missing or cannot create namespaces on this machine, every call is **refused** with a
``ToolUnstable`` whose text says why ("tool unavailable: code execution refused: ..."); the code is never
run unsandboxed. Nothing here calls ``eval``/``exec``: the code is handed to a separate interpreter inside
the sandbox; the ``_Ast`` REPL variant's "print the last expression" is an AST rewrite done before that.

Tools (names and parameters as in ToolEyes' ``Execute/config_gpt4.json``; ``execute_pycode`` documents its
parameter as ``"code:"``, and both spellings are accepted)::

    execute_pycode(code:)            python, returns what it printed (stdout + stderr)
    exectue_pycode_REPL(code)        same
    exectue_pycode_REPL_Ast(code)    same, and prints the value of a trailing expression
    execute_bash_code(commands)      bash -c, returns its output
"""

from __future__ import annotations

import ast
import functools
import os
import resource
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tlbench.types import ToolCall, ToolDoc
from tools_env.base import CallContext, ToolCallFailed, ToolUnstable

__all__ = [
    "CODE_TOOLS",
    "CodeLimits",
    "CodeExecutor",
    "CodeResult",
    "sandbox_status",
    "run_code",
]

#: Tool name -> language of the code argument.
CODE_TOOLS: dict[str, str] = {
    "execute_pycode": "python",
    "exectue_pycode_REPL": "python",
    "exectue_pycode_REPL_Ast": "python-ast",
    "execute_bash_code": "bash",
}
_CODE_ARGS = ("code", "code:", "commands", "command")
_NOBODY = 65534
_INTERPRETERS = {
    "python": ("python3", "-I", "-c"),
    "python-ast": ("python3", "-I", "-c"),
    "bash": ("bash", "-c"),
}


@dataclass(frozen=True, slots=True)
class CodeLimits:
    """Limits of one code execution: wall clock, CPU seconds, address space, largest file written, open
    files, extra processes it may start (above what its user already runs), and output kept."""

    timeout_s: float = 10.0
    cpu_s: int = 10
    memory_bytes: int = 1 << 30
    file_size_bytes: int = 16 << 20
    open_files: int = 128
    processes: int = 64
    max_output_chars: int = 16 << 10


@dataclass(frozen=True, slots=True)
class CodeResult:
    """What a sandboxed execution produced: combined output (bounded), exit code, and whether it was
    killed at the deadline."""

    output: str
    returncode: int
    timed_out: bool = False
    truncated: bool = False


def _bwrap_path() -> str | None:
    return os.environ.get("TLBENCH_BWRAP") or shutil.which("bwrap")


@functools.lru_cache(maxsize=4)
def _probe(bwrap: str | None) -> tuple[bool, str]:
    if not bwrap:
        return False, "bubblewrap (bwrap) is not installed; install it (Debian: apt-get install bubblewrap)"
    try:
        proc = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [bwrap, *_namespace_args(), "--ro-bind", "/", "/", "--", "/bin/true"],
            capture_output=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"bubblewrap failed to start: {exc}"
    if proc.returncode != 0:
        line = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        why = line[-1] if line else f"exit code {proc.returncode}"
        return False, f"bubblewrap cannot create a sandbox on this machine ({why})"
    if os.geteuid() == 0 and not shutil.which("setpriv"):
        return False, "running as root needs setpriv (util-linux) to drop to an unprivileged user"
    return True, "bubblewrap " + bwrap


def sandbox_status() -> tuple[bool, str]:
    """(usable, reason): whether code can run sandboxed here, and a one-line explanation."""
    return _probe(_bwrap_path())


def _namespace_args() -> list[str]:
    common = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
    # as root a user namespace would map the code to uid 0 outside, where RLIMIT_NPROC does not bind:
    # keep the host user namespace and drop to nobody with setpriv instead
    return common if os.geteuid() == 0 else ["--unshare-user", *common]


def _own_process_count() -> int:
    uid, n = os.getuid(), 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                n += os.stat(f"/proc/{entry}").st_uid == uid
            except OSError:
                pass
    return n


def _hidden_dirs() -> list[str]:
    home = os.path.expanduser("~")
    out = []
    for d in ("/tmp", "/root", "/home", home, "/var/tmp", "/run/user"):
        if d and d != "/" and os.path.isdir(d) and d not in out:
            out.append(d)
    return out


def _argv(bwrap: str, workdir: Path, command: list[str]) -> list[str]:
    wd = str(workdir)
    argv = [bwrap, "--die-with-parent", "--new-session", *_namespace_args(), "--ro-bind", "/", "/"]
    argv += ["--dev", "/dev", "--proc", "/proc"]
    for d in _hidden_dirs():
        argv += ["--tmpfs", d]
    argv += ["--bind", wd, wd, "--chdir", wd, "--clearenv"]
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": wd, "TMPDIR": wd, "LANG": "C.UTF-8"}
    env |= {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONIOENCODING": "utf-8"}
    for k, v in env.items():
        argv += ["--setenv", k, v]
    argv.append("--")
    if os.geteuid() == 0:
        argv += ["setpriv", f"--reuid={_NOBODY}", f"--regid={_NOBODY}", "--clear-groups", "--"]
    return argv + command


def _python() -> str:
    """A system interpreter reachable inside the sandbox (home directories are hidden there)."""
    for cand in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if os.path.exists(cand):
            return cand
    return shutil.which("python3") or "python3"


def _with_trailing_print(code: str) -> str:
    """``code`` whose trailing expression (if any) is printed, as the REPL_Ast tool does; parse only."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code  # the interpreter reports the syntax error itself
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = tree.body[-1]
        is_print = (
            isinstance(last.value, ast.Call)
            and isinstance(last.value.func, ast.Name)
            and last.value.func.id == "print"
        )
        if not is_print:
            call = ast.Call(func=ast.Name(id="print", ctx=ast.Load()), args=[last.value], keywords=[])
            tree.body[-1] = ast.fix_missing_locations(ast.copy_location(ast.Expr(value=call), last))
            return ast.unparse(tree)
    return code


def run_code(
    language: str, code: str, workdir: str | os.PathLike[str], limits: CodeLimits | None = None
) -> CodeResult:
    """Run ``code`` (``"python"``, ``"python-ast"`` or ``"bash"``) in the OS sandbox with ``workdir`` as the only
    writable place. Raises ``ToolUnstable`` when no sandbox is available (the code is then never run)."""
    limits = limits or CodeLimits()
    ok, why = sandbox_status()
    if not ok:
        raise ToolUnstable(f"tool unavailable: code execution refused: {why}")
    if language not in _INTERPRETERS:
        raise ToolCallFailed(f"ValueError: unknown language {language!r}")
    if "\x00" in code:
        raise ToolCallFailed("ValueError: source code string cannot contain null bytes")
    bwrap = _bwrap_path()
    assert bwrap is not None
    wd = Path(workdir).resolve()
    wd.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        os.chown(wd, _NOBODY, _NOBODY)  # the code runs as nobody and must be able to write its directory
    if language == "python-ast":
        code = _with_trailing_print(code)
    prog, *flags = _INTERPRETERS[language]
    command = [_python() if prog == "python3" else (shutil.which(prog) or "/bin/" + prog), *flags, code]
    nproc = limits.processes + (0 if os.geteuid() == 0 else _own_process_count())

    def _limit() -> None:  # runs in the child between fork and exec: only setrlimit calls
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_size_bytes, limits.file_size_bytes))
        resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    with tempfile.TemporaryFile(prefix="tlbench-code-") as out:
        proc = subprocess.Popen(  # noqa: S603 - argv list, no shell; the code runs inside bwrap
            _argv(bwrap, wd, command),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            close_fds=True,
            start_new_session=True,
            preexec_fn=_limit,  # noqa: PLW1509 - setrlimit only
        )
        timed_out = False
        try:
            proc.wait(timeout=limits.timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            _kill_group(proc)
        out.seek(0)
        raw = out.read(limits.max_output_chars * 4 + 4)
    text = raw.decode("utf-8", "replace")
    truncated = len(text) > limits.max_output_chars
    return CodeResult(text[: limits.max_output_chars], proc.returncode, timed_out, truncated)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the sandbox's process group (bwrap's pid namespace then takes every descendant down) and reap."""
    with_group = True
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        with_group = False
    if not with_group and proc.poll() is None:
        proc.kill()
    deadline = time.monotonic() + 10
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)


def _code_argument(call: ToolCall) -> str:
    args: Mapping[str, Any] = call.arguments
    for key in _CODE_ARGS:
        if key in args:
            value = args[key]
            if not isinstance(value, str):
                raise ToolCallFailed(f"TypeError: {key} must be a string, not {type(value).__name__}")
            return value
    raise ToolCallFailed(f"{call.name}() missing 1 required positional argument: 'code'")


class CodeExecutor:
    """Executor for the code-execution tools of :data:`CODE_TOOLS`; ``ctx.workdir`` is the writable directory.

    Returns the output text (like the upstream tools). A timeout is tool instability ("Tool execution timed
    out ..."); a missing sandbox is a refusal (``ToolUnstable``, "tool unavailable: code execution refused").
    """

    name = "code"

    def __init__(self, limits: CodeLimits | None = None) -> None:
        self.limits = limits or CodeLimits()

    def execute(self, call: ToolCall, doc: ToolDoc, ctx: CallContext) -> Any:
        """Run the call's code in the OS sandbox and return what it printed."""
        language = CODE_TOOLS.get(call.name)
        if language is None:
            raise ToolCallFailed(f"cannot import name '{call.name}' from 'tools_env.os_sandbox'")
        result = run_code(language, _code_argument(call), ctx.workdir, self.limits)
        if result.timed_out:
            raise ToolUnstable(f"Tool execution timed out after {self.limits.timeout_s:g} s")
        return result.output + ("\n[output truncated]" if result.truncated else "")
