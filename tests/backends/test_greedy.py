"""The greedy loop that takes finished rows out of the batch: the same tokens as ``model.generate``
(EOS, stop strings, prefix reuse, rows dropped at every chance or never), and ``generate`` whenever the
model's generation config adds logits processors."""

from __future__ import annotations

import pytest

from tlbench.backends import greedy
from tlbench.backends.base import GenConfig
from tlbench.backends.hf import HFBackend

torch = pytest.importorskip("torch")

LONG = (
    "You can call tools. Thought: decide what to do next. Action: get_weather "
    'Action Input: {"city": "Paris", "days": 3} and then report back to the user in one line. '
)
PROMPTS = [
    LONG * 2,
    "Action: get_weather",
    LONG + "Rome",
    "json",
    'Action Input: {"city": "Oslo"}',
    "def f(x):\n    return x",
]


def _like(tiny: HFBackend, *, loop: bool, prefix_cache_mb: int = 0) -> HFBackend:
    b = HFBackend(tiny.model, tiny.tokenizer, identity="t", batch_size=6, prefix_cache_mb=prefix_cache_mb)
    b.drop_finished = loop
    return b


def _stops(tiny: HFBackend) -> tuple[str, ...]:
    """Two frequent short strings of the tiny model's output, so rows stop at different steps."""
    free = _like(tiny, loop=False).generate(PROMPTS, GenConfig(max_new_tokens=24))
    text = "".join(g.text for g in free)
    counts = {c: text.count(c) for c in set(text) if c.strip()}
    common = sorted(counts, key=lambda c: -counts[c])
    return tuple(common[2:4])


@pytest.mark.parametrize(
    ("drop_factor", "prefix_cache_mb"), [(0, 0), (0, 64), (greedy.DROP_FACTOR, 64), (10**9, 0)]
)
def test_the_loop_generates_what_generate_does(
    tiny_backend: HFBackend, monkeypatch: pytest.MonkeyPatch, drop_factor: int, prefix_cache_mb: int
) -> None:
    monkeypatch.setattr(greedy, "DROP_FACTOR", drop_factor)  # 0: drop at every finish; 10**9: never
    drops: list[int] = []
    reasons: set[str] = set()

    loop = _like(tiny_backend, loop=True, prefix_cache_mb=prefix_cache_mb)
    ref = _like(tiny_backend, loop=False, prefix_cache_mb=prefix_cache_mb)
    stops = _stops(tiny_backend)
    assert len(stops) == 2
    for cfg in (GenConfig(max_new_tokens=20), GenConfig(max_new_tokens=20, stop=stops)):
        h_loop, h_ref = list(PROMPTS), list(PROMPTS)
        for _ in range(2):  # round 2 continues stored prefixes when the store is on
            with monkeypatch.context() as m:
                m.setattr(
                    "transformers.cache_utils.Cache.batch_select_indices",
                    lambda self, idx: (
                        drops.append(len(idx)) or [L.batch_select_indices(idx) for L in self.layers]
                    ),
                )
                a = loop.generate(h_loop, cfg)
            b = ref.generate(h_ref, cfg)
            assert [g.token_ids for g in a] == [g.token_ids for g in b]
            reasons |= {f"{bool(cfg.stop)}:{g.finish_reason}" for g in a}
            assert [(g.text, g.finish_reason, g.n_new_tokens) for g in a] == [
                (g.text, g.finish_reason, g.n_new_tokens) for g in b
            ]
            h_loop = [h + g.text + " Observation: ok " for h, g in zip(h_loop, a, strict=True)]
            h_ref = [h + g.text + " Observation: ok " for h, g in zip(h_ref, b, strict=True)]
    assert "True:stop" in reasons and "True:length" in reasons  # stop strings ended some rows early
    if drop_factor == 0:
        assert drops  # rows did leave the batch
    elif drop_factor == 10**9:
        assert not drops
    if prefix_cache_mb:
        assert loop.prefix is not None and loop.prefix.hits > 0


def test_a_generation_config_with_processors_goes_to_generate(
    tiny_backend: HFBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert greedy.plain_greedy(tiny_backend.model)
    monkeypatch.setattr(tiny_backend.model.generation_config, "repetition_penalty", 1.3)
    assert not greedy.plain_greedy(tiny_backend.model)
    b = _like(tiny_backend, loop=True)
    called: list[int] = []
    monkeypatch.setattr(greedy, "decode", lambda *a, **k: called.append(1))
    got = b.generate(PROMPTS[:2], GenConfig(max_new_tokens=6))
    assert not called and all(g.ok for g in got)


def test_buffered_rows_keep_their_spare_room_when_rows_leave() -> None:
    from tlbench.backends.kv_buffer import BufferedLayer

    layer = BufferedLayer(reserve=10)
    k = torch.randn(3, 1, 4, 2)
    layer.update(k, k)
    ptr = layer._kbuf.data_ptr() if layer._kbuf is not None else 0
    layer.batch_select_indices(torch.tensor([0, 2]))
    assert layer.get_seq_length() == 4 and torch.equal(layer.keys, k[[0, 2]])
    assert layer._kbuf is not None and layer._kbuf.shape[2] == 10 and layer._kbuf.data_ptr() != ptr
    kept = layer._kbuf.data_ptr()
    nxt = torch.randn(2, 1, 1, 2)
    keys, _ = layer.update(nxt, nxt)
    assert layer._kbuf.data_ptr() == kept  # no reallocation: the room came along
    assert torch.equal(keys[:, :, :4], k[[0, 2]]) and torch.equal(keys[:, :, 4:], nxt)
