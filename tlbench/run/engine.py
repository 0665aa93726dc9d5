"""The backend of a run: building it from :class:`~tlbench.run.config.RunConfig`, and what the run derives
from what it declares (:meth:`~tlbench.backends.Backend.info`): where the ``auto`` prompt format looks
(:func:`model_source`), the dtype, the token budget, and whether the chat template shows the tools.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from tlbench.backends import Backend, BackendInfo
from tlbench.run.config import RunConfig

__all__ = ["build_backend", "cache_dir", "check_template_tools", "model_source", "prompt_budget", "run_dtype"]


def build_backend(cfg: RunConfig, log: TextIO | None = None) -> tuple[Backend, str]:
    """The backend for ``cfg`` (mock for ``--backend mock``), and its canonical name; with ``--backend
    auto`` one line on ``log`` says what was picked and why (and what to install for vLLM)."""
    from tlbench.backends import auto_backend, create_backend, select_backend

    if cfg.backend == "auto":
        kind, why = auto_backend()
        if log is not None:
            log.write(f"tlbench score: --backend auto: {kind} ({why})\n")
    else:
        kind = select_backend(cfg.backend)
    backend = create_backend(
        kind,
        cfg.model,
        dtype=cfg.dtype,
        batch_size=cfg.batch_size,
        max_batch_tokens=cfg.max_batch_tokens,
        prefix_cache_mb=cfg.prefix_cache_mb,
        base_url=cfg.base_url,
        concurrency=cfg.batch_size,
        engine_args=dict(cfg.engine_args),
        cache_dir=cfg.cache_dir,
    )
    return backend, kind


def model_source(info: BackendInfo) -> Any:
    """What the ``auto`` prompt format is chosen from: a server's marker, the local model folder, else the
    tokenizer (None for a scripted backend)."""
    if info.name == "openai":
        return {"model_type": "openai", "chat_template": ""}
    if info.model_path and Path(info.model_path).is_dir():
        return Path(info.model_path)
    return info.tokenizer


def prompt_budget(info: BackendInfo, max_new_tokens: int) -> int | None:
    """Prompt tokens that fit beside ``max_new_tokens`` new ones (None: no known context length)."""
    return info.max_context - max_new_tokens if info.max_context > max_new_tokens else None


def run_dtype(info: BackendInfo, requested: str) -> str:
    """The dtype the model runs in (a local backend's, ``auto`` resolved), else what was asked for."""
    return info.dtype.replace("torch.", "") if info.dtype is not None else requested


def cache_dir() -> Path:
    """The default folder of the generation cache (``TLBENCH_CACHE`` or the user cache)."""
    from tlbench.backends import default_cache_dir

    return default_cache_dir()


def check_template_tools(
    formats: Mapping[str, str], tokenizer: Any, model: str, backend: str
) -> tuple[bool | None, list[str]]:
    """Whether the chat template that shows the tools to the model actually renders them.

    Only the ``openai`` and ``chat-template`` formats leave the tool documentation to the chat template
    (of the local tokenizer, or of the server for ``--backend openai``). A template that ignores ``tools``
    (SmolLM2's, for one) silently drops every function doc, so the model never sees what it may call.
    Returns (True: it renders them, False: it ignores them, None: not applicable or not checkable) and
    the warnings to print. A server's template is checked with the model's tokenizer when ``model``
    names a local Hugging Face folder (vLLM serves a folder under its path by default).
    """
    from tlbench.prompts.chat_template import template_ignores_tools

    used = sorted({f for f in formats.values() if f in ("openai", "chat-template")})
    if not used:
        return None, []
    tok = tokenizer
    where = "the model's chat template"
    if backend != "openai" and tok is None:
        return None, []  # a scripted backend: no template at all
    if backend == "openai":
        tok, where = _local_tokenizer(model), "the server's chat template (checked with the local copy)"
    if tok is None:
        return None, [
            f"prompt format {'/'.join(used)} leaves the tool docs to the server's chat template, which "
            f"tlbench cannot check ({model!r} is not a local folder): make sure it renders tools="
        ]
    ignores = template_ignores_tools(tok)
    if ignores is None:
        return None, [f"could not render {where} with tools to check that it shows them"]
    if ignores:
        return False, [
            f"{where} ignores tools=, so under prompt format {'/'.join(used)} the model never sees the "
            "function docs (use a format that writes them into the prompt, e.g. --prompt-format qwen25, "
            "or a tool-aware template)"
        ]
    return True, []


def _local_tokenizer(model: str) -> Any:
    """The tokenizer of a local HF folder named ``model`` (None when it is not one or fails to load)."""
    path = Path(str(model)).expanduser()
    if not (path / "config.json").is_file():
        return None
    try:
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(str(path))
    except Exception:  # noqa: BLE001 - the check is best effort; its absence is reported
        return None
