"""Prefix reuse in the transformers backend: the store's matching and budget, and greedy outputs that are
the same with and without reuse over several rounds of growing prompts."""

from __future__ import annotations

import pytest

from tlbench.backends.base import GenConfig
from tlbench.backends.hf import HFBackend
from tlbench.backends.prefix_kv import PrefixKVStore

torch = pytest.importorskip("torch")


def _kv(n: int, layers: int = 2, fill: float = 0.0) -> list[tuple[object, object]]:
    return [(torch.full((1, 1, n, 4), fill), torch.full((1, 1, n, 4), fill)) for _ in range(layers)]


def test_match_finds_the_longest_common_prefix_and_leaves_a_token_to_encode() -> None:
    store = PrefixKVStore(1 << 20, min_tokens=4)
    a = store.put(list(range(10)), _kv(10, fill=1.0))
    b = store.put(list(range(6)) + [99, 98], _kv(8, fill=2.0))
    assert store.match(list(range(8)) + [7, 7]) == (8, a)
    assert store.match(list(range(6)) + [99, 98, 5]) == (8, b)
    assert store.match(list(range(10))) == (9, a)  # never the whole prompt: one token must be encoded
    assert store.match([0, 1, 2, 50, 51, 52]) == (0, None)  # 3 common tokens < min_tokens
    assert store.match([5] * 20) == (0, None)
    part = store.take(a, 7)
    assert [k.shape[2] for k, _ in part] == [7, 7] and float(part[0][0][0, 0, 0, 0]) == 1.0
    assert store.hits == 1 and store.reused_tokens == 7


def test_store_evicts_least_recently_used_under_its_byte_budget() -> None:
    one = 2 * 2 * 10 * 4 * 4  # layers x (k, v) x tokens x dim x float32 bytes
    store = PrefixKVStore(2 * one, min_tokens=2)
    k1 = store.put(list(range(10)), _kv(10))
    k2 = store.put(list(range(100, 110)), _kv(10))
    assert store.match(list(range(10)) + [1])[1] == k1  # k1 is now the most recently used
    store.put(list(range(200, 210)), _kv(10))
    assert len(store) == 2 and store.nbytes == 2 * one
    assert store.match(list(range(100, 110)) + [1]) == (0, None)  # k2 was evicted, not k1
    assert store.match(list(range(10)) + [1])[1] == k1
    assert store.put(list(range(30)), _kv(30)) is None  # larger than the whole budget: not kept
    store.discard(k1)
    store.discard(k2)  # unknown keys are ignored
    assert len(store) == 1 and store.nbytes == one
    with pytest.raises(ValueError):
        PrefixKVStore(-1)


LONG = (
    "You can call tools. Thought: decide what to do next. Action: get_weather "
    'Action Input: {"city": "Paris", "days": 3} and then report back to the user in one line. '
)


def _like(tiny_backend: HFBackend, prefix_cache_mb: int, batch_size: int = 4) -> HFBackend:
    """A backend over the tiny model with its own prefix store (or none, with 0)."""
    return HFBackend(
        tiny_backend.model,
        tiny_backend.tokenizer,
        identity="t",
        batch_size=batch_size,
        prefix_cache_mb=prefix_cache_mb,
    )


def _rounds(backend: HFBackend, prompts: list[str], n_rounds: int) -> list[list[tuple[int, ...]]]:
    """Grow each prompt by its own output and an observation, round after round (an episode's shape)."""
    cfg = GenConfig(max_new_tokens=10)
    history = list(prompts)
    out = []
    for r in range(n_rounds):
        gens = backend.generate(history, cfg)
        out.append([g.token_ids for g in gens])
        history = [
            h + g.text + f"\nObservation: result {r} for item {i}\n"
            for i, (h, g) in enumerate(zip(history, gens, strict=True))
        ]
    return out


def test_greedy_outputs_are_identical_with_and_without_prefix_reuse(tiny_backend: HFBackend) -> None:
    prompts = [
        LONG * 2,
        "Action: get_weather " + LONG,
        LONG * 3 + "Oslo",
        'Action Input: {"city": "Rome"} ' + LONG,
    ]
    plain = _like(tiny_backend, 0)
    reuse = _like(tiny_backend, 64)
    assert plain.prefix is None and plain.episode_wave is None and reuse.episode_wave == 4
    expected = _rounds(plain, prompts, 4)
    assert _rounds(reuse, prompts, 4) == expected
    assert any(any(row) for row in expected[-1])
    store = reuse.prefix
    assert store is not None
    # every prompt of rounds 2-4 continued its own earlier round (12); in round 1 the two prompts that
    # start with LONG * 2 continued that prefix, encoded once for both (2)
    assert store.hits == 14
    assert store.reused_tokens > 12 * 40
    assert len(store) == 4  # one entry per episode: the extended entries replaced the older ones


def test_a_batch_mixing_continued_and_new_prompts_matches_generating_them_separately(
    tiny_backend: HFBackend,
) -> None:
    reuse = _like(tiny_backend, 64)
    plain = _like(tiny_backend, 0)
    cfg = GenConfig(max_new_tokens=8)
    first = reuse.generate([LONG * 2], cfg)[0]
    follow = [LONG * 2 + first.text + " Observation: ok", "Action: get_weather", LONG + "Rome"]
    # one batch through the low-level path: row 0 continues the stored row, row 2 shares its first
    # sentence (another item with the same system prompt), row 1 has nothing to reuse
    ids = [reuse.encode(p) for p in follow]
    assert reuse.prefix is not None and [reuse.prefix.match(x)[0] > 0 for x in ids] == [True, False, True]
    mixed = reuse._generate_ids([list(x) for x in ids], cfg)
    assert reuse.prefix.hits == 2
    single = _like(tiny_backend, 0, batch_size=1)
    assert [g.token_ids for g in mixed] == [single.generate([p], cfg)[0].token_ids for p in follow]
    assert [g.token_ids for g in plain.generate(follow, cfg)] == [g.token_ids for g in mixed]


def test_prefix_cache_size_is_validated(tiny_backend: HFBackend) -> None:
    with pytest.raises(ValueError):
        _like(tiny_backend, -1)


def test_a_model_that_cannot_take_an_assembled_cache_falls_back_to_plain_generation(
    tiny_backend: HFBackend, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    plain = _like(tiny_backend, 0)
    reuse = _like(tiny_backend, 64)
    cfg = GenConfig(max_new_tokens=8)
    first = reuse.generate([LONG * 2], cfg)[0]
    follow = [LONG * 2 + first.text + " more", LONG * 2 + "other"]
    monkeypatch.setattr(reuse, "_assemble", lambda parts, width, reserve: "not a cache")
    with caplog.at_level("WARNING"):
        got = reuse.generate(follow, cfg)
    assert reuse.prefix is None and "prefix reuse turned off" in caplog.text
    assert [g.token_ids for g in got] == [g.token_ids for g in plain.generate(follow, cfg)]
    assert all(g.ok for g in got)


@pytest.mark.parametrize("loop", [True, False])
def test_a_failure_while_storing_turns_reuse_off_and_keeps_the_results(
    tiny_backend: HFBackend, monkeypatch: pytest.MonkeyPatch, loop: bool
) -> None:
    reuse = _like(tiny_backend, 64)
    reuse.drop_finished = loop  # the greedy loop stores rows as they finish; generate() stores at the end

    def broken(*args: object) -> None:
        raise ValueError("layers keep different lengths (sliding-window attention)")

    assert reuse.prefix is not None
    monkeypatch.setattr(reuse.prefix, "put", broken)
    monkeypatch.setattr(reuse, "_keep", broken)
    got = reuse.generate([LONG, LONG + "x"], GenConfig(max_new_tokens=6))
    assert reuse.prefix is None and all(g.ok and g.token_ids for g in got)


def test_shared_prefixes_split_where_the_parts_save_more() -> None:
    from tlbench.backends.prefix_kv import shared_prefixes

    pre = list(range(80))  # a preamble every row shares
    a = pre + list(range(1000, 1120))  # category A's tool docs: 200 shared tokens
    b = pre + list(range(2000, 2070))  # category B's: 150
    rows = [a + [1, 2], b + [5], a + [3], [9, 9, 9], a + [4, 4], b + [6, 6]]
    assert shared_prefixes(rows, 64) == [([0, 2, 4], 200), ([1, 5], 150)]
    assert shared_prefixes([a + [1], b + [2]], 64) == [([0, 1], 80)]  # only the preamble in common
    assert shared_prefixes([a + [1], b + [2]], 100) == []  # shorter than min_tokens
    assert shared_prefixes([a, a], 64) == [([0, 1], 199)]  # a token of each row is left to encode
    assert shared_prefixes([], 64) == [] and shared_prefixes([a], 64) == []


def test_rows_sharing_a_prefix_encode_it_once_and_match_generating_them_plainly(
    tiny_backend: HFBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    reuse = _like(tiny_backend, 64)
    plain = _like(tiny_backend, 0)
    seeded: list[int] = []
    real = reuse._encode_into_store
    monkeypatch.setattr(reuse, "_encode_into_store", lambda ids: seeded.append(len(ids)) or real(ids))
    docs = LONG * 3
    shared = len(reuse.encode(docs)) - 2
    prompts = [docs + q for q in ("Rome?", "Oslo and Paris?", "what now", "json")] + ["Action: x"]
    cfg = GenConfig(max_new_tokens=8)
    got = reuse.generate(prompts, cfg)
    assert len(seeded) == 1 and seeded[0] >= shared  # one pass over the shared documentation
    assert reuse.prefix is not None and reuse.prefix.hits == 4 and reuse.prefix.reused_tokens >= 4 * shared
    assert [g.token_ids for g in got] == [g.token_ids for g in plain.generate(prompts, cfg)]
    # the next round continues each row's own entry: nothing left worth a shared pass
    follow = [p + g.text + " Observation: ok" for p, g in zip(prompts, got, strict=True)]
    again = reuse.generate(follow, cfg)
    assert len(seeded) == 1
    assert [g.token_ids for g in again] == [g.token_ids for g in plain.generate(follow, cfg)]


def test_a_model_whose_cache_cannot_be_read_skips_the_shared_pass(
    tiny_backend: HFBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    reuse = _like(tiny_backend, 64)

    def broken(ids: list[int]) -> None:
        raise ValueError("the cache does not hold one position per token")

    monkeypatch.setattr(reuse, "_encode_into_store", broken)
    prompts = [LONG * 3 + q for q in ("Rome?", "Oslo?")]
    got = reuse.generate(prompts, GenConfig(max_new_tokens=6))
    assert all(g.ok for g in got) and reuse.prefix is not None and reuse.prefix.hits == 0
    assert not reuse.share_prefixes  # said once, not retried at every call


def test_an_entry_that_a_later_batch_continues_outlives_a_batch_that_used_part_of_it(
    tiny_backend: HFBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two rows that share only the start of a stored entry run first; two rows that continue all of it
    run in the next batch. The first batch used to discard the entry, so the second re-encoded most of it
    (seen in a ToolEyes wave: rows that had matched 1,789 tokens matched 335)."""
    reuse = _like(tiny_backend, 64, batch_size=2)
    plain = _like(tiny_backend, 0)
    cfg = GenConfig(max_new_tokens=6)
    docs = LONG * 3
    reuse.generate([docs + "first question"], cfg)  # stores docs + question + output
    store = reuse.prefix
    assert store is not None and len(store) == 1
    full = len(reuse.encode(docs)) - 2
    part = [LONG + w * 70 for w in ("zebra ", "yak ")]  # only LONG in common with the entry
    cont = [docs + q for q in ("Rome?", "Oslo?")]
    prompts = part + cont
    assert min(len(reuse.encode(p)) for p in part) > max(len(reuse.encode(p)) for p in cont)
    used: list[list[int]] = []
    real = reuse._generate_ids

    def spy(batch: list[list[int]], config: GenConfig) -> object:
        used.append(sorted(store.match(ids)[0] for ids in batch))
        return real(batch, config)

    monkeypatch.setattr(reuse, "_generate_ids", spy)
    got = reuse.generate(prompts, cfg)
    assert len(used) == 2 and max(used[0]) < full <= min(used[1])
    assert [g.token_ids for g in got] == [g.token_ids for g in plain.generate(prompts, cfg)]


def test_continuing_rows_split_where_a_long_history_would_widen_every_row(tiny_backend: HFBackend) -> None:
    """The split minimises the key/value positions decoding reads (a step's fixed cost, the weights,
    counted in the same units), within the row and token caps."""
    backend = _like(tiny_backend, 64, batch_size=16)
    rows = [(k, [0] * n) for k, n in enumerate([6000, 2500, 2400, 2300, 2200, 2000])]
    todo = [100] * 6
    backend.step_positions = 1000.0  # one more step costs less than 5 x 3,500 positions: split
    assert [[k for k, _ in b] for b in backend._split(rows, todo)] == [[0], [1, 2, 3, 4, 5]]
    backend.step_positions = 50_000.0  # a step costs more than the positions saved: one batch
    assert [[k for k, _ in b] for b in backend._split(rows, todo)] == [[0, 1, 2, 3, 4, 5]]
    backend.step_positions = 1.0  # nearly free steps: still capped by the tokens left to encode
    backend.max_batch_tokens = 250
    assert all(len(b) <= 2 for b in backend._split(rows, todo))
    backend.max_batch_tokens = None
    backend.step_positions = None  # unknown cost: the greedy groups
    assert len(backend._split(rows, todo)) == 1
    from tlbench.backends.hf import _step_positions

    assert _step_positions(tiny_backend.model) == pytest.approx(
        sum(p.numel() for p in tiny_backend.model.parameters()) / (2 * 2 * 1 * 64)
    )


def test_split_rows_generate_what_plain_generation_does(tiny_backend: HFBackend) -> None:
    reuse = _like(tiny_backend, 64, batch_size=4)
    plain = _like(tiny_backend, 0)
    reuse.step_positions = 10.0  # split at every opportunity
    prompts = [LONG * 6 + "A?", LONG + "B?", LONG + "C?", LONG * 2 + "D?"]
    assert _rounds(reuse, prompts, 3) == _rounds(plain, prompts, 3)
    assert reuse.prefix is not None and reuse.prefix.hits >= 8


def test_an_entry_is_retired_only_by_a_row_that_continued_its_prompt() -> None:
    from tlbench.backends.prefix_kv import RETIRE_SLACK

    store = PrefixKVStore(1 << 20, min_tokens=4)
    key = store.put(list(range(100)), _kv(100), prompt=80)  # 80 prompt tokens, 20 of output
    assert key is not None
    store.retire(key, 40)  # a row that shared the first 40 tokens: the entry is someone else's history
    assert len(store) == 1
    store.retire(key, 80 - RETIRE_SLACK)  # its own next round (a retokenized boundary costs a few)
    assert len(store) == 0
    store.retire(key, 100)  # unknown keys are ignored
    shared = store.put(list(range(50)), _kv(50))  # a shared prefix: all prompt
    assert shared is not None
    store.retire(shared, 50 - RETIRE_SLACK - 1)
    assert len(store) == 1
    store.retire(shared, 49)
    assert len(store) == 0


def test_a_new_entry_survives_a_later_batch_that_shares_only_its_start(
    tiny_backend: HFBackend,
) -> None:
    """One call, one row per batch: a long episode's row first, then two rows sharing only its first
    LONG. Those rows used to discard the long row's new entry, so its next round re-encoded its whole
    history (seen in a ToolEyes wave: the 5,500-token episode matched 341 tokens at its next round)."""
    reuse = _like(tiny_backend, 64, batch_size=1)
    cfg = GenConfig(max_new_tokens=6)
    long_row = LONG * 5 + "x"
    prompts = [long_row, LONG + "zebra " * 20, LONG + "yak " * 20]
    got = reuse.generate(prompts, cfg)
    store = reuse.prefix
    assert store is not None
    follow = long_row + got[0].text + " Observation: ok"
    n, _ = store.match(reuse.encode(follow))
    assert n >= len(reuse.encode(long_row))  # its own entry: the prompt and (nearly all) its output
