"""The sandbox worker, the child program that runs one call after another.

It runs as ``python -I -m tools_env.sandbox.worker`` (:data:`~tools_env.sandbox.protocol.WORKER_MODULE`).

Start-up (:func:`main`): the protocol pipes are moved off descriptors 0-2 (which then point at ``/dev/null``),
the config line is read, the worker asks to die with its parent (``PR_SET_PDEATHSIG``), joins a private
network namespace, installs the seccomp filter, lowers its resource limits, installs the audit hook, replaces
``sys.stdout``/``sys.stderr`` by bounded buffers and says it is ready (:mod:`tools_env.sandbox.guards`).
Then :class:`WorkerLoop` reads request lines and writes one answer per line
(:mod:`tools_env.sandbox.protocol`), in order.

Covered here: every way a call can end is mapped to exactly one answer - a value (``ok``), an exception raised
by the tool (``RAISED``: ``failed``, or ``unstable`` for ``ToolUnstable``), a denial by the guards
(``REFUSED``: ``failed``), too much output or too large a result (``OUTPUT``), ``MemoryError`` (``MEMORY``,
and the worker retires), a request or directory it cannot use (``PROTOCOL``); the CPU limit is re-armed
before every call. Not covered: a call that hangs, crashes or kills the worker gets no answer at all; the
pool settles those (:mod:`tools_env.sandbox.pool`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Mapping
from typing import Any

from tlbench import jsonio
from tools_env.base import failure_text
from tools_env.sandbox import protocol
from tools_env.sandbox.guards import (
    AuditGuard,
    BoundedText,
    OutputLimit,
    SandboxDenied,
    libc,
    seccomp_no_spawn,
    set_limits,
    unshare_net,
)
from tools_env.sandbox.protocol import ErrorClass

#: How much of what a tool printed comes back when it printed too much.
_STDOUT_TAIL = 2000


class WorkerLoop:
    """The worker side: read a request line, run the target, write one answer line."""

    def __init__(self, config: Mapping[str, Any], out_fd: int) -> None:
        import resource

        self.resource = resource
        self.limits = dict(config["limits"])
        self.out_fd = out_fd
        self.home = os.path.realpath(str(config["dir"]))
        self.targets: dict[str, Any] = {}
        self.capture = BoundedText(int(self.limits["max_output_chars"]))
        self.guard = AuditGuard(bool(self.limits["network"]))

    def send(self, msg: Mapping[str, Any]) -> None:
        """Write one line to the parent (``TypeError``/``ValueError`` when ``msg`` is not JSON)."""
        view = memoryview(protocol.encode_answer(msg))
        while view:
            view = view[os.write(self.out_fd, view) :]

    def resolve(self, target: str) -> Any:
        """The function a ``"module:function"`` target names (imported once, then cached)."""
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
        """Allow the next call ``cpu_s`` CPU seconds beyond what the worker has used so far."""
        r = self.resource
        used = r.getrusage(r.RUSAGE_SELF)
        spent = int(used.ru_utime + used.ru_stime) + 1
        with contextlib.suppress(ValueError, OSError):
            r.setrlimit(r.RLIMIT_CPU, (spent + int(self.limits["cpu_s"]), r.RLIM_INFINITY))

    def handle(self, line: bytes) -> dict[str, Any]:
        """The answer to one request line: the call runs in its directory, with what it printed attached."""
        msg = protocol.parse_request(line)
        rid = msg.get("id")
        workdir = msg.get("workdir") or self.home
        try:
            os.chdir(workdir)
        except OSError as exc:
            return protocol.failure(
                rid, "unstable", ErrorClass.PROTOCOL, f"tool unavailable: bad workdir ({exc})"
            )
        self.guard.root = os.path.realpath(workdir)
        self.arm_cpu()
        try:
            out = self.call(rid, msg)
        finally:
            os.chdir(self.home)
            self.guard.root = self.home
        printed = self.capture.take()
        if printed:
            out["stdout"] = printed if out.get("class") != ErrorClass.OUTPUT.value else printed[:_STDOUT_TAIL]
        return out

    def call(self, rid: Any, msg: Mapping[str, Any]) -> dict[str, Any]:
        """Run the request's target and map how it ended to exactly one answer."""
        try:
            fn = self.resolve(str(msg["target"]))
            result = fn(**(msg.get("kwargs") or {}))
            text = jsonio.dumps(result, nonfinite="raise")
        except OutputLimit as exc:
            why = f"tool unavailable: output limit exceeded ({exc})"
            return protocol.failure(rid, "unstable", ErrorClass.OUTPUT, why)
        except MemoryError:
            why = "tool unavailable: memory limit exceeded (MemoryError)"
            return protocol.failure(rid, "unstable", ErrorClass.MEMORY, why, retire=True)
        except SandboxDenied as exc:
            name = "PermissionError"  # what the tool sees; the class says the guards denied it
            return protocol.failure(rid, "failed", ErrorClass.REFUSED, failure_text(exc, name), name)
        except Exception as exc:  # noqa: BLE001 - any tool exception is a classified failure
            name = type(exc).__name__
            status = "unstable" if name == "ToolUnstable" else "failed"
            return protocol.failure(rid, status, ErrorClass.RAISED, failure_text(exc, name), name)
        if len(text) > int(self.limits["max_result_chars"]):
            why = f"tool unavailable: output limit exceeded (result of {len(text)} characters)"
            return protocol.failure(rid, "unstable", ErrorClass.OUTPUT, why)
        return protocol.success(rid, text)

    def serve(self, inp: Any) -> None:
        """Answer request lines until EOF or an answer that retires the worker."""
        for line in inp:
            if not line.strip():
                continue
            try:
                reply = self.handle(line)
            except MemoryError:
                why = "tool unavailable: memory limit exceeded"
                reply = protocol.failure(None, "unstable", ErrorClass.MEMORY, why, retire=True)
            except (ValueError, KeyError, TypeError) as exc:
                why = f"tool unavailable: bad request ({exc})"
                reply = protocol.failure(None, "unstable", ErrorClass.PROTOCOL, why, retire=True)
            try:
                self.send(reply)
            except (TypeError, ValueError) as exc:
                name = type(exc).__name__
                self.send(protocol.failure(reply.get("id"), "failed", ErrorClass.RAISED, str(exc), name))
            if reply.get("retire"):
                return


def main() -> None:
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
            libc().prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the parent
    for p in reversed(config.get("sys_path") or []):
        sys.path.insert(0, str(p))
    sys.dont_write_bytecode = True
    limits = config["limits"]
    features = {"audit_hook": True, "netns": False, "seccomp": False, "rlimits": True}
    if not limits["network"]:
        features["netns"] = unshare_net()
    import tlbench.classify  # noqa: F401 - warm import used by failure_text, before the address-space limit

    loop = WorkerLoop(config, out_fd)
    try:
        features["seccomp"] = seccomp_no_spawn()
    except (OSError, AttributeError):
        features["seccomp"] = False
    set_limits(limits)
    sys.addaudithook(loop.guard)
    sys.stdout = sys.stderr = loop.capture  # type: ignore[assignment]
    loop.guard.armed = True
    loop.send(protocol.hello_message(features))
    loop.serve(inp)


if __name__ == "__main__":
    main()
