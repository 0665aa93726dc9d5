"""Generation streams: single requests in, finished generations out as each finishes, through the cache."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tlbench.backends.base import GenConfig, Generation
from tlbench.backends.cache import CachedBackend, CachedStream, GenerationCache
from tlbench.backends.mock import MockBackend, SimulatedKill
from tlbench.backends.stream import ThreadedStream, open_stream


def echo(prompt: object) -> str:
    return f"reply to {prompt}"


class GatedBackend(MockBackend):
    """Holds every prompt that contains "slow" until ``gate`` is set."""

    thread_safe = True

    def __init__(self) -> None:
        super().__init__(echo)
        self.gate = threading.Event()

    def generate(self, prompts, config, tools=None):  # noqa: ANN001, ANN201 - the Backend signature
        if any("slow" in str(p) for p in prompts):
            assert self.gate.wait(30)
        return super().generate(prompts, config, tools)


def test_threaded_stream_returns_each_request_when_it_is_done() -> None:
    backend = GatedBackend()
    stream = open_stream(backend, GenConfig(), width=2)
    assert isinstance(stream, ThreadedStream)
    assert stream.collect() == []  # nothing in flight: no waiting
    stream.submit("a", "slow one")
    stream.submit("b", "fast one")
    first = stream.collect()  # the slow request is still held: only the fast one can be back
    assert [(t, g.text) for t, g in first] == [("b", "reply to fast one")]
    backend.gate.set()
    assert [(t, g.text) for t, g in stream.collect()] == [("a", "reply to slow one")]
    assert stream.collect() == []
    stream.close()


def test_a_crashing_backend_raises_from_collect() -> None:
    stream = ThreadedStream(MockBackend(echo, fail_after=0), GenConfig(), width=1)
    stream.submit(0, "p")
    with pytest.raises(SimulatedKill):
        stream.collect()
    stream.close()


def test_cached_stream_serves_hits_without_generating_and_stores_misses(tmp_path: Path) -> None:
    cache = GenerationCache(tmp_path / "g.sqlite")
    inner = MockBackend(echo)
    cached = CachedBackend(inner, cache)
    cached.generate(["old"], GenConfig())
    stream = open_stream(cached, GenConfig(), width=4)
    assert isinstance(stream, CachedStream)
    stream.submit(1, "old")
    stream.submit(2, "new")
    got = dict(stream.collect())  # the hit, at once
    assert list(got) == [1] and got[1].cached and got[1].text == "reply to old"
    got = dict(stream.collect())
    assert list(got) == [2] and not got[2].cached
    assert inner.prompts_seen == ["old", "new"] and (cached.hits, cached.misses) == (1, 2)
    again = CachedBackend(MockBackend(echo), GenerationCache(tmp_path / "g.sqlite"))
    assert again.generate(["new"], GenConfig())[0].cached  # stored as soon as it was collected
    stream.close()


def test_cached_stream_does_not_store_failures(tmp_path: Path) -> None:
    class Failing(MockBackend):
        def generate(self, prompts, config, tools=None):  # noqa: ANN001, ANN201
            return [Generation.failed("HTTP 500") for _ in prompts]

    cache = GenerationCache(tmp_path / "g.sqlite")
    stream = CachedBackend(Failing(), cache).open_stream(GenConfig(), 2)
    stream.submit(0, "p")
    [(tag, g)] = stream.collect()
    assert tag == 0 and not g.ok and len(cache) == 0
    stream.close()


def test_a_backend_that_is_not_thread_safe_serves_one_request_at_a_time() -> None:
    class Counting(MockBackend):
        def __init__(self) -> None:
            super().__init__(echo)
            self.inside = self.most = 0
            self.lock = threading.Lock()

        def generate(self, prompts, config, tools=None):  # noqa: ANN001, ANN201
            with self.lock:
                self.inside += 1
                self.most = max(self.most, self.inside)
            try:
                time.sleep(0.01)  # long enough for a second thread to come in, were there one
                return super().generate(prompts, config, tools)
            finally:
                with self.lock:
                    self.inside -= 1

    backend = Counting()
    stream = ThreadedStream(backend, GenConfig(), width=4)
    for i in range(8):
        stream.submit(i, f"p{i}")
    got: list[tuple[object, Generation]] = []
    while out := stream.collect():
        got += out
    stream.close()
    assert sorted(t for t, _ in got) == list(range(8)) and backend.most == 1
