"""Trajectory records: the one reader, writer and labeller of ``tlbench collect`` / importer output.

A trajectory is one finished tool-use episode in the schema of ``docs/formats.md`` ("Trajectories"):
messages, and per assistant message its parsed calls, the tools_env feedback, the shared classifier's
category, the MAE ``erroneous`` flag, the IRM reward (when gold is known) and the exact generated token ids.

* :class:`Trajectory` / :class:`Turn` are frozen; :meth:`Trajectory.to_dict` / :meth:`Trajectory.from_dict`
  convert to and from the JSON form (unknown keys are ignored, malformed ones raise :class:`DataError`).
* :func:`read_trajectories` streams a JSONL file, naming ``file:line`` on a bad line, and skips a truncated
  last line (what a killed writer leaves) with a :class:`TruncatedLineWarning`.
* :class:`TrajectoryWriter` appends one record per call with flush + fsync, so a ``kill -9`` loses at most
  the record being written; on resume it truncates a partial last line and skips ids already present.
* :func:`label_turns` fills the per-turn labels from messages + tool docs through :mod:`tlbench.parsers`,
  :mod:`tlbench.classify` and :mod:`tlbench.reward` (never a second classifier).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tlbench import jsonio
from tlbench.errors import DataError, UsageError
from tlbench.types import ErrorKind

__all__ = [
    "ROLES",
    "Turn",
    "Trajectory",
    "TruncatedLineWarning",
    "read_trajectories",
    "read_numbered",
    "read_ids",
    "TrajectoryWriter",
    "MODEL_CAUSED",
    "is_erroneous",
    "label_turns",
    "FINISH_STEP",
    "GoldTracker",
    "align_gold",
]

#: Message roles a trajectory may hold (tools_env's ``function`` role is stored as ``tool``).
ROLES = frozenset({"system", "user", "assistant", "tool"})
#: The gold of a task's final turn: a finish call (its answer text is free and never compared).
FINISH_STEP: tuple[Mapping[str, Any], ...] = ({"name": "finish", "arguments": {"answer": ""}},)
#: Categories a turn is blamed for: every error but the environment's own (tool instability, "other").
MODEL_CAUSED: frozenset[ErrorKind] = frozenset(
    k for k in ErrorKind if k.is_error and k not in (ErrorKind.TOOL_INSTABILITY, ErrorKind.OTHER)
)


def is_erroneous(category: ErrorKind | str) -> bool:
    """The one rule for a turn's ``erroneous`` label: ``category`` is an error the model caused.

    :func:`label_turns` writes the label with it, :meth:`Turn.from_dict` fills it in when a record lacks it,
    and MAE masks the turns whose label is set (README: MAE masks what the classifier labelled erroneous).
    Environment faults (tool instability, "other") and unknown names are not the model's error.
    """
    try:
        return ErrorKind(category) in MODEL_CAUSED
    except ValueError:
        return False


def _category_from_feedback(feedback: str | None) -> str:
    """The shared classifier's category of a turn's feedback text (a record without a ``category``)."""
    if not feedback:
        return ErrorKind.CORRECT.value
    from tlbench.classify import classify_feedback

    return classify_feedback(feedback).value


class TruncatedLineWarning(UserWarning):
    """A JSONL file ends in a partial line (a killed writer); the line was skipped."""


def _err(message: str) -> DataError:
    return DataError(message)


def _as_int_list(value: Any, what: str) -> tuple[int, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(t, int) and not isinstance(t, bool) for t in value):
        raise _err(f"{what} must be a list of integers or null")
    return tuple(value)


def _call_dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, Mapping) or not isinstance(value.get("name"), str):
        raise _err(f"{what} must be an object with a string 'name'")
    args = value.get("arguments", {})
    if args is None:
        args = {}
    if not isinstance(args, Mapping):
        raise _err(f"{what}.arguments must be an object")
    return {"name": value["name"], "arguments": dict(args)}


@dataclass(frozen=True, slots=True)
class Turn:
    """The labels of one assistant message (``messages[message_index]``).

    ``category`` is a :class:`tlbench.types.ErrorKind` value; ``erroneous`` is True when the model caused
    that error (MAE masks such turns; :func:`is_erroneous`); ``reward`` is the IRM reward when the turn's
    gold is known; ``token_ids`` are the exact ids the backend generated for this message, when it exposed
    them.
    """

    message_index: int
    calls: tuple[Mapping[str, Any], ...] = ()
    parse_ok: bool = True
    feedback: str | None = None
    category: str = "correct"
    erroneous: bool = False
    reward: float | None = None
    token_ids: tuple[int, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the docs/formats.md turn object)."""
        return {
            "message_index": self.message_index,
            "calls": [{"name": c["name"], "arguments": dict(c.get("arguments") or {})} for c in self.calls],
            "parse_ok": self.parse_ok,
            "feedback": self.feedback,
            "category": self.category,
            "erroneous": self.erroneous,
            "reward": self.reward,
            "token_ids": None if self.token_ids is None else list(self.token_ids),
        }

    @classmethod
    def from_dict(cls, data: Any, where: str = "turn") -> Turn:
        """Inverse of :meth:`to_dict`; raises :class:`DataError` naming the bad field.

        A record written without labels gets them from the shared rules: a missing ``category`` is the
        classifier's verdict on the turn's ``feedback`` (``correct`` without feedback), a missing
        ``erroneous`` is :func:`is_erroneous` of the category; a label the record does give is kept."""
        if not isinstance(data, Mapping):
            raise _err(f"{where} must be an object")
        mi = data.get("message_index")
        if not isinstance(mi, int) or isinstance(mi, bool) or mi < 0:
            raise _err(f"{where}.message_index must be a non-negative integer")
        calls = data.get("calls") or []
        if not isinstance(calls, list):
            raise _err(f"{where}.calls must be a list")
        feedback = data.get("feedback")
        if feedback is not None and not isinstance(feedback, str):
            raise _err(f"{where}.feedback must be a string or null")
        category = data.get("category")
        if category is not None and not isinstance(category, str):
            raise _err(f"{where}.category must be a string")
        category = category or _category_from_feedback(feedback)
        flag = data.get("erroneous")
        reward = data.get("reward")
        if reward is not None and (not isinstance(reward, int | float) or isinstance(reward, bool)):
            raise _err(f"{where}.reward must be a number or null")
        return cls(
            message_index=mi,
            calls=tuple(_call_dict(c, f"{where}.calls[{i}]") for i, c in enumerate(calls)),
            parse_ok=bool(data.get("parse_ok", True)),
            feedback=feedback,
            category=category,
            erroneous=is_erroneous(category) if flag is None else bool(flag),
            reward=None if reward is None else float(reward),
            token_ids=_as_int_list(data.get("token_ids"), f"{where}.token_ids"),
        )


@dataclass(frozen=True, slots=True)
class Trajectory:
    """One episode record (docs/formats.md "Trajectories").

    ``tools`` are ToolDoc dicts (``{"name", "description", "parameters"}``); ``gold`` is the gold calls per
    assistant turn (``None`` when the task has none); ``meta`` holds anything else (model, task, timing).
    """

    id: str
    source: str
    seed: int | None = None
    tools: tuple[Mapping[str, Any], ...] = ()
    messages: tuple[Mapping[str, Any], ...] = ()
    turns: tuple[Turn, ...] = ()
    gold: tuple[tuple[Mapping[str, Any], ...], ...] | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, keys in the documented order."""
        return {
            "id": self.id,
            "source": self.source,
            "seed": self.seed,
            "tools": [dict(t) for t in self.tools],
            "messages": [dict(m) for m in self.messages],
            "turns": [t.to_dict() for t in self.turns],
            "gold": None
            if self.gold is None
            else [
                [{"name": c["name"], "arguments": dict(c.get("arguments") or {})} for c in g]
                for g in self.gold
            ],
            "meta": dict(self.meta),
        }

    def to_json(self) -> str:
        """One JSONL line (no trailing newline)."""
        return jsonio.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: Any) -> Trajectory:
        """Inverse of :meth:`to_dict`; checks types and that every turn points at an assistant message."""
        if not isinstance(data, Mapping):
            raise _err("a trajectory must be a JSON object")
        tid = data.get("id")
        if not isinstance(tid, str) or not tid:
            raise _err("'id' must be a non-empty string")
        source = data.get("source", "")
        if not isinstance(source, str):
            raise _err("'source' must be a string")
        seed = data.get("seed")
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise _err("'seed' must be an integer or null")
        tools = data.get("tools") or []
        if not isinstance(tools, list) or not all(
            isinstance(t, Mapping) and isinstance(t.get("name"), str) for t in tools
        ):
            raise _err("'tools' must be a list of objects with a string 'name'")
        messages = data.get("messages")
        if not isinstance(messages, list):
            raise _err("'messages' must be a list")
        for i, m in enumerate(messages):
            if (
                not isinstance(m, Mapping)
                or m.get("role") not in ROLES
                or not isinstance(m.get("content"), str)
            ):
                raise _err(f"messages[{i}] must be {{'role': one of {sorted(ROLES)}, 'content': str}}")
        raw_turns = data.get("turns") or []
        if not isinstance(raw_turns, list):
            raise _err("'turns' must be a list")
        turns = tuple(Turn.from_dict(t, f"turns[{i}]") for i, t in enumerate(raw_turns))
        for i, t in enumerate(turns):
            if t.message_index >= len(messages) or messages[t.message_index]["role"] != "assistant":
                raise _err(f"turns[{i}].message_index {t.message_index} is not an assistant message")
        gold_raw = data.get("gold")
        gold: tuple[tuple[Mapping[str, Any], ...], ...] | None = None
        if gold_raw is not None:
            if not isinstance(gold_raw, list) or not all(isinstance(g, list) for g in gold_raw):
                raise _err("'gold' must be a list of lists of calls, or null")
            gold = tuple(
                tuple(_call_dict(c, f"gold[{i}][{j}]") for j, c in enumerate(g))
                for i, g in enumerate(gold_raw)
            )
        meta = data.get("meta") or {}
        if not isinstance(meta, Mapping):
            raise _err("'meta' must be an object")
        return cls(
            id=tid,
            source=source,
            seed=seed,
            tools=tuple(dict(t) for t in tools),
            messages=tuple(dict(m) for m in messages),
            turns=turns,
            gold=gold,
            meta=dict(meta),
        )


# ------------------------------------------------------------------------------------------------ reading


def _lines(path: Path) -> Iterator[tuple[int, str, bool]]:
    """(line number, text, terminated) for every line of ``path``, read in binary to see the last newline."""
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror or exc}", str(path)) from None
    with fh:
        for n, raw in enumerate(fh, 1):
            terminated = raw.endswith(b"\n")
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                if not terminated:
                    text = ""  # a partial multi-byte character at the cut: treated as a partial line below
                else:
                    raise DataError("not UTF-8", str(path), n) from None
            yield n, text, terminated


def _records(path: Path) -> Iterator[tuple[int, Any]]:
    for n, text, terminated in _lines(path):
        if not text.strip():
            if terminated:
                continue
            if text == "":
                warnings.warn(f"{path}:{n}: truncated last line skipped", TruncatedLineWarning, stacklevel=3)
            continue
        try:
            yield n, jsonio.parse(text)
        except ValueError as exc:
            if not terminated:
                warnings.warn(f"{path}:{n}: truncated last line skipped", TruncatedLineWarning, stacklevel=3)
                return
            raise DataError(f"not JSON: {exc}", str(path), n) from None


def read_trajectories(path: str | Path) -> Iterator[Trajectory]:
    """Stream the trajectories of a JSONL file.

    A malformed line raises :class:`DataError` with ``file:line``; a partial last line (no newline, not
    JSON) is skipped with a :class:`TruncatedLineWarning`; blank lines are ignored.
    """
    for _, traj in read_numbered(path):
        yield traj


def read_numbered(path: str | Path) -> Iterator[tuple[int, Trajectory]]:
    """:func:`read_trajectories` with each record's line number (for errors found later, e.g. token ids)."""
    p = Path(path)
    for n, obj in _records(p):
        try:
            yield n, Trajectory.from_dict(obj)
        except DataError as exc:
            raise DataError(str(exc), str(p), n) from None


def read_ids(path: str | Path) -> set[str]:
    """The ids of the complete records of ``path`` (an absent file has none)."""
    p = Path(path)
    if not p.exists():
        return set()
    out: set[str] = set()
    for n, obj in _records(p):
        if not isinstance(obj, Mapping) or not isinstance(obj.get("id"), str):
            raise DataError("record has no string 'id'", str(p), n)
        out.add(obj["id"])
    return out


# ------------------------------------------------------------------------------------------------ writing


class TrajectoryWriter:
    """Append-only JSONL writer with resume: flush + fsync per record, ids already in the file skipped.

    Opening an existing file reads its ids and truncates a partial last line (the record a killed run was
    writing); a bad complete line raises :class:`DataError` rather than risk appending to a foreign file.
    An exclusive advisory lock (where the OS has one) stops two collectors writing the same file.
    """

    def __init__(self, path: str | Path, *, fsync: bool = True) -> None:
        self.path = Path(path)
        self._fsync = fsync
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = self.path.open("ab+")
        try:
            self._lock()
            self._repair()
            self.ids: set[str] = read_ids(self.path) if self.path.stat().st_size else set()
        except BaseException:
            self._fh.close()
            raise
        self.written = 0
        self.skipped = 0

    def _lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - non-POSIX
            return
        try:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise UsageError(f"{self.path}: another process is writing this file") from None

    def _repair(self) -> None:
        """Cut a trailing partial line so the next record starts on a fresh line."""
        size = self.path.stat().st_size
        if size == 0:
            return
        with self.path.open("rb") as fh:
            fh.seek(size - 1)
            if fh.read(1) == b"\n":
                return
            # find the last newline by scanning backwards in blocks
            pos = size
            cut = 0
            while pos > 0:
                step = min(65536, pos)
                pos -= step
                fh.seek(pos)
                block = fh.read(step)
                k = block.rfind(b"\n")
                if k >= 0:
                    cut = pos + k + 1
                    break
        warnings.warn(
            f"{self.path}: removed a partial last record ({size - cut} bytes) before resuming",
            TruncatedLineWarning,
            stacklevel=3,
        )
        os.truncate(self.path, cut)

    def __contains__(self, tid: object) -> bool:
        return tid in self.ids

    def write(self, traj: Trajectory | Mapping[str, Any]) -> bool:
        """Append one record; returns False (and writes nothing) when its id is already in the file."""
        record = traj if isinstance(traj, Trajectory) else Trajectory.from_dict(traj)
        if record.id in self.ids:
            self.skipped += 1
            return False
        line = (record.to_json() + "\n").encode("utf-8")
        self._fh.write(line)
        self._fh.flush()
        if self._fsync:
            os.fsync(self._fh.fileno())
        self.ids.add(record.id)
        self.written += 1
        return True

    def close(self) -> None:
        """Close the file (releases the lock)."""
        if not self._fh.closed:
            self._fh.close()

    def __enter__(self) -> TrajectoryWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ----------------------------------------------------------------------------------------------- labelling


def _feedback_after(messages: Sequence[Mapping[str, Any]], i: int) -> str | None:
    """The tool messages right after ``messages[i]``, joined by newlines (None when there are none)."""
    parts: list[str] = []
    for m in messages[i + 1 :]:
        if m.get("role") != "tool":
            break
        parts.append(str(m.get("content", "")))
    return "\n".join(parts) if parts else None


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
    that turn; without it the ``tool`` messages that follow are the feedback. The category is the most severe of: the call
    judgement (against ``gold[k]`` for the k-th assistant turn when known, else against the docs when
    ``check_docs`` and docs exist) and :func:`tlbench.classify.classify_feedback` of the feedback.
    ``reward`` is :func:`tlbench.reward.irm_reward` of the gold judgement, None without gold.
    """
    from tlbench.classify import classify, classify_feedback, most_severe
    from tlbench.docs import docs_from_any
    from tlbench.parsers import parse
    from tlbench.reward import irm_reward
    from tlbench.types import ToolCall, ToolDoc

    docs: tuple[ToolDoc, ...] = tuple(t for t in tools if isinstance(t, ToolDoc)) or (
        docs_from_any(list(tools)) if tools else ()
    )
    out: list[Turn] = []
    k = -1
    for i, msg in enumerate(messages):
        if msg.get("role") != "assistant":
            continue
        k += 1
        text = str(msg.get("content", ""))
        result = parse(text, fmt, docs)
        fb_raw = feedback.get(i) if feedback is not None and i in feedback else _feedback_after(messages, i)
        fb_items = list(fb_raw) if isinstance(fb_raw, list | tuple) else ([] if fb_raw is None else [fb_raw])
        texts = [str(getattr(f, "text", f)) for f in fb_items]
        fb_text = "\n".join(texts) if any(texts) else None
        kinds: list[ErrorKind] = []
        reward: float | None = None
        turn_gold = gold[k] if gold is not None and k < len(gold) else None
        if turn_gold is not None:
            gcalls = [
                ToolCall(name=str(c["name"]), arguments=dict(c.get("arguments") or {})) for c in turn_gold
            ]
            verdict = classify(result, docs, [gcalls])
            kinds.append(verdict.kind)
            reward = irm_reward(verdict)
        elif not result.ok:
            kinds.append(ErrorKind.UNPARSABLE)
        elif check_docs and docs:
            kinds.append(classify(result, docs).kind)
        kinds.extend(classify_feedback(f) for f in fb_items)
        category = most_severe(kinds).value
        ids = token_ids.get(i) if token_ids is not None else None
        out.append(
            Turn(
                message_index=i,
                calls=tuple({"name": c.name, "arguments": dict(c.arguments)} for c in result.calls),
                parse_ok=result.ok,
                feedback=fb_text,
                category=category,
                erroneous=is_erroneous(category),
                reward=reward,
                token_ids=None if ids is None else tuple(int(t) for t in ids),
            )
        )
    return tuple(out)


class GoldTracker:
    """Which gold step an episode has reached, so that each assistant turn is judged against the right call.

    ``steps`` are the gold calls per step (the final ``finish`` is appended). A turn judged CORRECT against
    the current step completes it unless its feedback reports tool instability (the model may retry the
    same call); any other turn leaves the step open, so a corrected retry is judged against the same gold.
    """

    def __init__(self, steps: Sequence[Sequence[Mapping[str, Any]]], docs: Sequence[Any]) -> None:
        from tlbench.docs import docs_from_any
        from tlbench.types import ToolDoc

        self.steps = tuple(tuple(s) for s in steps) + (FINISH_STEP,)
        self.docs = tuple(d for d in docs if isinstance(d, ToolDoc)) or (
            docs_from_any(list(docs)) if docs else ()
        )
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
        from tlbench.types import ToolCall

        gold = self.expected
        calls = [ToolCall(name=str(c["name"]), arguments=dict(c.get("arguments") or {})) for c in gold]
        verdict = classify(result, self.docs, [calls])
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
