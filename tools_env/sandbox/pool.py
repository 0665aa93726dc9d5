"""The parent side of the sandbox: :class:`SandboxPool`, its worker processes and the driving of requests.

The pool starts ``size`` workers (:mod:`tools_env.sandbox.worker`) eagerly, hands them out one user at a time
and pipelines requests across them (:meth:`SandboxPool.run_many`): up to ``depth`` requests in flight per
worker, below the pipe's capacity so that writes never block, answers read with ``select`` as they come.

Covered here: the wall-clock deadline of every call (the worker's process group is killed with SIGKILL and
the call is ``TIMEOUT``); a worker that dies (``CRASH``: the signal or exit status in the text), answers
garbage (``PROTOCOL``) or floods its pipe (``OUTPUT``) is retired and replaced, and the requests queued
behind the failed one are sent again (they never started); requests that cannot be sent are refused
(``INVALID``); no worker at all is ``UNAVAILABLE``; :meth:`SandboxPool.close` reaps every worker, closes every
pipe and removes every temp dir. Not covered: starting and killing one process
(:mod:`tools_env.sandbox.process`) and what happens inside a worker during a call
(:mod:`tools_env.sandbox.worker`, :mod:`tools_env.sandbox.guards`).
"""

from __future__ import annotations

import contextlib
import os
import queue
import select
import shutil
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools_env.base import ToolUnstable
from tools_env.sandbox import protocol
from tools_env.sandbox.process import WorkerProcess
from tools_env.sandbox.protocol import ErrorClass, SandboxLimits, SandboxOutcome, SandboxRequest, unstable

__all__ = ["SandboxPool"]

#: Bytes of requests in flight per worker: below the 64 KiB pipe, so writes never block.
_PIPE_BUDGET = 32 << 10


@dataclass
class _Slot:
    """A worker plus the requests sent to it and not answered yet (index, line size, start time)."""

    worker: WorkerProcess
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
        self._idle: queue.SimpleQueue[WorkerProcess] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._workers: set[WorkerProcess] = set()
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

    def _spawn(self) -> WorkerProcess:
        worker = WorkerProcess(self._root, self.limits, self._sys_path)
        with self._lock:
            if self._closed:
                worker.kill()
                raise ToolUnstable("tool unavailable: the sandbox pool is closed")
            self._workers.add(worker)
        return worker

    def _retire(self, worker: WorkerProcess) -> WorkerProcess | None:
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
            line, err = protocol.encode_request(i, r)
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
        return [
            o if o is not None else unstable(ErrorClass.UNAVAILABLE, "tool unavailable: no result")
            for o in outcomes
        ]

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
                        outcomes[i] = unstable(
                            ErrorClass.UNAVAILABLE, "tool unavailable: no sandbox worker could be started"
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
                    outcomes[i] = unstable(
                        ErrorClass.TIMEOUT, f"Tool execution timed out after {t:g} seconds", True
                    )
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
            outcome, retire = protocol.decode_answer(line, i)
            outcomes[i] = outcome
            s.worker.calls += 1
            if retire:
                self._replace(s, slots, todo)
                return
        if s.inflight and len(s.worker.buf) > self.limits.max_result_chars + (1 << 16):
            i = s.inflight.popleft()[0]
            outcomes[i] = unstable(
                ErrorClass.OUTPUT, "tool unavailable: output limit exceeded (response too large)", True
            )
            self._replace(s, slots, todo)
        elif not alive and s.inflight:
            i = s.inflight.popleft()[0]
            reason = s.worker.exit_reason()
            outcomes[i] = unstable(ErrorClass.CRASH, f"tool unavailable: {reason}", True)
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
