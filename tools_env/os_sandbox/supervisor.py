"""The first process inside the code sandbox: load the episode directory, run the code, hand the directory back.

:mod:`tools_env.os_sandbox.run` starts this script inside bubblewrap, already as the unprivileged user that runs
the model's code, with the sandbox's own ``python3 -I`` (so it uses the standard library only and must not
import tlbench)::

    python3 -I supervisor.py TIMEOUT_S REPORT_FD -- COMMAND...

1. stdin is a tar stream of the episode directory, written by the host; it is unpacked into the current
   directory, the size-capped tmpfs that holds the episode directory inside the sandbox;
2. COMMAND runs with stdin from /dev/null and this process's stdout/stderr, for at most TIMEOUT_S seconds;
3. every other process of the sandbox is killed (the code may have left some running in the background), so
   nothing writes to the directory while it is saved;
4. REPORT_FD receives one JSON line (``loaded``, ``returncode``, ``timed_out``, ``full``, ``error``) and then a
   tar stream of the directory. The host trusts none of it: it reads a bounded number of bytes, checks every
   member and copies the directory back only within the cap.

Why a tar round trip: the directory must be a size-limited tmpfs (``RLIMIT_FSIZE`` bounds single files only),
which lives only as long as the sandbox, while the episode's files must outlive the call (the file tools and
the next call read them on the host).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tarfile
import time

_EXTRACT = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
_FILTER_ERROR = getattr(tarfile, "FilterError", ())


def _undumpable() -> None:
    """Keep the code (same uid) from opening this process's report pipe through /proc or ptrace-ing it."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0
    except Exception:  # noqa: BLE001 - best effort: the host checks whatever arrives anyway
        pass


def _load() -> str:
    """Unpack the host's tar stream (stdin) into the current directory; '' or the error text."""
    try:
        with tarfile.open(fileobj=sys.stdin.buffer, mode="r|") as tar:
            for member in tar:
                try:
                    tar.extract(member, ".", **_EXTRACT)
                except _FILTER_ERROR:
                    continue  # e.g. a link out of the directory: left out, as the host does
    except (OSError, tarfile.TarError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return ""


def _kill_others(seconds: float = 2.0) -> None:
    """SIGKILL every other process of the sandbox's pid namespace (kill(-1) stays inside it) and reap ours."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            return  # nothing left to signal
        except PermissionError:
            return  # only processes of another user remain (bubblewrap's own init)
        try:
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        except ChildProcessError:
            pass
        time.sleep(0.005)


def _is_full() -> bool:
    st = os.statvfs(".")
    return st.f_bavail == 0


def _save(out: object) -> None:
    """A tar stream of the current directory (no symlink followed; unreadable entries skipped)."""
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        for top, dirs, files in os.walk("."):
            for name in sorted(dirs) + sorted(files):
                path = os.path.join(top, name)
                try:
                    tar.add(path, arcname=os.path.normpath(path), recursive=False)
                except OSError:
                    continue


def main(argv: list[str]) -> int:
    timeout_s, report_fd, sep, *command = argv
    if sep != "--" or not command:
        print("usage: supervisor.py TIMEOUT_S REPORT_FD -- COMMAND...", file=sys.stderr)
        return 2
    _undumpable()
    report = {"loaded": False, "returncode": -1, "timed_out": False, "full": False, "error": ""}
    report["error"] = _load()
    if not report["error"]:
        report["loaded"] = True
        try:
            proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, close_fds=True, start_new_session=True)
        except OSError as exc:  # the interpreter cannot be started: say so like a shell would
            print(f"{command[0]}: {exc.strerror or exc}", file=sys.stderr, flush=True)
            report["returncode"] = 127
        else:
            try:
                report["returncode"] = proc.wait(timeout=float(timeout_s))
            except subprocess.TimeoutExpired:
                report["timed_out"], report["returncode"] = True, -signal.SIGKILL
        _kill_others()
        report["full"] = _is_full()
    try:
        with os.fdopen(int(report_fd), "wb") as out:
            out.write(json.dumps(report, allow_nan=False).encode("ascii") + b"\n")
            if report["loaded"]:
                _save(out)
    except BrokenPipeError:
        return 1  # the host stopped reading (too much to save): it knows and says so
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
