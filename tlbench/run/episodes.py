"""Episodes (ToolEyes; any ``episodic`` benchmark): every item is played as an episode of at most
:data:`MAX_GENERATIONS` generations against its tools (local ones for real, the rest simulated).

With the transformers backend, active episodes are stepped together in waves of one batch (each round one
batched generation call that reuses each episode's keys/values from its previous round); with a server or
vLLM each episode sends its next request as soon as its tools have answered, at most ``batch_size`` in
flight (:mod:`tlbench.episode_scheduler`, ``episode_schedule``). An episode gets at most 9 generations
(:class:`tools_env.episode.Episode` forces the finish). Greedy decoding and the deterministic simulated
tools make every prompt of an episode reproducible, whatever the schedule, so the cache resumes episodes
too. An episode whose generation failed for an infrastructure reason stops there, unscored.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tlbench.backends import Backend, GenConfig, Generation
from tlbench.errors import UsageError
from tlbench.run.config import RunConfig
from tlbench.run.context import RunContext, render
from tlbench.run.progress import Progress
from tlbench.run.single_shot import count, generate

__all__ = ["MAX_GENERATIONS", "EpisodeTask", "episode_schedule", "run_episodes"]

#: Generations an episode may make (the last one is forced to finish).
MAX_GENERATIONS = 9


def episode_schedule(cfg: RunConfig, backend: Backend) -> str:
    """``lockstep`` or ``independent`` for this run (``RunConfig.episode_schedule``; ``auto``: the one the
    backend declares)."""
    from tlbench.episode_scheduler import resolve_schedule

    return resolve_schedule(cfg.episode_schedule, backend.info().episode_schedule)


def _episode_env(ctx: RunContext, item: Any) -> Any:
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


def run_episodes(
    ctx: RunContext, name: str, items: Sequence[Any], fmt: str, parser: str, config: GenConfig
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Run every item as an episode of at most 9 generations, on the run's episode schedule.

    ``lockstep`` (:func:`tlbench.episode_scheduler.run_lockstep`): one batched generation per round,
    over all episodes, or over waves of one batch when the backend asks for them (``episode_wave``: the
    transformers backend reuses each episode's keys/values from its previous round, which fits in memory
    for one batch of episodes). ``independent`` (:func:`tlbench.episode_scheduler.run_independent`):
    each episode sends its next request as soon as its tools have answered, at most ``batch_size`` in
    flight (servers, vLLM). Both give the same transcripts under greedy decoding.
    """
    tasks = _episode_tasks(ctx, items, fmt, parser)
    try:
        _play(ctx, name, tasks, config)
    finally:
        for task in tasks:
            task.close()
    return _transcripts(items, tasks)


def _episode_tasks(ctx: RunContext, items: Sequence[Any], fmt: str, parser: str) -> list[EpisodeTask]:
    """One fresh episode per item (its tools open at its first request)."""
    from tools_env.episode import Episode

    return [
        EpisodeTask(
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


def _play(ctx: RunContext, name: str, tasks: Sequence[EpisodeTask], config: GenConfig) -> None:
    """Play every episode to its end on the run's schedule, with progress on the run's log."""
    from tlbench.episode_scheduler import run_lockstep

    progress = Progress(f"{name} (episodes)", 0, ctx.log)
    if episode_schedule(ctx.cfg, ctx.backend) == "independent":
        _episodes_independent(ctx, name, tasks, config, progress)
    else:
        n = len(tasks)
        wave = _episode_wave(ctx.backend) or n or 1

        def on_round(members: range, rnd: int, n_active: int) -> None:
            span = f"episodes {members[0] + 1}-{members[-1] + 1} " if wave < n else ""
            progress.label = f"{name} {span}round {rnd + 1}/{MAX_GENERATIONS} ({n_active} active)"
            progress.total = progress.done + n_active

        def batch(prompts: list[Any], tools: list[Any]) -> list[Generation]:
            return generate(ctx, prompts, tools, config, progress)

        run_lockstep(tasks, batch, rounds=MAX_GENERATIONS, wave=wave, on_round=on_round)
    progress.close()


def _transcripts(
    items: Sequence[Any], tasks: Sequence[EpisodeTask]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(prediction records: the episodes as ``score_transcript`` reads them, item extras: first prompt,
    last output, turns, whether forced, and ``infra_error`` for an episode stopped by a failure)."""
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
    ctx: RunContext, name: str, tasks: Sequence[EpisodeTask], config: GenConfig, progress: Progress
) -> None:
    """The ``independent`` schedule: a stream of single requests through the (cached) backend."""
    from tlbench.backends.stream import open_stream
    from tlbench.episode_scheduler import run_independent

    width = ctx.cfg.batch_size
    progress.label = f"{name} episodes (independent, up to {width} requests in flight)"
    progress.total = len(tasks)

    def on_result(i: int, g: Generation) -> None:
        count(ctx, [g])
        progress.update(1 if tasks[i].finished else 0, [g])
        if ctx.checkpoint is not None:
            ctx.checkpoint()

    stream = open_stream(ctx.backend, config, width)
    try:
        run_independent(tasks, stream, rounds=MAX_GENERATIONS, width=width, on_result=on_result)
    finally:
        stream.close()


@dataclass(slots=True)
class EpisodeTask:
    """One benchmark item's episode for :mod:`tlbench.episode_scheduler`: renders its prompts, opens its
    tool environment at its first request and closes it when it finishes."""

    ctx: RunContext
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
        prompt = render(self.ctx, self.fmt, self.episode.messages(), self.item.tools)
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


def _episode_wave(backend: Backend) -> int | None:
    """How many episodes to step together: the backend's ``episode_wave`` (the transformers backend keeps
    each episode's keys/values between rounds, which only fits in memory for a batch of episodes at a
    time), or None for all of them (vLLM and HTTP servers batch and cache prefixes themselves)."""
    wave = backend.info().episode_wave
    return wave if wave is not None and wave > 0 else None
