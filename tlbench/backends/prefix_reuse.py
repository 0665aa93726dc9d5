"""Prefix reuse in a transformers batch: rows continue keys/values kept in a :class:`PrefixKVStore`.

Why: the prompt of an episode's next round is the previous prompt plus the model's output and an
observation, and ToolEyes items of one tool category share 1,000-2,000 tokens of documentation. Encoding
those again is most of the cost of a CPU round (:mod:`tlbench.backends.prefix_kv` has the numbers).

How a batch is laid out (:func:`layout`): each row's cached prefix right-aligned before a common cache
boundary ``width_c`` and its new tokens right-aligned after it; the attention mask marks both paddings and
positions follow the mask, so every row sees exactly its own tokens at their own positions (greedy outputs
equal those without reuse: tested). :func:`assemble` builds that batch's cache from the stored parts;
:func:`keep_generated` / :func:`keep_row` store finished rows; :func:`seed_shared` encodes once a prefix
that several new rows of one call share. Whether a model supports any of this is decided once, when the
backend is built (:mod:`tlbench.backends.hf_probe`); here a failure is an exception.

Imported lazily by :mod:`tlbench.backends.hf` (it needs torch).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from tlbench.backends.prefix_kv import KV, PrefixKVStore, shared_prefixes

__all__ = [
    "SEED_MIN_TOKENS",
    "SEED_WINDOW",
    "Layout",
    "assemble",
    "encode_prefix",
    "keep_generated",
    "keep_row",
    "layout",
    "row_kv",
    "seed_shared",
]

log = logging.getLogger(__name__)

#: Shared prefixes shorter than this are not encoded separately (a forward pass of its own costs more).
SEED_MIN_TOKENS = 64
#: Rows searched together for shared prefixes (the search sorts and compares them: quadratic at worst).
SEED_WINDOW = 256


@dataclass(frozen=True, slots=True)
class Layout:
    """A left-padded batch whose rows may continue stored prefixes.

    ``input_ids`` / ``mask``: ``[rows, width_c + width_d]``; ``matches``: each row's ``(n, key)`` from
    :meth:`PrefixKVStore.match` (``(0, None)``: nothing reused); ``width_c``: the cache boundary (0 when
    no row continues a prefix).
    """

    input_ids: Any
    mask: Any
    matches: list[tuple[int, int | None]]
    width_c: int

    @property
    def width(self) -> int:
        return int(self.input_ids.shape[1])


def layout(batch: list[list[int]], store: PrefixKVStore | None, pad_id: int) -> Layout:
    """Lay out ``batch``: each row's longest stored prefix before the cache boundary, the rest after."""
    matches = [store.match(ids) for ids in batch] if store is not None else [(0, None)] * len(batch)
    cached = [n for n, _ in matches]
    width_c = max(cached)
    width_d = max(len(ids) - n for ids, n in zip(batch, cached, strict=True))
    width = width_c + width_d
    input_ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for j, (ids, n) in enumerate(zip(batch, cached, strict=True)):
        if n:
            input_ids[j, width_c - n : width_c] = torch.tensor(ids[:n], dtype=torch.long)
            mask[j, width_c - n : width_c] = 1
        if len(ids) > n:
            input_ids[j, width - (len(ids) - n) :] = torch.tensor(ids[n:], dtype=torch.long)
            mask[j, width - (len(ids) - n) :] = 1
    return Layout(input_ids, mask, matches, width_c)


def assemble(parts: list[KV | None], width: int, cache: Any) -> Any:
    """Fill the empty ``cache`` with one batch of ``width`` positions: each row's prefix right-aligned,
    zeros before it (a row without a prefix: all zeros, masked out)."""
    like = next(p for p in parts if p is not None)
    for layer, (k0, v0) in enumerate(like):
        keys, values = [], []
        for part in parts:
            if part is None:
                keys.append(k0.new_zeros((1, k0.shape[1], width, k0.shape[3])))
                values.append(v0.new_zeros((1, v0.shape[1], width, v0.shape[3])))
                continue
            k, v = part[layer]
            pad = width - k.shape[2]
            keys.append(torch.nn.functional.pad(k, (0, 0, pad, 0)))
            values.append(torch.nn.functional.pad(v, (0, 0, pad, 0)))
        cache.update(torch.cat(keys), torch.cat(values), layer)
    return cache


def row_kv(layers: Any, row: int, positions: Any) -> KV:
    """Row ``row``'s keys/values at ``positions`` (a 1-D index), one ``[1, heads, n, dim]`` pair per layer."""
    return [
        (L.keys[row : row + 1].index_select(2, positions), L.values[row : row + 1].index_select(2, positions))
        for L in layers
    ]


def cache_layers(out: Any) -> Any:
    """The per-layer keys/values of a model or ``generate`` output (None when it has none)."""
    cache = getattr(out, "cache", None) or getattr(out, "past_key_values", None)
    return getattr(cache, "layers", None)


def keep_generated(
    store: PrefixKVStore, out: Any, mask: Any, batch: list[list[int]], new: list[list[int]]
) -> None:
    """Store each row of a ``generate`` output with the tokens its keys/values cover (prompt + all but
    the last new token); raises when the cache does not hold one position per token."""
    layers = cache_layers(out)
    if not layers or not new or not new[0]:
        return
    length = int(layers[0].keys.shape[2])
    if any(int(L.keys.shape[2]) != length for L in layers):
        raise ValueError("layers keep different lengths (sliding-window attention)")
    steps = len(new[0])
    full = torch.cat([mask, torch.ones((mask.shape[0], steps), dtype=mask.dtype)], dim=1)[:, :length]
    for j, (ids, row) in enumerate(zip(batch, new, strict=True)):
        idx = full[j].nonzero().squeeze(1).to(layers[0].keys.device)
        tokens = list(ids) + row[: max(0, int(idx.numel()) - len(ids))]
        if len(tokens) != idx.numel():
            raise ValueError(f"cache holds {length} positions, expected {len(ids) + steps - 1}")
        store.put(tokens, row_kv(layers, j, idx), prompt=len(ids))


def keep_row(store: PrefixKVStore, prompt: list[int], new: list[int], cache: Any, att: Any, b: int) -> None:
    """Store a row that just left the greedy loop (batch position ``b``): its prompt and all its new tokens
    but the last are in ``cache`` at the 1s of ``att[b]``; raises when they are not."""
    idx = att[b].nonzero().squeeze(1)
    tokens = list(prompt) + list(new[:-1])
    layers = cache.layers
    if len(tokens) != idx.numel() or int(layers[0].keys.shape[2]) != att.shape[1]:
        raise ValueError(f"cache holds {int(layers[0].keys.shape[2])} positions, mask {att.shape[1]}")
    store.put(tokens, row_kv(layers, b, idx), prompt=len(prompt))


def encode_prefix(model: Any, ids: list[int], logits_to_keep: bool) -> KV:
    """One forward pass over ``ids``: their keys/values (raises when the cache does not hold one position
    per token). ``logits_to_keep``: the model takes it (only the keys/values are wanted, not the logits)."""
    kwargs: dict[str, Any] = {"use_cache": True}
    if logits_to_keep:
        kwargs["logits_to_keep"] = 1
    with torch.inference_mode():
        out = model(input_ids=torch.tensor([ids], device=model.device), **kwargs)
    layers = cache_layers(out)
    if not layers or any(int(L.keys.shape[2]) != len(ids) for L in layers):
        raise ValueError("the cache does not hold one position per token")
    return [(L.keys, L.values) for L in layers]


def seed_shared(
    store: PrefixKVStore, rows: list[list[int]], room: int | None, encode: Callable[[list[int]], None]
) -> None:
    """Encode once each prefix that several new rows share (``encode`` stores it), so that they continue it.

    Why: the first round of a wave of ToolEyes episodes has up to ``batch_size`` prompts of which most
    share their tool category's documentation (1,000-2,000 tokens). Without this, every row encodes it;
    with it, the rows batch as continuations, capped on their own tokens. A prefix is encoded only when
    that saves tokens over what the store already covers (so the later rounds of an episode, which
    continue their own entries, skip it); rows longer than ``room`` (the context would cut them) are left
    alone. Best effort: a failing pass ends this call's seeding (the rows then encode their prefixes).
    """
    fits = [ids for ids in rows if room is None or len(ids) <= room]
    for lo in range(0, len(fits), SEED_WINDOW):
        window = fits[lo : lo + SEED_WINDOW]
        have = [store.match(ids)[0] for ids in window]
        for members, n in shared_prefixes(window, max(SEED_MIN_TOKENS, store.min_tokens)):
            # tokens the rows would no longer encode, minus the pass that encodes the prefix
            saved = sum(max(0, n - have[m]) for m in members) - n
            if saved < SEED_MIN_TOKENS:
                continue
            try:
                encode(window[members[0]][:n])
            except Exception as exc:  # noqa: BLE001 - reuse is an optimisation, never a failure
                log.warning(
                    "shared prefix pass failed (%s: %s); rows encode their prefixes", type(exc).__name__, exc
                )
                return
