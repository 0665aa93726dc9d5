""":func:`run`: check the options, load the data, build the backend, start it, run each benchmark, finish.

The run writes ``RUN/manifest.json`` (:mod:`tlbench.run.manifest`) with status ``running`` while it works,
rewritten at checkpoints, and ``complete`` (or ``incomplete`` when some generations failed, or
``interrupted``) at the end; each benchmark writes its own folder (:mod:`tlbench.run.benchmark`).
"""

from __future__ import annotations

import copy
import datetime as _dt
import sys
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, TextIO

from tlbench.backends import Backend, CachedBackend, GenConfig, GenerationCache, close_backend
from tlbench.errors import UsageError
from tlbench.run.benchmark import load_items, run_benchmark
from tlbench.run.config import RunConfig, check_config, formats_for
from tlbench.run.context import RunContext, no_failures
from tlbench.run.engine import (
    build_backend,
    cache_dir,
    check_template_tools,
    model_source,
    prompt_budget,
    run_dtype,
)
from tlbench.run.episodes import episode_schedule
from tlbench.run.manifest import Manifest, prior_segments, write_manifest
from tlbench.run.provenance import data_hashes, versions
from tlbench.run.single_shot import generate_chunk

__all__ = ["CHECKPOINT_EVERY_S", "run"]

#: How often a running score rewrites its manifest (wall time, totals) when nothing new was generated; a
#: batch that generated something rewrites it at once (~1 ms for a 16 KB manifest, against the seconds a
#: batch of generations takes), so a SIGKILLed invocation's segment counts every generation it made.
CHECKPOINT_EVERY_S = 30.0


def run(cfg: RunConfig, *, backend: Backend | None = None, log: TextIO | None = None) -> dict[str, Any]:
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
    loaded = {name: load_items(cfg, name) for name in cfg.benchmarks}
    owned = backend is None
    try:
        backend, kind = build_backend(cfg, log) if backend is None else (backend, backend.name)
        session = _Session.open(cfg, backend, kind, log, start)
        for name in cfg.benchmarks:
            session.benchmark(name, *loaded[name])
        return session.finish()
    finally:
        if owned and backend is not None:
            close_backend(backend)


class _Session:
    """One invocation of a run once its backend is up: the context every benchmark shares, the generation
    cache, and the manifest written at each checkpoint. A benchmark that raises leaves the manifest
    ``interrupted`` (the same command resumes it) and closes the cache."""

    def __init__(
        self,
        ctx: RunContext,
        manifest: Manifest,
        cache: GenerationCache | None,
        backend: Backend,
        start: float,
    ) -> None:
        self.ctx = ctx
        self.manifest = manifest
        self.cache = cache
        self.backend = backend  # the bare one (its stats)
        self.start = start
        self.path = ctx.cfg.out / "manifest.json"
        self.last_write = time.monotonic()
        self.saved_new = 0
        ctx.checkpoint = self.checkpoint

    @classmethod
    def open(cls, cfg: RunConfig, backend: Backend, kind: str, log: TextIO, start: float) -> _Session:
        """Start the engine (timed apart from the benchmarks), pick the prompt formats, refuse a chat
        template that hides the tools, open the cache, and write the first manifest."""
        backend.start()  # vLLM: 20-50 s on a CPU, kept out of the first benchmark's time and tokens/s
        engine_start_s = round(time.monotonic() - start, 2)
        info = backend.info()
        formats = formats_for(cfg.benchmarks, cfg.prompt_format, model_source(info))
        template_tools, warnings = check_template_tools(
            formats, info.tokenizer, cfg.model, kind or backend.name
        )
        if template_tools is False and not cfg.allow_tool_less_template:
            raise UsageError(warnings[0] + "; pass --allow-tool-less-template to run anyway")
        for w in warnings:
            log.write(f"tlbench score: warning: {w}\n")
        chunk = generate_chunk(backend, cfg.batch_size)
        cache: GenerationCache | None = None
        gen_backend: Backend = backend
        if cfg.use_cache:
            cache = GenerationCache((cfg.cache_dir or cache_dir()) / "generations.sqlite")
            gen_backend = CachedBackend(backend, cache, flush_every=chunk)
        budget = prompt_budget(info, cfg.max_new_tokens)
        ctx = RunContext(cfg, gen_backend, info.tokenizer, budget, formats, log=log, chunk=chunk)
        try:
            cfg.out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot create --out {cfg.out}: {exc.strerror or exc}") from None
        head = _RunHead(kind or backend.name, formats, template_tools, warnings, engine_start_s, cache)
        manifest = _first_manifest(cfg, backend, head)
        write_manifest(cfg.out / "manifest.json", manifest)
        log.write(f"tlbench score: writing {cfg.out} ({head.kind}, {backend.identity})\n")
        return cls(ctx, manifest, cache, backend, start)

    def benchmark(self, name: str, bench: Any, items: list[Any]) -> None:
        """Run one benchmark and record its share of the run (``per_benchmark``) in the manifest; when it
        raises, the manifest says ``interrupted`` (the same command resumes the run: see segments)."""
        stats = self.ctx.stats
        try:
            before, t_bench = dict(stats), time.monotonic()
            run_benchmark(self.ctx, name, bench, items)
            self.manifest = replace(
                self.manifest,
                per_benchmark={
                    **self.manifest.per_benchmark,
                    name: _bench_stats(stats, before, time.monotonic() - t_bench),
                },
                completed_benchmarks=(*self.manifest.completed_benchmarks, name),
            )
            self.save()
        except BaseException:
            self.manifest = replace(self.manifest, status="interrupted")
            try:
                self.save()
            finally:
                self._close_cache()
            raise

    def finish(self) -> dict[str, Any]:
        """Close the cache and write the final manifest: ``complete``, or ``incomplete`` when some items
        could not be scored."""
        self._close_cache()
        self.manifest = replace(self.manifest, status="incomplete" if self.ctx.infra["count"] else "complete")
        self.save()
        return self.manifest.to_dict()

    def _close_cache(self) -> None:
        if self.cache is not None:
            self.cache.close()
            self.cache = None

    def save(self) -> None:
        """Bring the totals up to date and write the manifest."""
        self.last_write, self.saved_new = time.monotonic(), self.ctx.stats["new"]
        self.manifest = _with_totals(self.manifest, self.ctx, self.backend.stats(), self.start)
        write_manifest(self.path, self.manifest)

    def checkpoint(self) -> None:
        """A SIGKILLed run leaves the manifest of its last checkpoint: one after each batch that generated
        something (its segment then counts every generation made), else one every CHECKPOINT_EVERY_S."""
        if (
            self.ctx.stats["new"] != self.saved_new
            or time.monotonic() - self.last_write >= CHECKPOINT_EVERY_S
        ):
            self.save()


@dataclass(frozen=True, slots=True)
class _RunHead:
    """What :meth:`_Session.open` found out before the first manifest: the backend kind, the prompt formats,
    the template check, the engine start time and the cache."""

    kind: str
    formats: dict[str, str]
    template_tools: bool | None
    warnings: list[str]
    engine_start_s: float
    cache: GenerationCache | None


def _first_manifest(cfg: RunConfig, backend: Backend, head: _RunHead) -> Manifest:
    """The manifest as the run starts (status ``running``, no benchmark done yet)."""
    info = backend.info()
    general = formats_for(("toolalpaca-real",), cfg.prompt_format, model_source(info))
    return Manifest(
        name=cfg.name or Path(str(cfg.model)).name,
        model=str(cfg.model),
        model_id=backend.identity,
        backend=head.kind,
        prompt_format=general["toolalpaca-real"]
        if cfg.prompt_format == "auto"
        else head.formats[cfg.benchmarks[0]],
        prompt_formats=head.formats,
        mode=cfg.mode,
        sampling=_sampling_dict(GenConfig(max_new_tokens=cfg.max_new_tokens, seed=cfg.seed)),
        batch_size=cfg.batch_size,
        max_batch_tokens=cfg.max_batch_tokens,
        prefix_cache_mb=cfg.prefix_cache_mb,
        episode_schedule=episode_schedule(cfg, backend),
        dtype=run_dtype(info, cfg.dtype),
        engine_args=dict(cfg.engine_args),
        engine_start_s=head.engine_start_s,
        template_uses_tools=head.template_tools,
        warnings=tuple(head.warnings),
        seed=cfg.seed,
        tools={"executor": cfg.tools, "store": None if cfg.tools_store is None else str(cfg.tools_store)},
        limit=cfg.limit,
        benchmarks=tuple(cfg.benchmarks),
        versions=versions(),
        data_hashes=data_hashes(cfg.benchmarks, cfg.data_dir),
        cache=str(head.cache.path) if head.cache is not None else None,
        segments=tuple(
            prior_segments(
                cfg.out / "manifest.json",
                backend.identity,
                mode=cfg.mode,
                limit=cfg.limit,
                max_new_tokens=cfg.max_new_tokens,
                seed=cfg.seed,
            )
        ),
        infra_failures=no_failures(),
        created=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    )


def _with_totals(manifest: Manifest, ctx: RunContext, stats: Mapping[str, Any], start: float) -> Manifest:
    """``manifest`` with this invocation's wall time, the run's total over its segments, the counters so
    far, the infrastructure failures and the backend's own counters (``prefix_reuse``)."""
    wall = round(time.monotonic() - start, 2)
    earlier = sum(float(s.get("wall_time_s") or 0.0) for s in manifest.segments)
    reuse = stats.get("prefix_reuse")
    return replace(
        manifest,
        wall_time_s=wall,
        wall_time_total_s=round(earlier + wall, 2),
        tokens_generated=ctx.stats["tokens"],
        generations=ctx.stats["new"],
        cache_hits=ctx.stats["hits"],
        infra_failures=copy.deepcopy(ctx.infra),
        prefix_reuse=dict(reuse) if reuse is not None else manifest.prefix_reuse,
    )


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


def _sampling_dict(config: GenConfig) -> dict[str, Any]:
    d = asdict(config)
    d["stop"] = list(config.stop)
    d["stop_note"] = "stop strings are per prompt format (see prompt_formats)"
    return d
