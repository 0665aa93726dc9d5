"""Reserved KV buffers: the layer holds the same keys/values as transformers' concatenating layer without
reallocating per step, generations are identical with and without them, and a model they do not suit
gets the stock cache from the start (decided by the probe at construction)."""

from __future__ import annotations

import pytest

from tlbench.backends.base import GenConfig
from tlbench.backends.hf import HFBackend

torch = pytest.importorskip("torch")

from tlbench.backends import kv_buffer  # noqa: E402 - needs torch

LONG = (
    "You can call tools. Thought: decide what to do next. Action: get_weather "
    'Action Input: {"city": "Paris", "days": 3} and then report back to the user in one line. '
)
PROMPTS = [LONG * 2, "Action: get_weather", LONG + "Rome", "json", 'Action Input: {"city": "Oslo"}']


def _like(tiny: HFBackend, *, kv_buffers: bool, prefix_cache_mb: int = 0, batch_size: int = 4) -> HFBackend:
    return HFBackend(
        tiny.model,
        tiny.tokenizer,
        identity="t",
        batch_size=batch_size,
        prefix_cache_mb=prefix_cache_mb,
        kv_buffers=kv_buffers,
    )


def test_layer_matches_concatenation_and_writes_in_place() -> None:
    from transformers.cache_utils import DynamicLayer

    stock, buffered = DynamicLayer(), kv_buffer.BufferedLayer(reserve=12)
    steps = [torch.randn(2, 3, n, 4) for n in (5, 1, 1, 1)]
    ptrs = set()
    for s in steps:
        k0, v0 = stock.update(s, -s)
        k1, v1 = buffered.update(s, -s)
        assert torch.equal(k0, k1) and torch.equal(v0, v1)
        assert buffered.get_seq_length() == stock.get_seq_length()
        ptrs.add(k1.data_ptr())
    assert len(ptrs) == 1  # one allocation of 12 positions served all 8
    for s in [torch.randn(2, 3, 1, 4) for _ in range(6)]:  # past the reserve: grows, keeps the content
        k0, _ = stock.update(s, -s)
        k1, _ = buffered.update(s, -s)
        assert torch.equal(k0, k1)
    assert buffered.get_seq_length() == 14


def test_layer_continues_from_keys_replaced_by_other_code() -> None:
    layer = kv_buffer.BufferedLayer(reserve=8)
    first = torch.randn(1, 1, 6, 4)
    layer.update(first, first)
    layer.crop(-2)  # transformers' own crop reassigns keys/values to shorter views
    assert layer.get_seq_length() == 4
    nxt = torch.randn(1, 1, 1, 4)
    keys, values = layer.update(nxt, nxt)
    assert keys.shape[2] == 5 and torch.equal(keys[:, :, :4], first[:, :, :4])
    assert torch.equal(keys[:, :, 4:], nxt) and torch.equal(values, keys)
    layer.batch_select_indices(torch.tensor([0, 0]))
    keys, _ = layer.update(torch.randn(2, 1, 1, 4), torch.randn(2, 1, 1, 4))
    assert keys.shape == (2, 1, 6, 4) and torch.equal(keys[0, :, :5], keys[1, :, :5])
    with pytest.raises(ValueError):
        layer.update(torch.randn(3, 1, 1, 4), torch.randn(3, 1, 1, 4))  # a batch the cache does not hold


def test_only_plain_full_attention_models_get_buffered_layers(tiny_backend: HFBackend) -> None:
    from transformers import MistralConfig

    cache = kv_buffer.buffered_cache(tiny_backend.model.config, 64)
    assert cache.layers and all(isinstance(x, kv_buffer.BufferedLayer) for x in cache.layers)
    sliding = MistralConfig(num_hidden_layers=2, sliding_window=16, hidden_size=64, num_attention_heads=2)
    assert not any(
        isinstance(x, kv_buffer.BufferedLayer) for x in kv_buffer.buffered_cache(sliding, 64).layers
    )


@pytest.mark.parametrize("prefix_cache_mb", [0, 64])
def test_generations_are_identical_with_and_without_buffers(
    tiny_backend: HFBackend, prefix_cache_mb: int
) -> None:
    on = _like(tiny_backend, kv_buffers=True, prefix_cache_mb=prefix_cache_mb)
    off = _like(tiny_backend, kv_buffers=False, prefix_cache_mb=prefix_cache_mb)
    for cfg in (GenConfig(max_new_tokens=12), GenConfig(max_new_tokens=9, temperature=0.8, seed=3)):
        history_on, history_off = list(PROMPTS), list(PROMPTS)
        for _ in range(3):  # growing prompts: with a store, rounds 2-3 continue stored prefixes
            a, b = on.generate(history_on, cfg), off.generate(history_off, cfg)
            assert [g.token_ids for g in a] == [g.token_ids for g in b]
            assert [g.text for g in a] == [g.text for g in b]
            history_on = [h + g.text + " Observation: ok " for h, g in zip(history_on, a, strict=True)]
            history_off = [h + g.text + " Observation: ok " for h, g in zip(history_off, b, strict=True)]
    if prefix_cache_mb:
        assert on.prefix is not None and on.prefix.hits > 0
    assert on.kv_buffers and not off.kv_buffers


def test_a_model_whose_cache_breaks_gets_the_stock_cache_from_the_start(
    tiny_backend: HFBackend, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    off = _like(tiny_backend, kv_buffers=False)
    monkeypatch.setattr(kv_buffer, "buffered_cache", lambda config, reserve: "not a cache")
    with caplog.at_level("WARNING"):
        on = _like(tiny_backend, kv_buffers=True)  # the probe finds out, once
    assert not on.kv_buffers and not on.caps.kv_buffers and "reserved KV buffers turned off" in caplog.text
    cfg = GenConfig(max_new_tokens=8)
    got = on.generate(PROMPTS, cfg)
    assert [g.token_ids for g in got] == [g.token_ids for g in off.generate(PROMPTS, cfg)]
    assert all(g.ok for g in got)


def test_buffers_that_break_after_the_probe_fail_the_generation_and_stay_on(
    tiny_backend: HFBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    on = _like(tiny_backend, kv_buffers=True)
    caps = on.caps
    assert caps.kv_buffers
    monkeypatch.setattr(kv_buffer, "buffered_cache", lambda config, reserve: "not a cache")
    got = on.generate(PROMPTS[:2], GenConfig(max_new_tokens=4))
    assert [g.ok for g in got] == [False, False] and "generation failed" in got[0].error
    assert on.caps is caps and on.kv_buffers  # a failure is a failure, not a switch


def test_a_failure_that_is_not_the_buffers_keeps_them_on(
    tiny_backend: HFBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    on = _like(tiny_backend, kv_buffers=True)
    caps = on.caps

    def oom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("out of memory")

    monkeypatch.setattr(on.model, "forward", oom)
    got = on.generate(PROMPTS[:2], GenConfig(max_new_tokens=4))
    assert [g.ok for g in got] == [False, False] and "out of memory" in got[0].error
    assert on.kv_buffers and on.caps is caps


def test_rows_continuing_a_prefix_are_capped_on_their_new_tokens(
    tiny_backend: HFBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    on = _like(tiny_backend, kv_buffers=True, prefix_cache_mb=64, batch_size=8)
    # direct: 5 long prompts with ~100 tokens left to encode each fit one batch under a 1,000-token cap
    encoded = [(i, [5] * 900) for i in range(5)]
    on.max_batch_tokens = 1000
    assert [len(g) for g in on._batches(encoded)] == [1] * 5
    assert [len(g) for g in on._batches(encoded, [100, 120, 90, 100, 80])] == [5]
    assert [len(g) for g in on._batches(encoded, [100, 600, 90, 100, 80])] == [1, 1, 3]
    # end to end: round 2 of 4 episodes continues the stored rounds and runs as one batch
    episodes = [LONG * 3 + f"item {i} " for i in range(4)]
    n = len(on.encode(episodes[0]))
    on.max_batch_tokens = 2 * n
    cfg = GenConfig(max_new_tokens=6)
    first = on.generate(episodes, cfg)
    calls: list[int] = []
    real = on._generate_ids
    monkeypatch.setattr(
        on, "_generate_ids", lambda batch, config: calls.append(len(batch)) or real(batch, config)
    )
    follow = [h + g.text + " Observation: ok" for h, g in zip(episodes, first, strict=True)]
    got = on.generate(follow, cfg)
    assert calls == [4]
    plain = _like(tiny_backend, kv_buffers=False, batch_size=1)
    assert [g.token_ids for g in got] == [g.token_ids for g in plain.generate(follow, cfg)]
