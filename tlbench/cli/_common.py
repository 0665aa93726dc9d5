"""Small helpers shared by the subcommand modules."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["add_data_dir", "resolve_data_dir", "sigterm_exits_cleanly"]

#: Exit code of a command ended by SIGTERM (128 + 15, what the shell reports for a terminated process).
SIGTERM_EXIT = 143


@contextlib.contextmanager
def sigterm_exits_cleanly() -> Iterator[None]:
    """While the block runs, SIGTERM raises ``SystemExit(143)`` in the main thread instead of ending the
    process on the spot, so that ``finally`` blocks run: the run's manifest is marked interrupted and the
    backend is closed. Why: Python's default SIGTERM kills the process without them, which left a vLLM
    EngineCore and its worker orphaned at 20-25 % CPU. Later SIGTERMs during that cleanup are ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired = False

    def handler(signum: int, frame: Any) -> None:
        nonlocal fired
        if fired:
            return
        fired = True
        raise SystemExit(SIGTERM_EXIT)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def add_data_dir(parser: argparse.ArgumentParser) -> None:
    """The ``--data-dir`` option every data-reading command takes."""
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="benchmark data directory (default: $TLBENCH_DATA, else ~/.cache/tlbench/data)",
    )


def resolve_data_dir(value: Path | None) -> Path:
    """``--data-dir``, else ``$TLBENCH_DATA``, else the user cache dir."""
    if value is not None:
        return Path(value).expanduser()
    env = os.environ.get("TLBENCH_DATA")
    if env:
        return Path(env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "tlbench" / "data"
