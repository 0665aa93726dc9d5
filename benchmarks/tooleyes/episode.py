"""DE / CE / VA counts of one episode transcript (``turns`` or ``messages`` records; package docstring)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from benchmarks.tooleyes.react import is_forced, react_split, rendered_call, stored_text
from tlbench import jsonio
from tlbench.types import ErrorKind, Feedback, ToolCall, ToolDoc

MAX_GENERATIONS = 9


_DE_KINDS = (ErrorKind.TOOL_HALLUCINATION, ErrorKind.PARAMETER_HALLUCINATION, ErrorKind.MISSING_PARAMETER)


_CE_EXEC = frozenset(
    {
        ErrorKind.TOOL_CALL_FAILURE,
        ErrorKind.OTHER,
        ErrorKind.TOOL_HALLUCINATION,
        ErrorKind.PARAMETER_HALLUCINATION,
        ErrorKind.MISSING_PARAMETER,
        ErrorKind.TYPE_MISMATCH,
        ErrorKind.UNPARSABLE,
    }
)


_ROLES = {"human": "user", "gpt": "assistant", "observation": "function", "tool": "function"}


@dataclass(frozen=True, slots=True)
class EpisodeStats:
    """DE/CE/VA counts of one episode (see the module docstring)."""

    attempts: int = 0
    de: int = 0
    ce: int = 0
    format_errors: int = 0
    failed_calls: int = 0
    instability: int = 0
    tool_hallucination: int = 0
    parameter_hallucination: int = 0
    missing_parameter: int = 0
    generations: int = 0
    valid: bool = False
    forced: bool = False
    categories: tuple[ErrorKind, ...] = ()
    calls: tuple[ToolCall, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready counts (calls left out)."""
        return {
            k: getattr(self, k)
            for k in (
                "attempts",
                "de",
                "ce",
                "format_errors",
                "failed_calls",
                "instability",
                "tool_hallucination",
                "parameter_hallucination",
                "missing_parameter",
                "generations",
                "valid",
                "forced",
            )
        }


@dataclass(slots=True)
class _Counter:
    docs: Sequence[ToolDoc]
    counts: dict[str, int] = field(default_factory=dict)
    categories: list[ErrorKind] = field(default_factory=list)
    calls: list[ToolCall] = field(default_factory=list)

    def add(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def format_error(self) -> None:
        self.add("attempts")
        self.add("format_errors")
        self.add("ce")
        self.categories.append(ErrorKind.UNPARSABLE)

    def call(self, call: ToolCall, feedback: ErrorKind | None) -> None:
        from tlbench.classify import check_against_docs

        self.add("attempts")
        self.calls.append(call)
        verdict = check_against_docs(call, self.docs)  # a fresh look at the doc for every call
        de = next((k for k in verdict.kinds if k in _DE_KINDS), None)
        if de is not None:
            self.add("de")
            self.add(de.value)
            self.categories.append(de)
        elif feedback is ErrorKind.TOOL_INSTABILITY:
            self.add("instability")
            self.categories.append(feedback)
        elif feedback is not None and feedback in _CE_EXEC:
            self.add("ce")
            self.add("failed_calls")
            self.categories.append(feedback)
        else:
            self.categories.append(ErrorKind.CORRECT)

    def result(self, generations: int, valid: bool, forced: bool) -> EpisodeStats:
        c = self.counts
        return EpisodeStats(
            attempts=c.get("attempts", 0),
            de=c.get("de", 0),
            ce=c.get("ce", 0),
            format_errors=c.get("format_errors", 0),
            failed_calls=c.get("failed_calls", 0),
            instability=c.get("instability", 0),
            tool_hallucination=c.get(ErrorKind.TOOL_HALLUCINATION.value, 0),
            parameter_hallucination=c.get(ErrorKind.PARAMETER_HALLUCINATION.value, 0),
            missing_parameter=c.get(ErrorKind.MISSING_PARAMETER.value, 0),
            generations=generations,
            valid=valid and generations <= MAX_GENERATIONS,
            forced=forced,
            categories=tuple(self.categories),
            calls=tuple(self.calls),
        )


def _feedback_kind(value: Any) -> ErrorKind | None:
    from tlbench.classify import classify_feedback

    if value is None:
        return None
    if isinstance(value, Mapping):
        try:
            return Feedback.from_dict(value).category
        except (KeyError, ValueError, TypeError):
            return classify_feedback(str(value.get("text", "")))
    return classify_feedback(str(value))


def _stats_from_turns(turns: Sequence[Any], forced: Any, docs: Sequence[ToolDoc]) -> EpisodeStats:
    """From ``Episode.to_dict()["turns"]``: the episode's own parses and feedback categories."""
    counter = _Counter(docs)
    valid = False
    for turn in turns:
        if not isinstance(turn, Mapping):
            counter.format_error()
            continue
        parse = turn.get("parse") if isinstance(turn.get("parse"), Mapping) else {}
        raw_calls = turn.get("calls") if isinstance(turn.get("calls"), list) else parse.get("calls") or []
        feedback = turn.get("feedback") if isinstance(turn.get("feedback"), list) else []
        if parse.get("failure") or not raw_calls:
            # a reply without a call (a bare final answer, a text-only native reply) is not a finish:
            # ToolEyes ends an episode only on a ``finish`` action (see the module docstring)
            counter.format_error()
            continue
        for j, raw in enumerate(raw_calls):
            try:
                call = ToolCall.from_dict(raw)
            except (KeyError, ValueError, TypeError, AttributeError):
                counter.format_error()
                continue
            if call.is_finish:
                valid = True
                break
            counter.call(call, _feedback_kind(feedback[j] if j < len(feedback) else None))
        if valid:
            break
    is_forced = bool(forced)
    return counter.result(len(turns), valid and not is_forced, is_forced)


def _normalise_messages(record: Mapping[str, Any]) -> list[dict[str, str]]:
    raw = record.get("messages")
    if raw is None:
        raw = record.get("conversations")
    if not isinstance(raw, list):
        raise ValueError("a transcript needs 'turns', 'messages' or 'conversations'")
    out = []
    for m in raw:
        if not isinstance(m, Mapping):
            raise ValueError("a message must be an object")
        role = m.get("role", m.get("from"))
        content = m.get("content", m.get("value"))
        role = _ROLES.get(str(role), str(role))
        out.append({"role": role, "content": content if isinstance(content, str) else json.dumps(content)})
    return out


def _stats_from_messages(messages: Sequence[Mapping[str, str]], docs: Sequence[ToolDoc]) -> EpisodeStats:
    """Re-read every assistant message with the ToolEyes rule; feedback = the next non-assistant message."""
    counter = _Counter(docs)
    valid = forced = False
    generations = 0
    positions = [i for i, m in enumerate(messages) if m["role"] == "assistant"]
    for n, i in enumerate(positions):
        text = messages[i]["content"]
        last = n == len(positions) - 1
        if last and is_forced(text):
            forced = True
            break
        generations += 1
        split = react_split(text)
        if not split.react_ok or split.arguments is None:
            if split.react_ok and split.action.lower() == "finish" and last:
                valid = True  # upstream repairs a truncated finish input; the finish itself is the model's
                break
            counter.format_error()
            continue
        if split.action.lower() == "finish":
            valid = True
            break
        nxt = (
            messages[i + 1]["content"]
            if i + 1 < len(messages) and messages[i + 1]["role"] != "assistant"
            else None
        )
        counter.call(ToolCall(name=split.action, arguments=split.arguments, raw=text), _feedback_kind(nxt))
    return counter.result(generations, valid and not forced, forced)


def episode_stats(record: Mapping[str, Any], docs: Sequence[ToolDoc]) -> EpisodeStats:
    """DE/CE/VA counts of one transcript record (``turns`` preferred over ``messages``)."""
    body = record.get("episode") if isinstance(record.get("episode"), Mapping) else record
    turns = body.get("turns")
    if isinstance(turns, list):
        return _stats_from_turns(turns, body.get("forced"), docs)
    return _stats_from_messages(_normalise_messages(body), docs)


def _turn_text(turn: Mapping[str, Any], fmt: str) -> str:
    """The assistant message upstream would have stored for one recorded turn: the raw ReAct text, or a
    native call rendered as ToolEyes' function-calling path renders it, through ``react_parser``."""
    raw = str(turn.get("raw", ""))
    if fmt in ("", "react"):
        return stored_text(raw)
    parse = turn.get("parse") if isinstance(turn.get("parse"), Mapping) else {}
    calls = parse.get("calls") or turn.get("calls") or []
    first = calls[0] if isinstance(calls, list) and calls and isinstance(calls[0], Mapping) else None
    thought = str(parse.get("thought") or "")
    if first is None:
        return stored_text(rendered_call(thought, "", "{}"))
    args = first.get("arguments")
    text = args if isinstance(args, str) else jsonio.dumps(args if args is not None else {})
    return stored_text(rendered_call(thought, str(first.get("name", "")), text))


def messages_of(record: Mapping[str, Any], upstream: bool = False) -> list[dict[str, str]]:
    """The conversation of a record; rebuilt from ``turns`` when there are no messages (with ``upstream``,
    each generation as upstream's inference loop would have stored it, :func:`stored_text`)."""
    body = record.get("episode") if isinstance(record.get("episode"), Mapping) else record
    if (
        isinstance(body.get("turns"), list)
        and body.get("messages") is None
        and body.get("conversations") is None
    ):
        fmt = str(body.get("fmt") or "react")
        out = [dict(m) for m in body.get("prompt") or () if isinstance(m, Mapping)]
        for t in body["turns"]:
            if isinstance(t, Mapping):
                text = _turn_text(t, fmt) if upstream else str(t.get("raw", ""))
                out.append({"role": "assistant", "content": text})
                out.extend(dict(m) for m in t.get("messages") or () if isinstance(m, Mapping))
        if body.get("forced"):
            out.append({"role": "assistant", "content": str(body["forced"])})
        return out
    return _normalise_messages(body)
