"""The bubblewrap jail: the ``bwrap`` command line that runs one piece of model-written code.

Covered here (the tests are in ``tests/security/test_code_sandbox.py``):

* **no network**: a private, empty network namespace (``--unshare-net``; abstract unix sockets included);
* **nothing of the host mounted that the code does not need**: the root is an empty read-only tmpfs holding
  ``/usr`` (and ``/bin``, ``/lib*``, ``/sbin`` or their merged-usr links), a few ``/etc`` files the loader
  and ``update-alternatives`` links need, a generated ``/etc/passwd`` and ``/etc/group`` (root, nobody and
  the caller), the interpreter's prefix when it lives outside ``/usr`` (read-only), a fresh ``/proc``, a
  minimal read-only ``/dev``, the supervisor script (read-only) and two size-capped tmpfs: the episode
  directory (:data:`EPISODE_DIR`, the code's cwd and ``$HOME``) and ``/tmp``;
* an empty environment (no API keys), **private pid/ipc/uts namespaces**, and as root a switch to ``nobody``
  with ``setpriv`` (``RLIMIT_NPROC`` binds only non-root users);
* :func:`sandbox_status`: whether bubblewrap can build this jail on this machine at all (probed once).

Not covered: the resource limits and the deadline (set by :mod:`tools_env.os_sandbox.run` on the bwrap
process and by the supervisor inside); copying the episode directory in and out
(:mod:`tools_env.os_sandbox.transfer`).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

__all__ = [
    "EPISODE_DIR",
    "INTERPRETERS",
    "sandbox_status",
    "bwrap_path",
    "nproc_limit",
    "command",
    "identity_fds",
    "bwrap_argv",
]

_NOBODY = 65534
#: Language -> (program, flags before the code).
INTERPRETERS = {
    "python": ("python3", "-I", "-c"),
    "python-ast": ("python3", "-I", "-c"),
    "bash": ("bash", "-c"),
}
#: Where the episode directory appears inside the sandbox (its cwd and $HOME).
EPISODE_DIR = "/episode"
#: The supervisor script inside the sandbox (bound read-only from this package).
_INIT = Path(__file__).with_name("supervisor.py")
_INIT_IN_SANDBOX = "/.tlbench/supervisor.py"
#: Top-level host paths bound read-only (or recreated as their merged-usr symlinks); nothing else of /.
_SYSTEM_DIRS = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32")
#: /etc entries the dynamic loader and Debian's alternatives links need; /etc/passwd and /etc/group are generated.
_ETC = ("alternatives", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime")


def bwrap_path() -> str | None:
    """The bubblewrap binary (``$TLBENCH_BWRAP`` or ``bwrap`` on ``PATH``)."""
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
    return _probe(bwrap_path())


def _namespace_args() -> list[str]:
    common = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
    # as root a user namespace would map the code to uid 0 outside, where RLIMIT_NPROC does not bind:
    # keep the host user namespace and drop to nobody with setpriv instead
    return common if os.geteuid() == 0 else ["--unshare-user", *common]


def nproc_limit(processes: int) -> int:
    """RLIMIT_NPROC for a call that may start ``processes`` processes: counted per user, so a non-root
    caller's own processes are added (as root the code runs as ``nobody``, who runs nothing else)."""
    return processes + 1 + (0 if os.geteuid() == 0 else _own_process_count())


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


def command(language: str, code: str) -> list[str]:
    """The interpreter's argv inside the sandbox for ``code`` in ``language`` (see :data:`INTERPRETERS`)."""
    prog, *flags = INTERPRETERS[language]
    return [_python()[0] if prog == "python3" else _bash(), *flags, code]


def identity_fds() -> dict[str, int]:
    """Pipes holding the sandbox's /etc/passwd and /etc/group (root, nobody and the calling user, no host
    names), for :func:`bwrap_argv`; the caller closes them once bwrap has started."""
    uid, gid = os.getuid(), os.getgid()
    users = [(0, 0, "root"), (_NOBODY, _NOBODY, "nobody")]
    if uid not in (0, _NOBODY):
        users.append((uid, gid, "sandbox"))
    passwd = "".join(f"{n}:x:{u}:{g}:{n}:{EPISODE_DIR}:/usr/sbin/nologin\n" for u, g, n in users)
    group = "".join(f"{n}:x:{g}:\n" for _, g, n in users)
    return {"passwd": _data_fd(passwd.encode()), "group": _data_fd(group.encode())}


def _data_fd(data: bytes) -> int:
    """A pipe's read end holding ``data`` (small: it fits the pipe buffer), for bwrap's --ro-bind-data."""
    r, w = os.pipe()
    try:
        os.write(w, data)
    finally:
        os.close(w)
    return r


def bwrap_argv(
    bwrap: str, workdir_bytes: int, timeout_s: float, command: list[str], fds: Mapping[str, int]
) -> list[str]:
    """The whole command line: bwrap and its jail, then the supervisor (``timeout_s``, the report pipe
    ``fds["report"]``), then ``command``; ``fds`` also holds the :func:`identity_fds`."""
    identity: tuple[str, ...] = ()
    for name in ("passwd", "group"):
        identity += ("--perms", "0644", "--ro-bind-data", str(fds[name]), "/etc/" + name)
    argv = [bwrap, "--die-with-parent", "--new-session", *_namespace_args()]
    argv += [*_mounts(workdir_bytes, identity), "--chdir", EPISODE_DIR, "--clearenv"]
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": EPISODE_DIR, "TMPDIR": "/tmp", "LANG": "C.UTF-8"}
    env |= {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONIOENCODING": "utf-8"}
    for k, v in env.items():
        argv += ["--setenv", k, v]
    argv.append("--")
    if os.geteuid() == 0:
        argv += ["setpriv", f"--reuid={_NOBODY}", f"--regid={_NOBODY}", "--clear-groups", "--"]
    init = [_python()[0], "-I", _INIT_IN_SANDBOX, f"{timeout_s:g}", str(fds["report"]), "--"]
    return argv + init + command
