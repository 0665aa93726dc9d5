"""One batch of the transformers backend: prompt ids in, new token ids out.

The batch is laid out around the rows' stored prefixes (:mod:`tlbench.backends.prefix_reuse`), gets a
KV cache (assembled from those prefixes, or empty: reserved buffers from
:mod:`tlbench.backends.kv_buffer` when the model takes them), and decodes either in our greedy loop that
takes finished rows out (:mod:`tlbench.backends.greedy`) or in ``model.generate`` (sampling, and models
whose generation config adds logits processors). Finished rows go into the prefix store.

What the model supports is fixed in :class:`Engine.caps` (:mod:`tlbench.backends.hf_probe`, run once
when the backend is built); nothing here changes it. An exception is the batch's failure; only a failure
to *store* a row is tolerated (``strict=False``: logged, the results kept), since reuse is an
optimisation. Imported lazily (it needs torch).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from tlbench.backends import prefix_reuse
from tlbench.backends.base import GenConfig
from tlbench.backends.hf_text import stop_criteria, stopped_by
from tlbench.backends.prefix_kv import PrefixKVStore

if TYPE_CHECKING:
    from tlbench.backends.hf_probe import Capabilities

__all__ = ["Engine", "new_cache", "run_batch"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Engine:
    """What generating a batch needs, fixed when the backend is built."""

    model: Any
    tokenizer: Any
    pad_id: int
    eos_ids: frozenset[int]
    caps: Capabilities


def run_batch(
    engine: Engine,
    batch: list[list[int]],
    config: GenConfig,
    store: PrefixKVStore | None,
    *,
    loop: bool,
    strict: bool = False,
) -> list[list[int]]:
    """New token ids of each row of ``batch`` (prompts already cut to the context; EOS included, may be
    padded). ``loop``: decode in the greedy loop (greedy configs only). ``strict``: a failure to store a
    finished row raises instead of being logged."""
    lay = prefix_reuse.layout(batch, store, engine.pad_id)
    reserve = lay.width + config.max_new_tokens
    cache = None
    if lay.width_c and store is not None:
        parts = [store.take(key, n) if key is not None else None for n, key in lay.matches]
        cache = prefix_reuse.assemble(parts, lay.width_c, new_cache(engine, reserve))
    elif engine.caps.kv_buffers:
        cache = new_cache(engine, reserve)
    if not config.greedy:
        torch.manual_seed(config.seed)
    if loop:
        new = _decode(
            engine, lay, cache if cache is not None else new_cache(engine, reserve), batch, config, store
        )
    else:
        new = _generate(engine, lay, cache, batch, config, store)
    if new.failed_store:
        if strict:
            raise ValueError(new.failed_store)
        log.warning("finished rows not stored for prefix reuse (%s)", new.failed_store)
    if store is not None:
        for n, key in lay.matches:
            if key is not None:
                store.retire(key, n)  # gone only if that row's new entry covers it
    return new.rows


@dataclass(frozen=True, slots=True)
class _New:
    rows: list[list[int]]
    failed_store: str = ""  # why rows could not be stored ("" when they were, or there is no store)


def new_cache(engine: Engine, reserve: int) -> Any:
    """An empty KV cache for one batch: reserved buffers (see :mod:`.kv_buffer`) when the model takes them."""
    from transformers import DynamicCache

    if not engine.caps.kv_buffers:
        return DynamicCache(config=engine.model.config)
    from tlbench.backends import kv_buffer

    return kv_buffer.buffered_cache(engine.model.config, reserve)


def _generate(
    engine: Engine,
    lay: prefix_reuse.Layout,
    cache: Any,
    batch: list[list[int]],
    config: GenConfig,
    store: PrefixKVStore | None,
) -> _New:
    """``model.generate`` over the laid-out batch; the rows go into ``store`` at the end."""
    kwargs = _gen_kwargs(engine, config)
    if store is not None:
        kwargs["return_dict_in_generate"] = True
    if cache is not None:
        kwargs[engine.caps.cache_kwarg] = cache
    device = engine.model.device
    with torch.inference_mode():
        out = engine.model.generate(
            input_ids=lay.input_ids.to(device), attention_mask=lay.mask.to(device), **kwargs
        )
    new = (out.sequences if store is not None else out)[:, lay.width :].tolist()
    if store is None:
        return _New(new)
    try:
        prefix_reuse.keep_generated(store, out, lay.mask, batch, new)
    except Exception as exc:  # noqa: BLE001 - reuse is an optimisation, never a failure
        return _New(new, f"{type(exc).__name__}: {exc}")
    return _New(new)


def _decode(
    engine: Engine,
    lay: prefix_reuse.Layout,
    cache: Any,
    batch: list[list[int]],
    config: GenConfig,
    store: PrefixKVStore | None,
) -> _New:
    """The greedy loop that takes finished rows out of the batch (:mod:`.greedy`); each finished row's
    keys/values go into ``store`` as it leaves (after a failure, no more rows of this batch)."""
    from tlbench.backends import greedy

    broken: list[str] = []

    def keep(r: int, b: int, new: list[int], kv_cache: Any, att: Any) -> None:
        if store is None or broken:
            return
        try:
            prefix_reuse.keep_row(store, batch[r], new, kv_cache, att, b)
        except Exception as exc:  # noqa: BLE001 - reuse is an optimisation, never a failure
            broken.append(f"{type(exc).__name__}: {exc}")

    device = engine.model.device
    with torch.inference_mode():
        new = greedy.decode(
            engine.model,
            lay.input_ids.to(device),
            lay.mask.to(device),
            cache,
            lay.width_c,
            max_new_tokens=config.max_new_tokens,
            eos_ids=engine.eos_ids,
            pad_id=engine.pad_id,
            stopped=stopped_by(engine.tokenizer, config.stop) if config.stop else None,
            on_finish=keep,
            cache_kwarg=engine.caps.cache_kwarg,
        )
    return _New(new, broken[0] if broken else "")


def _gen_kwargs(engine: Engine, config: GenConfig) -> dict[str, Any]:
    """``generate`` keyword arguments for ``config`` (greedy: the sampling fields cleared)."""
    kw: dict[str, Any] = {
        "max_new_tokens": config.max_new_tokens,
        "pad_token_id": engine.pad_id,
        "eos_token_id": sorted(engine.eos_ids) or None,
    }
    if config.greedy:
        kw.update(do_sample=False, temperature=None, top_p=None, top_k=None)
    else:
        kw.update(
            do_sample=True,
            temperature=config.temperature,
            top_p=config.top_p,
            top_k=config.top_k or None,
        )
    if config.stop:
        kw["stopping_criteria"] = stop_criteria(engine.tokenizer, config.stop)
    return kw
