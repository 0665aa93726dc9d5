"""Single-shot benchmarks (ToolAlpaca, RoTBench, BFCL): one generation per item.

Every prompt of a benchmark is rendered first, then generated in length-sorted chunks through
:class:`~tlbench.backends.CachedBackend`, which writes each chunk to the SQLite cache as soon as it
finishes: a killed run re-run with the same command finds every finished chunk in the cache and
regenerates nothing that was done. The chunked generation and the run's counters (:func:`generate`,
:func:`count`) serve the lockstep episodes too.

**An infrastructure failure is not a model error.** A generation that failed (``Generation.ok`` is False)
has no model output: its item is not scored (:mod:`tlbench.run.benchmark`), and the first failure is
reported as it happens (:func:`note_failure`), with the backend's hint when it has one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tlbench import jsonio
from tlbench.backends import Backend, GenConfig, Generation
from tlbench.run.context import RunContext, render
from tlbench.run.progress import Progress

__all__ = ["count", "generate", "generate_chunk", "note_failure", "run_single_shot"]


def generate_chunk(backend: Backend, batch_size: int) -> int:
    """Prompts per generate call, which is also how many results each cache write holds: ``--batch-size``,
    or more when the backend asks for it (``BackendInfo.preferred_chunk``). Why: vLLM schedules its own
    batches, and a call of 8 prompts leaves it idle while the slowest of them decodes; handing it 64 at a
    time brought the harness from 0.85 to ~1.0 of raw ``LLM.generate`` (``tests/perf/bench_vllm.py``). A
    killed run then regenerates at most one chunk."""
    return max(batch_size, backend.info().preferred_chunk)


def run_single_shot(
    ctx: RunContext, name: str, items: Sequence[Any], fmt: str, config: GenConfig
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str | None]]:
    """Generate every item once: (prediction records, item extras, infrastructure error or None per item)."""
    from tlbench.prompts import native_tools

    prompts = [render(ctx, fmt, it.messages, it.tools) for it in items]
    tools = [native_tools(fmt, it.tools) for it in items]
    progress = Progress(name, len(items), ctx.log)
    gens = generate(ctx, prompts, tools, config, progress)
    progress.close()
    records = [{"index": it.index, "id": it.id, "output": g.text} for it, g in zip(items, gens, strict=True)]
    extras = [{"prompt": p, "output": g.text, **_gen_extra(g)} for p, g in zip(prompts, gens, strict=True)]
    errors = [None if g.ok else g.error or "generation failed" for g in gens]
    return records, extras, errors


def _gen_extra(g: Generation) -> dict[str, Any]:
    extra: dict[str, Any] = {"finish_reason": g.finish_reason, "n_new_tokens": g.n_new_tokens}
    if g.error:
        extra["error"] = g.error
    return extra


def generate(
    ctx: RunContext, prompts: Sequence[Any], tools: Sequence[Any], config: GenConfig, progress: Progress
) -> list[Generation]:
    """Length-sorted chunks of ``ctx.chunk`` prompts through the (cached) backend, with progress updates
    and a checkpoint after each chunk."""
    order = sorted(range(len(prompts)), key=lambda i: -len(_prompt_len_text(prompts[i])))
    out: list[Generation | None] = [None] * len(prompts)
    step = ctx.chunk
    for lo in range(0, len(order), step):
        idx = order[lo : lo + step]
        gens = ctx.backend.generate([prompts[i] for i in idx], config, [tools[i] for i in idx])
        for i, g in zip(idx, gens, strict=True):
            out[i] = g
        count(ctx, gens)
        progress.update(len(idx), gens)
        if ctx.checkpoint is not None:
            ctx.checkpoint()
    return [g if g is not None else Generation.failed("not generated") for g in out]


def count(ctx: RunContext, gens: Sequence[Generation]) -> None:
    """Add generations to the run's totals (tokens, new generations, cache hits; failures noted)."""
    for g in gens:
        ctx.stats["tokens"] += g.n_new_tokens
        if g.cached:
            ctx.stats["hits"] += 1
        elif g.ok:
            ctx.stats["new"] += 1
            ctx.stats["new_tokens"] += g.n_new_tokens
        else:
            note_failure(ctx, g)


def note_failure(ctx: RunContext, g: Generation) -> None:
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
