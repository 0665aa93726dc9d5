"""How multi-turn episodes (ToolEyes) share a backend: in lockstep rounds, or each at its own pace.

An episode is a small state machine: render its next prompt, generate, run its tools on the output, and
again, until it finishes (at most ``rounds`` generations). The runner wraps each one in an
:class:`EpisodeTask`; this module only decides *when* each task's next request is generated.

``lockstep``
    Every unfinished episode of a group sends its request, the group's prompts go to the backend as one
    batch call, and the next round starts when the whole batch is done. With the transformers backend a
    group is one *wave* of ``batch_size`` episodes (it keeps each episode's keys/values between rounds,
    which only fits in memory for a batch at a time); otherwise it is all of them. Batched prefill and
    prefix reuse make this the faster schedule for the transformers backend.
``independent``
    Each episode sends its next request as soon as its tool feedback is ready, with at most ``width``
    requests in flight (a :class:`~tlbench.backends.stream.GenerationStream`). Nobody waits for the
    slowest episode of a round, which is what an HTTP server or vLLM's engine (continuous batching)
    can use. Episodes start in item order; an episode already started gets a free slot before a new
    one starts, so at most ``width`` episodes (and their tool environments) are open at once.

Both schedules give every episode the same sequence of prompts, so under greedy decoding (and a backend
whose output for a prompt does not depend on what else it is running) the transcripts are identical;
only the order in which episodes advance differs. ``auto`` takes the schedule the backend declares
(``Backend.info().episode_schedule``: ``"independent"`` for ``openai`` and ``vllm``), else ``lockstep``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from typing import Protocol

from tlbench.backends.base import Generation, Prompt, ToolList
from tlbench.backends.stream import GenerationStream
from tlbench.errors import UsageError

__all__ = ["SCHEDULES", "EpisodeTask", "resolve_schedule", "run_lockstep", "run_independent"]

#: ``--episode-schedule`` values.
SCHEDULES = ("auto", "lockstep", "independent")


class EpisodeTask(Protocol):
    """One episode as the schedulers see it."""

    @property
    def finished(self) -> bool:
        """True once the episode needs no more generations."""
        ...

    def next_request(self) -> tuple[Prompt, ToolList]:
        """The prompt (and native tools) of the episode's next generation."""
        ...

    def feed(self, generation: Generation) -> None:
        """Consume the generation for the last request: run the tools, or finish."""
        ...


def resolve_schedule(requested: str, declared: str | None) -> str:
    """``lockstep`` or ``independent``: ``requested``, or for ``auto`` the schedule the backend declares
    (``BackendInfo.episode_schedule``; None when no backend is known yet: ``lockstep``)."""
    if requested not in SCHEDULES:
        raise UsageError(f"unknown episode schedule {requested!r}; choose one of {', '.join(SCHEDULES)}")
    if requested != "auto":
        return requested
    return declared if declared in SCHEDULES[1:] else "lockstep"


def run_lockstep(
    tasks: Sequence[EpisodeTask],
    generate: Callable[[list[Prompt], list[ToolList]], list[Generation]],
    *,
    rounds: int,
    wave: int | None = None,
    on_round: Callable[[range, int, int], None] | None = None,
) -> None:
    """Rounds of one batch call each, over groups of ``wave`` tasks (None: all of them).

    ``on_round(members, round_index, n_active)`` is called before each round's batch (progress)."""
    n = len(tasks)
    size = wave if wave and wave > 0 else n or 1
    for lo in range(0, n, size):
        members = range(lo, min(lo + size, n))
        for rnd in range(rounds):
            active = [i for i in members if not tasks[i].finished]
            if not active:
                break
            if on_round is not None:
                on_round(members, rnd, len(active))
            requests = [tasks[i].next_request() for i in active]
            gens = generate([p for p, _ in requests], [t for _, t in requests])
            for i, g in zip(active, gens, strict=True):
                tasks[i].feed(g)


def run_independent(
    tasks: Sequence[EpisodeTask],
    stream: GenerationStream,
    *,
    rounds: int,
    width: int,
    on_result: Callable[[int, Generation], None] | None = None,
) -> None:
    """Each task's next request as soon as its previous one is fed, at most ``width`` in flight.

    ``on_result(task_index, generation)`` is called for every generation after its task was fed (progress,
    statistics, checkpoints). A task that is still unfinished after ``rounds`` generations gets no more
    (as in :func:`run_lockstep`)."""
    if width < 1:
        raise ValueError("width must be >= 1")
    waiting = deque(i for i, t in enumerate(tasks) if not t.finished)  # not started yet, item order
    ready: deque[int] = deque()  # started; the next request not sent yet
    used = [0] * len(tasks)
    open_tasks = 0  # started and not finished (holding a tool environment)
    in_flight = 0
    while waiting or ready or in_flight:
        while in_flight < width and (ready or (waiting and open_tasks < width)):
            if ready:
                i = ready.popleft()
            else:
                i = waiting.popleft()
                open_tasks += 1
            prompt, tools = tasks[i].next_request()
            stream.submit(i, prompt, tools)
            in_flight += 1
        done = stream.collect()
        if not done and in_flight:
            raise RuntimeError(f"the generation stream lost {in_flight} request(s)")
        for tag, gen in done:
            i = int(tag)  # type: ignore[call-overload]
            in_flight -= 1
            used[i] += 1
            tasks[i].feed(gen)
            if tasks[i].finished or used[i] >= rounds:
                open_tasks -= 1
            else:
                ready.append(i)
            if on_result is not None:
                on_result(i, gen)
