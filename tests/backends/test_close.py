"""``Backend.close()`` for every backend: what it releases, that it is idempotent, and that a closed
backend still works (it starts again) - the runner and the CLI call it in a ``finally``."""

from __future__ import annotations

from pathlib import Path

from tlbench.backends import CachedBackend, GenConfig, GenerationCache, close_backend
from tlbench.backends.mock import MockBackend
from tlbench.backends.openai_http import OpenAIBackend


def test_openai_close_closes_every_threads_session() -> None:
    b = OpenAIBackend("http://127.0.0.1:9/v1", "m")
    first = b._session()
    closed: list[object] = []
    first.close = lambda: closed.append(first)  # type: ignore[method-assign]
    assert b._session() is first
    b.close()
    b.close()
    assert closed == [first]
    assert b._session() is not first  # a later request opens a new session


def test_cached_backend_closes_what_it_wraps_but_not_the_cache(tmp_path: Path) -> None:
    inner = MockBackend(default="x")
    cache = GenerationCache(tmp_path / "g.sqlite")
    wrapped = CachedBackend(inner, cache)
    wrapped.close()
    assert inner.closed == 1
    assert wrapped.generate(["p"], GenConfig(max_new_tokens=2))[0].text == "x"  # the cache is still open
    cache.close()


def test_transformers_close_drops_stored_prefixes(tiny_backend) -> None:  # noqa: ANN001
    tiny_backend.generate(["hello " * 40], GenConfig(max_new_tokens=2))
    assert tiny_backend.prefix is not None and len(tiny_backend.prefix)
    tiny_backend.close()
    assert len(tiny_backend.prefix) == 0 and tiny_backend.prefix.nbytes == 0
    assert tiny_backend.generate(["hello"], GenConfig(max_new_tokens=2))[0].ok


def test_close_backend_tolerates_doubles_without_close_and_failing_close() -> None:
    class NoClose:
        name = "x"

    class Boom:
        name = "boom"

        def close(self) -> None:
            raise RuntimeError("gone")

    close_backend(NoClose())
    close_backend(Boom())  # logged, not raised
