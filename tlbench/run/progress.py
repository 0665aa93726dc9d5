"""Progress of a run on stderr: items/s and tokens/s of the fresh (uncached) generations."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import TextIO

from tlbench.backends import Generation

__all__ = ["Progress"]


class Progress:
    """Items/s and tokens/s on stderr: a redrawn line on a terminal, else one line every ``every`` s."""

    def __init__(self, label: str, total: int, stream: TextIO | None = None, every: float = 10.0) -> None:
        self.label = label
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.every = every
        self.done = 0
        self.tokens = 0
        self.cached = 0
        self.failed = 0
        self.start = time.monotonic()
        self._last = 0.0
        self._shown = -1
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def update(self, items: int, gens: Sequence[Generation]) -> None:
        """Count finished items and the new tokens of their fresh (uncached) generations."""
        self.done += items
        self.tokens += sum(g.n_new_tokens for g in gens if not g.cached)
        self.cached += sum(1 for g in gens if g.cached)
        self.failed += sum(1 for g in gens if not g.ok)
        now = time.monotonic()
        if self._tty or now - self._last >= self.every:
            self._last = now
            self._emit(final=False)

    def line(self) -> str:
        """The current progress text."""
        dt = max(time.monotonic() - self.start, 1e-9)
        return (
            f"{self.label}: {self.done}/{self.total} items, {self.done / dt:.2f} items/s, "
            f"{self.tokens / dt:.1f} tokens/s, {self.cached} cached, "
            + (f"{self.failed} failed, " if self.failed else "")
            + f"{dt:.0f}s"
        )

    def _emit(self, final: bool) -> None:
        if final and not self._tty and self._shown == self.done:
            return  # the last line already says it
        self._shown = self.done
        end = "\n" if final or not self._tty else ""
        prefix = "\r" if self._tty else ""
        self.stream.write(prefix + self.line() + end)
        self.stream.flush()

    def close(self) -> None:
        """Print the final line."""
        self._emit(final=True)
