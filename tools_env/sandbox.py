"""A reused pool of sandboxed worker processes that run trusted tool code on untrusted (model-made) arguments.

Each worker is a separate ``python -I -m tools_env.sandbox`` process speaking **JSON lines** over two pipes
(never pickle): the parent sends ``{"id", "target": "module:function", "kwargs", "workdir"}`` and reads back
``{"id", "ok", "result" | "error"...}``. Workers are persistent (no process per call) and requests are
pipelined across the pool by :meth:`SandboxPool.run_many`, which is what makes thousands of calls a second
possible on two cores.

What is covered (each one is a test in ``tests/tools_env_core/test_sandbox_containment.py``):

* **hangs / endless loops**: a wall-clock deadline per call, enforced by the parent (SIGKILL of the
  worker's process group); ``RLIMIT_CPU`` is re-armed before every call as a backstop;
* **crashes / segfaults / aborts**: the worker dies, the call gets a classified failure, a new worker starts;
* **unbounded allocation**: ``RLIMIT_AS`` (address space); a ``MemoryError`` retires the worker;
* **forking / spawning**: a seccomp filter (x86-64 Linux) makes ``fork``/``vfork``/``execve`` and non-thread
  ``clone`` fail with EPERM; on every platform an audit hook (PEP 578) denies ``os.fork``, ``subprocess``,
  ``os.system``, ``os.exec*``, ``os.posix_spawn``, ``pty`` and signals to other processes; ``RLIMIT_NPROC``
  is set too (it binds only non-root users);
* **network**: a private, empty network namespace (``unshare(CLONE_NEWNET)``) when the kernel allows it
  (root or unprivileged user namespaces); always, the audit hook denies creating any socket;
* **writing outside its directory**: the audit hook denies opening for writing, creating, removing,
  renaming, linking or changing metadata of any path whose real path lies outside the call's directory
  (symlinks resolved); ``RLIMIT_FSIZE`` bounds every file a tool writes; the cwd is a private temp dir;
* **printing megabytes**: ``sys.stdout``/``sys.stderr`` are bounded buffers (the call fails past
  ``max_output_chars``); file descriptors 0-2 point at ``/dev/null``, the protocol uses private pipes;
* **huge results**: a result whose JSON exceeds ``max_result_chars`` is refused;
* **environment leaks**: workers get a minimal environment (no API keys), ``HOME``/``TMPDIR`` in their dir;
* **no leaks after close()**: every worker is reaped (no zombies), every pipe closed, every temp dir removed.

What is NOT covered: malicious *tool code* (the tools are ours; arguments are the untrusted part). Python
code in a tool can read any file the parent can read, and a determined tool could tamper with the audit
hook's state through introspection or write to the protocol pipe. ``ctypes`` foreign calls are denied after
start-up, but the seccomp filter is the only kernel-level guard against forking and exists only on
x86-64 Linux; the filesystem guard is Python-level (no mount namespace). Threads are allowed.

Failure categories (the rule the environment applies):

* a **resource or liveness failure** - timeout, CPU limit, crash/signal, memory limit, output or result too
  large, worker start failure - is :class:`~tools_env.base.ToolUnstable` (TOOL_INSTABILITY), and its text
  reads "Tool execution timed out ..." / "tool unavailable: ..." so that ``classify_feedback`` agrees;
* an **exception raised by the tool** (including the sandbox's own denials, which surface as
  ``PermissionError`` inside the tool) is :class:`~tools_env.base.ToolCallFailed` (TOOL_CALL_FAILURE) with
  ``str(e)`` as the text (as ToolEyes shows it), or ``"<Type>: <message>"`` when ``str(e)`` alone would not
  read as an error. A tool may raise ``ToolUnstable`` itself (simulated 5xx) and it stays instability.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tlbench import jsonio
from tools_env.base import ToolCallFailed, ToolUnstable

__all__ = ["SandboxLimits", "SandboxRequest", "SandboxOutcome", "SandboxPool"]

_READ_CHUNK = 1 << 16
_PIPE_BUDGET = (
    32 << 10
)  # bytes of requests in flight per worker: below the 64 KiB pipe, so writes never block
_MAX_REQUEST_CHARS = 8 << 20
_START_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class SandboxLimits:
    """Per-call and per-worker limits.

    ``timeout_s`` is wall clock per call; ``cpu_s`` the CPU seconds a call may use (RLIMIT_CPU, re-armed per
    call); ``memory_bytes`` the worker's address space (RLIMIT_AS, which counts mappings, not RSS: leave room
    for the interpreter, ~100 MiB); ``file_size_bytes`` the largest file a tool may write (RLIMIT_FSIZE);
    ``max_output_chars`` what a tool may print; ``max_result_chars`` the size of a result's JSON;
    ``open_files`` RLIMIT_NOFILE; ``network`` lifts the network guards (for the live HTTP adapter only).
    """

    timeout_s: float = 5.0
    cpu_s: int = 10
    memory_bytes: int = 1 << 30
    file_size_bytes: int = 16 << 20
    max_output_chars: int = 64 << 10
    max_result_chars: int = 1 << 20
    open_files: int = 256
    network: bool = False


@dataclass(frozen=True, slots=True)
class SandboxRequest:
    """One call for the pool: ``target`` is an importable ``"module:function"``; ``kwargs`` JSON values only.

    ``workdir`` is the directory the call may write in (and its cwd); None means the worker's own temp dir.
    ``timeout_s`` overrides the pool's limit for this call.
    """

    target: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    workdir: str | None = None
    timeout_s: float | None = None


@dataclass(frozen=True, slots=True)
class SandboxOutcome:
    """What came back for one request; never an exception.

    ``ok`` with ``result`` (a JSON value), or ``error`` (the observation text) with ``unstable`` telling
    TOOL_INSTABILITY (True) from TOOL_CALL_FAILURE (False). ``exc_type`` names the exception raised inside the
    tool (or ``"Timeout"``/``"Crash"``/``"MemoryLimit"``/``"OutputLimit"``...); ``stdout`` is what the tool
    printed (bounded); ``replaced`` is True when the worker was retired after this call.
    """

    ok: bool
    result: Any = None
    error: str = ""
    unstable: bool = False
    exc_type: str = ""
    stdout: str = ""
    replaced: bool = False

    def unwrap(self) -> Any:
        """The result, or raise ``ToolUnstable`` / ``ToolCallFailed`` with the error text."""
        if self.ok:
            return self.result
        raise (ToolUnstable if self.unstable else ToolCallFailed)(self.error)


# ------------------------------------------------------------------------------------------------ parent


def _minimal_env(workdir: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "HOME": workdir,
        "TMPDIR": workdir,
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
    }
    return env


class _Worker:
    """The parent's handle on one worker process (not thread-safe: the pool hands it to one user at a time)."""

    def __init__(self, root: Path, limits: SandboxLimits, sys_path: Sequence[str]) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="w-", dir=root))
        self.buf = bytearray()
        self.calls = 0
        self.proc: subprocess.Popen[bytes] | None = None
        try:
            self.proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                [sys.executable, "-I", "-m", "tools_env.sandbox"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                cwd=self.dir,
                env=_minimal_env(str(self.dir)),
                close_fds=True,
                start_new_session=True,
            )
            assert self.proc.stdin is not None and self.proc.stdout is not None
            self.wfd = self.proc.stdin.fileno()
            self.rfd = self.proc.stdout.fileno()
            os.set_blocking(self.rfd, False)
            config = {
                "limits": asdict(limits),
                "sys_path": [str(p) for p in sys_path],
                "dir": str(self.dir),
                "pdeathsig": threading.current_thread() is threading.main_thread(),
            }
            self.write(json.dumps(config).encode() + b"\n")
            line = self.read_line(time.monotonic() + _START_TIMEOUT_S)
            hello = json.loads(line) if line else None
            if not isinstance(hello, dict) or not hello.get("ready"):
                raise ToolUnstable("tool unavailable: sandbox worker failed to start")
            self.features: dict[str, Any] = dict(hello.get("features") or {})
        except BaseException:
            self.kill()
            raise

    @property
    def pid(self) -> int:
        return self.proc.pid if self.proc is not None else -1

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            n = os.write(self.wfd, view)
            view = view[n:]

    def read_line(self, deadline: float | None) -> bytes | None:
        """One response line, or None on EOF (worker died) or at the deadline (the caller tells which)."""
        while True:
            nl = self.buf.find(b"\n")
            if nl >= 0:
                line = bytes(self.buf[:nl])
                del self.buf[: nl + 1]
                return line
            if not self.fill(deadline):
                return None

    def fill(self, deadline: float | None) -> bool:
        """Read what is available (waiting up to ``deadline``); False on EOF or timeout."""
        wait = None if deadline is None else max(0.0, deadline - time.monotonic())
        ready, _, _ = select.select([self.rfd], [], [], wait)
        if not ready:
            return False
        try:
            chunk = os.read(self.rfd, _READ_CHUNK)
        except BlockingIOError:
            return True
        if not chunk:
            return False
        self.buf += chunk
        return True

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def exit_reason(self) -> str:
        """Why the worker died, for the observation text (waits briefly for the exit status)."""
        if self.proc is None:
            return "worker missing"
        try:
            code = self.proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            return "worker stopped answering"
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            if -code == signal.SIGXCPU:
                return f"CPU time limit exceeded ({name})"
            return f"worker process crashed ({name})"
        return f"worker process exited with status {code}"

    def kill(self) -> None:
        """Kill the worker's whole process group, reap it, close the pipes, remove its directory."""
        proc, self.proc = self.proc, None
        if proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            proc.wait()
            for pipe in (proc.stdin, proc.stdout):
                if pipe is not None:
                    with contextlib.suppress(OSError):
                        pipe.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def close(self, grace_s: float = 1.0) -> None:
        """Ask the worker to stop (EOF on its input), then kill it if it lingers."""
        if self.proc is not None and self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=grace_s)
        self.kill()


@dataclass
class _Slot:
    """A worker plus the requests sent to it and not answered yet (index, line size, start time)."""

    worker: _Worker
    inflight: deque[tuple[int, int]] = field(default_factory=deque)
    pending_bytes: int = 0
    head_started: float = 0.0


class SandboxPool:
    """A reused pool of sandboxed worker processes (see the module docstring for what is isolated).

    ``size`` workers (default: the CPU count) start eagerly. ``sys_path`` entries are added to the workers'
    ``sys.path`` so that targets outside installed packages can be imported. Thread-safe: concurrent
    :meth:`run` calls use different workers. Use as a context manager or call :meth:`close`.
    """

    def __init__(
        self,
        size: int | None = None,
        limits: SandboxLimits | None = None,
        *,
        sys_path: Sequence[str | os.PathLike[str]] = (),
        depth: int = 16,
    ) -> None:
        self.limits = limits or SandboxLimits()
        self.size = max(1, size or os.cpu_count() or 1)
        self.depth = max(1, depth)
        self._sys_path = tuple(str(p) for p in sys_path)
        self._root = Path(tempfile.mkdtemp(prefix="tlbench-sandbox-"))
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._workers: set[_Worker] = set()
        self._closed = False
        self.replaced = 0
        self.calls = 0
        try:
            for _ in range(self.size):
                self._idle.put(self._spawn())
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ life cycle

    def _spawn(self) -> _Worker:
        worker = _Worker(self._root, self.limits, self._sys_path)
        with self._lock:
            if self._closed:
                worker.kill()
                raise ToolUnstable("tool unavailable: the sandbox pool is closed")
            self._workers.add(worker)
        return worker

    def _retire(self, worker: _Worker) -> _Worker | None:
        """Kill ``worker`` and start its replacement (None if the pool is closed or the start failed)."""
        worker.kill()
        with self._lock:
            self._workers.discard(worker)
            self.replaced += 1
            if self._closed:
                return None
        try:
            return self._spawn()
        except (OSError, ToolUnstable):
            return None

    @property
    def features(self) -> dict[str, Any]:
        """The protections the workers reported as active (``netns``, ``seccomp``, ``audit_hook`` ...)."""
        with self._lock:
            for w in self._workers:
                return dict(w.features)
        return {}

    @property
    def worker_pids(self) -> list[int]:
        """Process ids of the live workers (for tests and diagnostics)."""
        with self._lock:
            return sorted(w.pid for w in self._workers)

    def close(self) -> None:
        """Stop every worker, reap them and remove every temp dir. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            workers = list(self._workers)
            self._workers.clear()
        for w in workers:
            w.close(grace_s=0.5)
        shutil.rmtree(self._root, ignore_errors=True)

    def __enter__(self) -> SandboxPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:  # last resort; close() is the contract
        with contextlib.suppress(Exception):
            self.close()

    # ------------------------------------------------------------------ calls

    def run(
        self,
        target: str,
        kwargs: Mapping[str, Any] | None = None,
        *,
        workdir: str | os.PathLike[str] | None = None,
        timeout_s: float | None = None,
    ) -> SandboxOutcome:
        """Run one call in a worker and return its outcome (never raises for tool misbehaviour)."""
        req = SandboxRequest(target, dict(kwargs or {}), None if workdir is None else str(workdir), timeout_s)
        return self.run_many([req])[0]

    def run_many(self, requests: Iterable[SandboxRequest]) -> list[SandboxOutcome]:
        """Run ``requests`` across the idle workers, pipelined; outcomes come back in request order."""
        reqs = list(requests)
        outcomes: list[SandboxOutcome | None] = [None] * len(reqs)
        lines: list[bytes | None] = []
        for i, r in enumerate(reqs):
            line, err = _encode(i, r)
            lines.append(line)
            if err is not None:
                outcomes[i] = err
        todo = deque(i for i, line in enumerate(lines) if line is not None)
        if not todo:
            return [o for o in outcomes if o is not None]
        if self._closed:
            raise ToolUnstable("tool unavailable: the sandbox pool is closed")
        slots = [_Slot(self._idle.get())]
        while len(slots) < min(self.size, len(todo)):
            try:
                slots.append(_Slot(self._idle.get_nowait()))
            except queue.Empty:
                break
        try:
            self._drive(slots, reqs, lines, todo, outcomes)
        finally:
            for s in slots:
                if s.worker.proc is not None:
                    self._idle.put(s.worker)
        self.calls += len(reqs)
        return [o if o is not None else _unstable("tool unavailable: no result", "Lost") for o in outcomes]

    def _drive(
        self,
        slots: list[_Slot],
        reqs: list[SandboxRequest],
        lines: list[bytes | None],
        todo: deque[int],
        outcomes: list[SandboxOutcome | None],
    ) -> None:
        by_fd: dict[int, _Slot] = {}
        while todo or any(s.inflight for s in slots):
            # feed every worker up to its depth / pipe budget
            for s in list(slots):
                while todo and len(s.inflight) < self.depth:
                    i = todo[0]
                    line = lines[i]
                    assert line is not None
                    if s.inflight and s.pending_bytes + len(line) > _PIPE_BUDGET:
                        break
                    todo.popleft()
                    if not s.inflight:
                        s.head_started = time.monotonic()
                    s.inflight.append((i, len(line)))
                    s.pending_bytes += len(line)
                    try:
                        s.worker.write(line)
                    except OSError:  # the worker died between calls: the response read will notice
                        break
            by_fd = {s.worker.rfd: s for s in slots if s.inflight}
            if not by_fd:
                if todo and not slots:
                    for i in todo:
                        outcomes[i] = _unstable(
                            "tool unavailable: no sandbox worker could be started", "Start"
                        )
                    todo.clear()
                continue
            now = time.monotonic()
            deadlines = {
                fd: s.head_started + self._timeout(reqs[s.inflight[0][0]]) for fd, s in by_fd.items()
            }
            wait = max(0.0, min(deadlines.values()) - now)
            ready, _, _ = select.select(list(by_fd), [], [], wait)
            for fd in ready:
                self._collect(by_fd[fd], slots, outcomes, todo)
            now = time.monotonic()
            for fd, s in by_fd.items():
                if s in slots and s.inflight and fd not in ready and now >= deadlines[fd]:
                    i = s.inflight[0][0]
                    t = self._timeout(reqs[i])
                    outcomes[i] = _unstable(f"Tool execution timed out after {t:g} seconds", "Timeout", True)
                    s.inflight.popleft()
                    self._replace(s, slots, todo)

    def _timeout(self, req: SandboxRequest) -> float:
        return req.timeout_s if req.timeout_s is not None else self.limits.timeout_s

    def _collect(
        self, s: _Slot, slots: list[_Slot], outcomes: list[SandboxOutcome | None], todo: deque[int]
    ) -> None:
        """Read what ``s``'s worker sent; settle answered requests; handle death and oversized lines."""
        alive = s.worker.fill(0.0)
        while s.inflight:
            nl = s.worker.buf.find(b"\n")
            if nl < 0:
                break
            line = bytes(s.worker.buf[:nl])
            del s.worker.buf[: nl + 1]
            i, size = s.inflight.popleft()
            s.pending_bytes -= size
            s.head_started = time.monotonic()
            outcome, retire = _decode(line, i)
            outcomes[i] = outcome
            s.worker.calls += 1
            if retire:
                self._replace(s, slots, todo)
                return
        if s.inflight and len(s.worker.buf) > self.limits.max_result_chars + (1 << 16):
            i = s.inflight.popleft()[0]
            outcomes[i] = _unstable(
                "tool unavailable: output limit exceeded (response too large)", "OutputLimit", True
            )
            self._replace(s, slots, todo)
        elif not alive and s.inflight:
            i = s.inflight.popleft()[0]
            reason = s.worker.exit_reason()
            outcomes[i] = _unstable(f"tool unavailable: {reason}", "Crash", True)
            self._replace(s, slots, todo)

    def _replace(self, s: _Slot, slots: list[_Slot], todo: deque[int]) -> None:
        """Retire ``s``'s worker; its unanswered requests never started, so they go back to the queue."""
        for i, _ in reversed(s.inflight):
            todo.appendleft(i)
        s.inflight.clear()
        s.pending_bytes = 0
        fresh = self._retire(s.worker)
        if fresh is None:
            slots.remove(s)
        else:
            s.worker = fresh
            s.worker.buf.clear()


def _unstable(text: str, exc_type: str, replaced: bool = False) -> SandboxOutcome:
    return SandboxOutcome(ok=False, error=text, unstable=True, exc_type=exc_type, replaced=replaced)


def _encode(i: int, r: SandboxRequest) -> tuple[bytes | None, SandboxOutcome | None]:
    """The request line, or an outcome when the request cannot be sent (not JSON, too big, bad target)."""
    if not isinstance(r.target, str) or r.target.count(":") != 1:
        return None, SandboxOutcome(
            ok=False, error=f"ValueError: bad tool target {r.target!r}", exc_type="Target"
        )
    try:
        text = jsonio.dumps(
            {"id": i, "target": r.target, "kwargs": dict(r.kwargs), "workdir": r.workdir},
            nonfinite="raise",
        )
    except (TypeError, ValueError) as exc:
        return None, SandboxOutcome(
            ok=False, error=f"{type(exc).__name__}: {exc}", exc_type=type(exc).__name__
        )
    if len(text) > _MAX_REQUEST_CHARS:
        return None, SandboxOutcome(ok=False, error="ValueError: arguments too large", exc_type="ValueError")
    return text.encode("utf-8") + b"\n", None


def _decode(line: bytes, i: int) -> tuple[SandboxOutcome, bool]:
    """Turn a response line into an outcome; the flag says whether the worker must be retired."""
    try:
        msg = jsonio.parse(line)
    except ValueError:
        return _unstable("tool unavailable: garbled response from the sandbox worker", "Garbled", True), True
    if not isinstance(msg, dict) or msg.get("id") != i:
        return _unstable(
            "tool unavailable: out-of-order response from the sandbox worker", "Garbled", True
        ), True
    retire = bool(msg.get("retire"))
    stdout = str(msg.get("stdout") or "")
    if msg.get("ok"):
        return SandboxOutcome(ok=True, result=msg.get("result"), stdout=stdout), False
    return (
        SandboxOutcome(
            ok=False,
            error=str(msg.get("error") or "error"),
            unstable=bool(msg.get("unstable")),
            exc_type=str(msg.get("type") or ""),
            stdout=stdout,
            replaced=retire,
        ),
        retire,
    )


# ------------------------------------------------------------------------------------------------ worker
# Everything below runs in the worker process only (python -I -m tools_env.sandbox).

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_SPAWN_EVENTS = frozenset(
    {
        "os.fork",
        "os.forkpty",
        "os.posix_spawn",
        "os.spawn",
        "os.exec",
        "os.system",
        "subprocess.Popen",
        "pty.spawn",
        "os.startfile",
    }
)
_NET_EVENTS = frozenset(
    {"socket.__new__", "socket.connect", "socket.bind", "socket.getaddrinfo", "socket.sendto"}
)
_CTYPES_EVENTS = frozenset({"ctypes.dlopen", "ctypes.dlsym", "ctypes.call_function"})
_PATH_EVENTS = {  # event -> indices of path arguments that must stay inside the call's directory
    "os.remove": (0,),
    "os.rmdir": (0,),
    "os.mkdir": (0,),
    "os.rename": (0, 1),
    "os.link": (1,),
    "os.symlink": (1,),
    "os.chmod": (0,),
    "os.chown": (0,),
    "os.chflags": (0,),
    "os.truncate": (0,),
    "os.utime": (0,),
    "os.setxattr": (0,),
    "os.removexattr": (0,),
    "os.mkfifo": (0,),
    "os.mknod": (0,),
    "shutil.chown": (0,),
}
_DIR_FD_INDEX = {"os.remove": 1, "os.rmdir": 1, "os.mkdir": 2, "os.chmod": 2, "os.chown": 3, "os.symlink": 2}


class _OutputLimit(BaseException):
    """Raised inside the tool when it prints too much (a BaseException so ``except Exception`` cannot eat it)."""


class _BoundedText:
    """A write-only text stream that keeps at most ``limit`` characters and then stops the tool."""

    encoding = "utf-8"
    errors = "replace"

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[str] = []
        self.size = 0

    def write(self, s: str) -> int:
        s = str(s)
        self.size += len(s)
        if self.size > self.limit:
            raise _OutputLimit(f"printed more than {self.limit} characters")
        self.parts.append(s)
        return len(s)

    def flush(self) -> None:
        return None

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def take(self) -> str:
        out = "".join(self.parts)
        self.parts.clear()
        self.size = 0
        return out


class _Guard:
    """The worker's audit hook: denies spawning, sockets, foreign calls and writes outside ``root``."""

    def __init__(self, network: bool) -> None:
        self.root = os.path.realpath(os.getcwd())
        self.pid = os.getpid()
        self.network = network
        self.armed = False

    def inside(self, path: Any, dir_fd: Any = None) -> bool:
        if isinstance(path, int):
            return True  # an already open descriptor: its opening was checked
        try:
            p = os.fsdecode(os.fspath(path))
        except TypeError:
            return False
        if p == os.devnull:
            return True
        base = os.getcwd()
        if isinstance(dir_fd, int) and dir_fd >= 0:  # audit events pass -1 for "no dir_fd"
            try:
                base = os.readlink(f"/proc/self/fd/{dir_fd}")
            except OSError:
                return False
        real = os.path.realpath(os.path.join(base, p))
        return real == self.root or real.startswith(self.root + os.sep)

    def __call__(self, event: str, args: tuple[Any, ...]) -> None:
        if not self.armed:
            return
        if event == "open":
            path, mode, flags = (tuple(args) + (None, None, None))[:3]
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and bool(flags & _WRITE_FLAGS)
            )
            if writing and not self.inside(path):
                raise PermissionError(
                    f"[Errno 13] Permission denied: {path!r} (outside the tool's directory)"
                )
        elif event in _PATH_EVENTS:
            dir_fd = (
                args[_DIR_FD_INDEX[event]]
                if event in _DIR_FD_INDEX and len(args) > _DIR_FD_INDEX[event]
                else None
            )
            for k in _PATH_EVENTS[event]:
                if k < len(args) and not self.inside(args[k], dir_fd):
                    raise PermissionError(
                        f"[Errno 13] Permission denied: {args[k]!r} (outside the tool's directory)"
                    )
        elif event in _SPAWN_EVENTS:
            raise PermissionError(
                f"[Errno 1] Operation not permitted: {event} is disabled in the tool sandbox"
            )
        elif event in _NET_EVENTS and not self.network:
            raise PermissionError(
                "[Errno 1] Operation not permitted: network access is disabled in the tool sandbox"
            )
        elif event in _CTYPES_EVENTS:
            raise PermissionError(
                f"[Errno 1] Operation not permitted: {event} is disabled in the tool sandbox"
            )
        elif event in ("os.kill", "os.killpg", "signal.pthread_kill"):
            pid = args[0] if args else None
            if event != "os.kill" or pid not in (0, self.pid):
                raise PermissionError(
                    "[Errno 1] Operation not permitted: signals to other processes are disabled"
                )


def _libc() -> Any:
    import ctypes

    return ctypes.CDLL(None, use_errno=True)


def _unshare_net() -> bool:
    """Move into a new, empty network namespace (only loopback, down); False when not permitted."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = _libc()
        if libc.unshare(0x40000000) == 0:  # CLONE_NEWNET
            return True
        if libc.unshare(0x10000000 | 0x40000000) == 0:  # CLONE_NEWUSER | CLONE_NEWNET (unprivileged)
            return True
    except (OSError, AttributeError):
        pass
    return False


def _seccomp_no_spawn() -> bool:
    """Install a seccomp filter (x86-64 Linux): fork/vfork/execve/execveat and process-creating clone -> EPERM.

    ``clone3`` gets ENOSYS so that glibc falls back to ``clone`` for threads, which stay allowed
    (``CLONE_THREAD`` set). Returns False when seccomp is unavailable.
    """
    if not sys.platform.startswith("linux") or os.uname().machine != "x86_64":
        return False
    import ctypes
    import struct

    ld_w_abs, jeq_k, jge_k, jset_k, ret_k = 0x20, 0x15, 0x35, 0x45, 0x06
    allow, eperm, enosys = 0x7FFF0000, 0x00050000 | 1, 0x00050000 | 38
    arch_x86_64, x32_bit = 0xC000003E, 0x40000000
    nr_clone, nr_fork, nr_vfork, nr_execve, nr_execveat, nr_clone3 = 56, 57, 58, 59, 322, 435
    clone_thread = 0x00010000
    # (code, jump-if-true, jump-if-false, k); jumps are relative to the next instruction
    prog = [
        (ld_w_abs, 0, 0, 4),  # 0  A = arch
        (jeq_k, 1, 0, arch_x86_64),  # 1
        (ret_k, 0, 0, eperm),  # 2  i386 / foreign ABI: refuse everything
        (ld_w_abs, 0, 0, 0),  # 3  A = syscall number
        (jge_k, 11, 0, x32_bit),  # 4  x32 ABI -> 16
        (jeq_k, 0, 1, nr_clone3),  # 5
        (ret_k, 0, 0, enosys),  # 6  clone3: ENOSYS, glibc falls back to clone
        (jeq_k, 0, 3, nr_clone),  # 7  not clone -> 11
        (ld_w_abs, 0, 0, 16),  # 8  A = low word of clone flags
        (jset_k, 0, 6, clone_thread),  # 9  a new process -> 16
        (ret_k, 0, 0, allow),  # 10 a thread
        (jeq_k, 4, 0, nr_fork),  # 11
        (jeq_k, 3, 0, nr_vfork),  # 12
        (jeq_k, 2, 0, nr_execve),  # 13
        (jeq_k, 1, 0, nr_execveat),  # 14
        (ret_k, 0, 0, allow),  # 15
        (ret_k, 0, 0, eperm),  # 16
    ]
    raw = b"".join(struct.pack("HBBI", *ins) for ins in prog)
    buf = ctypes.create_string_buffer(raw)

    class _Fprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = _Fprog(len(prog), ctypes.cast(buf, ctypes.c_void_p))
    libc = _libc()
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        return False
    return libc.prctl(22, 2, ctypes.byref(fprog), 0, 0) == 0  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER


def _set_limits(limits: Mapping[str, Any]) -> None:
    import resource

    def lower(which: int, value: int) -> None:
        soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(which, (value, value if hard == resource.RLIM_INFINITY else hard))

    lower(resource.RLIMIT_AS, int(limits["memory_bytes"]))
    lower(resource.RLIMIT_FSIZE, int(limits["file_size_bytes"]))
    lower(resource.RLIMIT_NOFILE, int(limits["open_files"]))
    lower(resource.RLIMIT_CORE, 0)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))


class _WorkerLoop:
    """The worker side: read a request line, run the target, write one response line."""

    def __init__(self, config: Mapping[str, Any], out_fd: int) -> None:
        import resource

        self.resource = resource
        self.limits = dict(config["limits"])
        self.out_fd = out_fd
        self.home = os.path.realpath(str(config["dir"]))
        self.targets: dict[str, Any] = {}
        self.capture = _BoundedText(int(self.limits["max_output_chars"]))
        self.guard = _Guard(bool(self.limits["network"]))

    def send(self, msg: Mapping[str, Any]) -> None:
        raw = msg.get("_raw")
        if raw is None:
            text = jsonio.dumps(msg, nonfinite="raise")
        else:  # the result's JSON text is already made: splice it in rather than encode it twice
            head = jsonio.dumps({k: v for k, v in msg.items() if k != "_raw"})
            text = f'{head[:-1]}, "result": {raw}}}'
        data = (text + "\n").encode("utf-8", "replace")
        view = memoryview(data)
        while view:
            view = view[os.write(self.out_fd, view) :]

    def resolve(self, target: str) -> Any:
        fn = self.targets.get(target)
        if fn is None:
            import importlib

            module_name, _, attr = target.partition(":")
            obj: Any = importlib.import_module(module_name)
            for part in attr.split("."):
                obj = getattr(obj, part)
            if not callable(obj):
                raise TypeError(f"tool target {target!r} is not callable")
            fn = self.targets[target] = obj
        return fn

    def arm_cpu(self) -> None:
        r = self.resource
        used = r.getrusage(r.RUSAGE_SELF)
        spent = int(used.ru_utime + used.ru_stime) + 1
        with contextlib.suppress(ValueError, OSError):
            r.setrlimit(r.RLIMIT_CPU, (spent + int(self.limits["cpu_s"]), r.RLIM_INFINITY))

    def handle(self, line: bytes) -> dict[str, Any]:
        msg = jsonio.parse(line)
        rid = msg.get("id")
        workdir = msg.get("workdir") or self.home
        try:
            os.chdir(workdir)
        except OSError as exc:
            return {
                "id": rid,
                "ok": False,
                "error": f"tool unavailable: bad workdir ({exc})",
                "unstable": True,
            }
        self.guard.root = os.path.realpath(workdir)
        out: dict[str, Any] = {"id": rid}
        self.arm_cpu()
        try:
            fn = self.resolve(str(msg["target"]))
            kwargs = msg.get("kwargs") or {}
            result = fn(**kwargs)
            text = jsonio.dumps(result, nonfinite="raise")
            if len(text) > int(self.limits["max_result_chars"]):
                out.update(ok=False, unstable=True, type="OutputLimit", retire=False)
                out["error"] = f"tool unavailable: output limit exceeded (result of {len(text)} characters)"
            else:
                out.update(ok=True, _raw=text)
        except _OutputLimit as exc:
            out.update(
                ok=False,
                unstable=True,
                type="OutputLimit",
                error=f"tool unavailable: output limit exceeded ({exc})",
            )
        except MemoryError:
            out.update(ok=False, unstable=True, type="MemoryLimit", retire=True)
            out["error"] = "tool unavailable: memory limit exceeded (MemoryError)"
        except RecursionError as exc:
            out.update(ok=False, unstable=False, type="RecursionError", error=_exc_text(exc))
        except Exception as exc:  # noqa: BLE001 - any tool exception is a classified failure
            name = type(exc).__name__
            out.update(ok=False, unstable=name == "ToolUnstable", type=name, error=_exc_text(exc))
        finally:
            os.chdir(self.home)
            self.guard.root = self.home
        printed = self.capture.take()
        if printed:
            out["stdout"] = printed if out.get("type") != "OutputLimit" else printed[:2000]
        return out

    def serve(self, inp: Any) -> None:
        for line in inp:
            if not line.strip():
                continue
            try:
                reply = self.handle(line)
            except MemoryError:
                reply = {
                    "ok": False,
                    "unstable": True,
                    "retire": True,
                    "error": "tool unavailable: memory limit exceeded",
                }
            except (ValueError, KeyError, TypeError) as exc:
                reply = {
                    "ok": False,
                    "unstable": True,
                    "retire": True,
                    "error": f"tool unavailable: bad request ({exc})",
                }
            try:
                self.send(reply)
            except (TypeError, ValueError) as exc:
                self.send(
                    {
                        "id": reply.get("id"),
                        "ok": False,
                        "unstable": False,
                        "type": "TypeError",
                        "error": str(exc),
                    }
                )
            if reply.get("retire"):
                return


def _exc_text(exc: BaseException) -> str:
    """``str(e)`` as ToolEyes shows it, or ``"<Type>: <message>"`` when that alone would not read as an error."""
    text = str(exc)
    name = type(exc).__name__
    if name in ("ToolCallFailed", "ToolUnstable") and text:
        return text
    from tlbench.classify import classify_feedback
    from tlbench.types import ErrorKind

    if text and classify_feedback(text) is not ErrorKind.CORRECT:
        return text
    return f"{name}: {text}" if text else name


def _worker_main() -> None:
    """Entry point of a worker: private stdio, limits, guards, then the request loop."""
    in_fd, out_fd = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    inp = os.fdopen(in_fd, "rb", buffering=1 << 16)
    config = jsonio.parse(inp.readline() or b"{}")
    if config.get("pdeathsig"):
        with contextlib.suppress(Exception):
            _libc().prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the parent
    for p in reversed(config.get("sys_path") or []):
        sys.path.insert(0, str(p))
    sys.dont_write_bytecode = True
    limits = config["limits"]
    features = {"audit_hook": True, "netns": False, "seccomp": False, "rlimits": True}
    if not limits["network"]:
        features["netns"] = _unshare_net()
    import tlbench.classify  # noqa: F401 - warm import used by _exc_text, before the address-space limit

    loop = _WorkerLoop(config, out_fd)
    try:
        features["seccomp"] = _seccomp_no_spawn()
    except (OSError, AttributeError):
        features["seccomp"] = False
    _set_limits(limits)
    sys.addaudithook(loop.guard)
    sys.stdout = sys.stderr = loop.capture  # type: ignore[assignment]
    loop.guard.armed = True
    loop.send({"ready": True, "features": features})
    loop.serve(inp)


if __name__ == "__main__":
    _worker_main()
