"""Generation requests submitted one at a time and collected as each finishes (a *stream*).

Why: a batch call (:meth:`Backend.generate`) returns when its slowest prompt is done. Multi-turn episodes
(ToolEyes) only need their own reply to run their tools and send the next request, so on backends that
serve requests independently (an HTTP server, vLLM's engine) each episode can advance at its own pace
(:mod:`tlbench.episode_scheduler`). A stream is the small interface for that::

    stream = open_stream(backend, GenConfig(max_new_tokens=128), width=8)
    stream.submit(tag, prompt, tools)           # returns at once
    for tag, generation in stream.collect():    # blocks until at least one request is done
        ...
    stream.close()

``width`` is how many requests the caller keeps in flight; the stream never needs more workers than that.
A backend with its own stream (``open_stream(config, width)``: vLLM's step-wise engine, the generation
cache) provides it; any other backend gets :class:`ThreadedStream`, which runs single-prompt
``generate`` calls in ``width`` threads when the backend says it may be called from several threads at
once (``info().thread_safe``: the ``openai`` backend, one HTTP session per thread), else in one thread
(a local model's ``generate`` is not re-entrant; it then serves one request at a time). Like ``generate``, a stream never raises for one bad item: a failure is a ``Generation`` with
``finish_reason="error"``. An exception raised by the backend itself (a crash) reaches ``collect``'s
caller, as it would from a batch call.
"""

from __future__ import annotations

from collections.abc import Hashable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, Protocol, runtime_checkable

from tlbench.backends.base import Backend, GenConfig, Generation, Prompt, ToolList

__all__ = ["GenerationStream", "ThreadedStream", "open_stream"]


@runtime_checkable
class GenerationStream(Protocol):
    """Requests in, finished generations out, in the order they finish."""

    def submit(self, tag: Hashable, prompt: Prompt, tools: ToolList = None) -> None:
        """Start generating ``prompt``; its result comes back from :meth:`collect` under ``tag``."""
        ...

    def collect(self) -> list[tuple[Hashable, Generation]]:
        """The requests finished since the last call: waits for at least one while any is in flight;
        an empty list only when nothing is in flight."""
        ...

    def close(self) -> None:
        """Stop: unfinished requests are abandoned (their results are never collected)."""
        ...


class ThreadedStream:
    """Single-prompt ``backend.generate`` calls in a pool of ``width`` threads (one thread unless the
    backend is ``thread_safe``)."""

    def __init__(self, backend: Backend, config: GenConfig, width: int) -> None:
        if width < 1:
            raise ValueError("width must be >= 1")
        self.backend = backend
        self.config = config
        workers = width if backend.info().thread_safe else 1
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tlbench-stream")
        self._pending: dict[Future[Generation], Hashable] = {}

    def _one(self, prompt: Prompt, tools: ToolList) -> Generation:
        gens = self.backend.generate([prompt], self.config, [tools])
        return gens[0] if gens else Generation.failed("the backend returned no result")

    def submit(self, tag: Hashable, prompt: Prompt, tools: ToolList = None) -> None:
        """Queue one request on the pool."""
        self._pending[self._pool.submit(self._one, prompt, tools)] = tag

    def collect(self) -> list[tuple[Hashable, Generation]]:
        """Every request done by now (at least one, unless none is pending). A request whose backend call
        raised raises here, but only once the results that finished before it (in submission order) have
        been returned: a crash must not drop a finished generation that the cache would otherwise keep."""
        if not self._pending:
            return []
        done, _ = wait(list(self._pending), return_when=FIRST_COMPLETED)
        # submission order among those done, so that a run's order of events is reproducible
        out: list[tuple[Hashable, Generation]] = []
        for f in [f for f in self._pending if f in done]:
            if out and f.exception() is not None:
                break  # raised by the next call
            out.append((self._pending.pop(f), f.result()))
        return out

    def close(self) -> None:
        """Cancel what has not started; requests under way (a run stopped early) finish in the background
        and are dropped, so an interrupted run does not wait for them."""
        abandoned = bool(self._pending)
        self._pending.clear()
        self._pool.shutdown(wait=not abandoned, cancel_futures=True)


def open_stream(backend: Backend | Any, config: GenConfig, width: int) -> GenerationStream:
    """The backend's own stream (``open_stream(config, width)``) or a :class:`ThreadedStream` over it."""
    opener = getattr(backend, "open_stream", None)
    if callable(opener):
        stream = opener(config, width)
        if stream is not None:
            return stream  # type: ignore[no-any-return]
    return ThreadedStream(backend, config, width)
