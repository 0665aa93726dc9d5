"""The worker's guards: what stops a tool from escaping, hogging or flooding (run in the worker only).

Covered here (the tests are in ``tests/tools_env/sandbox/test_containment.py``):

* :class:`AuditGuard`, an audit hook (PEP 578) that raises :class:`SandboxDenied` (a ``PermissionError``)
  for spawning (``os.fork``, ``subprocess``, ``os.system``, ``os.exec*``, ``os.posix_spawn``, ``pty``),
  creating a socket (unless the pool allows the network), ``ctypes`` foreign calls, signals to other
  processes, and opening for writing, creating, removing, renaming, linking or changing metadata of any
  path whose real path lies outside the call's directory (symlinks resolved, ``dir_fd`` honoured);
* :func:`seccomp_no_spawn`: a seccomp filter (x86-64 Linux) that makes ``fork``/``vfork``/``execve`` and
  non-thread ``clone`` fail with EPERM, the kernel-level layer behind the audit hook;
* :func:`unshare_net`: a private, empty network namespace when the kernel allows it;
* :func:`set_limits`: ``RLIMIT_AS`` / ``FSIZE`` / ``NOFILE`` / ``CORE`` / ``NPROC`` (the CPU limit is
  re-armed per call by the worker);
* :class:`BoundedText`: the stream ``sys.stdout``/``sys.stderr`` are replaced by, which stops the tool with
  :class:`OutputLimit` past ``max_output_chars``.

Not covered: the guards are Python-level except seccomp and the namespace. A tool's own code can read any
file the parent can read, and could tamper with the hook's state through introspection; the seccomp filter
exists only on x86-64 Linux; there is no mount namespace. Threads are allowed.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Mapping
from typing import Any

__all__ = [
    "AuditGuard",
    "SandboxDenied",
    "OutputLimit",
    "BoundedText",
    "libc",
    "unshare_net",
    "seccomp_no_spawn",
    "set_limits",
]

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


class SandboxDenied(PermissionError):
    """An operation the guards deny (the tool sees a ``PermissionError``; the worker answers ``REFUSED``)."""


class OutputLimit(BaseException):
    """Raised inside the tool when it prints too much (a BaseException so ``except Exception`` cannot eat it)."""


class BoundedText:
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
            raise OutputLimit(f"printed more than {self.limit} characters")
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


class AuditGuard:
    """The worker's audit hook: denies spawning, sockets, foreign calls and writes outside ``root``.

    ``root`` is the current call's directory (the worker moves it per call); ``armed`` is set once start-up is
    done (start-up itself needs ``ctypes``).
    """

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
                raise SandboxDenied(f"[Errno 13] Permission denied: {path!r} (outside the tool's directory)")
        elif event in _PATH_EVENTS:
            dir_fd = (
                args[_DIR_FD_INDEX[event]]
                if event in _DIR_FD_INDEX and len(args) > _DIR_FD_INDEX[event]
                else None
            )
            for k in _PATH_EVENTS[event]:
                if k < len(args) and not self.inside(args[k], dir_fd):
                    raise SandboxDenied(
                        f"[Errno 13] Permission denied: {args[k]!r} (outside the tool's directory)"
                    )
        elif event in _SPAWN_EVENTS:
            raise SandboxDenied(f"[Errno 1] Operation not permitted: {event} is disabled in the tool sandbox")
        elif event in _NET_EVENTS and not self.network:
            raise SandboxDenied(
                "[Errno 1] Operation not permitted: network access is disabled in the tool sandbox"
            )
        elif event in _CTYPES_EVENTS:
            raise SandboxDenied(f"[Errno 1] Operation not permitted: {event} is disabled in the tool sandbox")
        elif event in ("os.kill", "os.killpg", "signal.pthread_kill"):
            pid = args[0] if args else None
            if event != "os.kill" or pid not in (0, self.pid):
                raise SandboxDenied(
                    "[Errno 1] Operation not permitted: signals to other processes are disabled"
                )


def libc() -> Any:
    """The C library, for system calls Python does not wrap (start-up only: ``ctypes`` is denied after)."""
    import ctypes

    return ctypes.CDLL(None, use_errno=True)


def unshare_net() -> bool:
    """Move into a new, empty network namespace (only loopback, down); False when not permitted."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        c = libc()
        if c.unshare(0x40000000) == 0:  # CLONE_NEWNET
            return True
        if c.unshare(0x10000000 | 0x40000000) == 0:  # CLONE_NEWUSER | CLONE_NEWNET (unprivileged)
            return True
    except (OSError, AttributeError):
        pass
    return False


def seccomp_no_spawn() -> bool:
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
    c = libc()
    if c.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        return False
    return c.prctl(22, 2, ctypes.byref(fprog), 0, 0) == 0  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER


def set_limits(limits: Mapping[str, Any]) -> None:
    """Lower the worker's resource limits (``limits``: a :class:`~tools_env.sandbox.SandboxLimits` dict)."""
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
