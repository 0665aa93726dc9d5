"""The ``tlbench`` command line: one module per subcommand, each with ``add_arguments`` and ``run``.

Every deliberate error (``TlbenchError``) and every argparse error becomes one line on stderr and exit
code 2. An infrastructure failure that stopped a command (``InfraError``) is one line and exit code 3, the code of a run that ended
incomplete. Output cut short by its reader (``tlbench ... | head``) ends the command quietly with exit
code 141 (128 + SIGPIPE, as for other Unix tools), never a ``BrokenPipeError`` traceback. SIGTERM is
handled like Ctrl-C (state saved, one line, exit 143 instead of 130).
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any, NoReturn

from tlbench.errors import EXIT_INCOMPLETE, InfraError, Terminated, TlbenchError

__all__ = ["main", "COMMANDS"]

#: Subcommand name -> module under ``tlbench.cli`` (imported lazily so ``--help`` stays fast).
COMMANDS: dict[str, str] = {
    "data": "tlbench.cli.data",
    "classify": "tlbench.cli.classify",
    "collect": "tlbench.cli.collect",
    "train": "tlbench.cli.train",
    "score": "tlbench.cli.score",
    "leaderboard": "tlbench.cli.leaderboard",
    "compare": "tlbench.cli.compare",
    "analyze": "tlbench.cli.analyze",
    "report": "tlbench.cli.report",
}


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error (no usage dump) and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _load(name: str) -> ModuleType:
    return importlib.import_module(COMMANDS[name])


def build_parser() -> argparse.ArgumentParser:
    """The full parser with every subcommand registered."""
    from tlbench import __version__

    parser = _Parser(
        prog="tlbench",
        description="Train and evaluate LLMs on tool use (TL-Training: MAE, PKT, IRM).",
    )
    parser.add_argument("--version", action="version", version=f"tlbench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        module = _load(name)
        p = sub.add_parser(
            name,
            help=module.HELP,
            description=module.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def _terminate(signum: int, frame: object) -> None:
    _on_sigterm(signal.SIG_IGN)  # a second SIGTERM must not cut the cleanup short (closing a vLLM engine)
    raise Terminated(f"signal {signum}")


def _on_sigterm(handler: Any) -> Any:
    """Install ``handler`` for SIGTERM and return the previous one (None off the main thread: unchanged)."""
    try:
        return signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: signals stay as they are
        return None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tlbench`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return 2
    previous = _on_sigterm(_terminate)
    try:
        code = int(args._run(args) or 0)
        sys.stdout.flush()  # here, not at exit: a closed pipe must surface as BrokenPipeError below
        return code
    except BrokenPipeError:
        _silence_stdio()
        return EXIT_BROKEN_PIPE
    except InfraError as exc:
        print(f"tlbench {args.command}: incomplete: {exc}", file=sys.stderr)
        return EXIT_INCOMPLETE
    except TlbenchError as exc:
        print(f"tlbench {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        terminated = isinstance(exc, Terminated)
        print(f"tlbench {args.command}: {'terminated' if terminated else 'interrupted'}", file=sys.stderr)
        return 143 if terminated else 130
    finally:
        if previous is not None:
            _on_sigterm(previous)


#: Exit code when the reader of our output went away (128 + SIGPIPE, what a shell shows for ``cat | head``).
EXIT_BROKEN_PIPE = 141


def _silence_stdio() -> None:
    """Point stdout/stderr at /dev/null so that Python's final flush cannot raise on the closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        try:
            os.dup2(devnull, stream.fileno())
        except (OSError, ValueError, AttributeError):
            continue  # not a real file (tests capture output): nothing will be flushed to a pipe
    os.close(devnull)
