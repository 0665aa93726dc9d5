"""The episode directory's round trip: packed for the sandbox before the call, checked and copied back after.

Inside the sandbox the episode directory is a size-capped tmpfs that lives only as long as the call, while
the episode's files must outlive it (the file tools and the next call read them on the host). So the host
sends a tar stream of its copy on the supervisor's stdin (:func:`pack`), and reads back a report line and a
tar stream of the directory as the code left it (:func:`read_report`, :func:`unpack`); the supervisor's side
is :mod:`tools_env.os_sandbox.supervisor`.

Covered here: the host trusts nothing that comes back. It reads at most the cap plus :data:`ARCHIVE_SLACK`
bytes, before a deadline; a report that is missing or not a JSON object is an error; only plain files,
directories and (where tarfile's "data" filter can check them) links inside the directory are copied back,
and nothing at all when their files hold more than the cap; symlinks are stored, never followed, when
packing. Not covered: the number of (empty) files the code creates (tmpfs does not cap it; an archive over
the cap plus the slack is not copied back and the host keeps the files it had before the call).
"""

from __future__ import annotations

import os
import select
import shutil
import tarfile
import time
from pathlib import Path
from typing import IO, Any

from tlbench import jsonio

__all__ = ["ARCHIVE_SLACK", "no_space", "tree_bytes", "pack", "read_report", "unpack"]

#: Archive bytes allowed above the cap when copying the directory back: tar headers (512 bytes per entry).
ARCHIVE_SLACK = 8 << 20


def no_space(cap: int, what: str) -> str:
    """The observation text of a full episode directory (``cap``: the bytes it may hold)."""
    return f"OSError: [Errno 28] No space left on device: {what} (code tools may keep {cap} bytes)"


def tree_bytes(root: Path) -> int:
    """The bytes the files under ``root`` hold (symlinks counted as links)."""
    total = 0
    for top, _dirs, files in os.walk(root):
        for name in files:
            try:
                total += os.lstat(os.path.join(top, name)).st_size
            except OSError:
                pass
    return total


def pack(root: Path, out: IO[bytes]) -> None:
    """The host's episode directory as a tar stream for the sandbox (symlinks stored, never followed)."""
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(os.listdir(root)):
            tar.add(str(root / name), arcname=name)
    out.seek(0)


def read_report(fd: int, into: IO[bytes], limit: int, deadline: float) -> str:
    """Copy the sandbox's report pipe into ``into`` until EOF; '' or why it stopped (too much, deadline)."""
    poller = select.poll()  # (not select.select: the harness may hold more than 1024 descriptors)
    poller.register(fd, select.POLLIN | select.POLLHUP)
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout"
            if not poller.poll(min(left, 1.0) * 1000):
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return ""
            if into.tell() + len(chunk) > limit:
                return "too large"
            into.write(chunk)
    finally:
        os.close(fd)


#: tarfile's "data" filter (absolute or escaping links, device files, odd modes), where this Python has it.
_DATA_FILTER = getattr(tarfile, "data_filter", None)
_FILTER_ERROR: type[Exception] = getattr(tarfile, "FilterError", tarfile.TarError)


def _safe_members(tar: tarfile.TarFile, cap: int) -> list[tarfile.TarInfo] | str:
    """The members to copy back: plain files, directories and (only where tarfile's "data" filter can check
    them) links inside the directory; or the error text when their files hold more than the cap."""
    keep, total = [], 0
    for m in tar.getmembers():
        parts = Path(m.name).parts
        if not parts or m.name.startswith("/") or ".." in parts:
            continue
        if m.isreg() or m.isdir() or (_DATA_FILTER is not None and (m.issym() or m.islnk())):
            total += m.size if m.isreg() else 0
            keep.append(m)
    if total > cap:
        return no_space(cap, f"the episode directory holds {total} bytes")
    return keep


def _clear(root: Path) -> None:
    for entry in os.scandir(root):
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)
        else:
            os.unlink(entry.path)


def unpack(report: IO[bytes], root: Path, cap: int) -> tuple[dict[str, Any] | None, str]:
    """(the supervisor's report, error): check the saved directory and replace the host's copy with it. A
    member the "data" filter refuses (a link to /etc, say) is left out; the others are copied."""
    report.seek(0)
    head = report.readline(4096)
    try:
        info = jsonio.parse(head)
    except ValueError:
        return None, "OSError: the sandbox returned no report (its supervisor was killed)"
    if not isinstance(info, dict):
        return None, "OSError: the sandbox returned a garbled report"
    if not info.get("loaded"):
        return info, ""
    extra = {"filter": "data"} if _DATA_FILTER is not None else {}
    try:
        with tarfile.open(fileobj=report, mode="r:") as tar:
            members = _safe_members(tar, cap)
            if isinstance(members, str):
                return info, members
            _clear(root)
            for m in members:
                try:
                    tar.extract(m, root, **extra)
                except _FILTER_ERROR:
                    continue
    except (OSError, tarfile.TarError) as exc:
        return info, f"OSError: the episode directory could not be copied back ({type(exc).__name__}: {exc})"
    return info, ""
