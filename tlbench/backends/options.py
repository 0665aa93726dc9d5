"""What ``--model``-style options a backend factory receives (:func:`tlbench.backends.create_backend`).

Every backend module defines ``create(model, options) -> Backend`` next to its class and reads only the
fields it needs; :data:`tlbench.backends.BACKENDS` maps names to those factories, so adding a backend is
one module (plus its registry line and its test), with no branch elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["BackendFactory", "BackendOptions"]


@dataclass(frozen=True, slots=True)
class BackendOptions:
    """CLI-style options for building a backend (each backend uses the ones that apply to it).

    ``dtype``/``device``: local models (``auto`` resolved by :func:`tlbench.models.resolve_dtype`);
    ``batch_size``/``max_batch_tokens``/``prefix_cache_mb``: transformers; ``base_url``/``api_key_env``/
    ``concurrency``/``timeout``: OpenAI-compatible servers; ``engine_args``: vLLM engine fields (unknown
    keys go through to ``vllm.LLM``); ``cache_dir``: where built-in models are unpacked.
    """

    dtype: str = "auto"
    device: str = "auto"
    batch_size: int = 16
    max_batch_tokens: int | None = None
    prefix_cache_mb: int = 2048
    base_url: str | None = None
    api_key_env: str | None = "OPENAI_API_KEY"
    concurrency: int = 8
    timeout: float = 120.0
    engine_args: Mapping[str, Any] = field(default_factory=dict)
    cache_dir: Path | None = None


#: ``create(model, options)``: a backend module's factory (``model``: a path, built-in name or server model).
BackendFactory = Callable[[str | Path, BackendOptions], Any]
