"""Reuse the attention keys/values of an earlier generation whose tokens begin a new prompt.

Why: the prompt of round r+1 of a multi-turn episode is the round-r prompt, the model's output and an
observation. Without reuse every round re-encodes the whole history, and on CPU that prefill is most of
the cost (SmolLM2-135M encodes ~400 prompt tokens/s on 2 cores, so a 2,500-token ToolEyes history costs
~6 s before the first new token). With reuse a round encodes only its new tokens.

The store keeps, per finished row, the token ids it has keys/values for and those keys/values (one
``[1, kv_heads, n, head_dim]`` pair per layer, on the model's device). :meth:`PrefixKVStore.match` finds
the longest common token prefix of a new prompt with any stored row; the keys/values of that prefix are
exact for the new prompt because a causal model's state at position t depends on tokens <= t only.
Entries are evicted least recently used first, under a byte budget; an entry that a newer generation
extended is dropped by the caller (:meth:`retire`), so an episode holds one entry at a time.

:func:`shared_prefixes` finds the prefixes that several new prompts of one call share (ToolEyes items of
one tool category: the same tool documentation, 67% of all first-round prompt tokens), so that the
backend encodes each once and the prompts continue it.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["KV", "RETIRE_SLACK", "PrefixKVStore", "shared_prefixes"]

#: Tokens of an entry's prompt that a row may leave unused and still retire it (:meth:`PrefixKVStore.retire`).
RETIRE_SLACK = 4

#: Keys/values of one row: ``(key, value)`` per layer, each ``[1, kv_heads, n_tokens, head_dim]``.
KV = list[tuple[Any, Any]]


@dataclass(slots=True)
class _Entry:
    ids: Any  # 1-D long tensor (CPU) of the tokens the keys/values cover
    kv: KV
    nbytes: int
    prompt: int  # how many of those tokens were the prompt (the rest: the model's output)


class PrefixKVStore:
    """An LRU of per-row keys/values keyed by their token ids, bounded by ``max_bytes``.

    ``min_tokens``: shorter common prefixes are not worth a cache-assembled batch (the padding and the
    copies cost more than re-encoding a few tokens).
    """

    def __init__(self, max_bytes: int, *, min_tokens: int = 32) -> None:
        if max_bytes < 0 or min_tokens < 1:
            raise ValueError("max_bytes must be >= 0 and min_tokens >= 1")
        self.max_bytes = max_bytes
        self.min_tokens = min_tokens
        self._entries: OrderedDict[int, _Entry] = OrderedDict()
        self._next = 0
        self.nbytes = 0
        self.hits = 0
        self.reused_tokens = 0

    def __len__(self) -> int:
        return len(self._entries)

    def match(self, ids: Sequence[int]) -> tuple[int, int | None]:
        """``(n, key)``: the longest prefix of ``ids`` (at most ``len(ids) - 1`` tokens, so that at least one
        token is left to encode) whose keys/values are stored, or ``(0, None)`` below ``min_tokens``."""
        import torch

        limit = len(ids) - 1
        if limit < self.min_tokens or not self._entries:
            return 0, None
        query = torch.tensor(ids[:limit], dtype=torch.long)
        best, best_key, best_len = 0, None, 0
        for key, entry in self._entries.items():
            size = int(entry.ids.shape[0])
            m = min(limit, size)
            if m < best:
                continue
            diff = (entry.ids[:m] != query[:m]).nonzero()
            n = m if diff.numel() == 0 else int(diff[0, 0])
            # on a tie, the shortest entry: the one this prompt most likely extends (its own previous
            # round, when retokenizing the boundary cost a token); the longer one may serve another row
            if n > best or (n == best and best_key is not None and size < best_len):
                best, best_key, best_len = n, key, size
        if best < self.min_tokens or best_key is None:
            return 0, None
        self._entries.move_to_end(best_key)
        return best, best_key

    def take(self, key: int, n: int) -> KV:
        """The first ``n`` positions of entry ``key`` (views, no copy)."""
        entry = self._entries[key]
        self.hits += 1
        self.reused_tokens += n
        return [(k[:, :, :n], v[:, :, :n]) for k, v in entry.kv]

    def put(self, ids: Sequence[int], kv: KV, prompt: int | None = None) -> int | None:
        """Store a row; returns its key, or None when it alone exceeds the budget (or is too short).
        ``prompt``: how many of ``ids`` were the prompt (default: all of them)."""
        import torch

        nbytes = sum(k.element_size() * k.numel() + v.element_size() * v.numel() for k, v in kv)
        if nbytes > self.max_bytes or len(ids) < self.min_tokens:
            return None
        while self._entries and self.nbytes + nbytes > self.max_bytes:
            _, old = self._entries.popitem(last=False)
            self.nbytes -= old.nbytes
        key = self._next
        self._next += 1
        size = len(ids) if prompt is None else min(prompt, len(ids))
        self._entries[key] = _Entry(torch.tensor(list(ids), dtype=torch.long), kv, nbytes, size)
        self.nbytes += nbytes
        return key

    def retire(self, key: int, used: int) -> None:
        """Drop entry ``key`` once a row has continued (nearly) all of its prompt: that row's next
        round, or a row of the same prompt, whose new entry then holds what this one does.

        Why not every entry a row used: a row that shares only the start of an entry (the system prompt,
        a tool category's documentation) continues someone else's history; dropping it made that row
        re-encode thousands of tokens at its next round. ``RETIRE_SLACK``: the prompt's last tokens may
        merge with the output when the next round's prompt is tokenized, and the output itself may
        tokenize differently there.
        """
        entry = self._entries.get(key)
        if entry is not None and used >= entry.prompt - RETIRE_SLACK:
            self.discard(key)

    def discard(self, key: int) -> None:
        """Drop an entry (a newer one extends it); unknown keys are ignored."""
        entry = self._entries.pop(key, None)
        if entry is not None:
            self.nbytes -= entry.nbytes

    def clear(self) -> None:
        self._entries.clear()
        self.nbytes = 0


def _lcp(a: Sequence[int], b: Sequence[int]) -> int:
    """Length of the common prefix of two token lists."""
    return len(os.path.commonprefix([list(a), list(b)]))


def shared_prefixes(rows: Sequence[Sequence[int]], min_tokens: int) -> list[tuple[list[int], int]]:
    """Groups of rows worth encoding a common prefix for: ``(row indices, prefix length)`` pairs.

    Each prefix leaves at least one token of every row in its group to encode, and is at least
    ``min_tokens`` long. Rows sorted lexicographically put rows with long common prefixes next to each
    other, and a run's common prefix is the minimum of its neighbours' common prefixes. A run is split
    at its weakest link when its parts save more: two tool categories that share only a ~300-token
    preamble are better served by their own ~1,500-token prefixes. Saved tokens of a group: (rows - 1)
    x prefix length.
    """
    order = sorted(range(len(rows)), key=lambda k: list(rows[k]))
    links = [_lcp(rows[order[k]], rows[order[k + 1]]) for k in range(len(order) - 1)]

    def best(lo: int, hi: int) -> tuple[int, list[tuple[list[int], int]]]:
        """(tokens saved, groups) for the sorted rows ``order[lo..hi]`` (inclusive)."""
        if hi <= lo:
            return 0, []
        weakest = min(range(lo, hi), key=lambda k: links[k])
        members = [order[k] for k in range(lo, hi + 1)]
        common = min(links[weakest], min(len(rows[m]) for m in members) - 1)
        whole = (len(members) - 1) * common if common >= min_tokens else 0
        left, lgroups = best(lo, weakest)
        right, rgroups = best(weakest + 1, hi)
        if whole > left + right:
            return whole, [(sorted(members), common)]
        return left + right, lgroups + rgroups

    return best(0, len(order) - 1)[1] if order else []
