"""vLLM's engine as a :class:`~tlbench.backends.stream.GenerationStream`: episodes advance independently.

Requests go one at a time to the engine under ``LLM.llm_engine`` (``add_request(request_id, prompt,
params)``, ``step()``, ``has_unfinished_requests()``, ``abort_request``: the loop ``LLM.generate`` itself
runs), so a request joins the running batch at the next engine step, and an episode whose reply is done
runs its tools and sends its next request while the others still decode. Prompts are encoded and cut to
the engine's context exactly as :meth:`VLLMBackend.generate` does, so both paths give the same tokens.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable
from typing import TYPE_CHECKING

from tlbench.backends.base import GenConfig, Generation, Prompt, ToolList
from tlbench.backends.vllm_backend import fit_prompt, to_generation

if TYPE_CHECKING:
    from tlbench.backends.vllm_backend import VLLMBackend

__all__ = ["EngineStream"]


class EngineStream:
    """A :class:`~tlbench.backends.stream.GenerationStream` over ``LLM.llm_engine``: ``submit`` adds a
    request, ``collect`` runs engine steps until at least one request has finished.

    Do not call :meth:`VLLMBackend.generate` while a stream has requests in flight: ``LLM.generate`` runs
    the engine until *every* request is done and would collect the stream's requests as its own."""

    def __init__(self, backend: VLLMBackend, config: GenConfig) -> None:
        llm = backend.engine()
        self.backend = backend
        self.config = config
        self._engine = llm.llm_engine
        self._tok = backend.tokenizer
        self._room = backend.room(config)
        self._params = backend.sampling_params(config)
        try:  # LLM.generate asks for the final output only; so do we (no per-token outputs to skip)
            from vllm.sampling_params import RequestOutputKind

            self._params.output_kind = RequestOutputKind.FINAL_ONLY
        except ImportError:
            pass
        self._ids = itertools.count()
        self._tags: dict[str, Hashable] = {}
        self._cut: dict[str, int] = {}
        self._ready: list[tuple[Hashable, Generation]] = []

    def submit(self, tag: Hashable, prompt: Prompt, tools: ToolList = None) -> None:
        """Tokenise (as :meth:`VLLMBackend.generate` does) and add the request to the engine."""
        try:
            ids, cut = fit_prompt(self.backend._encode(self._tok, prompt, tools), self._room)
        except Exception as exc:
            self._ready.append(
                (tag, Generation.failed(f"prompt encoding failed: {type(exc).__name__}: {exc}"))
            )
            return
        rid = f"tlbench-{next(self._ids)}"
        try:
            self._engine.add_request(rid, {"prompt_token_ids": ids}, self._params)
        except Exception as exc:
            self._ready.append(
                (tag, Generation.failed(f"vllm add_request failed: {type(exc).__name__}: {exc}"))
            )
            return
        self._tags[rid] = tag
        self._cut[rid] = cut

    def collect(self) -> list[tuple[Hashable, Generation]]:
        """Finished requests; engine steps run until there is at least one (or nothing is in flight)."""
        out, self._ready = self._ready, []
        while not out and self._tags:
            try:
                if not self._engine.has_unfinished_requests():
                    raise RuntimeError("the engine has no unfinished request left")
                steps = self._engine.step()
            except Exception as exc:
                err = f"vllm engine step failed: {type(exc).__name__}: {exc}"
                out = [(tag, Generation.failed(err)) for tag in self._tags.values()]
                self._abort()
                break
            for res in steps:
                if getattr(res, "finished", True) and res.request_id in self._tags:
                    rid = res.request_id
                    out.append((self._tags.pop(rid), to_generation(res, self.config, self._cut.pop(rid, 0))))
        return out

    def _abort(self) -> None:
        ids, self._tags, self._cut = list(self._tags), {}, {}
        if ids:
            try:
                self._engine.abort_request(ids)
            except Exception:  # noqa: BLE001 - best effort: the engine may be gone already
                pass

    def close(self) -> None:
        """Abort the requests still in the engine."""
        self._ready.clear()
        self._abort()
