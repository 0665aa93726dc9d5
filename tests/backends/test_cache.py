"""The SQLite generation cache: zero repeated generations, resume after a kill, keys that separate runs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tlbench.backends.base import GenConfig, Generation
from tlbench.backends.cache import CachedBackend, GenerationCache, cache_key
from tlbench.backends.mock import MockBackend, SimulatedKill

PROMPTS = [f"prompt number {i} " + "x " * i for i in range(10)]


def echo(prompt: object) -> str:
    return f"reply to {prompt}"


def test_second_run_makes_zero_generate_calls(tmp_path: Path) -> None:
    cache = GenerationCache(tmp_path / "g.sqlite")
    first = CachedBackend(MockBackend(echo), cache, flush_every=3)
    a = first.generate(PROMPTS, GenConfig())
    assert first.generate_calls == 4 and first.misses == 10
    inner = MockBackend(echo)
    second = CachedBackend(inner, GenerationCache(tmp_path / "g.sqlite"), flush_every=3)
    b = second.generate(PROMPTS, GenConfig())
    assert inner.calls == 0 and second.generate_calls == 0 and second.hits == 10
    assert [g.text for g in a] == [g.text for g in b] == [echo(p) for p in PROMPTS]
    assert all(g.cached for g in b) and not any(g.cached for g in a)


def test_killed_run_resumes_without_regenerating_finished_batches(tmp_path: Path) -> None:
    path = tmp_path / "g.sqlite"
    killed = MockBackend(echo, fail_after=2)  # the third batch dies
    with pytest.raises(SimulatedKill):
        CachedBackend(killed, GenerationCache(path), flush_every=3).generate(PROMPTS, GenConfig())
    assert len(GenerationCache(path)) == 6  # two finished batches were written as they finished
    inner = MockBackend(echo)
    out = CachedBackend(inner, GenerationCache(path), flush_every=3).generate(PROMPTS, GenConfig())
    assert len(inner.prompts_seen) == 4
    done_before = {p for p in killed.prompts_seen[:6]}
    assert not done_before & set(inner.prompts_seen)
    assert [g.text for g in out] == [echo(p) for p in PROMPTS]


def test_key_separates_model_backend_prompt_sampling_and_tools() -> None:
    base = cache_key("m", "transformers", "p", GenConfig())
    assert base == cache_key("m", "transformers", "p", GenConfig())
    others = {
        cache_key("m2", "transformers", "p", GenConfig()),
        cache_key("m", "vllm", "p", GenConfig()),
        cache_key("m", "transformers", "p ", GenConfig()),
        cache_key("m", "transformers", "p", GenConfig(max_new_tokens=7)),
        cache_key("m", "transformers", "p", GenConfig(stop=("x",))),
        cache_key("m", "transformers", "p", GenConfig(temperature=0.5)),
        cache_key("m", "transformers", "p", GenConfig(), [{"type": "function", "function": {"name": "f"}}]),
        cache_key("m", "transformers", [{"role": "user", "content": "p"}], GenConfig()),
    }
    assert base not in others and len(others) == 8


def test_errors_are_not_cached_and_duplicates_generate_once(tmp_path: Path) -> None:
    class Flaky(MockBackend):
        def generate(self, prompts, config, tools=None):  # type: ignore[override]
            out = super().generate(prompts, config, tools)
            return [Generation.failed("boom") if "bad" in p else g for p, g in zip(prompts, out)]

    cache = GenerationCache(tmp_path / "g.sqlite")
    inner = Flaky(echo)
    cb = CachedBackend(inner, cache)
    out = cb.generate(["ok", "bad", "ok"], GenConfig())
    assert [g.ok for g in out] == [True, False, True]
    assert inner.prompts_seen == ["bad", "ok"] or sorted(inner.prompts_seen) == ["bad", "ok"]
    assert len(cache) == 1
    cb.generate(["ok", "bad"], GenConfig())
    assert inner.prompts_seen.count("bad") == 2  # retried, not read back as an error


def test_wal_mode_and_corrupt_rows_are_misses(tmp_path: Path) -> None:
    path = tmp_path / "g.sqlite"
    cache = GenerationCache(path)
    key = cache_key("mock:mock-model", "mock", "p", GenConfig())
    cache.put_many("m", "mock", [(key, Generation("hello"))])
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        db.execute("UPDATE generations SET result = 'not json'")
    inner = MockBackend(echo)
    out = CachedBackend(inner, GenerationCache(path)).generate(["p"], GenConfig())
    assert out[0].text == "reply to p" and inner.calls == 1


def test_cached_hf_results_equal_fresh_ones(tiny_backend, tmp_path: Path) -> None:  # noqa: ANN001
    prompts = ["Action: get", "json", "def f"]
    cfg = GenConfig(max_new_tokens=6)
    fresh = tiny_backend.generate(prompts, cfg)
    cb = CachedBackend(tiny_backend, GenerationCache(tmp_path / "g.sqlite"))
    first = cb.generate(prompts, cfg)
    again = cb.generate(prompts, cfg)
    assert cb.generate_calls == 1
    assert [g.token_ids for g in fresh] == [g.token_ids for g in first] == [g.token_ids for g in again]
