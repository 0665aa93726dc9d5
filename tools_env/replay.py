"""Record/replay: an on-disk SQLite store of tool responses, and the executors that fill and serve it.

A row is keyed by ``(namespace, tool, canonical arguments)`` and holds either a JSON response or an error
(``failed`` -> ToolCallFailed, ``unstable`` -> ToolUnstable, with its text). ``namespace`` separates executors
whose answers differ for the same call (``"simulate"``, ``"llm_sim/<model>"`` ...); a lookup without a
namespace takes the newest row of any namespace.

* :class:`RecordingExecutor` runs an inner executor and records every outcome (instability only when asked:
  a transient timeout should not be frozen into the replay);
* :class:`CachedExecutor` serves a hit and runs + records a miss (the LLM simulator's cache);
* :class:`ReplayExecutor` serves only from the store; a miss raises ``ToolUnstable("not recorded: <tool>")``,
  which the shared classifier reads as tool instability. It never opens a socket.

Concurrency: WAL journal, ``busy_timeout`` and one connection per process (re-opened after ``fork``), so
several worker processes may record into one file at once. Secrets never enter a key: callers pass only the
tool name and the model's arguments.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tlbench import jsonio
from tlbench.errors import DataError
from tlbench.types import ToolCall, ToolDoc, canonical_json
from tools_env.base import STATUSES, CallContext, Executor, Status, ToolCallFailed, ToolUnstable, error_for

__all__ = ["ReplayStore", "Recorded", "RecordingExecutor", "CachedExecutor", "ReplayExecutor", "NOT_RECORDED"]

#: Prefix of the text a replay miss raises (``"not recorded: <tool>"``).
NOT_RECORDED = "not recorded"
_KINDS = STATUSES
_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    namespace TEXT NOT NULL,
    tool      TEXT NOT NULL,
    arguments TEXT NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('ok', 'failed', 'unstable')),
    value     TEXT NOT NULL,
    created   REAL NOT NULL,
    PRIMARY KEY (namespace, tool, arguments)
);
CREATE INDEX IF NOT EXISTS responses_by_call ON responses (tool, arguments);
"""


@dataclass(frozen=True, slots=True)
class Recorded:
    """One stored outcome: ``kind`` is ``ok`` (``value`` is the response) or an error status (``value``: its
    text)."""

    kind: Status
    value: Any

    def unwrap(self) -> Any:
        """The response, or the recorded error raised again."""
        if self.kind == "ok":
            return self.value
        raise error_for(self.kind, str(self.value))


class ReplayStore:
    """A SQLite file of ``(namespace, tool, arguments) -> outcome``; safe for threads and processes."""

    def __init__(self, path: str | os.PathLike[str], busy_timeout_ms: int = 30_000) -> None:
        self.path = Path(path)
        self.busy_timeout_ms = busy_timeout_ms
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._pid = -1
        self._connect()  # fail early on an unusable path

    # -- connection management ------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                str(self.path),
                timeout=self.busy_timeout_ms / 1000.0,
                check_same_thread=False,
                isolation_level=None,
            )
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise DataError(f"cannot open replay store: {exc}", path=str(self.path)) from None
        self._conn, self._pid = conn, os.getpid()
        return conn

    def close(self) -> None:
        """Close this process's connection (the file stays)."""
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None

    def __enter__(self) -> ReplayStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:
        return {"path": str(self.path), "busy_timeout_ms": self.busy_timeout_ms}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"], state["busy_timeout_ms"])  # type: ignore[misc]

    # -- data -------------------------------------------------------------------------------------

    def put(self, tool: str, arguments: Any, kind: str, value: Any, namespace: str = "") -> None:
        """Store (or replace) the outcome of ``tool(arguments)``; ``value`` must be JSON-ready."""
        if kind not in _KINDS:
            raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}")
        row = (
            namespace,
            tool,
            canonical_json(arguments),
            kind,
            jsonio.dumps(value),
            time.time(),
        )
        with self._lock:
            self._connect().execute("INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?, ?)", row)

    def get(self, tool: str, arguments: Any, namespace: str | None = None) -> Recorded | None:
        """The stored outcome, or None; ``namespace=None`` takes the newest row of any namespace."""
        args = canonical_json(arguments)
        with self._lock:
            conn = self._connect()
            if namespace is None:
                cur = conn.execute(
                    "SELECT kind, value FROM responses WHERE tool = ? AND arguments = ?"
                    " ORDER BY created DESC, rowid DESC LIMIT 1",
                    (tool, args),
                )
            else:
                cur = conn.execute(
                    "SELECT kind, value FROM responses WHERE namespace = ? AND tool = ? AND arguments = ?",
                    (namespace, tool, args),
                )
            row = cur.fetchone()
        if row is None:
            return None
        try:
            return Recorded(row[0], jsonio.parse(row[1]))
        except ValueError:
            raise DataError(f"corrupt replay row for tool {tool!r}", path=str(self.path)) from None

    def __len__(self) -> int:
        with self._lock:
            return int(self._connect().execute("SELECT COUNT(*) FROM responses").fetchone()[0])


class RecordingExecutor:
    """Runs ``inner`` and records every result and ``ToolCallFailed`` (and ``ToolUnstable`` if asked)."""

    def __init__(
        self, inner: Executor, store: ReplayStore, namespace: str | None = None, record_unstable: bool = False
    ) -> None:
        self.inner = inner
        self.store = store
        self.namespace = inner.name if namespace is None else namespace
        self.record_unstable = record_unstable
        self.name = f"record:{inner.name}"

    def execute(self, call: ToolCall, doc: ToolDoc, ctx: CallContext) -> Any:
        """The inner executor's outcome, recorded on the way out."""
        args = dict(call.arguments)
        try:
            result = self.inner.execute(call, doc, ctx)
        except ToolCallFailed as exc:
            self.store.put(call.name, args, "failed", str(exc), self.namespace)
            raise
        except ToolUnstable as exc:
            if self.record_unstable:
                self.store.put(call.name, args, "unstable", str(exc), self.namespace)
            raise
        try:
            self.store.put(call.name, args, "ok", result, self.namespace)
        except (TypeError, ValueError) as exc:  # the result is not JSON: the call produced nothing usable
            raise ToolCallFailed(str(exc)) from None
        return result


class CachedExecutor(RecordingExecutor):
    """Serves a recorded outcome when there is one, else runs ``inner`` and records it."""

    def __init__(
        self, inner: Executor, store: ReplayStore, namespace: str | None = None, record_unstable: bool = False
    ) -> None:
        super().__init__(inner, store, namespace, record_unstable)
        self.name = f"cached:{inner.name}"

    def execute(self, call: ToolCall, doc: ToolDoc, ctx: CallContext) -> Any:
        """The cached outcome of ``call``, computing and storing it on a miss."""
        hit = self.store.get(call.name, dict(call.arguments), self.namespace)
        if hit is not None:
            return hit.unwrap()
        return super().execute(call, doc, ctx)


class ReplayExecutor:
    """Serves only from ``store``; a miss raises ``ToolUnstable("not recorded: <tool>")``."""

    name = "replay"

    def __init__(self, store: ReplayStore, namespace: str | None = None) -> None:
        self.store = store
        self.namespace = namespace

    def execute(self, call: ToolCall, doc: ToolDoc, ctx: CallContext) -> Any:
        """The recorded outcome of ``call`` (result returned, error raised again)."""
        hit = self.store.get(call.name, dict(call.arguments), self.namespace)
        if hit is None:
            raise ToolUnstable(f"{NOT_RECORDED}: {call.name}")
        return hit.unwrap()
