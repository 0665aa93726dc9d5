"""Code-execution tools (python / bash, like ToolEyes' ``Execute``) that run ONLY inside an OS sandbox.

The in-process guards of :mod:`tools_env.sandbox` protect against bad *arguments* to trusted tool code; a
code-execution tool runs *model-written code*, so it needs a kernel-level sandbox. This module runs such code
under bubblewrap (``bwrap``, Debian package ``bubblewrap``, 0.7 or newer for ``--size``) with:

* **no network**: a private, empty network namespace (``--unshare-net``; abstract unix sockets included);
* **nothing of the host mounted that the code does not need**: the root is an empty read-only tmpfs holding
  ``/usr`` (and ``/bin``, ``/lib*``, ``/sbin`` or their merged-usr links), a few ``/etc`` files the loader
  and ``update-alternatives`` links need, a generated ``/etc/passwd`` and ``/etc/group`` (root, nobody and
  the caller), the interpreter's prefix when it lives outside ``/usr`` (read-only), a fresh ``/proc`` and a
  minimal read-only ``/dev``. No ``/run``, ``/var``, ``/home``, ``/root``, ``/tmp``, ``/sys`` or ``/srv`` of
  the host: no host secrets to read, and no host unix socket (dbus, docker.sock, snapd, X11 ...) to
  connect to, since a path socket needs its path and the network namespace does not cover those;
* **a size-capped episode directory**: the code sees the episode directory as ``/episode`` (its cwd and
  ``$HOME``), a tmpfs of at most :attr:`CodeLimits.workdir_bytes` (64 MiB by default). The host's episode
  directory is copied in before the call and back after it (:mod:`tools_env.os_sandbox_init`, bounded and
  checked member by member), so files persist across the calls of an episode and the file tools see them,
  and the host disk never receives more than the cap. ``/tmp`` is a private tmpfs of the same size, empty
  at every call. A call that leaves the directory full is a ``tool_call_failure`` ("No space left on
  device"); the files it wrote up to the cap are kept;
* an empty environment (no API keys);
* **private pid/ipc/uts namespaces**: when the call ends or times out, everything it spawned dies with it;
* **rlimits**: address space, CPU seconds, file size, open files and processes (``RLIMIT_NPROC`` binds only
  non-root users, so as root the code is switched to ``nobody`` with ``setpriv`` inside the sandbox);
* a wall-clock deadline that kills every process of the call; output captured to a bounded file.

Not covered: the kernel itself (a kernel exploit escapes any namespace sandbox); memory of tmpfs mounts the
code makes in a nested user namespace where unprivileged user namespaces are allowed (RAM, not disk; the
CPU limit and the deadline bound it); the number of (empty) files in the episode directory, which tmpfs does
not cap: a directory whose archive exceeds the cap plus :data:`_ARCHIVE_SLACK` is not copied back (the call
fails and the host keeps the files it had before the call).

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
import select
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

from tlbench import jsonio
from tlbench.types import ToolCall, ToolDoc
from tools_env.base import CallContext, ToolCallFailed, ToolUnstable

__all__ = [
    "CODE_TOOLS",
    "CodeLimits",
    "CodeExecutor",
    "CodeResult",
    "EPISODE_DIR",
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
#: Where the episode directory appears inside the sandbox (its cwd and $HOME).
EPISODE_DIR = "/episode"
#: The supervisor script inside the sandbox (bound read-only from this package).
_INIT = Path(__file__).with_name("os_sandbox_init.py")
_INIT_IN_SANDBOX = "/.tlbench/os_sandbox_init.py"
#: Top-level host paths bound read-only (or recreated as their merged-usr symlinks); nothing else of /.
_SYSTEM_DIRS = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32")
#: /etc entries the dynamic loader and Debian's alternatives links need; /etc/passwd and /etc/group are generated.
_ETC = ("alternatives", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime")
#: Archive bytes allowed above the cap when copying the directory back: tar headers (512 bytes per entry).
_ARCHIVE_SLACK = 8 << 20
#: Extra wall-clock seconds the host grants for loading and saving the directory around the code's deadline.
_SAVE_GRACE_S = 10.0


@dataclass(frozen=True, slots=True)
class CodeLimits:
    """Limits of one code execution: wall clock, CPU seconds, address space, largest file written, open
    files, extra processes it may start (above what its user already runs), output kept, and the total bytes
    the episode directory may hold (``workdir_bytes``: the size of its tmpfs in the sandbox, also the size of
    the sandbox's private ``/tmp``)."""

    timeout_s: float = 10.0
    cpu_s: int = 10
    memory_bytes: int = 1 << 30
    file_size_bytes: int = 16 << 20
    open_files: int = 128
    processes: int = 64
    max_output_chars: int = 16 << 10
    workdir_bytes: int = 64 << 20


@dataclass(frozen=True, slots=True)
class CodeResult:
    """What a sandboxed execution produced: combined output (bounded), exit code, whether it was killed at
    the deadline, whether it left the episode directory full (``workdir_full``), and ``error``: why the
    directory could not be copied back ('' when it was)."""

    output: str
    returncode: int
    timed_out: bool = False
    truncated: bool = False
    workdir_full: bool = False
    error: str = ""


def _bwrap_path() -> str | None:
    return os.environ.get("TLBENCH_BWRAP") or shutil.which("bwrap")


@functools.lru_cache(maxsize=4)
def _probe(bwrap: str | None) -> tuple[bool, str]:
    if not bwrap:
        return False, "bubblewrap (bwrap) is not installed; install it (Debian: apt-get install bubblewrap)"
    try:
        proc = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [bwrap, *_namespace_args(), *_mounts(4096), "--", "/bin/true"],
            capture_output=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"bubblewrap failed to start: {exc}"
    if proc.returncode != 0:
        line = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        why = line[-1] if line else f"exit code {proc.returncode}"
        if "--size" in why:
            why += "; capping the episode directory needs bubblewrap 0.7 or newer, not installed setuid"
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


def _python() -> tuple[str, str | None]:
    """(interpreter, prefix to bind or None): a python3 reachable inside the sandbox. A system one under /usr
    first; otherwise this interpreter's base installation, whose prefix is then bound read-only."""
    for cand in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if os.path.exists(cand):
            return cand, None
    exe = os.path.realpath(getattr(sys, "_base_executable", "") or sys.executable)
    prefix = os.path.realpath(sys.base_prefix)
    return exe, None if prefix == "/usr" or prefix.startswith("/usr/") else prefix


def _bash() -> str:
    for cand in ("/usr/bin/bash", "/bin/bash"):
        if os.path.exists(cand):
            return cand
    return shutil.which("bash") or "/bin/bash"


def _mounts(workdir_bytes: int, extra: tuple[str, ...] = ()) -> list[str]:
    """bwrap arguments for the sandbox's filesystem: the system directories read-only, the loader's /etc
    files, /proc, a read-only /dev, the capped episode tmpfs and /tmp, ``extra`` mounts, then the whole root
    read-only (the root is bwrap's own empty tmpfs: what is not listed here does not exist inside)."""
    args: list[str] = []
    for name in _SYSTEM_DIRS:
        host = "/" + name
        if os.path.islink(host):
            args += ["--symlink", os.readlink(host), host]
        elif os.path.isdir(host):
            args += ["--ro-bind", host, host]
    args += ["--perms", "0755", "--dir", "/etc"]  # (bwrap would create it 0700: unreadable for nobody)
    for name in _ETC:
        host = "/etc/" + name
        if os.path.exists(host):
            args += ["--ro-bind", host, host]
    prefix = _python()[1]
    if prefix:  # its parents are created traversable but not listable (bwrap would make them 0700)
        for parent in reversed(Path(prefix).parents[:-1]):
            args += ["--perms", "0711", "--dir", str(parent)]
        args += ["--ro-bind", prefix, prefix]
    init_dir = os.path.dirname(_INIT_IN_SANDBOX)
    args += ["--perms", "0755", "--dir", init_dir, "--ro-bind", str(_INIT), _INIT_IN_SANDBOX]
    args += ["--proc", "/proc", "--dev", "/dev", "--remount-ro", "/dev"]
    for tmpfs in (EPISODE_DIR, "/tmp"):
        args += ["--perms", "1777", "--size", str(workdir_bytes), "--tmpfs", tmpfs]
    return [*args, *extra, "--remount-ro", "/"]


def _identity_files() -> tuple[bytes, bytes]:
    """/etc/passwd and /etc/group for the sandbox: root, nobody and the calling user, no host names."""
    uid, gid = os.getuid(), os.getgid()
    users = [(0, 0, "root"), (_NOBODY, _NOBODY, "nobody")]
    if uid not in (0, _NOBODY):
        users.append((uid, gid, "sandbox"))
    passwd = "".join(f"{n}:x:{u}:{g}:{n}:{EPISODE_DIR}:/usr/sbin/nologin\n" for u, g, n in users)
    group = "".join(f"{n}:x:{g}:\n" for _, g, n in users)
    return passwd.encode(), group.encode()


def _data_fd(data: bytes) -> int:
    """A pipe's read end holding ``data`` (small: it fits the pipe buffer), for bwrap's --ro-bind-data."""
    r, w = os.pipe()
    try:
        os.write(w, data)
    finally:
        os.close(w)
    return r


def _argv(bwrap: str, limits: CodeLimits, command: list[str], fds: Mapping[str, int]) -> list[str]:
    identity: tuple[str, ...] = ()
    for name in ("passwd", "group"):
        identity += ("--perms", "0644", "--ro-bind-data", str(fds[name]), "/etc/" + name)
    argv = [bwrap, "--die-with-parent", "--new-session", *_namespace_args()]
    argv += [*_mounts(limits.workdir_bytes, identity), "--chdir", EPISODE_DIR, "--clearenv"]
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": EPISODE_DIR, "TMPDIR": "/tmp", "LANG": "C.UTF-8"}
    env |= {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONIOENCODING": "utf-8"}
    for k, v in env.items():
        argv += ["--setenv", k, v]
    argv.append("--")
    if os.geteuid() == 0:
        argv += ["setpriv", f"--reuid={_NOBODY}", f"--regid={_NOBODY}", "--clear-groups", "--"]
    init = [_python()[0], "-I", _INIT_IN_SANDBOX, f"{limits.timeout_s:g}", str(fds["report"]), "--"]
    return argv + init + command


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


# ---------------------------------------------------------------- the episode directory's round trip


def _no_space(limits: CodeLimits, what: str) -> str:
    return f"OSError: [Errno 28] No space left on device: {what} (code tools may keep {limits.workdir_bytes} bytes)"


def _tree_bytes(root: Path) -> int:
    total = 0
    for top, _dirs, files in os.walk(root):
        for name in files:
            try:
                total += os.lstat(os.path.join(top, name)).st_size
            except OSError:
                pass
    return total


def _pack(root: Path, out: IO[bytes]) -> None:
    """The host's episode directory as a tar stream for the sandbox (symlinks stored, never followed)."""
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(os.listdir(root)):
            tar.add(str(root / name), arcname=name)
    out.seek(0)


def _read_report(fd: int, into: IO[bytes], limit: int, deadline: float) -> str:
    """Copy the sandbox's report pipe into ``into`` until EOF; '' or why it stopped (too much, deadline)."""
    poller = select.poll()  # (not select.select: the harness may hold more than 1024 descriptors)
    poller.register(fd, select.POLLIN | select.POLLHUP)
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout"
            if not poller.poll(min(left, 1.0) * 1000):
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return ""
            if into.tell() + len(chunk) > limit:
                return "too large"
            into.write(chunk)
    finally:
        os.close(fd)


#: tarfile's "data" filter (absolute or escaping links, device files, odd modes), where this Python has it.
_DATA_FILTER = getattr(tarfile, "data_filter", None)
_FILTER_ERROR: type[Exception] = getattr(tarfile, "FilterError", tarfile.TarError)


def _safe_members(tar: tarfile.TarFile, limits: CodeLimits) -> list[tarfile.TarInfo] | str:
    """The members to copy back: plain files, directories and (only where tarfile's "data" filter can check
    them) links inside the directory; or the error text when their files hold more than the cap."""
    keep, total = [], 0
    for m in tar.getmembers():
        parts = Path(m.name).parts
        if not parts or m.name.startswith("/") or ".." in parts:
            continue
        if m.isreg() or m.isdir() or (_DATA_FILTER is not None and (m.issym() or m.islnk())):
            total += m.size if m.isreg() else 0
            keep.append(m)
    if total > limits.workdir_bytes:
        return _no_space(limits, f"the episode directory holds {total} bytes")
    return keep


def _clear(root: Path) -> None:
    for entry in os.scandir(root):
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)
        else:
            os.unlink(entry.path)


def _unpack(report: IO[bytes], root: Path, limits: CodeLimits) -> tuple[dict[str, Any] | None, str]:
    """(the supervisor's report, error): check the saved directory and replace the host's copy with it. A
    member the "data" filter refuses (a link to /etc, say) is left out; the others are copied."""
    report.seek(0)
    head = report.readline(4096)
    try:
        info = jsonio.parse(head)
    except ValueError:
        return None, "OSError: the sandbox returned no report (its supervisor was killed)"
    if not isinstance(info, dict):
        return None, "OSError: the sandbox returned a garbled report"
    if not info.get("loaded"):
        return info, ""
    extra = {"filter": "data"} if _DATA_FILTER is not None else {}
    try:
        with tarfile.open(fileobj=report, mode="r:") as tar:
            members = _safe_members(tar, limits)
            if isinstance(members, str):
                return info, members
            _clear(root)
            for m in members:
                try:
                    tar.extract(m, root, **extra)
                except _FILTER_ERROR:
                    continue
    except (OSError, tarfile.TarError) as exc:
        return info, f"OSError: the episode directory could not be copied back ({type(exc).__name__}: {exc})"
    return info, ""


def run_code(
    language: str, code: str, workdir: str | os.PathLike[str], limits: CodeLimits | None = None
) -> CodeResult:
    """Run ``code`` (``"python"``, ``"python-ast"`` or ``"bash"``) in the OS sandbox, with ``workdir``'s files
    as its capped, writable ``/episode`` (copied back when the call ends). Raises ``ToolUnstable`` when no
    sandbox is available (the code is then never run), ``ToolCallFailed`` for bad input or when the
    directory already holds more than the cap or cannot be loaded."""
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
    held = _tree_bytes(wd)
    if held > limits.workdir_bytes:
        raise ToolCallFailed(_no_space(limits, f"the episode directory already holds {held} bytes"))
    if language == "python-ast":
        code = _with_trailing_print(code)
    prog, *flags = _INTERPRETERS[language]
    command = [_python()[0] if prog == "python3" else _bash(), *flags, code]
    nproc = limits.processes + 1 + (0 if os.geteuid() == 0 else _own_process_count())
    fsize = limits.file_size_bytes

    def _limit() -> None:  # runs in the child between fork and exec: only setrlimit calls
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s))
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    with (
        tempfile.TemporaryFile(prefix="tlbench-code-") as out,
        tempfile.TemporaryFile(prefix="tlbench-code-in-") as tar_in,
        tempfile.TemporaryFile(prefix="tlbench-code-back-") as back,
    ):
        try:
            _pack(wd, tar_in)
        except OSError as exc:
            raise ToolCallFailed(f"OSError: the episode directory could not be read: {exc}") from None
        passwd, group = _identity_files()
        report_r, report_w = os.pipe()
        fds = {"report": report_w, "passwd": _data_fd(passwd), "group": _data_fd(group)}
        try:
            proc = subprocess.Popen(  # noqa: S603 - argv list, no shell; the code runs inside bwrap
                _argv(bwrap, limits, command, fds),
                stdin=tar_in,
                stdout=out,
                stderr=subprocess.STDOUT,
                pass_fds=tuple(fds.values()),
                start_new_session=True,
                preexec_fn=_limit,  # noqa: PLW1509 - setrlimit only
            )
        finally:
            for fd in fds.values():
                os.close(fd)
        deadline = time.monotonic() + limits.timeout_s + _SAVE_GRACE_S
        try:
            stopped = _read_report(report_r, back, limits.workdir_bytes + _ARCHIVE_SLACK, deadline)
            if not stopped:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            stopped = "timeout"
        finally:
            _kill_group(proc)
        info, error = (None, "") if stopped else _unpack(back, wd, limits)
        if stopped == "too large":
            error = _no_space(limits, "too many files to copy back; the call's changes were dropped")
        out.seek(0)
        raw = out.read(limits.max_output_chars * 4 + 4)
    if info is not None and not info.get("loaded"):
        raise ToolCallFailed(f"OSError: the episode directory could not be loaded: {info.get('error')}")
    text = raw.decode("utf-8", "replace")
    truncated = len(text) > limits.max_output_chars
    timed_out = stopped == "timeout" or bool(info and info.get("timed_out"))
    rc = info.get("returncode") if info else None
    return CodeResult(
        text[: limits.max_output_chars],
        rc if isinstance(rc, int) else (proc.returncode if proc.returncode is not None else -1),
        timed_out,
        truncated,
        bool(info and info.get("full")),
        error,
    )


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
    A call that leaves the episode directory full, or whose directory cannot be copied back, failed
    (``ToolCallFailed``: "OSError: [Errno 28] No space left on device ...", then what the code printed).
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
        if result.workdir_full and not result.error:
            result = replace(result, error=_no_space(self.limits, "the episode directory is full"))
        if result.error:
            raise ToolCallFailed(f"{result.error}\n{result.output}".rstrip("\n"))
        return result.output + ("\n[output truncated]" if result.truncated else "")
