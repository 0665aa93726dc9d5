"""A persistent generation cache (SQLite in WAL mode) and the :class:`CachedBackend` wrapper.

Why: scoring a model on four benchmarks is a long batch job. Caching each result as soon as its batch
finishes means a killed run, re-run with the same command, regenerates nothing that was done, and that
re-scoring after a scorer fix costs no generation at all.

The key is SHA-256 over (model identity, backend name, rendered prompt incl. native tools, sampling
params). The model identity is a weights hash for local models and URL + model name for servers (see
:mod:`tlbench.models`), so a changed checkpoint never reads stale results. Failed items
(``finish_reason == "error"``) are never stored, so a re-run retries them.

WAL mode lets several processes read while one writes; each write is one short transaction per batch.
:class:`GenerationCache` serialises its connection's use with a lock, so several threads may share it;
:meth:`CachedBackend.open_stream` (requests one at a time, see :mod:`tlbench.backends.stream`) reads and
writes it from the caller's thread only, and stores each result as soon as it is collected.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tlbench import jsonio
from tlbench.backends.base import (
    Backend,
    BackendInfo,
    GenConfig,
    Generation,
    Prompt,
    ToolList,
    prompt_key_text,
    sha256_text,
)
from tlbench.backends.stream import GenerationStream, open_stream
from tlbench.types import canonical_json

__all__ = ["default_cache_dir", "cache_key", "GenerationCache", "CachedBackend", "CachedStream"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS generations (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    backend TEXT NOT NULL,
    result TEXT NOT NULL,
    created REAL NOT NULL
)
"""


def default_cache_dir() -> Path:
    """``$TLBENCH_CACHE_DIR``, else ``$XDG_CACHE_HOME/tlbench``, else ``~/.cache/tlbench``."""
    env = os.environ.get("TLBENCH_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "tlbench"


def cache_key(identity: str, backend: str, prompt: Prompt, config: GenConfig, tools: ToolList = None) -> str:
    """The cache key of one generation request."""
    return sha256_text(
        canonical_json(
            {
                "model": identity,
                "backend": backend,
                "prompt": prompt_key_text(prompt, tools),
                "sampling": config.key(),
            }
        )
    )


class GenerationCache:
    """Key -> :class:`Generation` store in one SQLite file (thread-safe within a process)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_cache_dir() / "generations.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), timeout=30.0, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)
        self._db.commit()

    def get_many(self, keys: Sequence[str]) -> dict[str, Generation]:
        """The stored results among ``keys`` (missing keys are absent from the dict)."""
        found: dict[str, Generation] = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                chunk = list(keys[start : start + 500])
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT key, result FROM generations WHERE key IN ({marks})",  # noqa: S608 - placeholders only
                    chunk,
                ).fetchall()
                for key, result in rows:
                    try:
                        found[key] = Generation.from_dict(jsonio.parse(result))
                    except (ValueError, TypeError, KeyError):
                        continue  # a corrupt row is a miss, regenerated and overwritten
        return found

    def put_many(self, model: str, backend: str, items: Sequence[tuple[str, Generation]]) -> int:
        """Store results in one transaction; error results are skipped. Returns the number stored."""
        rows = [
            (
                key,
                model,
                backend,
                jsonio.dumps(g.to_dict() | {"cached": False}),
                time.time(),
            )
            for key, g in items
            if g.ok
        ]
        if rows:
            with self._lock, self._db:
                self._db.executemany("INSERT OR REPLACE INTO generations VALUES (?, ?, ?, ?, ?)", rows)
        return len(rows)

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM generations").fetchone()[0])

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()


class CachedBackend:
    """Wraps any backend: cached results are returned without generating; misses are generated in
    chunks of ``flush_every`` prompts and written to the cache as each chunk finishes.

    Misses are sorted by prompt length before chunking so that each chunk batches similar lengths.
    Counters ``hits``, ``misses`` and ``generate_calls`` are for progress reports and tests.
    """

    def __init__(self, inner: Backend, cache: GenerationCache, *, flush_every: int = 64) -> None:
        if flush_every < 1:
            raise ValueError("flush_every must be >= 1")
        self.inner = inner
        self.cache = cache
        self.flush_every = flush_every
        self.name = inner.name
        self.hits = 0
        self.misses = 0
        self.generate_calls = 0

    @property
    def identity(self) -> str:
        """The wrapped backend's model identity."""
        return self.inner.identity

    def generate(
        self,
        prompts: Sequence[Prompt],
        config: GenConfig,
        tools: Sequence[ToolList] | None = None,
    ) -> list[Generation]:
        """Cached results plus freshly generated ones, in prompt order."""
        tool_lists: list[ToolList] = list(tools) if tools is not None else [None] * len(prompts)
        if len(tool_lists) != len(prompts):
            raise ValueError("tools must be aligned with prompts")
        identity = self.inner.identity
        keys = [
            cache_key(identity, self.inner.name, p, config, t)
            for p, t in zip(prompts, tool_lists, strict=True)
        ]
        stored = self.cache.get_many(keys)
        out: list[Generation | None] = [None] * len(prompts)
        todo: list[int] = []
        first_of: dict[str, int] = {}
        for i, k in enumerate(keys):
            if k in stored:
                out[i] = _as_cached(stored[k])
            elif k in first_of:
                continue  # duplicate prompt in this call: generated once, copied below
            else:
                first_of[k] = i
                todo.append(i)
        self.hits += len(prompts) - len(todo)
        self.misses += len(todo)
        todo.sort(key=lambda i: len(prompt_key_text(prompts[i])))
        for start in range(0, len(todo), self.flush_every):
            idx = todo[start : start + self.flush_every]
            self.generate_calls += 1
            gens = self.inner.generate([prompts[i] for i in idx], config, [tool_lists[i] for i in idx])
            self.cache.put_many(
                identity, self.inner.name, [(keys[i], g) for i, g in zip(idx, gens, strict=True)]
            )
            for i, g in zip(idx, gens, strict=True):
                out[i] = g
        for i, k in enumerate(keys):
            if out[i] is None:
                out[i] = out[first_of[k]]
        return [g for g in out if g is not None]

    def open_stream(self, config: GenConfig, width: int) -> CachedStream:
        """A stream through the cache: hits come back at once, misses go to the wrapped backend's stream."""
        return CachedStream(self, open_stream(self.inner, config, width), config)

    def start(self) -> None:
        """Start the wrapped backend's engine."""
        self.inner.start()

    def info(self) -> BackendInfo:
        """The wrapped backend's declaration (the cache changes nothing a caller plans with)."""
        return self.inner.info()

    def stats(self) -> Mapping[str, Any]:
        """The wrapped backend's counters."""
        return self.inner.stats()

    def close(self) -> None:
        """Close the wrapped backend (the cache itself belongs to whoever opened it)."""
        from tlbench.backends.base import close_backend

        close_backend(self.inner)


class CachedStream:
    """The :class:`CachedBackend`'s stream: a hit is collected without generating; a miss goes to
    ``inner`` and is stored in the cache as soon as it is collected (errors are not stored)."""

    def __init__(self, cached: CachedBackend, inner: GenerationStream, config: GenConfig) -> None:
        self.cached = cached
        self.inner = inner
        self.config = config
        self._keys: dict[Hashable, str] = {}
        self._ready: list[tuple[Hashable, Generation]] = []

    def submit(self, tag: Hashable, prompt: Prompt, tools: ToolList = None) -> None:
        """Serve ``prompt`` from the cache, or start generating it."""
        backend = self.cached.inner
        key = cache_key(backend.identity, backend.name, prompt, self.config, tools)
        stored = self.cached.cache.get_many([key])
        if key in stored:
            self.cached.hits += 1
            self._ready.append((tag, _as_cached(stored[key])))
            return
        self.cached.misses += 1
        self.cached.generate_calls += 1
        self._keys[tag] = key
        self.inner.submit(tag, prompt, tools)

    def collect(self) -> list[tuple[Hashable, Generation]]:
        """Cache hits first (without waiting), else the wrapped stream's finished requests, stored."""
        if self._ready:
            out, self._ready = self._ready, []
            return out
        got = self.inner.collect()
        backend = self.cached.inner
        self.cached.cache.put_many(
            backend.identity, backend.name, [(self._keys.pop(tag), g) for tag, g in got if tag in self._keys]
        )
        return got

    def close(self) -> None:
        """Close the wrapped stream."""
        self._keys.clear()
        self._ready.clear()
        self.inner.close()


def _as_cached(g: Generation) -> Generation:
    return Generation(
        text=g.text,
        token_ids=g.token_ids,
        n_prompt_tokens=g.n_prompt_tokens,
        n_new_tokens=g.n_new_tokens,
        finish_reason=g.finish_reason,
        error=g.error,
        cached=True,
        extra=g.extra,
    )
