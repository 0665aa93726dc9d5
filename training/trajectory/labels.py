"""Labelling: the per-turn labels of a finished episode, through the shared parser, classifier and reward.

:func:`label_turns` fills every assistant turn's calls, feedback, category, ``erroneous`` flag
(:func:`~training.trajectory.record.is_erroneous`) and IRM reward from messages + tool docs through
:mod:`tlbench.parsers`, :mod:`tlbench.classify` and :mod:`tlbench.reward` (never a second classifier);
:class:`GoldTracker` / :func:`align_gold` say which gold step each turn is judged against.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tlbench.types import ErrorKind, ToolCall, ToolDoc
from training.trajectory.record import Turn, is_erroneous

__all__ = ["FINISH_STEP", "label_turns", "GoldTracker", "align_gold"]

#: The gold of a task's final turn: a finish call (its answer text is free and never compared).
FINISH_STEP: tuple[Mapping[str, Any], ...] = ({"name": "finish", "arguments": {"answer": ""}},)


def _feedback_after(messages: Sequence[Mapping[str, Any]], i: int) -> str | None:
    """The tool messages right after ``messages[i]``, joined by newlines (None when there are none)."""
    parts: list[str] = []
    for m in messages[i + 1 :]:
        if m.get("role") != "tool":
            break
        parts.append(str(m.get("content", "")))
    return "\n".join(parts) if parts else None


def _as_docs(tools: Sequence[Any]) -> tuple[ToolDoc, ...]:
    """ToolDocs as given, else loaded from loose tool dicts (OpenAI / BFCL / ToolDoc dicts)."""
    from tlbench.docs import docs_from_any

    return tuple(t for t in tools if isinstance(t, ToolDoc)) or (docs_from_any(list(tools)) if tools else ())


def label_turns(
    messages: Sequence[Mapping[str, Any]],
    tools: Sequence[Any],
    fmt: str,
    *,
    gold: Sequence[Sequence[Mapping[str, Any]]] | None = None,
    feedback: Mapping[int, Any] | None = None,
    token_ids: Mapping[int, Sequence[int]] | None = None,
    check_docs: bool = True,
) -> tuple[Turn, ...]:
    """Label every assistant message of ``messages`` with the shared parser, classifier and reward.

    ``fmt`` is the output format of the assistant messages (a :data:`tlbench.parsers.FORMATS` name).
    ``feedback`` maps a message index to the tools_env :class:`Feedback` (or text, or a list of either) of
    that turn; without it the ``tool`` messages that follow are the feedback. The category is the most
    severe of: the call judgement (against ``gold[k]`` for the k-th assistant turn when known, else against
    the docs when ``check_docs`` and docs exist) and :func:`tlbench.classify.classify_feedback` of the
    feedback. ``reward`` is :func:`tlbench.reward.irm_reward` of the gold judgement, None without gold.
    """
    docs = _as_docs(tools)
    out: list[Turn] = []
    k = -1
    for i, msg in enumerate(messages):
        if msg.get("role") != "assistant":
            continue
        k += 1
        fb_raw = feedback.get(i) if feedback is not None and i in feedback else _feedback_after(messages, i)
        fb_items = list(fb_raw) if isinstance(fb_raw, list | tuple) else ([] if fb_raw is None else [fb_raw])
        turn_gold = gold[k] if gold is not None and k < len(gold) else None
        ids = token_ids.get(i) if token_ids is not None else None
        out.append(
            _label_one(i, str(msg.get("content", "")), fmt, docs, turn_gold, fb_items, ids, check_docs)
        )
    return tuple(out)


def _label_one(
    index: int,
    text: str,
    fmt: str,
    docs: tuple[ToolDoc, ...],
    gold: Sequence[Mapping[str, Any]] | None,
    feedback: Sequence[Any],
    token_ids: Sequence[int] | None,
    check_docs: bool,
) -> Turn:
    """The labels of one assistant message (see :func:`label_turns`)."""
    from tlbench.classify import classify, classify_feedback, most_severe
    from tlbench.parsers import parse
    from tlbench.reward import irm_reward

    result = parse(text, fmt, docs)
    texts = [str(getattr(f, "text", f)) for f in feedback]
    kinds: list[ErrorKind] = []
    reward: float | None = None
    if gold is not None:
        verdict = classify(result, docs, [_tool_calls(gold)])
        kinds.append(verdict.kind)
        reward = irm_reward(verdict)
    elif not result.ok:
        kinds.append(ErrorKind.UNPARSABLE)
    elif check_docs and docs:
        kinds.append(classify(result, docs).kind)
    kinds.extend(classify_feedback(f) for f in feedback)
    category = most_severe(kinds).value
    return Turn(
        message_index=index,
        calls=tuple({"name": c.name, "arguments": dict(c.arguments)} for c in result.calls),
        parse_ok=result.ok,
        feedback="\n".join(texts) if any(texts) else None,
        category=category,
        erroneous=is_erroneous(category),
        reward=reward,
        token_ids=None if token_ids is None else tuple(int(t) for t in token_ids),
    )


def _tool_calls(calls: Sequence[Mapping[str, Any]]) -> list[ToolCall]:
    """Gold call dicts as :class:`ToolCall` objects (what the classifier compares against)."""
    return [ToolCall(name=str(c["name"]), arguments=dict(c.get("arguments") or {})) for c in calls]


class GoldTracker:
    """Which gold step an episode has reached, so that each assistant turn is judged against the right call.

    ``steps`` are the gold calls per step (the final ``finish`` is appended). A turn judged CORRECT against
    the current step completes it unless its feedback reports tool instability (the model may retry the
    same call); any other turn leaves the step open, so a corrected retry is judged against the same gold.
    """

    def __init__(self, steps: Sequence[Sequence[Mapping[str, Any]]], docs: Sequence[Any]) -> None:
        self.steps = tuple(tuple(s) for s in steps) + (FINISH_STEP,)
        self.docs = _as_docs(docs)
        self.position = 0

    @property
    def expected(self) -> tuple[Mapping[str, Any], ...]:
        """The gold calls of the next turn."""
        return self.steps[min(self.position, len(self.steps) - 1)]

    @property
    def done(self) -> bool:
        """True once the finish step was reached and passed."""
        return self.position >= len(self.steps)

    def observe(self, result: Any, feedback: Sequence[Any] = ()) -> tuple[Mapping[str, Any], ...]:
        """Judge one turn (a ParseResult) against :attr:`expected`; returns that gold and advances on success."""
        from tlbench.classify import classify, classify_feedback

        gold = self.expected
        verdict = classify(result, self.docs, [_tool_calls(gold)])
        unstable = any(classify_feedback(f) is ErrorKind.TOOL_INSTABILITY for f in feedback)
        if verdict.kind is ErrorKind.CORRECT and not unstable:
            self.position += 1
        return gold


def align_gold(
    messages: Sequence[Mapping[str, Any]],
    tools: Sequence[Any],
    fmt: str,
    steps: Sequence[Sequence[Mapping[str, Any]]],
) -> tuple[tuple[Mapping[str, Any], ...], ...]:
    """The gold of every assistant message of a finished episode (see :class:`GoldTracker`)."""
    from tlbench.parsers import parse

    tracker = GoldTracker(steps, tools)
    out = []
    for i, msg in enumerate(messages):
        if msg.get("role") == "assistant":
            fb = _feedback_after(messages, i)
            out.append(
                tracker.observe(
                    parse(str(msg.get("content", "")), fmt, tracker.docs), [] if fb is None else [fb]
                )
            )
    return tuple(out)
