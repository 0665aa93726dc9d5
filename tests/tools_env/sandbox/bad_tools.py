"""Real misbehaving (and a few well-behaved) tools for the sandbox tests.

Workers import this module by name (``bad_tools:<function>``): the tests add this folder to the pool's
``sys_path``. Every function takes JSON values only, like a real tool.
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
from typing import Any


def echo(value: Any = None) -> Any:
    """Return the argument unchanged (the trivial tool of the throughput benchmark)."""
    return value


def add(a: float, b: float) -> float:
    """Add two numbers."""
    return a + b


def hang(seconds: float = 3600.0) -> str:
    """Sleep far past any timeout."""
    time.sleep(seconds)
    return "woke up"


def spin() -> None:
    """Burn CPU forever."""
    x = 0
    while True:
        x += 1


def abort() -> None:
    """Die of SIGABRT."""
    os.abort()


def segfault() -> None:
    """Dereference NULL for a real SIGSEGV."""
    import faulthandler

    faulthandler._sigsegv()


def exit_now(code: int = 3) -> None:
    """Leave the worker process without a word."""
    os._exit(code)


def hog_memory(chunk_mb: int = 64) -> int:
    """Allocate without bound."""
    blocks = []
    while True:
        blocks.append(bytearray(chunk_mb << 20))
    return len(blocks)


def fork() -> int:
    """os.fork(): must be refused."""
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    return pid


def spawn() -> int:
    """subprocess.run: must be refused."""
    import subprocess

    return subprocess.run(["true"], check=False).returncode


def raw_fork_exec() -> int:
    """Fork through _posixsubprocess directly (no audit event): only the kernel-level filter stops it."""
    import _posixsubprocess

    r, w = os.pipe()
    try:
        args = [b"/bin/true"]
        pid = _posixsubprocess.fork_exec(  # the Python 3.11 argument list
            args,
            args,
            True,
            (),
            None,
            None,
            -1,
            -1,
            -1,
            -1,
            -1,
            -1,
            r,
            w,
            True,
            False,
            -1,
            None,
            None,
            None,
            -1,
            None,
            True,
        )
        return int(pid)
    finally:
        os.close(r)
        os.close(w)


def connect(host: str = "1.1.1.1", port: int = 80) -> str:
    """Open a TCP connection: must be refused."""
    with socket.create_connection((host, port), timeout=2):
        return "connected"


def write_outside(path: str) -> str:
    """Write a file at an absolute path outside the tool's directory."""
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("escaped")
    return "written"


def write_inside(name: str = "note.txt", text: str = "hello") -> dict[str, Any]:
    """Write a file in the cwd (the tool's directory) and read it back."""
    with open(name, "w", encoding="utf-8") as fh:
        fh.write(text)
    with open(name, encoding="utf-8") as fh:
        return {"cwd": os.getcwd(), "content": fh.read()}


def symlink_escape(target: str) -> str:
    """Write through a symlink made inside the directory that points outside it."""
    os.symlink(target, "link")
    with open("link", "w", encoding="utf-8") as fh:
        fh.write("escaped")
    return "written"


def remove_outside(path: str) -> str:
    """Delete a file outside the tool's directory."""
    os.remove(path)
    return "removed"


def big_file(mb: int = 64) -> str:
    """Write a file larger than RLIMIT_FSIZE."""
    with open("big.bin", "wb") as fh:
        for _ in range(mb):
            fh.write(b"\0" * (1 << 20))
    return "written"


def print_flood(mb: int = 8) -> str:
    """Print megabytes."""
    line = "x" * 1023
    for _ in range(mb * 1024):
        print(line)
    return "done"


def print_some(text: str = "hello") -> str:
    """Print a little, return a little."""
    print(text)
    return "ok"


def huge_result(mb: int = 8) -> str:
    """Return a result of megabytes."""
    return "y" * (mb << 20)


def fail(message: str = "bad value") -> None:
    """Raise ValueError."""
    raise ValueError(message)


def compare() -> bool:
    """Raise the classic ToolEyes TypeError text."""
    return "a" < 1  # type: ignore[operator]


def returns_bytes() -> bytes:
    """Return something JSON cannot hold."""
    return b"raw"


def env_keys() -> list[str]:
    """The environment variable names the tool can see."""
    return sorted(os.environ)


def kill_parent() -> str:
    """Try to kill the process that runs the pool."""
    import signal

    os.kill(os.getppid(), signal.SIGKILL)
    return "killed"


def ctypes_fork() -> int:
    """Fork through ctypes (foreign calls are refused after start-up)."""
    import ctypes

    return int(ctypes.CDLL(None).fork())


def flaky(i: int, rate: float = 0.05, seed: int = 0) -> dict[str, int]:
    """Answer ``{"i": i, "sq": i*i}``, except on a seeded ``rate`` share of calls where it misbehaves.

    The misbehaviour depends on a hash of (seed, i): mostly a ValueError, sometimes a simulated 5xx
    (``ToolUnstable``), rarely a crash or a hang, so that a soak exercises every recovery path.
    """
    h = int.from_bytes(hashlib.sha256(f"{seed}:{i}".encode()).digest()[:8], "big")
    if (h % 10_000) >= rate * 10_000:
        return {"i": i, "sq": i * i}
    mode = (h >> 20) % 100
    if mode < 70:
        raise ValueError(f"flaky failure {i}")
    if mode < 94:
        from tools_env.base import ToolUnstable

        raise ToolUnstable(f"503 Service Unavailable (call {i})")
    if mode < 98:
        os.abort()
    time.sleep(60)
    return {"i": i, "sq": i * i}


def fault_mode(i: int, rate: float = 0.05, seed: int = 0) -> str:
    """What :func:`flaky` does for ``i`` (in-process, for the soak's expectations)."""
    h = int.from_bytes(hashlib.sha256(f"{seed}:{i}".encode()).digest()[:8], "big")
    if (h % 10_000) >= rate * 10_000:
        return "ok"
    mode = (h >> 20) % 100
    return "error" if mode < 70 else "unstable" if mode < 94 else "crash" if mode < 98 else "hang"
