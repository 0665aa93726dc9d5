"""Exceptions tlbench raises on purpose.

::

    TlbenchError            base class: anything tlbench raises deliberately
    ├── UsageError          the user asked for something impossible (bad option, unknown name): exit 2
    ├── DataError           a data file is missing, corrupt or malformed (carries file:line when known)
    └── NotImplementedYet   a subcommand or feature that a later milestone fills in

    Terminated              (a KeyboardInterrupt) the process got SIGTERM

The CLI turns every ``TlbenchError`` into one line on stderr and exit code 2; any other exception is a bug.
"""

from __future__ import annotations

__all__ = ["TlbenchError", "UsageError", "DataError", "NotImplementedYet", "Terminated"]


class TlbenchError(Exception):
    """Base class of every deliberate tlbench error."""


class UsageError(TlbenchError):
    """Bad option, unknown name, missing input file: the user can fix it."""


class DataError(TlbenchError):
    """A data file is missing, corrupt or malformed."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(f"{where}{message}")
        self.path = path
        self.line = line


class NotImplementedYet(TlbenchError):
    """A feature that a later milestone implements."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the process is (the CLI installs the handler).

    A KeyboardInterrupt so that everything that saves state on Ctrl-C (a run's manifest marked
    ``interrupted``, the generation cache flushed and closed) runs on ``kill`` too.
    """
