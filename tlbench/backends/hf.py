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

* **Prefix reuse**: the keys/values of each finished row are kept (:mod:`tlbench.backends.prefix_kv`,
  LRU under ``prefix_cache_mb``); a later prompt that starts with the same tokens (the next round of an
  episode, or another item with the same system prompt) encodes only the rest. The assembled batch puts
  each row's cached prefix right-aligned before a common cache boundary and its new tokens right-aligned
  after it; the attention mask marks both paddings, and positions follow the mask, so every row sees
  exactly its own tokens at their own positions (greedy outputs equal those without reuse: tested).
* **Finished rows leave the batch** (:mod:`tlbench.backends.greedy`): greedy batches decode in our own
  loop (the same argmax, positions and stop rules as ``generate``; tested equal) that drops rows which hit
  EOS, a stop string or their last token once that pays for the copy; ``generate`` serves sampling and
  models whose generation config adds logits processors.
* **Reserved KV buffers** (:mod:`tlbench.backends.kv_buffer`): each ``generate`` call gets a cache that
  writes a step into buffers sized for prompt + ``max_new_tokens``, instead of transformers' per-step
  ``torch.cat`` of the whole cache (45% of a CPU decoding step before).

What the model supports (buffers, prefix reuse, the shared-prefix pass) is probed once when the backend
is built (:mod:`tlbench.backends.hf_probe`) and never changes afterwards. A batch that fails (out of
memory, a broken prompt) is retried item by item; an item that still fails becomes a per-item error
record. Prompts longer than the context are cut from the left (oldest text first), which is recorded in
``Generation.extra["truncated_prompt_tokens"]``; the prompt renderers in :mod:`tlbench.prompts` trim
history properly before that happens. Module layout: batching (:mod:`.hf_plan`), one batch
(:mod:`.hf_batch`), prefix reuse (:mod:`.prefix_reuse`, store in :mod:`.prefix_kv`), output
(:mod:`.hf_text`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tlbench.backends.base import BackendInfo, GenConfig, Generation, Prompt, ToolList
from tlbench.backends.hf_plan import Row, batches, split, step_positions
from tlbench.backends.hf_probe import Capabilities, basic_capabilities, probe
from tlbench.backends.hf_text import eos_ids, finish
from tlbench.backends.options import BackendOptions
from tlbench.backends.prefix_kv import PrefixKVStore

__all__ = ["HFBackend", "create"]

log = logging.getLogger(__name__)

#: :func:`tlbench.backends.hf_plan.step_positions` under its old name (tests and benches import it).
_step_positions = step_positions


class HFBackend:
    """Batched generation with a loaded transformers causal LM and its tokenizer."""

    name = "transformers"
    #: episodes go in lockstep rounds: one batch call per round lets prefill, prefix reuse and decoding
    #: share the batch (single requests would each run alone)
    episode_schedule = "lockstep"

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        identity: str,
        batch_size: int = 16,
        max_batch_tokens: int | None = None,
        prefix_cache_mb: int = 2048,
        kv_buffers: bool = True,
    ) -> None:
        """``kv_buffers`` / ``prefix_cache_mb`` (0: off) request features; :attr:`caps` says which the
        model supports (probed here, once)."""
        from tlbench.backends.hf_batch import Engine

        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        if prefix_cache_mb < 0:
            raise ValueError("prefix_cache_mb must be >= 0")
        self.max_batch_tokens = max_batch_tokens or None
        #: greedy batches take finished rows out (:mod:`tlbench.backends.greedy`) instead of ``generate``
        self.drop_finished = True
        self.model = model
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        self._identity = identity
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.pad_id: int = int(self.tokenizer.pad_token_id)
        self.eos_ids: frozenset[int] = frozenset(eos_ids(model, tokenizer))
        self.max_context: int = int(getattr(model.config, "max_position_embeddings", 0) or 0)
        #: a decoding step's fixed cost (reading the weights) in key/value positions read (see ``_split``)
        self.step_positions: float | None = step_positions(model)
        engine = Engine(model, tokenizer, self.pad_id, self.eos_ids, basic_capabilities(model))
        caps = probe(engine, kv_buffers=kv_buffers, prefix_reuse=prefix_cache_mb > 0)
        self._engine = Engine(model, tokenizer, self.pad_id, self.eos_ids, caps)
        self._prefix = PrefixKVStore(prefix_cache_mb << 20) if caps.prefix_reuse else None

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
        prefix_cache_mb: int = 2048,
        kv_buffers: bool = True,
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
            prefix_cache_mb=prefix_cache_mb,
            kv_buffers=kv_buffers,
        )

    @property
    def identity(self) -> str:
        """Weights hash (+ dtype) of the loaded model."""
        return self._identity

    @property
    def dtype(self) -> str:
        """The dtype the weights run in (``float32``, ``bfloat16``, ...)."""
        return str(self.model.dtype).replace("torch.", "")

    @property
    def caps(self) -> Capabilities:
        """What this backend does with its model, probed once at construction."""
        return self._engine.caps

    @property
    def prefix(self) -> PrefixKVStore | None:
        """The prefix store (None when reuse was not asked for or the model does not support it)."""
        return self._prefix

    @property
    def kv_buffers(self) -> bool:
        """Whether generations write into reserved KV buffers (asked for and supported)."""
        return self.caps.kv_buffers

    @property
    def share_prefixes(self) -> bool:
        """Whether a long prefix shared by several prompts of one call is encoded once."""
        return self.caps.shared_prefixes

    @property
    def episode_wave(self) -> int | None:
        """Episodes a runner should step together: one batch, so that each episode's stored prefix is
        still in the store at its next round (None when prefix reuse is off: step them all)."""
        return self.batch_size if self.prefix is not None else None

    def start(self) -> None:
        """Nothing to start: the model is loaded when the backend is built."""

    def info(self) -> BackendInfo:
        """The loaded tokenizer, the model's context length and folder, its dtype, lockstep episodes in
        waves of one batch (when prefix reuse is on)."""
        config = getattr(self.model, "config", None)
        path = getattr(config, "_name_or_path", None)
        return BackendInfo(
            name=self.name,
            identity=self.identity,
            tokenizer=self.tokenizer,
            max_context=self.max_context,
            model_path=str(path) if path else None,
            dtype=self.dtype,
            episode_schedule=self.episode_schedule,
            episode_wave=self.episode_wave,
        )

    def stats(self) -> Mapping[str, Any]:
        """Prefix reuse so far (``prefix_reuse``: hits, prompt tokens not encoded again); empty when off."""
        if self.prefix is None:
            return {}
        return {"prefix_reuse": {"hits": self.prefix.hits, "reused_prompt_tokens": self.prefix.reused_tokens}}

    def close(self) -> None:
        """Drop the stored prefix keys/values (up to ``prefix_cache_mb``); the weights go with the object.
        The backend stays usable: the store refills on the next call."""
        if self.prefix is not None:
            self.prefix.clear()

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

    def generate(
        self,
        prompts: Sequence[Prompt],
        config: GenConfig,
        tools: Sequence[ToolList] | None = None,
    ) -> list[Generation]:
        """One result per prompt, in order (batches are formed longest-first internally)."""
        tool_lists = list(tools) if tools is not None else [None] * len(prompts)
        out: list[Generation | None] = [None] * len(prompts)
        encoded: list[Row] = []
        for i, (p, t) in enumerate(zip(prompts, tool_lists, strict=True)):
            try:
                encoded.append((i, self.encode(p, t)))
            except Exception as exc:  # a broken chat template or message: this item only
                out[i] = Generation.failed(f"prompt encoding failed: {type(exc).__name__}: {exc}")
        encoded.sort(key=lambda item: -len(item[1]))
        for batch in self._plan(encoded, config):
            for (i, _), g in zip(batch, self._generate_batch(batch, config), strict=True):
                out[i] = g
        return [g if g is not None else Generation.failed("not generated") for g in out]

    def _plan(self, encoded: list[Row], config: GenConfig) -> list[list[Row]]:
        """The batches of one call: rows that continue a stored prefix together, capped on the tokens
        they still encode (a row without one would make every row of its batch pad its new segment to
        a whole prompt), then the rest."""
        store = self.prefix
        if store is None:
            return self._batches(encoded)
        if self.share_prefixes and len(encoded) >= 2:
            from tlbench.backends.prefix_reuse import seed_shared

            room = self.max_context - config.max_new_tokens if self.max_context else None
            seed_shared(store, [ids for _, ids in encoded], room, self._encode_into_store)
        if not len(store):
            return self._batches(encoded)
        found = [store.match(ids)[0] for _, ids in encoded]
        cont = [e for e, n in zip(encoded, found, strict=True) if n]
        todo = [len(ids) - n for (_, ids), n in zip(encoded, found, strict=True) if n]
        rest = [e for e, n in zip(encoded, found, strict=True) if not n]
        return self._split(cont, todo) + self._batches(rest)

    def _generate_batch(self, batch: list[Row], config: GenConfig) -> list[Generation]:
        """One batch's results; a failed batch is retried item by item, a failed item is an error record."""
        try:
            return self._generate_ids([ids for _, ids in batch], config)
        except Exception as exc:
            if len(batch) == 1:
                return [Generation.failed(f"generation failed: {type(exc).__name__}: {exc}")]
            log.warning("batch of %d failed (%s); retrying item by item", len(batch), exc)
            return [self._generate_one(ids, config) for _, ids in batch]

    def _encode_into_store(self, ids: list[int]) -> None:
        """One forward pass over ``ids``; their keys/values go into the prefix store."""
        from tlbench.backends.prefix_reuse import encode_prefix

        assert self.prefix is not None
        self.prefix.put(ids, encode_prefix(self.model, ids, self.caps.logits_to_keep))

    def _batches(self, encoded: list[Row], todo: Sequence[int] | None = None) -> list[list[Row]]:
        """Consecutive capped groups of the longest-first rows (:func:`tlbench.backends.hf_plan.batches`)."""
        return batches(encoded, self.batch_size, self.max_batch_tokens, todo)

    def _split(self, encoded: list[Row], todo: Sequence[int]) -> list[list[Row]]:
        """Rows continuing stored prefixes, split by decoding cost (:func:`tlbench.backends.hf_plan.split`)."""
        return split(encoded, todo, self.batch_size, self.max_batch_tokens, self.step_positions)

    def _generate_one(self, ids: list[int], config: GenConfig) -> Generation:
        try:
            return self._generate_ids([ids], config)[0]
        except Exception as exc:
            return Generation.failed(f"generation failed: {type(exc).__name__}: {exc}")

    def _generate_ids(self, batch: list[list[int]], config: GenConfig) -> list[Generation]:
        """Generate one batch of prompt ids (each cut from the left to fit the context); raises on failure."""
        from tlbench.backends.hf_batch import run_batch

        rows, truncated = self._fit(batch, config)
        loop = config.greedy and self.drop_finished and self.caps.plain_greedy
        new = run_batch(self._engine, rows, config, self.prefix, loop=loop)
        return [
            self._finish(row, len(ids), config, cut)
            for row, ids, cut in zip(new, rows, truncated, strict=True)
        ]

    def _finish(self, row: list[int], n_prompt: int, config: GenConfig, truncated: int) -> Generation:
        """One row's result (:func:`tlbench.backends.hf_text.finish`: EOS, padding, stop strings)."""
        return finish(self.tokenizer, row, n_prompt, config, truncated, eos=self.eos_ids, pad_id=self.pad_id)

    def _fit(self, batch: list[list[int]], config: GenConfig) -> tuple[list[list[int]], list[int]]:
        """Each prompt cut from the left to leave room for ``max_new_tokens``, and how many tokens it lost."""
        room = max(1, self.max_context - config.max_new_tokens) if self.max_context else None
        rows = [list(ids[-room:]) if room is not None and len(ids) > room else list(ids) for ids in batch]
        return rows, [len(ids) - len(row) for ids, row in zip(batch, rows, strict=True)]


def create(model: str | Path, options: BackendOptions) -> HFBackend:
    """The registry's factory: ``model`` resolved by :func:`tlbench.models.resolve_model` (HF folder, GGUF
    file or built-in name), ``dtype="auto"`` by :func:`tlbench.models.resolve_dtype` for the device."""
    from tlbench.models import resolve_dtype, resolve_model

    resolved = resolve_model(model, options.cache_dir)
    return HFBackend.from_pretrained(
        resolved.path,
        dtype=resolve_dtype(options.dtype, options.device),
        device=options.device,
        batch_size=options.batch_size,
        identity=resolved.identity,
        max_batch_tokens=options.max_batch_tokens,
        prefix_cache_mb=options.prefix_cache_mb,
    )
