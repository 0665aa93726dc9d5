"""A reused pool of sandboxed worker processes that run trusted tool code on untrusted (model-made) arguments.

Each worker is a separate ``python -I -m tools_env.sandbox.worker`` process speaking **JSON lines** over two
pipes (never pickle): the parent sends ``{"id", "target": "module:function", "kwargs", "workdir"}`` and
reads back one answer per request (the protocol: :mod:`tools_env.sandbox.protocol`). Workers are persistent
(no process per call) and requests are pipelined across the pool by :meth:`SandboxPool.run_many`, which is
what makes thousands of calls a second possible on two cores.

The package, one program per module:

* :mod:`~tools_env.sandbox.protocol` - the wire messages and the shared vocabulary (:class:`SandboxLimits`,
  :class:`SandboxRequest`, :class:`SandboxOutcome`, :class:`ErrorClass`);
* :mod:`~tools_env.sandbox.pool` - the parent: :class:`SandboxPool`, driving requests, deadlines, replacing
  workers; :mod:`~tools_env.sandbox.process` - one worker process seen from the parent;
* :mod:`~tools_env.sandbox.worker` - the child program: runs a call, maps how it ended to one answer;
* :mod:`~tools_env.sandbox.guards` - what the child installs on itself: audit hook, seccomp, network
  namespace, resource limits, bounded output.

What is covered (each one is a test in ``tests/tools_env/sandbox/test_containment.py``):

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
* **huge results**: a result whose JSON exceeds ``max_result_chars`` is dropped (an ``OUTPUT`` instability);
* **environment leaks**: workers get a minimal environment (no API keys), ``HOME``/``TMPDIR`` in their dir;
* **no leaks after close()**: every worker is reaped (no zombies), every pipe closed, every temp dir removed.

What is NOT covered: malicious *tool code* (the tools are ours; arguments are the untrusted part). Python
code in a tool can read any file the parent can read, and a determined tool could tamper with the audit
hook's state through introspection or write to the protocol pipe. ``ctypes`` foreign calls are denied after
start-up, but the seccomp filter is the only kernel-level guard against forking and exists only on
x86-64 Linux; the filesystem guard is Python-level (no mount namespace). Threads are allowed.

Outcomes (the rule the environment applies): every call ends as one :class:`SandboxOutcome` whose ``status``
is ``ok``, ``failed`` or ``unstable`` and whose :class:`ErrorClass` says why it gave no value.

* a **resource or liveness failure** - ``TIMEOUT``, ``CRASH`` (signal, CPU limit, exit), ``MEMORY``,
  ``OUTPUT`` (printed too much, result too large), ``PROTOCOL``, ``UNAVAILABLE`` (no worker) - is
  ``unstable`` (:class:`~tools_env.base.ToolUnstable`, TOOL_INSTABILITY), and its text reads "Tool
  execution timed out ..." / "tool unavailable: ..." so that ``classify_feedback`` agrees;
* an **exception raised by the tool** (``RAISED``) and a **denial by the sandbox** (``REFUSED``, which the
  tool sees as a ``PermissionError``) are ``failed`` (:class:`~tools_env.base.ToolCallFailed`,
  TOOL_CALL_FAILURE) with ``str(e)`` as the text (as ToolEyes shows it), or ``"<Type>: <message>"`` when
  ``str(e)`` alone would not read as an error. A tool may raise ``ToolUnstable`` itself (simulated 5xx) and
  it stays ``unstable``. A request the pool cannot send (``INVALID``) is ``failed`` too.
"""

from __future__ import annotations

from tools_env.sandbox.pool import SandboxPool
from tools_env.sandbox.protocol import ErrorClass, SandboxLimits, SandboxOutcome, SandboxRequest

__all__ = ["SandboxLimits", "SandboxRequest", "SandboxOutcome", "SandboxPool", "ErrorClass"]
