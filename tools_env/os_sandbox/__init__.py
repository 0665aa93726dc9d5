"""Code-execution tools (python / bash, like ToolEyes' ``Execute``) that run ONLY inside an OS sandbox.

The in-process guards of :mod:`tools_env.sandbox` protect against bad *arguments* to trusted tool code; a
code-execution tool runs *model-written code*, so it needs a kernel-level sandbox. This package runs such code
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
  directory is copied in before the call and back after it (:mod:`~tools_env.os_sandbox.transfer` and
  :mod:`~tools_env.os_sandbox.supervisor`, bounded and checked member by member), so files persist across
  the calls of an episode and the file tools see them, and the host disk never receives more than the cap.
  ``/tmp`` is a private tmpfs of the same size, empty at every call. A call that leaves the directory full
  is a ``tool_call_failure`` ("No space left on device"); the files it wrote up to the cap are kept;
* an empty environment (no API keys);
* **private pid/ipc/uts namespaces**: when the call ends or times out, everything it spawned dies with it;
* **rlimits**: address space, CPU seconds, file size, open files and processes (``RLIMIT_NPROC`` binds only
  non-root users, so as root the code is switched to ``nobody`` with ``setpriv`` inside the sandbox);
* a wall-clock deadline that kills every process of the call; output captured to a bounded file.

Not covered: the kernel itself (a kernel exploit escapes any namespace sandbox); memory of tmpfs mounts the
code makes in a nested user namespace where unprivileged user namespaces are allowed (RAM, not disk; the
CPU limit and the deadline bound it); the number of (empty) files in the episode directory, which tmpfs does
not cap: a directory whose archive exceeds the cap plus :data:`~tools_env.os_sandbox.transfer.ARCHIVE_SLACK`
is not copied back (the call fails and the host keeps the files it had before the call).

When bubblewrap is missing or cannot create namespaces on this machine, every call is **refused** with a
``ToolUnstable`` whose text says why ("tool unavailable: code execution refused: ..."); the code is never
run unsandboxed. Nothing here calls ``eval``/``exec``: the code is handed to a separate interpreter inside
the sandbox; the ``_Ast`` REPL variant's "print the last expression" is an AST rewrite done before that.

The package, one concern per module:

* :mod:`~tools_env.os_sandbox.jail` - the bubblewrap command line (namespaces, mounts, identity, environment)
  and whether it works here (:func:`sandbox_status`);
* :mod:`~tools_env.os_sandbox.transfer` - the episode directory's round trip, checked on the way back;
* :mod:`~tools_env.os_sandbox.supervisor` - the first process inside the sandbox (standard library only);
* :mod:`~tools_env.os_sandbox.run` - :func:`run_code`: limits, deadline, result;
* :mod:`~tools_env.os_sandbox.executor` - :class:`CodeExecutor`, the tools of :data:`CODE_TOOLS`.

Tools (names and parameters as in ToolEyes' ``Execute/config_gpt4.json``; ``execute_pycode`` documents its
parameter as ``"code:"``, and both spellings are accepted)::

    execute_pycode(code:)            python, returns what it printed (stdout + stderr)
    exectue_pycode_REPL(code)        same
    exectue_pycode_REPL_Ast(code)    same, and prints the value of a trailing expression
    execute_bash_code(commands)      bash -c, returns its output
"""

from __future__ import annotations

from tools_env.os_sandbox.executor import CODE_TOOLS, CodeExecutor
from tools_env.os_sandbox.jail import EPISODE_DIR, sandbox_status
from tools_env.os_sandbox.run import CodeLimits, CodeResult, run_code

__all__ = [
    "CODE_TOOLS",
    "CodeLimits",
    "CodeExecutor",
    "CodeResult",
    "EPISODE_DIR",
    "sandbox_status",
    "run_code",
]
