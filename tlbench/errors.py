"""Exceptions tlbench raises on purpose.

::

    TlbenchError            base class: anything tlbench raises deliberately
    ├── UsageError          the user asked for something impossible (bad option, unknown name): exit 2
    ├── DataError           a data file is missing, corrupt or malformed (carries file:line when known)
    └── InfraError          a server or backend failed before the command could do its work: exit 3

    Terminated              (a KeyboardInterrupt) the process got SIGTERM

The CLI turns every ``TlbenchError`` into one line on stderr and exit code 2; any other exception is a bug.
A command that ran to the end but could not do all its work because of infrastructure failures (a server
that answered errors or went away, a backend that crashed on some items) exits with
:data:`EXIT_INCOMPLETE` (3) after saying how many items failed and why: re-running it retries them.
"""

from __future__ import annotations

__all__ = [
    "TlbenchError",
    "UsageError",
    "DataError",
    "InfraError",
    "Terminated",
    "EXIT_USAGE",
    "EXIT_INCOMPLETE",
]

#: Exit code of a usage or data error (one line on stderr).
EXIT_USAGE = 2
#: Exit code of a run that ended ``incomplete``: some items failed for infrastructure reasons (not scored).
EXIT_INCOMPLETE = 3


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


class InfraError(TlbenchError):
    """An infrastructure failure (server error, lost connection, backend crash) that leaves nothing to do:
    not the user's mistake and not the model's, so the CLI exits :data:`EXIT_INCOMPLETE` (running the same
    command again, once the server answers, retries)."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the process is (the CLI installs the handler).

    A KeyboardInterrupt so that everything that saves state on Ctrl-C (a run's manifest marked
    ``interrupted``, the generation cache flushed and closed) runs on ``kill`` too.
    """
