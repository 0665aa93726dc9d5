"""The openai backend against a misbehaving local server: retries, then per-item error records; never a crash,
never a hang, never a lost finished item (finished items are in the cache and are not asked for again)."""

from __future__ import annotations

import time
from pathlib import Path

from flaky_server import MODES, FlakyServer

from tlbench.backends.base import GenConfig
from tlbench.backends.cache import CachedBackend, GenerationCache
from tlbench.backends.openai_http import OpenAIBackend

CFG = GenConfig(max_new_tokens=8)
TRANSIENT = {"ok", "r429x2", "r500x2", "tools400"}  # tools400 answers requests without tools=
NOT_RETRIED = {"notobj", "nochoices", "bad400"}


def _backend(url: str) -> OpenAIBackend:
    return OpenAIBackend(url, "m", timeout=1.0, max_retries=2, backoff=0.01, concurrency=6)


def test_every_failure_mode_becomes_a_retry_or_an_error_record() -> None:
    with FlakyServer() as srv:
        prompts = [f"{m} item{i}" for i, m in enumerate(MODES * 2)]
        gens = _backend(srv.url).generate(prompts, CFG)
        counts = dict(srv.counts)
    assert len(gens) == len(prompts)
    for p, g in zip(prompts, gens, strict=True):
        mode = p.split()[0]
        if mode in TRANSIENT:
            assert g.ok and g.text == f"reply to {p}", (p, g)
            assert counts[p] == (1 if mode in ("ok", "tools400") else 3)
        else:
            assert not g.ok and g.finish_reason == "error" and g.error, (p, g)
            assert counts[p] == (1 if mode in NOT_RETRIED else 3), (p, counts[p])
    by_mode = {p.split()[0]: g.error for p, g in zip(prompts, gens, strict=True)}
    assert "timeout" in by_mode["trickle"] and "timeout" in by_mode["slow"]
    assert "HTTP 429" in by_mode["always429"] and "not JSON" in by_mode["garbage"]
    assert "not JSON" in by_mode["deep"]  # nested 100,000 deep: a bad response, not a RecursionError


def test_a_slow_stream_cannot_hold_a_run_for_ever() -> None:
    # requests' timeout is per socket read: a server trickling bytes never trips it; the backend's must
    with FlakyServer() as srv:
        be = OpenAIBackend(srv.url, "m", timeout=0.5, max_retries=0)
        t0 = time.monotonic()
        (g,) = be.generate(["trickle x"], CFG)
        elapsed = time.monotonic() - t0
    assert not g.ok and "timeout" in g.error
    assert elapsed < 20, elapsed  # generous: without a total deadline this never returns


def test_finished_items_survive_and_only_failures_are_asked_again(tmp_path: Path) -> None:
    with FlakyServer() as srv:
        prompts = [
            f"{m} n{i}" for i, m in enumerate(["ok", "always500", "garbage", "ok", "slow", "r429x2"] * 3)
        ]
        cache = GenerationCache(tmp_path / "gen.sqlite")
        first = CachedBackend(_backend(srv.url), cache, flush_every=4).generate(prompts, CFG)
        done = {p for p, g in zip(prompts, first, strict=True) if g.ok}
        assert done == {p for p in prompts if p.split()[0] in ("ok", "r429x2")}
        assert len(cache) == len(done)
        srv.healthy = True
        srv.counts.clear()
        second = CachedBackend(_backend(srv.url), GenerationCache(tmp_path / "gen.sqlite")).generate(
            prompts, CFG
        )
        asked = set(srv.counts)
    assert asked == set(prompts) - done  # finished items are never generated twice
    assert all(g.ok for g in second)
    for p, a, b in zip(prompts, first, second, strict=True):
        if p in done:
            assert a.text == b.text and b.cached
