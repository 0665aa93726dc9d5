"""The ``vllm`` backend (optional extra, GPU): vLLM's offline ``LLM`` engine.

``vllm`` is imported lazily inside :meth:`VLLMBackend.engine`, so this module imports fine without it
(and the file is deliberately not called ``vllm.py``: a module or folder of that name shadows the real
package and breaks trl). Engine arguments are passed through unchanged: this is how users scale beyond
one GPU (``tensor_parallel_size``, ``pipeline_parallel_size``), run data-parallel replicas
(``data_parallel_size``), or several machines (``distributed_executor_backend="ray"``).

The adapter uses only vLLM's documented API: ``LLM(model=..., **engine_args)``, ``LLM.get_tokenizer()``,
``SamplingParams(temperature, top_p, top_k, max_tokens, stop, seed)``, ``LLM.generate(prompts,
sampling_params, use_tqdm=False)`` with token-id prompts ``{"prompt_token_ids": [...]}``, and the
``RequestOutput`` fields ``prompt_token_ids`` and ``outputs[0].text / token_ids / finish_reason``.
Prompts are tokenised here (same rules as the transformers backend: no second BOS, chat messages through
the chat template) so both backends see identical token ids.

Episodes advance independently (:meth:`VLLMBackend.open_stream`): requests go one at a time to the
engine under ``LLM.llm_engine`` (``add_request(request_id, prompt, params)``, ``step()``,
``has_unfinished_requests()``, ``abort_request``, the loop ``LLM.generate`` itself runs), so a request
joins the running batch at the next engine step and an episode whose reply is done runs its tools and
sends its next request while the others still decode.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tlbench.backends.base import GenConfig, Generation, Prompt, ToolList, truncate_at_stop
from tlbench.errors import UsageError

__all__ = ["VLLMEngineArgs", "VLLMBackend"]


@dataclass(frozen=True, slots=True)
class VLLMEngineArgs:
    """Engine arguments passed through to ``vllm.LLM`` (``None`` = vLLM's own default).

    ``extra`` carries any other documented engine argument (``max_model_len``, ``enforce_eager``, ...).
    """

    tensor_parallel_size: int = 1
    pipeline_parallel_size: int = 1
    data_parallel_size: int = 1
    gpu_memory_utilization: float = 0.9
    enable_prefix_caching: bool | None = True
    distributed_executor_backend: str | None = None
    dtype: str = "auto"
    seed: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``vllm.LLM`` (unset options left out)."""
        kw: dict[str, Any] = {
            "tensor_parallel_size": self.tensor_parallel_size,
            "pipeline_parallel_size": self.pipeline_parallel_size,
            "data_parallel_size": self.data_parallel_size,
            "gpu_memory_utilization": self.gpu_memory_utilization,
            "dtype": self.dtype,
            "seed": self.seed,
        }
        if self.enable_prefix_caching is not None:
            kw["enable_prefix_caching"] = self.enable_prefix_caching
        if self.distributed_executor_backend is not None:
            kw["distributed_executor_backend"] = self.distributed_executor_backend
        kw.update(self.extra)
        return kw


class VLLMBackend:
    """Batched generation through a vLLM engine (created on first use)."""

    name = "vllm"
    #: episodes send their next request as soon as their tools have answered (see :meth:`open_stream`)
    episode_schedule = "independent"

    def __init__(self, model_path: str, *, identity: str, engine_args: VLLMEngineArgs | None = None) -> None:
        self.model_path = str(model_path)
        self.engine_args = engine_args or VLLMEngineArgs()
        self._identity = identity
        self._llm: Any = None
        self._vllm: Any = None

    @property
    def identity(self) -> str:
        """Weights hash of the served model (+ dtype)."""
        return f"{self._identity}:{self.engine_args.dtype}"

    def engine(self) -> Any:
        """The ``vllm.LLM`` instance, imported and built on first call."""
        if self._llm is None:
            try:
                import vllm
            except ImportError:
                raise UsageError(
                    "--backend vllm needs vLLM on a CUDA machine: pip install 'tlbench[vllm]'"
                ) from None
            self._vllm = vllm
            self._llm = vllm.LLM(model=self.model_path, **self.engine_args.to_kwargs())
        return self._llm

    def sampling_params(self, config: GenConfig) -> Any:
        """``vllm.SamplingParams`` for a :class:`GenConfig` (greedy = temperature 0)."""
        self.engine()
        kw: dict[str, Any] = {"max_tokens": config.max_new_tokens, "temperature": config.temperature}
        if not config.greedy:
            kw.update(top_p=config.top_p, seed=config.seed)
            if config.top_k:
                kw["top_k"] = config.top_k
        if config.stop:
            kw["stop"] = list(config.stop)
        return self._vllm.SamplingParams(**kw)

    def _encode(self, tok: Any, prompt: Prompt, tools: ToolList) -> list[int]:
        if isinstance(prompt, str):
            bos = getattr(tok, "bos_token", None)
            return list(tok(prompt, add_special_tokens=not (bos and prompt.startswith(bos)))["input_ids"])
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
        """One result per prompt; the whole list goes to vLLM at once (it schedules its own batches)."""
        llm = self.engine()
        tok = llm.get_tokenizer()
        tool_lists = list(tools) if tools is not None else [None] * len(prompts)
        out: list[Generation | None] = [None] * len(prompts)
        todo: list[int] = []
        inputs: list[dict[str, Any]] = []
        for i, (p, t) in enumerate(zip(prompts, tool_lists, strict=True)):
            try:
                inputs.append({"prompt_token_ids": self._encode(tok, p, t)})
                todo.append(i)
            except Exception as exc:
                out[i] = Generation.failed(f"prompt encoding failed: {type(exc).__name__}: {exc}")
        if todo:
            try:
                results = llm.generate(inputs, self.sampling_params(config), use_tqdm=False)
            except Exception as exc:
                results = [None] * len(todo)
                err = f"vllm generate failed: {type(exc).__name__}: {exc}"
                for i in todo:
                    out[i] = Generation.failed(err)
            for i, res in zip(todo, results, strict=True):
                if res is not None:
                    out[i] = _to_generation(res, config)
        return [g if g is not None else Generation.failed("not generated") for g in out]

    def open_stream(self, config: GenConfig, width: int) -> _EngineStream:
        """Requests one at a time into the running engine (``width`` is left to vLLM's own scheduler)."""
        return _EngineStream(self, config)


class _EngineStream:
    """A :class:`~tlbench.backends.stream.GenerationStream` over ``LLM.llm_engine``: ``submit`` adds a
    request, ``collect`` runs engine steps until at least one request has finished.

    Do not call :meth:`VLLMBackend.generate` while a stream has requests in flight: ``LLM.generate`` runs
    the engine until *every* request is done and would collect the stream's requests as its own."""

    def __init__(self, backend: VLLMBackend, config: GenConfig) -> None:
        llm = backend.engine()
        self.backend = backend
        self.config = config
        self._engine = llm.llm_engine
        self._tok = llm.get_tokenizer()
        self._params = backend.sampling_params(config)
        try:  # LLM.generate asks for the final output only; so do we (no per-token outputs to skip)
            from vllm.sampling_params import RequestOutputKind

            self._params.output_kind = RequestOutputKind.FINAL_ONLY
        except ImportError:
            pass
        self._ids = itertools.count()
        self._tags: dict[str, Hashable] = {}
        self._ready: list[tuple[Hashable, Generation]] = []

    def submit(self, tag: Hashable, prompt: Prompt, tools: ToolList = None) -> None:
        """Tokenise (as :meth:`VLLMBackend.generate` does) and add the request to the engine."""
        try:
            ids = self.backend._encode(self._tok, prompt, tools)
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
                    out.append((self._tags.pop(res.request_id), _to_generation(res, self.config)))
        return out

    def _abort(self) -> None:
        ids, self._tags = list(self._tags), {}
        if ids:
            try:
                self._engine.abort_request(ids)
            except Exception:  # noqa: BLE001 - best effort: the engine may be gone already
                pass

    def close(self) -> None:
        """Abort the requests still in the engine."""
        self._ready.clear()
        self._abort()


def _to_generation(res: Any, config: GenConfig) -> Generation:
    comp = res.outputs[0]
    text, hit = truncate_at_stop(str(comp.text), config.stop)
    reason = str(comp.finish_reason or "stop")
    if reason not in ("stop", "length"):
        reason = "stop" if hit else "length"
    return Generation(
        text=text,
        token_ids=tuple(int(t) for t in comp.token_ids),
        n_prompt_tokens=len(res.prompt_token_ids or ()),
        n_new_tokens=len(comp.token_ids),
        finish_reason=reason,
    )
