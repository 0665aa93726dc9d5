"""The transformers backend: batched ``model.generate`` with left padding and length-sorted batches.

Why these choices:

* **Left padding** keeps every prompt's last token at the same position, so one ``generate`` call serves
  a whole batch (decoder-only models continue from the right edge).
* **Length-sorted batches** (longest first) waste the least compute on padding, and an out-of-memory
  batch shows up at the start of a run rather than at the end; ``max_batch_tokens`` also caps rows x
  longest prompt, so one very long prompt does not pad a whole batch.
* **Greedy by default** as in the paper; sampling uses ``GenConfig`` (temperature/top_p/top_k/seed).
* **Stop strings** end a row as soon as its decoded tail contains one (a cheap per-step check), so that a
  finished row stops costing compute;
  the text is then cut before the stop string and ``token_ids`` are trimmed to the tokens that cover it.

A batch that fails (out of memory, a broken prompt) is retried item by item; an item that still fails
becomes a per-item error record. Prompts longer than the context are cut from the left (oldest text
first), which is recorded in ``Generation.extra["truncated_prompt_tokens"]``; the prompt renderers in
:mod:`tlbench.prompts` trim history properly before that happens.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tlbench.backends.base import GenConfig, Generation, Prompt, ToolList, truncate_at_stop

__all__ = ["HFBackend"]

log = logging.getLogger(__name__)


class HFBackend:
    """Batched generation with a loaded transformers causal LM and its tokenizer."""

    name = "transformers"

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        identity: str,
        batch_size: int = 16,
        max_batch_tokens: int | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        self.max_batch_tokens = max_batch_tokens or None
        self.model = model
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        self._identity = identity
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.pad_id: int = int(self.tokenizer.pad_token_id)
        self.eos_ids: frozenset[int] = frozenset(_eos_ids(model, tokenizer))
        self.max_context: int = int(getattr(model.config, "max_position_embeddings", 0) or 0)

    @classmethod
    def from_pretrained(
        cls,
        path: str | Path,
        *,
        dtype: str = "auto",
        device: str = "auto",
        batch_size: int = 16,
        identity: str | None = None,
        max_batch_tokens: int | None = None,
    ) -> HFBackend:
        """Load an HF folder (see :func:`tlbench.models.load_hf`); identity defaults to its weights hash."""
        from tlbench.models import load_hf, model_identity

        model, tok = load_hf(path, dtype=dtype, device=device)
        ident = identity or model_identity(path)
        return cls(
            model,
            tok,
            identity=f"{ident}:{model.dtype}",
            batch_size=batch_size,
            max_batch_tokens=max_batch_tokens,
        )

    @property
    def identity(self) -> str:
        """Weights hash (+ dtype) of the loaded model."""
        return self._identity

    # -- prompt handling ---------------------------------------------------------------------------------

    def encode(self, prompt: Prompt, tools: ToolList = None) -> list[int]:
        """Token ids of one prompt: chat messages go through the tokenizer's chat template."""
        tok = self.tokenizer
        if isinstance(prompt, str):
            bos = tok.bos_token
            add_special = not (bos and prompt.startswith(bos))
            return list(tok(prompt, add_special_tokens=add_special)["input_ids"])
        kwargs: dict[str, Any] = {"add_generation_prompt": True, "tokenize": False}
        if tools:
            kwargs["tools"] = [dict(t) for t in tools]
        text = tok.apply_chat_template([dict(m) for m in prompt], **kwargs)
        return list(tok(text, add_special_tokens=False)["input_ids"])

    # -- generation --------------------------------------------------------------------------------------

    def generate(
        self,
        prompts: Sequence[Prompt],
        config: GenConfig,
        tools: Sequence[ToolList] | None = None,
    ) -> list[Generation]:
        """One result per prompt, in order (batches are formed longest-first internally)."""
        tool_lists = list(tools) if tools is not None else [None] * len(prompts)
        out: list[Generation | None] = [None] * len(prompts)
        encoded: list[tuple[int, list[int]]] = []
        for i, (p, t) in enumerate(zip(prompts, tool_lists, strict=True)):
            try:
                encoded.append((i, self.encode(p, t)))
            except Exception as exc:  # a broken chat template or message: this item only
                out[i] = Generation.failed(f"prompt encoding failed: {type(exc).__name__}: {exc}")
        encoded.sort(key=lambda item: -len(item[1]))
        for batch in self._batches(encoded):
            try:
                results = self._generate_ids([ids for _, ids in batch], config)
            except Exception as exc:
                if len(batch) == 1:
                    results = [Generation.failed(f"generation failed: {type(exc).__name__}: {exc}")]
                else:
                    log.warning("batch of %d failed (%s); retrying item by item", len(batch), exc)
                    results = [self._generate_one(ids, config) for _, ids in batch]
            for (i, _), g in zip(batch, results, strict=True):
                out[i] = g
        return [g if g is not None else Generation.failed("not generated") for g in out]

    def _batches(self, encoded: list[tuple[int, list[int]]]) -> list[list[tuple[int, list[int]]]]:
        """Consecutive groups of the longest-first list: at most ``batch_size`` rows, and (when
        ``max_batch_tokens`` is set) rows x longest prompt <= ``max_batch_tokens`` (always >= 1 row).

        Why the token cap: every row is padded to the longest prompt of its batch, and prefill (attention
        is quadratic) dominates on CPU; one 4,800-token prompt in a batch of 1,000-token prompts made a
        RoTBench batch cost ~5x its real tokens.
        """
        groups: list[list[tuple[int, list[int]]]] = []
        for item in encoded:
            cur = groups[-1] if groups else None
            fits = cur is not None and len(cur) < self.batch_size
            if fits and cur is not None and self.max_batch_tokens is not None:
                fits = (len(cur) + 1) * max(len(cur[0][1]), 1) <= self.max_batch_tokens
            if fits and cur is not None:
                cur.append(item)
            else:
                groups.append([item])
        return groups

    def _generate_one(self, ids: list[int], config: GenConfig) -> Generation:
        try:
            return self._generate_ids([ids], config)[0]
        except Exception as exc:
            return Generation.failed(f"generation failed: {type(exc).__name__}: {exc}")

    def _generate_ids(self, batch: list[list[int]], config: GenConfig) -> list[Generation]:
        import torch

        truncated = [0] * len(batch)
        if self.max_context:
            room = max(1, self.max_context - config.max_new_tokens)
            for j, ids in enumerate(batch):
                if len(ids) > room:
                    truncated[j] = len(ids) - room
                    batch[j] = ids[-room:]
        width = max(len(ids) for ids in batch)
        device = self.model.device
        input_ids = torch.full((len(batch), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for j, ids in enumerate(batch):
            if ids:
                input_ids[j, width - len(ids) :] = torch.tensor(ids, dtype=torch.long)
                mask[j, width - len(ids) :] = 1
        gen_kwargs = self._gen_kwargs(config)
        if not config.greedy:
            torch.manual_seed(config.seed)
        with torch.inference_mode():
            seqs = self.model.generate(
                input_ids=input_ids.to(device), attention_mask=mask.to(device), **gen_kwargs
            )
        new = seqs[:, width:].tolist()
        return [
            self._finish(row, len(ids), config, truncated[j])
            for j, (row, ids) in enumerate(zip(new, batch, strict=True))
        ]

    def _gen_kwargs(self, config: GenConfig) -> dict[str, Any]:
        kw: dict[str, Any] = {
            "max_new_tokens": config.max_new_tokens,
            "pad_token_id": self.pad_id,
            "eos_token_id": sorted(self.eos_ids) or None,
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
            kw["stopping_criteria"] = _stop_criteria(self.tokenizer, config.stop)
        return kw

    def _finish(self, row: list[int], n_prompt: int, config: GenConfig, truncated: int) -> Generation:
        tok = self.tokenizer
        ids = row
        hit_eos = False
        for k, t in enumerate(row):
            if t in self.eos_ids:
                ids, hit_eos = row[:k], True
                break
        else:
            while ids and ids[-1] == self.pad_id and len(ids) < config.max_new_tokens:
                ids = ids[:-1]
        text = tok.decode(ids, skip_special_tokens=True)
        text, hit_stop = truncate_at_stop(text, config.stop)
        if hit_stop:
            ids = self._ids_covering(ids, config.stop)
        reason = "stop" if hit_eos or hit_stop or len(ids) < config.max_new_tokens else "length"
        extra = {"truncated_prompt_tokens": truncated} if truncated else {}
        return Generation(
            text=text,
            token_ids=tuple(ids),
            n_prompt_tokens=n_prompt,
            n_new_tokens=len(ids),
            finish_reason=reason,
            extra=extra,
        )

    def _ids_covering(self, ids: list[int], stop: Sequence[str]) -> list[int]:
        """The shortest prefix of ``ids`` whose text contains a stop string (binary search)."""
        lo, hi = 1, len(ids)
        while lo < hi:
            mid = (lo + hi) // 2
            if truncate_at_stop(self.tokenizer.decode(ids[:mid], skip_special_tokens=True), stop)[1]:
                hi = mid
            else:
                lo = mid + 1
        return ids[:hi]


def _stop_criteria(tokenizer: Any, stop: Sequence[str]) -> Any:
    """A ``StoppingCriteriaList`` that ends each row once its decoded tail contains a stop string.

    Why not ``generate(stop_strings=...)``: transformers' ``StopStringCriteria`` pre-computes tables over
    the whole vocabulary on every call, which made short CPU generations ~3x slower (measured: 95 s vs
    27 s for 4 prompts x 32 tokens with SmolLM2's 49k vocabulary). Decoding the last few tokens of each
    row per step costs microseconds.
    """
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    window = max(len(tokenizer(s, add_special_tokens=False)["input_ids"]) for s in stop) + 4

    class _StopOnText(StoppingCriteria):
        def __init__(self) -> None:
            self.start: int | None = None

        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            if self.start is None:  # the first call sees prompt + 1 new token
                self.start = input_ids.shape[1] - 1
            lo = max(self.start, input_ids.shape[1] - window)
            tails = tokenizer.batch_decode(input_ids[:, lo:], skip_special_tokens=True)
            done = [any(s in t for s in stop) for t in tails]
            return torch.tensor(done, dtype=torch.bool, device=input_ids.device)

    return StoppingCriteriaList([_StopOnText()])


def _eos_ids(model: Any, tokenizer: Any) -> list[int]:
    found: list[int] = []
    gc = getattr(model, "generation_config", None)
    for value in (getattr(gc, "eos_token_id", None), tokenizer.eos_token_id):
        if isinstance(value, int):
            found.append(value)
        elif isinstance(value, list | tuple):
            found.extend(int(v) for v in value)
    return sorted(set(found))
