"""What a transformers model supports, decided once when the backend is built.

Why a probe: reserved KV buffers, prefix reuse and the shared-prefix pass rely on how the model's cache
behaves (plain full-attention ``DynamicLayer`` layers, one position per token, a cache it accepts from
outside). Models differ, and so do transformers versions. Before, the backend found out by failing: a
failed batch switched a feature off and retried itself, so what a run did depended on which batch had
failed first. Now :func:`probe` runs the backend's own batch code (:func:`tlbench.backends.hf_batch.
run_batch`) on a few tokens, for each requested feature and each decoding path (our greedy loop and
``model.generate``), and the result is a frozen :class:`Capabilities` that never changes afterwards. A
feature that fails here is off from the start (said once, in a warning); a later failure is a failed
generation.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from tlbench.backends.base import GenConfig

__all__ = ["Capabilities", "basic_capabilities", "probe"]

log = logging.getLogger(__name__)

#: Tokens the probe generates per row: the prefill, then one decoding step that extends the cache.
PROBE_NEW_TOKENS = 2


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What the backend does with this model (all fixed at construction).

    ``cache_kwarg``: the forward/``generate`` argument that takes a cache (``cache`` in newer
    transformers, else ``past_key_values``); ``logits_to_keep``: the forward takes it; ``plain_greedy``:
    greedy ``generate`` is a plain argmax, so our greedy loop may replace it; ``kv_buffers``: generations
    write into reserved KV buffers; ``prefix_reuse``: rows are stored and later prompts continue them;
    ``shared_prefixes``: a prefix that several prompts of one call share is encoded once.
    """

    cache_kwarg: str = "past_key_values"
    logits_to_keep: bool = False
    plain_greedy: bool = True
    kv_buffers: bool = False
    prefix_reuse: bool = False
    shared_prefixes: bool = False


def basic_capabilities(model: Any) -> Capabilities:
    """What the model's signature and generation config say, with every optional feature off."""
    from tlbench.backends.greedy import plain_greedy

    params = inspect.signature(model.forward).parameters
    return Capabilities(
        cache_kwarg="cache" if "cache" in params else "past_key_values",
        logits_to_keep="logits_to_keep" in params,
        plain_greedy=plain_greedy(model),
    )


def probe(engine: Any, *, kv_buffers: bool, prefix_reuse: bool) -> Capabilities:
    """``engine.caps`` with each requested feature that works on a few tokens turned on.

    ``engine``: a :class:`tlbench.backends.hf_batch.Engine` whose ``caps`` are
    :func:`basic_capabilities`. The checks run in order (reuse is checked with the buffers as decided),
    each on both decoding paths; shared prefixes need prefix reuse.
    """
    caps: Capabilities = engine.caps
    first, second, fresh = _probe_rows(engine.model)
    if kv_buffers:
        buffered = replace(caps, kv_buffers=True)
        if _works("reserved KV buffers", lambda: _generate(engine, buffered, [first, fresh])):
            caps = buffered
    if prefix_reuse:
        reuse = replace(caps, prefix_reuse=True)
        if _works("prefix reuse", lambda: _continue(engine, reuse, first, second, fresh)):
            caps = reuse
            if _works("shared prefixes", lambda: _encode(engine, reuse, first)):
                caps = replace(reuse, shared_prefixes=True)
    return caps


def _works(feature: str, check: Callable[[], object]) -> bool:
    """Whether ``check`` runs; a failure is said once and the feature stays off."""
    try:
        check()
    except Exception as exc:  # noqa: BLE001 - any failure means: not with this model
        log.warning("%s turned off for this model (%s: %s)", feature, type(exc).__name__, exc)
        return False
    return True


def _probe_rows(model: Any) -> tuple[list[int], list[int], list[int]]:
    """A prompt, its continuation and an unrelated prompt, of distinct ids within the vocabulary."""
    vocab = int(getattr(model.config, "vocab_size", 0) or 0) or 16
    ids = [(5 + 7 * k) % vocab for k in range(12)]
    return ids[:6], ids[:9], ids[9:]


def _paths(caps: Capabilities) -> tuple[bool, ...]:
    """The decoding paths a greedy batch may take: our loop (plain greedy models) and ``generate``."""
    return (True, False) if caps.plain_greedy else (False,)


def _generate(engine: Any, caps: Capabilities, batch: list[list[int]]) -> None:
    """One batch (no prefix store) on each decoding path with ``caps``."""
    from tlbench.backends.hf_batch import run_batch

    config = GenConfig(max_new_tokens=PROBE_NEW_TOKENS)
    for loop in _paths(caps):
        run_batch(replace(engine, caps=caps), [list(r) for r in batch], config, None, loop=loop)


def _continue(engine: Any, caps: Capabilities, first: list[int], second: list[int], fresh: list[int]) -> None:
    """Store ``first``'s row, then generate a batch where ``second`` continues it beside ``fresh``."""
    from tlbench.backends.hf_batch import run_batch
    from tlbench.backends.prefix_kv import PrefixKVStore

    store = PrefixKVStore(1 << 40, min_tokens=1)
    on = replace(engine, caps=caps)
    config = GenConfig(max_new_tokens=PROBE_NEW_TOKENS)
    for loop in _paths(caps):
        store.clear()
        run_batch(on, [list(first)], config, store, loop=loop, strict=True)
        if store.match(second)[0] < len(first):
            raise ValueError("a stored row does not match the prompt that continues it")
        run_batch(on, [list(second), list(fresh)], config, store, loop=loop, strict=True)


def _encode(engine: Any, caps: Capabilities, ids: list[int]) -> None:
    """The shared-prefix pass: one forward over ``ids`` whose cache holds one position per token."""
    from tlbench.backends import prefix_reuse

    prefix_reuse.encode_prefix(engine.model, ids, caps.logits_to_keep)
