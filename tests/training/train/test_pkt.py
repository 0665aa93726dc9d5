"""PKT key tokens and weights on hand-made cases (token ids of the test tokenizer, pieces known)."""

from __future__ import annotations

import pytest
from conftest import make_traj, qcall

from training.pkt import find_name_spans, pkt_weight, token_spans, turn_weights
from training.sequences import build_examples


def _keys(tok, name: str, candidates: list[str], text: str | None = None) -> list[str]:
    text = text or qcall(name, {"q": "x"})
    ids, _, keys = turn_weights(tok, text, None, [name], candidates, 9.0)
    return [tok.decode([ids[k]]) for k in sorted(keys)]


def test_first_token_and_each_divergence(tok) -> None:
    cands = ["search", "search_news", "search_advice", "finish"]
    # search_advice: "search" (first), "_" (parts from `search`, which stops), "advice" (parts from news)
    assert _keys(tok, "search_advice", cands) == ["search", "_", "advice"]
    # search is a prefix of the others: the key is the token after the name (the decision to stop)
    assert _keys(tok, "search", cands) == ["search", '"']
    # no candidate shares a first token with finish: only the first token
    assert _keys(tok, "finish", cands) == ["finish"]


def test_long_shared_prefix_only_the_divergence_is_key(tok) -> None:
    cands = ["get_user_profile_data", "get_user_profile_settings", "get_weather"]
    assert _keys(tok, "get_user_profile_data", cands) == ["get", "user", "data"]
    assert _keys(tok, "get_user_profile_settings", cands) == ["get", "user", "settings"]
    assert _keys(tok, "get_weather", cands) == ["get", "weather"]


def test_candidates_outside_the_prompt_do_not_count(tok) -> None:
    assert _keys(tok, "search_advice", ["search_advice", "finish"]) == ["search"]


def test_weight_is_clipped_nk_over_k(tok) -> None:
    assert pkt_weight(3, 6, 9.0) == 2.0
    assert pkt_weight(3, 2, 9.0) == 1.0  # lower bound
    assert pkt_weight(1, 50, 9.0) == 9.0  # upper bound w_max
    assert pkt_weight(1, 50, 1.0) == 1.0  # w_max 1 turns PKT off
    assert pkt_weight(0, 10, 9.0) == 1.0
    text = qcall("search_advice", {"q": "x"})
    ids, weights, keys = turn_weights(tok, text, None, ["search_advice"], ["search", "search_news"], 9.0)
    n_k, n_nk = len(keys), len(ids) - len(keys)
    assert n_k == 3 and n_nk == 30
    assert {weights[k] for k in keys} == {9.0}  # 30 / 3 > 9: clipped
    assert all(w == 1.0 for k, w in enumerate(weights) if k not in keys)
    short = "search_advice"  # a bare name: |NK| = 0 < |K| -> weight 1
    ids, weights, keys = turn_weights(tok, short, None, ["search_advice"], ["search", "search_news"], 9.0)
    assert len(keys) == 3 and set(weights) == {1.0}


def test_ratio_between_the_bounds(tok) -> None:
    text = "search_advice(q=1)"  # 8 tokens: 3 key, 5 other -> 5/3
    ids, weights, keys = turn_weights(tok, text, None, ["search_advice"], ["search", "search_news"], 9.0)
    assert len(ids) == 8 and len(keys) == 3
    assert weights[0] == pytest.approx(5 / 3)
    assert pkt_weight(3, 3, 9.0) == 1.0  # |NK| == |K|: exactly the lower bound


def test_name_in_a_thought_is_not_taken_for_the_call(tok) -> None:
    text = "I use search now\n" + qcall("search", {"q": "x"})
    (span,) = find_name_spans(text, ["search"])
    assert span.start == text.index('"search"') + 1


def test_spans_from_given_ids_match_offsets(tok) -> None:
    text = qcall("search_news", {"q": "x"})
    ids, spans = token_spans(tok, text)
    ids2, spans2 = token_spans(tok, text, ids)
    assert ids == ids2 and spans == spans2


def test_pkt_weights_in_a_full_sequence(tok) -> None:
    (ex,), stats = build_examples([make_traj()], tok, "qwen25", mae=True, pkt=True)
    heavy = [tok.decode([t]) for t, w in zip(ex.input_ids, ex.loss_weights) if w > 1]
    # search_news (turn 2): search + "_" (vs search) + news (vs search_advice); finish: its first token
    assert heavy == ["search", "_", "news", "finish"]
    assert stats.key_tokens == 4
    # the masked hallucinated turn gets no PKT weight
    assert all(w == 0.0 for t, w in zip(ex.input_ids, ex.loss_weights) if tok.decode([t]) == "nws")
