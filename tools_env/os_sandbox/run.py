"""Run one piece of model-written code in the OS sandbox: :func:`run_code` and its limits and result.

A call: check the input and the episode directory's size; pack the directory (:mod:`tools_env.os_sandbox
.transfer`); start bubblewrap (:mod:`tools_env.os_sandbox.jail`) under resource limits; read the
supervisor's report and the directory back before a deadline; kill whatever is left; build the
:class:`CodeResult`.

Covered here: **rlimits** on the bwrap process, inherited by everything inside - address space, CPU seconds,
file size, open files, processes (:func:`~tools_env.os_sandbox.jail.nproc_limit`), no core files; a
**wall-clock deadline** (the code's ``timeout_s``, enforced by the supervisor, plus :data:`_SAVE_GRACE_S` for
loading and saving the directory, enforced here) after which the whole process group is killed (bwrap's pid
namespace takes every descendant down); output captured to a temp file and cut to ``max_output_chars``; a
directory that already holds more than the cap is refused before anything runs; no sandbox means no run
(``ToolUnstable``). Not covered: what the tools are called and how their arguments are read
(:mod:`tools_env.os_sandbox.executor`).
"""

from __future__ import annotations

import ast
import os
import resource
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from tools_env.base import ToolCallFailed, ToolUnstable
from tools_env.os_sandbox import jail, transfer

__all__ = ["CodeLimits", "CodeResult", "run_code"]

#: Extra wall-clock seconds the host grants for loading and saving the directory around the code's deadline.
_SAVE_GRACE_S = 10.0


@dataclass(frozen=True, slots=True)
class CodeLimits:
    """Limits of one code execution: wall clock, CPU seconds, address space, largest file written, open
    files, extra processes it may start (above what its user already runs), output kept, and the total bytes
    the episode directory may hold (``workdir_bytes``: the size of its tmpfs in the sandbox, also the size of
    the sandbox's private ``/tmp``)."""

    timeout_s: float = 10.0
    cpu_s: int = 10
    memory_bytes: int = 1 << 30
    file_size_bytes: int = 16 << 20
    open_files: int = 128
    processes: int = 64
    max_output_chars: int = 16 << 10
    workdir_bytes: int = 64 << 20


@dataclass(frozen=True, slots=True)
class CodeResult:
    """What a sandboxed execution produced: combined output (bounded), exit code, whether it was killed at
    the deadline, whether it left the episode directory full (``workdir_full``), and ``error``: why the
    directory could not be copied back ('' when it was)."""

    output: str
    returncode: int
    timed_out: bool = False
    truncated: bool = False
    workdir_full: bool = False
    error: str = ""


def run_code(
    language: str, code: str, workdir: str | os.PathLike[str], limits: CodeLimits | None = None
) -> CodeResult:
    """Run ``code`` (``"python"``, ``"python-ast"`` or ``"bash"``) in the OS sandbox, with ``workdir``'s files
    as its capped, writable ``/episode`` (copied back when the call ends). Raises ``ToolUnstable`` when no
    sandbox is available (the code is then never run), ``ToolCallFailed`` for bad input or when the
    directory already holds more than the cap or cannot be loaded."""
    limits = limits or CodeLimits()
    wd = _checked_workdir(language, code, workdir, limits)
    if language == "python-ast":
        code = _with_trailing_print(code)
    command = jail.command(language, code)
    with (
        tempfile.TemporaryFile(prefix="tlbench-code-") as out,
        tempfile.TemporaryFile(prefix="tlbench-code-in-") as tar_in,
        tempfile.TemporaryFile(prefix="tlbench-code-back-") as back,
    ):
        try:
            transfer.pack(wd, tar_in)
        except OSError as exc:
            raise ToolCallFailed(f"OSError: the episode directory could not be read: {exc}") from None
        report_r, proc = _start(command, tar_in, out, limits)
        stopped, returncode = _wait(proc, report_r, back, limits)
        info, error = (None, "") if stopped else transfer.unpack(back, wd, limits.workdir_bytes)
        if stopped == "too large":
            error = transfer.no_space(
                limits.workdir_bytes, "too many files to copy back; the call's changes were dropped"
            )
        out.seek(0)
        raw = out.read(limits.max_output_chars * 4 + 4)
    if info is not None and not info.get("loaded"):
        raise ToolCallFailed(f"OSError: the episode directory could not be loaded: {info.get('error')}")
    text = raw.decode("utf-8", "replace")
    rc = info.get("returncode") if info else None
    return CodeResult(
        text[: limits.max_output_chars],
        rc if isinstance(rc, int) else returncode,
        stopped == "timeout" or bool(info and info.get("timed_out")),
        len(text) > limits.max_output_chars,
        bool(info and info.get("full")),
        error,
    )


def _checked_workdir(language: str, code: str, workdir: str | os.PathLike[str], limits: CodeLimits) -> Path:
    """The episode directory (created if missing), once the sandbox, the input and its size are checked."""
    ok, why = jail.sandbox_status()
    if not ok:
        raise ToolUnstable(f"tool unavailable: code execution refused: {why}")
    if language not in jail.INTERPRETERS:
        raise ToolCallFailed(f"ValueError: unknown language {language!r}")
    if "\x00" in code:
        raise ToolCallFailed("ValueError: source code string cannot contain null bytes")
    wd = Path(workdir).resolve()
    wd.mkdir(parents=True, exist_ok=True)
    held = transfer.tree_bytes(wd)
    if held > limits.workdir_bytes:
        what = f"the episode directory already holds {held} bytes"
        raise ToolCallFailed(transfer.no_space(limits.workdir_bytes, what))
    return wd


def _rlimits(limits: CodeLimits) -> Callable[[], None]:
    """The function that sets the call's resource limits in the child between fork and exec."""
    nproc = jail.nproc_limit(limits.processes)
    fsize = limits.file_size_bytes

    def _limit() -> None:  # runs in the child between fork and exec: only setrlimit calls
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s))
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return _limit


def _start(
    command: list[str], tar_in: IO[bytes], out: IO[bytes], limits: CodeLimits
) -> tuple[int, subprocess.Popen[bytes]]:
    """Start bubblewrap on ``command`` (stdin: the packed directory; stdout and stderr: ``out``); returns the
    read end of the supervisor's report pipe and the process."""
    bwrap = jail.bwrap_path()
    assert bwrap is not None
    preexec = _rlimits(limits)
    report_r, report_w = os.pipe()
    fds = {"report": report_w, **jail.identity_fds()}
    try:
        proc = subprocess.Popen(  # noqa: S603 - argv list, no shell; the code runs inside bwrap
            jail.bwrap_argv(bwrap, limits.workdir_bytes, limits.timeout_s, command, fds),
            stdin=tar_in,
            stdout=out,
            stderr=subprocess.STDOUT,
            pass_fds=tuple(fds.values()),
            start_new_session=True,
            preexec_fn=preexec,  # noqa: PLW1509 - setrlimit only
        )
    except BaseException:
        os.close(report_r)
        raise
    finally:
        for fd in fds.values():
            os.close(fd)
    return report_r, proc


def _wait(
    proc: subprocess.Popen[bytes], report_r: int, back: IO[bytes], limits: CodeLimits
) -> tuple[str, int]:
    """Read the report into ``back`` and wait for the end, then kill what is left: (why reading stopped
    early - ``""``, ``"timeout"`` or ``"too large"`` -, the process's exit status or -1)."""
    deadline = time.monotonic() + limits.timeout_s + _SAVE_GRACE_S
    try:
        cap = limits.workdir_bytes + transfer.ARCHIVE_SLACK
        stopped = transfer.read_report(report_r, back, cap, deadline)
        if not stopped:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        stopped = "timeout"
    finally:
        _kill_group(proc)
    return stopped, proc.returncode if proc.returncode is not None else -1


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the sandbox's process group (bwrap's pid namespace then takes every descendant down) and reap."""
    with_group = True
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        with_group = False
    if not with_group and proc.poll() is None:
        proc.kill()
    deadline = time.monotonic() + 10
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)


def _with_trailing_print(code: str) -> str:
    """``code`` whose trailing expression (if any) is printed, as the REPL_Ast tool does; parse only."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code  # the interpreter reports the syntax error itself
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = tree.body[-1]
        is_print = (
            isinstance(last.value, ast.Call)
            and isinstance(last.value.func, ast.Name)
            and last.value.func.id == "print"
        )
        if not is_print:
            call = ast.Call(func=ast.Name(id="print", ctx=ast.Load()), args=[last.value], keywords=[])
            tree.body[-1] = ast.fix_missing_locations(ast.copy_location(ast.Expr(value=call), last))
            return ast.unparse(tree)
    return code
