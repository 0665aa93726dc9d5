"""Which prompts the transformers backend generates together: length-sorted batches under row and token caps.

Why these rules:

* **Longest first**: every row is padded to the longest prompt of its batch, so sorted batches waste the
  least compute on padding, and an out-of-memory batch shows up at the start of a run.
* **A token cap** (``max_batch_tokens``, rows x longest row): one 4,800-token prompt in a batch of
  1,000-token prompts made a RoTBench batch cost ~5x its real tokens (prefill attention is quadratic).
* **Rows that continue a stored prefix are capped on the tokens they still encode**, and split where the
  key/value positions decoding would read outweigh one more step (:func:`split`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["Row", "batches", "split", "step_positions"]

#: One prompt: its index in the call and its token ids.
Row = tuple[int, list[int]]


def batches(
    encoded: list[Row], batch_size: int, max_batch_tokens: int | None, todo: Sequence[int] | None = None
) -> list[list[Row]]:
    """Consecutive groups of the longest-first list: at most ``batch_size`` rows, and (when
    ``max_batch_tokens`` is set) rows x longest row cost <= ``max_batch_tokens`` (always >= 1 row).
    A row's cost is its prompt length, or ``todo[k]``, the tokens left to encode after a reused prefix.

    Why rows continuing a prefix are capped on their new tokens: the later rounds of long ToolEyes
    episodes (4,000+ tokens, ~200 new) otherwise decoded one row at a time, ~2x slower per row than in
    a batch of 8.
    """
    costs = list(todo) if todo is not None else [len(ids) for _, ids in encoded]
    groups: list[list[Row]] = []
    widest = 0
    for item, cost in zip(encoded, costs, strict=True):
        cur = groups[-1] if groups else None
        fits = cur is not None and len(cur) < batch_size
        if fits and cur is not None and max_batch_tokens is not None:
            fits = (len(cur) + 1) * max(widest, cost, 1) <= max_batch_tokens
        if fits and cur is not None:
            cur.append(item)
            widest = max(widest, cost)
        else:
            groups.append([item])
            widest = cost
    return groups


def split(
    encoded: list[Row],
    todo: Sequence[int],
    batch_size: int,
    max_batch_tokens: int | None,
    fixed: float | None,
) -> list[list[Row]]:
    """Batches of rows that continue stored prefixes (longest first): the consecutive groups that
    read the fewest key/value positions while decoding, within ``batch_size`` and (on the tokens
    each row still encodes) ``max_batch_tokens``.

    Why: every row of a batch attends over the batch's widest history at every step, so one
    6,000-token episode in a wave of 2,000-token ones made 15 rows read 3x the keys/values they
    need (a late ToolEyes round: ~100 s; split, ~60 s). A step's fixed cost is reading the weights,
    ``fixed`` (:func:`step_positions`) in the same units, so a split pays when the positions it saves
    exceed one more step. Unknown cost (a model without the usual config fields): the greedy groups.
    """
    if fixed is None or len(encoded) < 2:
        return batches(encoded, batch_size, max_batch_tokens, todo)
    lengths = [len(ids) for _, ids in encoded]  # longest first: a group's widest row is its first
    n, cap = len(encoded), max_batch_tokens
    cost = [0.0] * (n + 1)  # cost[i]: the best split of rows i..n-1, cut[i]: where its first group ends
    cut = [n] * (n + 1)
    for i in range(n - 1, -1, -1):
        cost[i] = float("inf")
        widest = 0
        for j in range(i + 1, min(n, i + batch_size) + 1):
            widest = max(widest, todo[j - 1])
            if j > i + 1 and cap is not None and (j - i) * max(widest, 1) > cap:
                break
            c = fixed + (j - i) * lengths[i] + cost[j]
            if c <= cost[i]:  # on a tie, the larger group: fewer batches
                cost[i], cut[i] = c, j
    groups, i = [], 0
    while i < n:
        groups.append(encoded[i : cut[i]])
        i = cut[i]
    return groups


def step_positions(model: Any) -> float | None:
    """How many key/value positions of one row cost as much to read as the weights: a decoding step
    reads all the weights and, per row, its keys/values (``2 x layers x kv_heads x head_dim`` values per
    position). None when the config lacks the fields."""
    cfg = getattr(model, "config", None)
    try:
        layers = int(cfg.num_hidden_layers)
        heads = int(cfg.num_attention_heads)
        kv_heads = int(getattr(cfg, "num_key_value_heads", None) or heads)
        head_dim = int(getattr(cfg, "head_dim", None) or cfg.hidden_size // heads)
        params = sum(int(p.numel()) for p in model.parameters())
    except (AttributeError, TypeError, ValueError, ZeroDivisionError):
        return None
    per_position = 2 * layers * kv_heads * head_dim
    return params / per_position if per_position > 0 and params > 0 else None
