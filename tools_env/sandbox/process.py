"""One worker process seen from the parent: start it, write requests, read answers, kill it.

Covered here: the worker is started as ``python -I -m tools_env.sandbox.worker`` (isolated mode: no
``PYTHON*`` variables, no user site, no current directory on ``sys.path``) in its own session (so its whole
process group can be killed) and its own temp dir, with a minimal environment (no API keys,
``HOME``/``TMPDIR`` in that dir), stderr discarded and only two private pipes; it must say it is ready
within :data:`START_TIMEOUT_S`; reads never block past a deadline; :meth:`WorkerProcess.kill` takes the
process group down, reaps it, closes the pipes and removes the dir; the reason a worker died (signal, CPU
limit, exit status) is put in words. Not covered: which requests go to which worker and when a worker is
replaced (:mod:`tools_env.sandbox.pool`).
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tools_env.base import ToolUnstable
from tools_env.sandbox import protocol
from tools_env.sandbox.protocol import SandboxLimits

__all__ = ["WorkerProcess", "START_TIMEOUT_S"]

_READ_CHUNK = 1 << 16
#: Seconds a new worker has to say it is ready.
START_TIMEOUT_S = 30.0


def _minimal_env(workdir: str) -> dict[str, str]:
    """A worker's whole environment: no variable of the parent's but ``PATH`` (no API keys)."""
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


class WorkerProcess:
    """The parent's handle on one worker process (not thread-safe: the pool hands it to one user at a time)."""

    def __init__(self, root: Path, limits: SandboxLimits, sys_path: Sequence[str]) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="w-", dir=root))
        self.buf = bytearray()
        self.calls = 0
        self.proc: subprocess.Popen[bytes] | None = None
        try:
            self.proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                [sys.executable, "-I", "-m", protocol.WORKER_MODULE],
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
            pdeathsig = threading.current_thread() is threading.main_thread()
            self.write(protocol.config_line(limits, [str(p) for p in sys_path], str(self.dir), pdeathsig))
            features = protocol.parse_hello(self.read_line(time.monotonic() + START_TIMEOUT_S))
            if features is None:
                raise ToolUnstable("tool unavailable: sandbox worker failed to start")
            self.features: dict[str, Any] = features
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
