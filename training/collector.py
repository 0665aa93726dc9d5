"""Run a model through ``tools_env`` on tasks and append one trajectory per finished episode.

The engine behind ``tlbench collect --model``. Episodes advance together in waves of ``batch_size``: each
round renders every active episode's conversation with the prompt format (``tlbench.prompts.render``), makes
one batched ``backend.generate`` call (through the SQLite generation cache for real models), and steps each
:class:`tools_env.episode.Episode` with its output. When an episode finishes, its record is labelled
(:func:`training.trajectory.label_turns`, gold aligned by :class:`training.trajectory.GoldTracker`) and
appended by :class:`training.trajectory.TrajectoryWriter` (fsync per record). Re-running the same command
after a kill skips the ids already written, and the generation cache makes replayed turns free, so a killed
run loses at most the episodes that were in flight and never duplicates one.

A generation that failed for an infrastructure reason (server error, lost connection, time-out, backend
crash) is not a model output: its episode stops, is not written (no turn is labelled as a model error) and is
counted in ``infra_failures``; ``tlbench collect`` then exits 3, and re-running it collects those episodes.

``--backend mock`` with ``--model oracle`` (answers every step with its gold call) or ``--model noisy``
(the oracle with seeded mistakes: near-miss tool names, missing / invented parameters, wrong values,
unparsable text, each corrected on the next turn) makes realistic labelled data without a model; any other
mock model name answers nothing (every turn unparsable).
"""

from __future__ import annotations

import random
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from tlbench.backends.base import Backend, GenConfig, Generation, prompt_key_text
from tlbench.types import ErrorKind, ToolCall
from tools_env.simulate import stable_seed
from training.tasks import Task
from training.trajectory import GoldTracker, Trajectory, TrajectoryWriter, label_turns

__all__ = ["CollectStats", "collect", "scripted_reply", "SCRIPTED_MODELS"]

SCRIPTED_MODELS = ("oracle", "noisy")
_ROLE = {"function": "tool"}


@dataclass
class CollectStats:
    """Counters of one collect run (printed by the CLI, asserted on by tests)."""

    tasks: int = 0
    skipped: int = 0
    written: int = 0
    generations: int = 0
    new_tokens: int = 0
    turns: int = 0
    categories: Counter[ErrorKind] = field(default_factory=Counter)
    rewards: list[float] = field(default_factory=list)
    solved: int = 0
    wall_s: float = 0.0
    infra_failed: int = 0
    first_error: str | None = None
    hint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (mean reward and solved rate over the episodes written)."""
        return {
            "tasks": self.tasks,
            "skipped_existing": self.skipped,
            "written": self.written,
            "generations": self.generations,
            "new_tokens": self.new_tokens,
            "turns": self.turns,
            "categories": {kind.value: n for kind, n in self.categories.most_common()},
            "mean_turn_reward": round(sum(self.rewards) / len(self.rewards), 4) if self.rewards else None,
            "solved_rate": round(self.solved / self.written, 4) if self.written else None,
            "wall_s": round(self.wall_s, 3),
            "episodes_per_s": round(self.written / self.wall_s, 3) if self.wall_s > 0 else None,
            "infra_failures": {
                "count": self.infra_failed,
                "first_error": self.first_error,
                "hint": self.hint,
            },
        }


@dataclass
class _Run:
    """One in-flight episode."""

    task: Task
    episode: Any
    env: Any
    tracker: GoldTracker | None
    token_ids: dict[int, tuple[int, ...]] = field(default_factory=dict)
    gen_meta: list[dict[str, Any]] = field(default_factory=list)
    gold: list[tuple[Mapping[str, Any], ...]] = field(default_factory=list)
    errors: int = 0
    #: Set when a generation failed for an infrastructure reason: the episode is dropped, not written.
    infra_error: str = ""


# ------------------------------------------------------------------------------------------ scripted teacher


def _gold_call(gold: Sequence[Mapping[str, Any]]) -> ToolCall:
    c = gold[0]
    args = dict(c.get("arguments") or {})
    if str(c["name"]).lower() == "finish":
        args = {"answer": "I have completed the task with the tool results above."}
    return ToolCall(name=str(c["name"]), arguments=args)


def _mistake(rng: random.Random, call: ToolCall, task: Task) -> ToolCall | str:
    """One plausible error on ``call`` (a ToolCall) or unparsable text (a str)."""
    kinds = ["name", "hallucinate", "value", "garbage"]
    if call.arguments:
        kinds.append("missing")
    kind = rng.choice(kinds)
    if kind == "name":
        near = [
            n for n in task.meta.get("near_miss", ()) if isinstance(n, str) and n.startswith(call.name[:3])
        ]
        return ToolCall(
            name=rng.choice(near) if near else call.name + "_tool", arguments=dict(call.arguments)
        )
    if kind == "missing":
        args = dict(call.arguments)
        args.pop(rng.choice(sorted(args)))
        return ToolCall(name=call.name, arguments=args)
    if kind == "hallucinate":
        return ToolCall(name=call.name, arguments={**call.arguments, "verbose_mode": "true"})
    if kind == "value" and call.arguments:
        args = dict(call.arguments)
        key = rng.choice(sorted(args))
        args[key] = "something else"
        return ToolCall(name=call.name, arguments=args)
    return "I think I should look this up with one of the tools first."


def scripted_reply(model: str, run: _Run, fmt: str, seed: int, tokenizer: Any = None) -> str:
    """The scripted teacher's next output for ``run`` (``oracle`` or ``noisy``; see the module docstring).

    ``fmt`` is the prompt format: the reply is written the way a model following it prints a call.
    """
    from tlbench.prompts import format_call

    if run.tracker is None:
        return format_call(
            fmt, ToolCall("finish", {"answer": "No gold is known for this task."}), tokenizer=tokenizer
        )
    call = _gold_call(run.tracker.expected)
    turn = run.episode.generations
    if model == "noisy" and not call.is_finish and run.errors < 2:
        rng = random.Random(stable_seed("noisy", run.task.id, turn, seed))  # not cryptography
        if rng.random() < 0.35:
            run.errors += 1
            bad = _mistake(rng, call, run.task)
            if isinstance(bad, str):
                return bad
            call = bad
    return format_call(fmt, call, thought=f"I will use {call.name} for this step.", tokenizer=tokenizer)


# ------------------------------------------------------------------------------------------------ records


def _record(run: _Run, fmt: str, parser: str, seed: int, meta: Mapping[str, Any]) -> Trajectory:
    ep = run.episode
    messages = [{"role": _ROLE.get(m["role"], m["role"]), "content": m["content"]} for m in ep.messages()]
    feedback: dict[int, Any] = {}
    k = 0
    for i, m in enumerate(messages):
        if m["role"] == "assistant":
            if k < len(ep.turns):
                feedback[i] = list(ep.turns[k].feedback)
            k += 1
    gold = None
    if run.tracker is not None:
        gold = list(run.gold)
        if ep.forced is not None:
            gold.append(run.tracker.expected)
    turns = label_turns(
        messages, run.task.tools, parser, gold=gold, feedback=feedback, token_ids=run.token_ids
    )
    return Trajectory(
        id=run.task.id,
        source=run.task.source,
        seed=seed,
        tools=tuple(d.to_dict() for d in run.task.tools),
        messages=tuple(messages),
        turns=turns,
        gold=gold,
        meta={
            **meta,
            "prompt_format": fmt,
            "parser": parser,
            "task_split": run.task.split,
            "task": dict(run.task.meta),
            "query": run.task.query,
            "finished": ep.valid_answer,
            "forced": ep.forced is not None,
            "answer": ep.answer,
            "solved": bool(ep.valid_answer and run.tracker is not None and run.tracker.done),
            "generations": run.gen_meta,
        },
    )


# ------------------------------------------------------------------------------------------------ the loop


def _new_run(task: Task, parser: str, seed: int, max_generations: int) -> _Run:
    from tools_env.env import ToolEnv
    from tools_env.episode import Episode

    env = ToolEnv(list(task.tools), "simulate", seed=stable_seed("collect", task.id, seed) % (1 << 31))
    episode = Episode(
        env=env,
        tools=task.tools,
        fmt=parser,
        max_generations=max_generations,
        prompt=task.messages(),
        reply_finishes=True,  # a teacher's text reply ends its trajectory (ToolEyes scoring does not do this)
    )
    tracker = GoldTracker(task.steps, task.tools) if task.steps is not None else None
    return _Run(task=task, episode=episode, env=env, tracker=tracker)


def collect(
    tasks: Sequence[Task],
    out: Path,
    backend: Backend,
    *,
    fmt: str,
    tokenizer: Any = None,
    config: GenConfig | None = None,
    batch_size: int = 8,
    seed: int = 0,
    max_generations: int = 9,
    scripted: str | None = None,
    replies: dict[str, str] | None = None,
    meta: Mapping[str, Any] | None = None,
    budget: int | None = None,
    log: TextIO | None = None,
) -> CollectStats:
    """Run every task not yet in ``out`` and append its trajectory; returns the counters.

    ``fmt`` is the prompt format. With ``scripted`` (``oracle``/``noisy``), ``replies`` must be the mapping a
    :class:`~tlbench.backends.mock.MockBackend` was built with: each round fills it with the scripted
    teacher's answer to every prompt.
    """
    from tlbench.prompts import native_tools, parser_for, render, stop_for

    log = log if log is not None else sys.stderr
    parser = parser_for(fmt, tokenizer)
    cfg = config or GenConfig(max_new_tokens=256, stop=stop_for(fmt), seed=seed)
    stats = CollectStats(tasks=len(tasks))
    start = time.monotonic()
    with TrajectoryWriter(out) as writer:
        todo = [t for t in tasks if t.id not in writer]
        stats.skipped = len(tasks) - len(todo)
        for lo in range(0, len(todo), batch_size):
            runs = [_new_run(t, parser, seed, max_generations) for t in todo[lo : lo + batch_size]]
            try:
                while True:
                    active = [r for r in runs if not r.episode.finished and not r.infra_error]
                    if not active:
                        break
                    prompts = [
                        render(fmt, r.episode.messages(), r.task.tools, tokenizer=tokenizer, budget=budget)
                        for r in active
                    ]
                    tools = [native_tools(fmt, r.task.tools) for r in active]
                    if replies is not None and scripted is not None:
                        for r, p in zip(active, prompts, strict=True):
                            replies[prompt_key_text(p)] = scripted_reply(scripted, r, fmt, seed, tokenizer)
                    gens = backend.generate(prompts, cfg, tools)
                    for r, g in zip(active, gens, strict=True):
                        _step(r, g, stats, log)
                        if r.infra_error:
                            r.env.close()
                        elif r.episode.finished:
                            r.env.close()
                            rec = _record(r, fmt, parser, seed, meta or {})
                            if writer.write(rec):
                                _count(stats, rec)
                    _progress(log, stats, start)
            finally:
                for r in runs:
                    r.env.close()
    stats.wall_s = time.monotonic() - start
    return stats


def _step(run: _Run, g: Generation, stats: CollectStats, log: TextIO) -> None:
    ep = run.episode
    if not g.ok:  # no model output (infrastructure): drop the episode, never label it a model error
        run.infra_error = g.error or "generation failed"
        stats.infra_failed += 1
        if stats.first_error is None:
            stats.first_error = run.infra_error
            print(
                f"\n[collect] warning: a generation failed ({run.infra_error}); its episode is not written",
                file=log,
            )
        if g.hint and stats.hint is None:
            stats.hint = g.hint
            print(f"[collect] hint: {g.hint}", file=log)
        return
    stats.generations += 1
    stats.new_tokens += g.n_new_tokens
    run.gen_meta.append(
        {"finish_reason": g.finish_reason, "n_new_tokens": g.n_new_tokens, "cached": g.cached}
    )
    index = len(ep.messages())  # the assistant message this output becomes
    try:
        ep.step(g.text)
    except Exception:  # noqa: BLE001 - one broken episode must not stop the run
        ep.force_finish(error=True)
        return
    if g.token_ids:
        run.token_ids[index] = tuple(g.token_ids)
    if run.tracker is not None and ep.turns:
        from tlbench.types import ParseResult

        last = ep.turns[-1]
        if last.parse.get("failure") is not None:
            run.gold.append(run.tracker.expected)  # unparsable: judged against the open step
        else:
            parse = ParseResult(calls=last.calls, final_answer=last.parse.get("final_answer"))
            run.gold.append(run.tracker.observe(parse, list(last.feedback)))


def _count(stats: CollectStats, rec: Trajectory) -> None:
    stats.written += 1
    stats.turns += len(rec.turns)
    for t in rec.turns:
        stats.categories[ErrorKind(t.category)] += 1  # label_turns wrote an ErrorKind value
        if t.reward is not None:
            stats.rewards.append(t.reward)
    if rec.meta.get("solved"):
        stats.solved += 1


def _progress(log: TextIO, stats: CollectStats, start: float) -> None:
    el = time.monotonic() - start
    rate = stats.written / el if el > 0 else 0.0
    print(
        f"\r[collect] {stats.written + stats.skipped}/{stats.tasks} episodes ({stats.skipped} already done), "
        f"{stats.generations} generations, {rate:.2f} episodes/s",
        end="",
        file=log,
        flush=True,
    )
