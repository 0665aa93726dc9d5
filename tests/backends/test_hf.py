"""The transformers backend on a tiny random Llama: batching, stop strings, per-item errors."""

from __future__ import annotations

import pytest

from tlbench.backends.base import GenConfig, Generation
from tlbench.backends.hf import HFBackend

PROMPTS = [
    "Action: get_weather",
    "def f(x):\n    return x",
    "<tool_call>{",
    "The quick brown fox jumps over the lazy dog and keeps running far away",
    "json",
    'Action Input: {"city": "Paris"}',
]


@pytest.fixture(scope="module")
def single(tiny_backend: HFBackend) -> HFBackend:
    return HFBackend(tiny_backend.model, tiny_backend.tokenizer, identity="tiny", batch_size=1)


def test_batched_equals_unbatched_greedy(tiny_backend: HFBackend, single: HFBackend) -> None:
    cfg = GenConfig(max_new_tokens=12)
    batched = tiny_backend.generate(PROMPTS, cfg)
    one_by_one = [single.generate([p], cfg)[0] for p in PROMPTS]
    assert [g.token_ids for g in batched] == [g.token_ids for g in one_by_one]
    assert [g.text for g in batched] == [g.text for g in one_by_one]
    assert all(g.ok and g.n_new_tokens == len(g.token_ids) for g in batched)
    assert any(g.text for g in batched)


def test_matches_raw_generate_and_prompt_token_counts(tiny_backend: HFBackend) -> None:
    import torch

    tok, model = tiny_backend.tokenizer, tiny_backend.model
    prompt = PROMPTS[3]
    ids = tok(prompt, return_tensors="pt")
    raw = model.generate(**ids, max_new_tokens=10, do_sample=False, pad_token_id=tok.pad_token_id)
    new = raw[0, ids["input_ids"].shape[1] :].tolist()
    g = tiny_backend.generate([prompt], GenConfig(max_new_tokens=10))[0]
    eos = tok.eos_token_id
    assert list(g.token_ids) == (new[: new.index(eos)] if eos in new else new)
    assert g.n_prompt_tokens == ids["input_ids"].shape[1]
    assert torch.is_tensor(raw)


def test_results_keep_prompt_order_even_though_batches_are_length_sorted(tiny_backend: HFBackend) -> None:
    cfg = GenConfig(max_new_tokens=6)
    forward = tiny_backend.generate(PROMPTS, cfg)
    backward = tiny_backend.generate(PROMPTS[::-1], cfg)
    assert [g.text for g in forward] == [g.text for g in backward[::-1]]


def test_stop_strings_cut_text_and_token_ids(tiny_backend: HFBackend) -> None:
    base = tiny_backend.generate(PROMPTS, GenConfig(max_new_tokens=16))
    # pick a generation with enough text and use a piece from its middle as the stop string
    j, full = max(enumerate(base), key=lambda x: len(x[1].text))
    assert len(full.text) >= 6, full.text
    stop = full.text[len(full.text) // 2 : len(full.text) // 2 + 2]
    cut = tiny_backend.generate([PROMPTS[j]], GenConfig(max_new_tokens=16, stop=(stop,)))[0]
    assert cut.text == full.text[: full.text.find(stop)]
    assert stop not in cut.text
    assert cut.finish_reason == "stop"
    assert cut.token_ids == full.token_ids[: len(cut.token_ids)]
    assert stop in tiny_backend.tokenizer.decode(list(cut.token_ids))
    assert len(cut.token_ids) < len(full.token_ids)


def test_length_finish_reason_and_sampling_is_seeded(tiny_backend: HFBackend) -> None:
    g = tiny_backend.generate([PROMPTS[0]], GenConfig(max_new_tokens=3))[0]
    assert g.finish_reason in ("length", "stop")
    if len(g.token_ids) == 3:
        assert g.finish_reason == "length"
    cfg = GenConfig(max_new_tokens=8, temperature=1.0, seed=7)
    a = tiny_backend.generate(PROMPTS[:2], cfg)
    b = tiny_backend.generate(PROMPTS[:2], cfg)
    assert [x.token_ids for x in a] == [x.token_ids for x in b]


def test_chat_messages_go_through_the_chat_template_with_tools(tiny_backend: HFBackend) -> None:
    msgs = [{"role": "user", "content": "weather in Paris?"}]
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    ids = tiny_backend.encode(msgs, tools)
    assert "Tools:" in tiny_backend.tokenizer.decode(ids)
    gens = tiny_backend.generate([msgs, "plain"], GenConfig(max_new_tokens=4), tools=[tools, None])
    assert all(g.ok for g in gens)


def test_bad_item_is_an_error_record_not_a_crash(tiny_backend: HFBackend) -> None:
    bad = [42]  # not a message
    gens = tiny_backend.generate([PROMPTS[0], bad, PROMPTS[1]], GenConfig(max_new_tokens=4))
    assert gens[0].ok and gens[2].ok
    assert gens[1].finish_reason == "error" and gens[1].error


def test_too_long_prompt_is_cut_from_the_left(tiny_backend: HFBackend) -> None:
    long = "json " * 700
    g = tiny_backend.generate([long], GenConfig(max_new_tokens=8))[0]
    assert g.ok
    assert g.extra.get("truncated_prompt_tokens", 0) > 0
    assert g.n_prompt_tokens + 8 <= tiny_backend.max_context


def test_generation_round_trips_through_dict() -> None:
    g = Generation("x", (1, 2), 3, 2, "length", extra={"a": 1})
    assert Generation.from_dict(g.to_dict()) == g


def test_genconfig_validates_and_keys() -> None:
    with pytest.raises(ValueError):
        GenConfig(max_new_tokens=0)
    with pytest.raises(ValueError):
        GenConfig(temperature=-1)
    assert GenConfig(top_p=0.5).key() == GenConfig().key()  # greedy ignores sampling knobs
    assert GenConfig(temperature=0.7, top_p=0.5).key() != GenConfig(temperature=0.7).key()
    assert GenConfig(stop="x").stop == ("x",)  # type: ignore[arg-type]


def test_token_cap_splits_batches_around_long_prompts(tiny_backend) -> None:  # noqa: ANN001
    lengths = [4816, 2027, 1734, 1719, 1713, 1456, 1454, 1275, 1270, 1270, 996, 598]
    encoded = [(i, [5] * n) for i, n in enumerate(lengths)]
    old = (tiny_backend.batch_size, tiny_backend.max_batch_tokens)
    try:
        tiny_backend.batch_size, tiny_backend.max_batch_tokens = 8, 8192
        groups = tiny_backend._batches(encoded)
        assert [len(g) for g in groups] == [1, 4, 5, 2]
        assert all(len(g) * len(g[0][1]) <= 8192 for g in groups)
        assert [i for g in groups for i, _ in g] == list(range(len(lengths)))  # order kept, nothing lost
        tiny_backend.max_batch_tokens = None
        assert [len(g) for g in tiny_backend._batches(encoded)] == [8, 4]
        tiny_backend.max_batch_tokens = 10  # a cap below one prompt still generates it, alone
        assert [len(g) for g in tiny_backend._batches(encoded)] == [1] * len(lengths)
    finally:
        tiny_backend.batch_size, tiny_backend.max_batch_tokens = old
