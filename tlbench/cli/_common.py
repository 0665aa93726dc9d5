"""Small helpers shared by the subcommand modules."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

__all__ = ["add_data_dir", "backend_choices", "parser_choices", "resolve_data_dir"]


def backend_choices() -> tuple[str, ...]:
    """What ``--backend`` accepts: ``auto`` and every registered backend name and alias."""
    from tlbench.backends import BACKENDS

    return ("auto", *BACKENDS.choices())


def parser_choices() -> tuple[str, ...]:
    """What an output ``--format`` option accepts: the registered parser names."""
    from tlbench.parsers import PARSERS

    return tuple(PARSERS.names())


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
