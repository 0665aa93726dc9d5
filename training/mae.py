"""MAE (TL-Training §3.1): which assistant turns of a trajectory are training targets.

Every assistant turn is a target unless the shared classifier labelled it erroneous from its own tools_env
feedback. An erroneous turn keeps its place in the context (the model still reads the failed call and its
error message) but carries zero loss weight. Without MAE every assistant turn is a target.

The label of a turn is the trajectory's (:attr:`training.trajectory.Turn.erroneous`, written by ``tlbench
collect`` or an importer through :mod:`tlbench.classify`); a record read without labels was labelled by the
reader (:meth:`training.trajectory.Turn.from_dict`) with the same classifier and the one rule
(:func:`training.trajectory.is_erroneous`), never with a second rule set here.

Deviation from the reference code (documented in the research note): upstream drops every assistant turn
that is followed by a user message and flags any feedback containing the letters "error"; we do neither.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from training.trajectory import Trajectory

__all__ = ["TurnTarget", "turn_targets", "masked_counts"]

#: The category of an assistant message the record has no turn entry for.
UNLABELLED = "unknown"


@dataclass(frozen=True, slots=True)
class TurnTarget:
    """One assistant message of a trajectory and whether it is trained on.

    ``message_index`` indexes the trajectory's ``messages``; ``category`` is the turn's ErrorKind value
    (:data:`UNLABELLED` when the record has no turn entry for the message); ``train`` is False only for a
    turn masked by MAE.
    """

    message_index: int
    category: str
    erroneous: bool
    train: bool
    token_ids: tuple[int, ...] | None = None
    calls: tuple[Mapping[str, Any], ...] = ()


def turn_targets(traj: Trajectory, *, mae: bool) -> list[TurnTarget]:
    """The assistant turns of one trajectory, in order (a message without a turn entry is a target)."""
    by_index = {t.message_index: t for t in traj.turns}
    out: list[TurnTarget] = []
    for i, msg in enumerate(traj.messages):
        if msg.get("role") != "assistant":
            continue
        turn = by_index.get(i)
        if turn is None:
            out.append(TurnTarget(message_index=i, category=UNLABELLED, erroneous=False, train=True))
            continue
        out.append(
            TurnTarget(
                message_index=i,
                category=turn.category,
                erroneous=turn.erroneous,
                train=not (mae and turn.erroneous),
                token_ids=turn.token_ids or None,
                calls=tuple(c for c in turn.calls if c.get("name")),
            )
        )
    return out


def masked_counts(trajectories: Iterable[Trajectory], *, mae: bool) -> Counter[str]:
    """How many assistant turns MAE masks, per category (empty when ``mae`` is False)."""
    counts: Counter[str] = Counter()
    for traj in trajectories:
        for t in turn_targets(traj, mae=mae):
            if not t.train:
                counts[t.category] += 1
    return counts
