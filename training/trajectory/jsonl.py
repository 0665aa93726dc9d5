"""Trajectory JSONL files: the one reader and the resumable writer.

* :func:`read_trajectories` streams a JSONL file, naming ``file:line`` on a bad line, and skips a truncated
  last line (what a killed writer leaves) with a :class:`TruncatedLineWarning`.
* :class:`TrajectoryWriter` appends one record per call with flush + fsync, so a ``kill -9`` loses at most
  the record being written; on resume it truncates a partial last line and skips ids already present.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from tlbench import jsonio
from tlbench.errors import DataError, UsageError
from training.trajectory.record import Trajectory

__all__ = ["TruncatedLineWarning", "read_trajectories", "read_numbered", "read_ids", "TrajectoryWriter"]


class TruncatedLineWarning(UserWarning):
    """A JSONL file ends in a partial line (a killed writer); the line was skipped."""


def _lines(path: Path) -> Iterator[tuple[int, str, bool]]:
    """(line number, text, terminated) for every line of ``path``, read in binary to see the last newline."""
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror or exc}", str(path)) from None
    with fh:
        for n, raw in enumerate(fh, 1):
            terminated = raw.endswith(b"\n")
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                if not terminated:
                    text = ""  # a partial multi-byte character at the cut: treated as a partial line below
                else:
                    raise DataError("not UTF-8", str(path), n) from None
            yield n, text, terminated


def _records(path: Path) -> Iterator[tuple[int, Any]]:
    for n, text, terminated in _lines(path):
        if not text.strip():
            if terminated:
                continue
            if text == "":
                warnings.warn(f"{path}:{n}: truncated last line skipped", TruncatedLineWarning, stacklevel=3)
            continue
        try:
            yield n, jsonio.parse(text)
        except ValueError as exc:
            if not terminated:
                warnings.warn(f"{path}:{n}: truncated last line skipped", TruncatedLineWarning, stacklevel=3)
                return
            raise DataError(f"not JSON: {exc}", str(path), n) from None


def read_trajectories(path: str | Path) -> Iterator[Trajectory]:
    """Stream the trajectories of a JSONL file.

    A malformed line raises :class:`DataError` with ``file:line``; a partial last line (no newline, not
    JSON) is skipped with a :class:`TruncatedLineWarning`; blank lines are ignored.
    """
    for _, traj in read_numbered(path):
        yield traj


def read_numbered(path: str | Path) -> Iterator[tuple[int, Trajectory]]:
    """:func:`read_trajectories` with each record's line number (for errors found later, e.g. token ids)."""
    p = Path(path)
    for n, obj in _records(p):
        try:
            yield n, Trajectory.from_dict(obj)
        except DataError as exc:
            raise DataError(str(exc), str(p), n) from None


def read_ids(path: str | Path) -> set[str]:
    """The ids of the complete records of ``path`` (an absent file has none)."""
    p = Path(path)
    if not p.exists():
        return set()
    out: set[str] = set()
    for n, obj in _records(p):
        if not isinstance(obj, Mapping) or not isinstance(obj.get("id"), str):
            raise DataError("record has no string 'id'", str(p), n)
        out.add(obj["id"])
    return out


class TrajectoryWriter:
    """Append-only JSONL writer with resume: flush + fsync per record, ids already in the file skipped.

    Opening an existing file reads its ids and truncates a partial last line (the record a killed run was
    writing); a bad complete line raises :class:`DataError` rather than risk appending to a foreign file.
    An exclusive advisory lock (where the OS has one) stops two collectors writing the same file.
    """

    def __init__(self, path: str | Path, *, fsync: bool = True) -> None:
        self.path = Path(path)
        self._fsync = fsync
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = self.path.open("ab+")
        try:
            self._lock()
            self._repair()
            self.ids: set[str] = read_ids(self.path) if self.path.stat().st_size else set()
        except BaseException:
            self._fh.close()
            raise
        self.written = 0
        self.skipped = 0

    def _lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - non-POSIX
            return
        try:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise UsageError(f"{self.path}: another process is writing this file") from None

    def _repair(self) -> None:
        """Cut a trailing partial line so the next record starts on a fresh line."""
        size = self.path.stat().st_size
        if size == 0:
            return
        with self.path.open("rb") as fh:
            fh.seek(size - 1)
            if fh.read(1) == b"\n":
                return
            # find the last newline by scanning backwards in blocks
            pos = size
            cut = 0
            while pos > 0:
                step = min(65536, pos)
                pos -= step
                fh.seek(pos)
                block = fh.read(step)
                k = block.rfind(b"\n")
                if k >= 0:
                    cut = pos + k + 1
                    break
        warnings.warn(
            f"{self.path}: removed a partial last record ({size - cut} bytes) before resuming",
            TruncatedLineWarning,
            stacklevel=3,
        )
        os.truncate(self.path, cut)

    def __contains__(self, tid: object) -> bool:
        return tid in self.ids

    def write(self, traj: Trajectory | Mapping[str, Any]) -> bool:
        """Append one record; returns False (and writes nothing) when its id is already in the file."""
        record = traj if isinstance(traj, Trajectory) else Trajectory.from_dict(traj)
        if record.id in self.ids:
            self.skipped += 1
            return False
        line = (record.to_json() + "\n").encode("utf-8")
        self._fh.write(line)
        self._fh.flush()
        if self._fsync:
            os.fsync(self._fh.fileno())
        self.ids.add(record.id)
        self.written += 1
        return True

    def close(self) -> None:
        """Close the file (releases the lock)."""
        if not self._fh.closed:
            self._fh.close()

    def __enter__(self) -> TrajectoryWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
