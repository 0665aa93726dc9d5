"""What one ``score --model`` run is asked to do: :class:`RunConfig`, its checks, and the choices derived from
it before any model is loaded (benchmark names, output folder, prompt format per benchmark).

Prompt format ``auto``: benchmarks whose items carry their own ReAct system prompt (RoTBench, ToolEyes) keep
it (:func:`tlbench.prompts.auto_react_format`); the others use the model's own format
(:func:`tlbench.prompts.auto_format`). The format actually used is recorded per benchmark.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tlbench.errors import UsageError

__all__ = [
    "RunConfig",
    "all_benchmarks",
    "check_config",
    "default_out",
    "expand_benchmarks",
    "formats_for",
    "with_overrides",
]


def all_benchmarks() -> tuple[str, ...]:
    """``--benchmarks all``, in run order (docs/formats.md): every registered benchmark that is not a split of
    another (``Benchmark.in_all``), by family ``order``."""
    from benchmarks import BENCHMARKS

    return tuple(b.name for b in BENCHMARKS.all() if b.in_all)


@dataclass(frozen=True, slots=True)
class RunConfig:
    """Everything one ``score --model`` run depends on (the manifest records it)."""

    model: str
    out: Path
    data_dir: Path
    benchmarks: tuple[str, ...] = field(default_factory=all_benchmarks)
    backend: str = "auto"
    prompt_format: str = "auto"
    limit: int | None = None
    mode: str = "upstream"
    use_cache: bool = True
    cache_dir: Path | None = None
    batch_size: int = 8
    max_batch_tokens: int | None = 8192
    #: transformers: MiB of keys/values kept so that a prompt starting with an earlier one's tokens (the
    #: next round of an episode) encodes only the rest; 0 turns prefix reuse off.
    prefix_cache_mb: int = 2048
    max_new_tokens: int = 128
    dtype: str = "auto"
    name: str = ""
    seed: int = 0
    base_url: str | None = None
    resamples: int = 1000
    engine_args: Mapping[str, Any] = field(default_factory=dict)
    #: Simulated (web) tools of episodes: ``"simulate"`` (default), ``"record"`` (simulate and store every
    #: outcome in ``tools_store``) or ``"replay"`` (serve only from ``tools_store``; a miss is a classified
    #: "not recorded" feedback, and no tool is simulated or called).
    tools: str = "simulate"
    tools_store: Path | None = None
    #: Episodes: ``"lockstep"`` (rounds of one batch call), ``"independent"`` (each episode's next request
    #: as soon as its tools answered, at most ``batch_size`` in flight) or ``"auto"`` (the backend's own
    #: ``episode_schedule``: independent for openai and vllm, lockstep for transformers).
    episode_schedule: str = "auto"

    #: run even when the chat template that should show the tools to the model ignores them (the
    #: ``openai`` and ``chat-template`` formats); otherwise such a run is refused (see check_template_tools)
    allow_tool_less_template: bool = False


def check_config(cfg: RunConfig) -> None:
    """``UsageError`` for an option no run can use: checked before any model is loaded or data read."""
    from benchmarks.base import MODES

    if cfg.mode not in MODES:
        raise UsageError(f"unknown mode {cfg.mode!r}; choose one of {', '.join(MODES)}")
    if cfg.limit is not None and cfg.limit < 1:
        raise UsageError("--limit must be >= 1")
    if cfg.batch_size < 1 or cfg.max_new_tokens < 1:
        raise UsageError("--batch-size and --max-new-tokens must be >= 1")
    if cfg.max_batch_tokens is not None and cfg.max_batch_tokens < 1:
        raise UsageError(
            f"--max-batch-tokens {cfg.max_batch_tokens}: must be >= 1 (0 on the command line: no cap)"
        )
    if cfg.prefix_cache_mb < 0:
        raise UsageError("--prefix-cache-mb must be >= 0 (0 turns prefix reuse off)")
    if cfg.resamples < 1:
        raise UsageError("--resamples must be >= 1")
    if cfg.prompt_format != "auto":
        from tlbench.prompts import get_format

        get_format(cfg.prompt_format)  # UsageError with suggestions for an unknown name
    if cfg.tools not in ("simulate", "record", "replay"):
        raise UsageError(f"unknown tools mode {cfg.tools!r} (simulate, record, replay)")
    if cfg.tools != "simulate" and cfg.tools_store is None:
        raise UsageError(f"tools mode {cfg.tools!r} needs a store file")
    from tlbench.episode_scheduler import resolve_schedule

    resolve_schedule(cfg.episode_schedule, None)  # UsageError for an unknown name


def expand_benchmarks(spec: str) -> tuple[str, ...]:
    """``all`` or a comma list of names (validated against the registry, order kept, duplicates dropped)."""
    from benchmarks import BENCHMARKS

    if spec.strip() == "all":
        return all_benchmarks()
    names: list[str] = []
    for raw in spec.split(","):
        name = raw.strip()
        if not name:
            continue
        canonical = BENCHMARKS.canonical(name)  # UsageError with suggestions when unknown
        if canonical not in names:
            names.append(canonical)
    if not names:
        raise UsageError("--benchmarks: give 'all' or a comma-separated list of benchmark names")
    return tuple(names)


def default_out(name: str, now: _dt.datetime | None = None) -> Path:
    """``runs/<name>-<UTC timestamp>`` (the name made path-safe)."""
    stamp = (now or _dt.datetime.now(_dt.UTC)).strftime("%Y%m%d-%H%M%S")
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in name).strip("-.") or "run"
    return Path("runs") / f"{safe}-{stamp}"


def formats_for(benchmarks: Sequence[str], requested: str, model_source: Any) -> dict[str, str]:
    """Prompt format per benchmark: ``requested`` everywhere, or the ``auto`` rule (module docstring)."""
    from tlbench.prompts import auto_format, auto_react_format, get_format

    if requested != "auto":
        name = get_format(requested).name  # UsageError with suggestions for an unknown name
        return {b: name for b in benchmarks}
    if isinstance(model_source, Mapping) and model_source.get("model_type") == "openai":
        return {b: "openai" for b in benchmarks}  # a server: native tools= for every benchmark
    general = auto_format(model_source) if model_source is not None else "toolllama-react"
    react = auto_react_format(model_source) if model_source is not None else "toolllama-react"
    if general == "openai":
        react = "openai"
    return {b: react if _react_native(b) else general for b in benchmarks}


def _react_native(name: str) -> bool:
    """The benchmark's items carry their own ReAct prompt (``Benchmark.prompt_style``)."""
    from benchmarks import BENCHMARKS

    bench = BENCHMARKS.find(name)
    return bench is not None and bench.prompt_style == "react"


def with_overrides(cfg: RunConfig, **changes: Any) -> RunConfig:
    """A copy of ``cfg`` with fields replaced (tests and the CLI use it)."""
    return replace(cfg, **changes)
