"""A transformers KV cache that writes each step into reserved buffers instead of concatenating.

Why: transformers' ``DynamicLayer`` grows its keys/values with ``torch.cat`` at every decoding step, so
each new token copies the whole cache of every layer. On CPU that copy was the largest single cost of a
decoding step: profiled on SmolLM2-135M, batch 8, 1,000-token history, ``aten::cat`` took 45% of the
step, more than all the matrix multiplications (35%). :class:`BufferedLayer` reserves room for the prompt
plus ``max_new_tokens`` up front and hands attention a view of the filled part, so a step writes one
position per layer and the attention inputs are the same values as before.

The cache stays a ``DynamicCache`` (``get_seq_length`` is the filled length, so ``generate`` slices the
prompt exactly as it does for the stock cache); only models whose layers are all plain full-attention
``DynamicLayer`` get buffered layers. Anything else (sliding windows, linear attention) keeps the stock
layers.

Imported lazily by :mod:`tlbench.backends.hf` (it needs torch and transformers).
"""

from __future__ import annotations

from typing import Any

import torch
from transformers import DynamicCache
from transformers.cache_utils import DynamicLayer

__all__ = ["BufferedLayer", "buffered_cache"]


class BufferedLayer(DynamicLayer):
    """A ``DynamicLayer`` whose keys/values are views of buffers with spare room along the sequence axis.

    ``reserve``: positions to allocate at the first write (prompt + new tokens of a generation). A write
    beyond the buffer reallocates to twice the need, so the layer stays correct if the guess is short.
    If other code replaced ``keys``/``values`` (``crop``, ``batch_select_indices``, ``reset``, offloading),
    the next write starts a fresh buffer from them.
    """

    def __init__(self, reserve: int = 0) -> None:
        super().__init__()
        self.reserve = max(0, int(reserve))
        self._kbuf: torch.Tensor | None = None
        self._vbuf: torch.Tensor | None = None
        self._filled = 0
        self._handed: torch.Tensor | None = None  # the keys view last returned

    def update(
        self, key_states: torch.Tensor, value_states: torch.Tensor, *args: Any, **kwargs: Any
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        if self.keys is not self._handed:  # first write, or someone replaced keys/values
            self._adopt(self.keys, self.values)
        start = self._filled
        end = start + int(key_states.shape[-2])
        kbuf, vbuf = self._kbuf, self._vbuf
        if (
            kbuf is None
            or vbuf is None
            or end > kbuf.shape[-2]
            or kbuf.shape[:-2] != key_states.shape[:-2]
            or kbuf.dtype != key_states.dtype
            or kbuf.device != key_states.device
        ):
            kbuf, vbuf = self._grow(key_states, value_states, end)
        kbuf[..., start:end, :] = key_states
        vbuf[..., start:end, :] = value_states
        self._filled = end
        self.keys = self._handed = kbuf[..., :end, :]
        self.values = vbuf[..., :end, :]
        return self.keys, self.values

    def batch_select_indices(self, indices: torch.Tensor) -> None:
        """Keep only the rows ``indices``, with the spare room (so the next write does not reallocate)."""
        if self._kbuf is None or self._vbuf is None or self.keys is not self._handed:
            super().batch_select_indices(indices)
            return
        self._kbuf = self._kbuf.index_select(0, indices.to(self._kbuf.device))
        self._vbuf = self._vbuf.index_select(0, indices.to(self._vbuf.device))
        self.keys = self._handed = self._kbuf[..., : self._filled, :]
        self.values = self._vbuf[..., : self._filled, :]

    def _adopt(self, keys: torch.Tensor | None, values: torch.Tensor | None) -> None:
        """Continue from tensors put in ``keys``/``values`` by other code (or the empty initial ones)."""
        if keys is not None and values is not None and keys.numel():
            self._kbuf, self._vbuf, self._filled = keys, values, int(keys.shape[-2])
        else:
            self._kbuf, self._vbuf, self._filled = None, None, 0

    def _grow(
        self, key_states: torch.Tensor, value_states: torch.Tensor, need: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """New buffers for at least ``need`` positions, the filled part copied over."""
        old_k, old_v, filled = self._kbuf, self._vbuf, self._filled
        if filled and old_k is not None and old_k.shape[:-2] != key_states.shape[:-2]:
            raise ValueError(f"cache holds {tuple(old_k.shape)}, new states are {tuple(key_states.shape)}")
        cap = max(need, self.reserve) if filled == 0 else max(need, self.reserve, 2 * need)
        kbuf = key_states.new_empty((*key_states.shape[:-2], cap, key_states.shape[-1]))
        vbuf = value_states.new_empty((*value_states.shape[:-2], cap, value_states.shape[-1]))
        if filled and old_k is not None and old_v is not None:
            kbuf[..., :filled, :] = old_k[..., :filled, :]
            vbuf[..., :filled, :] = old_v[..., :filled, :]
        self._kbuf, self._vbuf, self._filled = kbuf, vbuf, filled
        return kbuf, vbuf


def buffered_cache(config: Any, reserve: int) -> Any:
    """A ``DynamicCache`` for ``config`` with :class:`BufferedLayer` layers of ``reserve`` positions, or
    the stock cache when any layer is not a plain full-attention ``DynamicLayer``."""
    cache = DynamicCache(config=config)
    layers = getattr(cache, "layers", None)
    if layers and all(type(layer) is DynamicLayer for layer in layers):
        cache.layers = [BufferedLayer(reserve) for _ in layers]
    return cache
