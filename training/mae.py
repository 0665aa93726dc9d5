"""MAE (TL-Training §3.1): which assistant turns of a trajectory are training targets.

Every assistant turn is a target unless the shared classifier labelled it erroneous from its own tools_env
feedback. An erroneous turn keeps its place in the context (the model still reads the failed call and its
error message) but carries zero loss weight. Without MAE every assistant turn is a target.

The category of a turn comes from the trajectory record (``turns[k].category`` / ``erroneous``, written by
``tlbench collect`` or an importer through :mod:`tlbench.classify`); when a record lacks them the feedback
text is classified here with the same shared classifier, never with a second rule set.

Deviation from the reference code (documented in the research note): upstream drops every assistant turn
that is followed by a user message and flags any feedback containing the letters "error"; we do neither.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from training.trajectory import is_erroneous

__all__ = ["TurnTarget", "turn_targets", "masked_counts"]


@dataclass(frozen=True, slots=True)
class TurnTarget:
    """One assistant message of a trajectory and whether it is trained on.

    ``message_index`` indexes the record's ``messages``; ``category`` is the classifier's ErrorKind value
    (``"unknown"`` when the record has no turn entry and no feedback); ``train`` is False only for a turn
    masked by MAE.
    """

    message_index: int
    category: str
    erroneous: bool
    train: bool
    token_ids: tuple[int, ...] | None = None
    calls: tuple[Mapping[str, Any], ...] = ()


def _category_from_feedback(feedback: Any) -> str:
    from tlbench.classify import classify_feedback

    if feedback is None or feedback == "":
        return "unknown"
    return classify_feedback(str(feedback)).value


def _is_erroneous(turn: Mapping[str, Any], category: str) -> bool:
    flag = turn.get("erroneous")
    return flag if isinstance(flag, bool) else is_erroneous(category)


def turn_targets(record: Mapping[str, Any], *, mae: bool) -> list[TurnTarget]:
    """The assistant turns of one trajectory record (a dict in the docs/formats.md schema), in order."""
    messages: Sequence[Mapping[str, Any]] = record.get("messages") or []
    by_index: dict[int, Mapping[str, Any]] = {}
    for turn in record.get("turns") or []:
        if isinstance(turn, Mapping) and isinstance(turn.get("message_index"), int):
            by_index[int(turn["message_index"])] = turn
    out: list[TurnTarget] = []
    for i, msg in enumerate(messages):
        if not isinstance(msg, Mapping) or msg.get("role") != "assistant":
            continue
        turn = by_index.get(i, {})
        category = turn.get("category")
        if not isinstance(category, str) or not category:
            category = _category_from_feedback(turn.get("feedback"))
        erroneous = _is_erroneous(turn, category)
        ids = turn.get("token_ids")
        token_ids = tuple(int(t) for t in ids) if isinstance(ids, list) and ids else None
        calls = tuple(c for c in (turn.get("calls") or ()) if isinstance(c, Mapping) and c.get("name"))
        out.append(
            TurnTarget(
                message_index=i,
                category=category,
                erroneous=erroneous,
                train=not (mae and erroneous),
                token_ids=token_ids,
                calls=calls,
            )
        )
    return out


def masked_counts(records: Iterable[Mapping[str, Any]], *, mae: bool) -> Counter[str]:
    """How many assistant turns MAE masks, per category (empty when ``mae`` is False)."""
    counts: Counter[str] = Counter()
    for record in records:
        for t in turn_targets(record, mae=mae):
            if not t.train:
                counts[t.category] += 1
    return counts
