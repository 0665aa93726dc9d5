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

A batch that fails (out of memory, a broken prompt) is retried item by item; an item that still fails
becomes a per-item error record. Prompts longer than the context are cut from the left (oldest text
first), which is recorded in ``Generation.extra["truncated_prompt_tokens"]``; the prompt renderers in
:mod:`tlbench.prompts` trim history properly before that happens.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tlbench.backends.base import BackendInfo, GenConfig, Generation, Prompt, ToolList, truncate_at_stop
from tlbench.backends.prefix_kv import KV, PrefixKVStore, shared_prefixes

__all__ = ["HFBackend"]

log = logging.getLogger(__name__)

#: Shared prefixes shorter than this are not encoded separately (a forward pass of its own costs more).
SEED_MIN_TOKENS = 64
#: Rows searched together for shared prefixes (the search sorts and compares them: quadratic at worst).
SEED_WINDOW = 256


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
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        if prefix_cache_mb < 0:
            raise ValueError("prefix_cache_mb must be >= 0")
        self.max_batch_tokens = max_batch_tokens or None
        self.prefix: PrefixKVStore | None = PrefixKVStore(prefix_cache_mb << 20) if prefix_cache_mb else None
        #: write each decoding step into reserved KV buffers instead of transformers' per-step ``torch.cat``
        self.kv_buffers = kv_buffers
        #: encode once a long prefix that several prompts of one call share (see ``_seed_shared``)
        self.share_prefixes = True
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
        self.eos_ids: frozenset[int] = frozenset(_eos_ids(model, tokenizer))
        self.max_context: int = int(getattr(model.config, "max_position_embeddings", 0) or 0)
        from tlbench.backends.greedy import plain_greedy

        self._plain_greedy = plain_greedy(model)
        #: a decoding step's fixed cost (reading the weights) in key/value positions read (see ``_split``)
        self.step_positions: float | None = _step_positions(model)

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
        if self.prefix is not None:
            self._seed_shared([ids for _, ids in encoded], config)
        if self.prefix is not None and len(self.prefix):
            # rows that continue a stored prefix batch together: a row without one would make every row
            # of its batch pad its new segment to a whole prompt; their cost is the part still to encode
            found = [self.prefix.match(ids)[0] for _, ids in encoded]
            cont = [e for e, n in zip(encoded, found, strict=True) if n]
            todo = [len(ids) - n for (_, ids), n in zip(encoded, found, strict=True) if n]
            rest = [e for e, n in zip(encoded, found, strict=True) if not n]
            batches = self._split(cont, todo) + self._batches(rest)
        else:
            batches = self._batches(encoded)
        for batch in batches:
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

    def _seed_shared(self, rows: list[list[int]], config: GenConfig) -> None:
        """Encode once each prefix that several new rows share and store it, so that they continue it.

        Why: the first round of a wave of ToolEyes episodes has up to ``batch_size`` prompts of which
        most share their tool category's documentation (1,000-2,000 tokens). Without this, every row
        encodes it; with it, the rows batch as continuations, capped on their own tokens. A prefix is
        encoded only when that saves tokens over what the store already covers (so the later rounds of
        an episode, which continue their own entries, skip it); rows the context would cut are left
        alone. Best effort: a model whose cache cannot be read this way just skips it.
        """
        store = self.prefix
        if store is None or not self.share_prefixes or len(rows) < 2:
            return
        room = self.max_context - config.max_new_tokens if self.max_context else None
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
                    self._encode_into_store(window[members[0]][:n])
                except Exception as exc:  # noqa: BLE001 - reuse is an optimisation, never a failure
                    log.warning("shared prefixes turned off for this model (%s: %s)", type(exc).__name__, exc)
                    self.share_prefixes = False
                    return

    def _encode_into_store(self, ids: list[int]) -> None:
        """One forward pass over ``ids``; their keys/values go into the prefix store."""
        import torch

        assert self.prefix is not None
        kwargs: dict[str, Any] = {"use_cache": True}
        if _takes(self.model, "logits_to_keep"):
            kwargs["logits_to_keep"] = 1  # only the keys/values are wanted, not 49k logits per token
        with torch.inference_mode():
            out = self.model(input_ids=torch.tensor([ids], device=self.model.device), **kwargs)
        cache = getattr(out, "cache", None) or getattr(out, "past_key_values", None)
        layers = getattr(cache, "layers", None)
        if not layers or any(int(L.keys.shape[2]) != len(ids) for L in layers):
            raise ValueError("the cache does not hold one position per token")
        self.prefix.put(ids, [(L.keys, L.values) for L in layers])

    def _batches(
        self, encoded: list[tuple[int, list[int]]], todo: Sequence[int] | None = None
    ) -> list[list[tuple[int, list[int]]]]:
        """Consecutive groups of the longest-first list: at most ``batch_size`` rows, and (when
        ``max_batch_tokens`` is set) rows x longest row cost <= ``max_batch_tokens`` (always >= 1 row).
        A row's cost is its prompt length, or ``todo[k]``, the tokens left to encode after a reused prefix.

        Why the token cap: every row is padded to the longest prompt of its batch, and prefill (attention
        is quadratic) dominates on CPU; one 4,800-token prompt in a batch of 1,000-token prompts made a
        RoTBench batch cost ~5x its real tokens. Rows that continue a stored prefix encode only their new
        tokens, so they are capped on those: the later rounds of long ToolEyes episodes (4,000+ tokens,
        ~200 new) otherwise decoded one row at a time, ~2x slower per row than in a batch of 8.
        """
        costs = list(todo) if todo is not None else [len(ids) for _, ids in encoded]
        groups: list[list[tuple[int, list[int]]]] = []
        widest = 0
        for item, cost in zip(encoded, costs, strict=True):
            cur = groups[-1] if groups else None
            fits = cur is not None and len(cur) < self.batch_size
            if fits and cur is not None and self.max_batch_tokens is not None:
                fits = (len(cur) + 1) * max(widest, cost, 1) <= self.max_batch_tokens
            if fits and cur is not None:
                cur.append(item)
                widest = max(widest, cost)
            else:
                groups.append([item])
                widest = cost
        return groups

    def _split(
        self, encoded: list[tuple[int, list[int]]], todo: Sequence[int]
    ) -> list[list[tuple[int, list[int]]]]:
        """Batches of rows that continue stored prefixes (longest first): the consecutive groups that
        read the fewest key/value positions while decoding, within ``batch_size`` and (on the tokens
        each row still encodes) ``max_batch_tokens``.

        Why: every row of a batch attends over the batch's widest history at every step, so one
        6,000-token episode in a wave of 2,000-token ones made 15 rows read 3x the keys/values they
        need (a late ToolEyes round: ~100 s; split, ~60 s). A step's fixed cost is reading the weights,
        ``step_positions`` in the same units, so a split pays when the positions it saves exceed one
        more step. Unknown cost (a model without the usual config fields): the greedy groups.
        """
        fixed = self.step_positions
        if fixed is None or len(encoded) < 2:
            return self._batches(encoded, todo)
        lengths = [len(ids) for _, ids in encoded]  # longest first: a group's widest row is its first
        n, cap = len(encoded), self.max_batch_tokens
        cost = [0.0] * (n + 1)  # cost[i]: the best split of rows i..n-1, cut[i]: where its first group ends
        cut = [n] * (n + 1)
        for i in range(n - 1, -1, -1):
            cost[i] = float("inf")
            widest = 0
            for j in range(i + 1, min(n, i + self.batch_size) + 1):
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

    def _generate_one(self, ids: list[int], config: GenConfig) -> Generation:
        try:
            return self._generate_ids([ids], config)[0]
        except Exception as exc:
            return Generation.failed(f"generation failed: {type(exc).__name__}: {exc}")

    def _generate_ids(self, batch: list[list[int]], config: GenConfig) -> list[Generation]:
        import torch

        original = [list(ids) for ids in batch]
        truncated = [0] * len(batch)
        if self.max_context:
            room = max(1, self.max_context - config.max_new_tokens)
            for j, ids in enumerate(batch):
                if len(ids) > room:
                    truncated[j] = len(ids) - room
                    batch[j] = ids[-room:]
        store = self.prefix
        matches = [store.match(ids) for ids in batch] if store is not None else [(0, None)] * len(batch)
        cached = [n for n, _ in matches]
        width_c = max(cached)  # cache boundary: each row's reused prefix ends here
        width_d = max(len(ids) - n for ids, n in zip(batch, cached, strict=True))
        width = width_c + width_d
        input_ids = torch.full((len(batch), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for j, (ids, n) in enumerate(zip(batch, cached, strict=True)):
            if n:
                input_ids[j, width_c - n : width_c] = torch.tensor(ids[:n], dtype=torch.long)
                mask[j, width_c - n : width_c] = 1
            if len(ids) > n:
                input_ids[j, width - (len(ids) - n) :] = torch.tensor(ids[n:], dtype=torch.long)
                mask[j, width - (len(ids) - n) :] = 1
        gen_kwargs = self._gen_kwargs(config)
        device = self.model.device
        reserve = width + config.max_new_tokens
        if store is not None:
            gen_kwargs["return_dict_in_generate"] = True
        if width_c and store is not None:
            gen_kwargs[_cache_kwarg(self.model)] = self._assemble(
                [store.take(key, n) if key is not None else None for n, key in matches], width_c, reserve
            )
        elif self.kv_buffers:
            gen_kwargs[_cache_kwarg(self.model)] = self._new_cache(reserve)
        if not config.greedy:
            torch.manual_seed(config.seed)
        try:
            if config.greedy and self.drop_finished and self._plain_greedy:
                cache = gen_kwargs.get(_cache_kwarg(self.model))
                if cache is None:
                    cache = self._new_cache(reserve)
                new = self._decode(input_ids.to(device), mask.to(device), cache, width_c, batch, config)
            else:
                with torch.inference_mode():
                    out = self.model.generate(
                        input_ids=input_ids.to(device), attention_mask=mask.to(device), **gen_kwargs
                    )
                new = (out.sequences if store is not None else out)[:, width:].tolist()
                if store is not None:
                    try:
                        self._keep(store, out, mask, batch, new)
                    except Exception as exc:  # noqa: BLE001 - reuse is an optimisation, never a failure
                        self._disable_prefix(f"{type(exc).__name__}: {exc}")
        except Exception as exc:
            if width_c:
                # a model whose cache cannot be assembled this way: turn reuse off, redo the batch without it
                self._disable_prefix(f"{type(exc).__name__}: {exc}")
            elif self.kv_buffers:
                return self._retry_without_kv_buffers(original, config, exc)
            else:
                raise
            return self._generate_ids(original, config)
        if store is not None:
            for n, key in matches:
                if key is not None:
                    store.retire(key, n)  # gone only if that row's new entry covers it
        return [
            self._finish(row, len(ids), config, truncated[j])
            for j, (row, ids) in enumerate(zip(new, batch, strict=True))
        ]

    def _decode(
        self, input_ids: Any, mask: Any, cache: Any, width_c: int, batch: list[list[int]], config: GenConfig
    ) -> list[list[int]]:
        """New token ids of each row from the greedy loop that takes finished rows out of the batch
        (:mod:`.greedy`); each finished row's keys/values go into the prefix store as it leaves."""
        import torch

        from tlbench.backends.greedy import decode

        store = self.prefix
        broken: list[str] = []

        def keep(r: int, b: int, new: list[int], kv_cache: Any, att: Any) -> None:
            if store is None or broken:
                return
            try:
                idx = att[b].nonzero().squeeze(1)
                tokens = list(batch[r]) + list(new[:-1])
                layers = kv_cache.layers
                if len(tokens) != idx.numel() or int(layers[0].keys.shape[2]) != att.shape[1]:
                    raise ValueError(
                        f"cache holds {int(layers[0].keys.shape[2])} positions, mask {att.shape[1]}"
                    )
                store.put(tokens, _row_kv(layers, b, idx), prompt=len(batch[r]))
            except Exception as exc:  # noqa: BLE001 - reuse is an optimisation, never a failure
                broken.append(f"{type(exc).__name__}: {exc}")

        with torch.inference_mode():
            new = decode(
                self.model,
                input_ids,
                mask,
                cache,
                width_c,
                max_new_tokens=config.max_new_tokens,
                eos_ids=self.eos_ids,
                pad_id=self.pad_id,
                stopped=self._stopped(config.stop) if config.stop else None,
                on_finish=keep,
                cache_kwarg=_cache_kwarg(self.model),
            )
        if broken:
            self._disable_prefix(broken[0])
        return new

    def _stopped(self, stop: Sequence[str]) -> Any:
        """``f(new_ids)``: whether the decoded tail of a row's new tokens contains a stop string (the same
        window as :func:`_stop_criteria`)."""
        tok = self.tokenizer
        window = _stop_window(tok, stop)

        def stopped(new: Sequence[int]) -> bool:
            tail = tok.decode(list(new[-window:]), skip_special_tokens=True)
            return any(s in tail for s in stop)

        return stopped

    def _disable_prefix(self, why: str) -> None:
        """Prefix reuse does not work with this model: say so once and generate without it."""
        if self.prefix is not None:
            log.warning("prefix reuse turned off for this model (%s)", why)
            self.prefix = None

    def _retry_without_kv_buffers(
        self, batch: list[list[int]], config: GenConfig, exc: Exception
    ) -> list[Generation]:
        """Redo a failed batch with the stock cache. If that works, the buffers were the problem: they stay
        off for this model (said once). If it fails too (out of memory, a broken prompt), they were not:
        they stay on and the error goes to the caller, which retries item by item."""
        self.kv_buffers = False
        try:
            results = self._generate_ids(batch, config)
        except Exception:
            self.kv_buffers = True
            raise
        log.warning("reserved KV buffers turned off for this model (%s: %s)", type(exc).__name__, exc)
        return results

    def _new_cache(self, reserve: int) -> Any:
        """An empty KV cache for one ``generate`` call: reserved buffers (see :mod:`.kv_buffer`) when on."""
        from transformers import DynamicCache

        if not self.kv_buffers:
            return DynamicCache(config=self.model.config)
        from tlbench.backends.kv_buffer import buffered_cache

        return buffered_cache(self.model.config, reserve)

    def _assemble(self, parts: list[KV | None], width: int, reserve: int) -> Any:
        """One batch cache of ``width`` positions: each row's prefix right-aligned, zeros before it
        (``reserve``: the positions the whole generation will fill)."""
        import torch

        like = next(p for p in parts if p is not None)
        cache = self._new_cache(reserve)
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

    def _keep(
        self,
        store: PrefixKVStore,
        out: Any,
        mask: Any,
        batch: list[list[int]],
        new: list[list[int]],
    ) -> None:
        """Store each row's keys/values with the tokens they cover (prompt + all but the last new token)."""
        import torch

        cache = getattr(out, "cache", None) or getattr(out, "past_key_values", None)
        layers = getattr(cache, "layers", None)
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
            store.put(tokens, _row_kv(layers, j, idx), prompt=len(ids))

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


def _row_kv(layers: Any, row: int, positions: Any) -> KV:
    """Row ``row``'s keys/values at ``positions`` (a 1-D index), one ``[1, heads, n, dim]`` pair per layer."""
    return [
        (L.keys[row : row + 1].index_select(2, positions), L.values[row : row + 1].index_select(2, positions))
        for L in layers
    ]


def _step_positions(model: Any) -> float | None:
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


def _takes(model: Any, name: str) -> bool:
    """Whether ``model.forward`` has a parameter ``name``."""
    import inspect

    return name in inspect.signature(model.forward).parameters


def _cache_kwarg(model: Any) -> str:
    """``cache`` (transformers >= 5.x names it so) or the older ``past_key_values``."""
    return "cache" if _takes(model, "cache") else "past_key_values"


def _stop_window(tokenizer: Any, stop: Sequence[str]) -> int:
    """How many of a row's last new tokens to decode when looking for a stop string: the longest stop
    string's tokens and a margin for a string that starts inside a merged token."""
    return max(len(tokenizer(s, add_special_tokens=False)["input_ids"]) for s in stop) + 4


def _stop_criteria(tokenizer: Any, stop: Sequence[str]) -> Any:
    """A ``StoppingCriteriaList`` that ends each row once its decoded tail contains a stop string.

    Why not ``generate(stop_strings=...)``: transformers' ``StopStringCriteria`` pre-computes tables over
    the whole vocabulary on every call, which made short CPU generations ~3x slower (measured: 95 s vs
    27 s for 4 prompts x 32 tokens with SmolLM2's 49k vocabulary). Decoding the last few tokens of each
    row per step costs microseconds.
    """
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    window = _stop_window(tokenizer, stop)

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
