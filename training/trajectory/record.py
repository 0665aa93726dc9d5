"""Trajectory records: :class:`Trajectory` / :class:`Turn` and their JSON form (docs/formats.md, "Trajectories").

Both are frozen; :meth:`Trajectory.to_dict` / :meth:`Trajectory.from_dict` convert to and from the JSON form
(unknown keys are ignored, malformed ones raise :class:`DataError`). :func:`is_erroneous` is the one rule
for a turn's ``erroneous`` label (what MAE masks).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tlbench import jsonio
from tlbench.errors import DataError
from tlbench.types import ErrorKind

__all__ = ["ROLES", "MODEL_CAUSED", "is_erroneous", "Turn", "Trajectory"]

#: Message roles a trajectory may hold (tools_env's ``function`` role is stored as ``tool``).
ROLES = frozenset({"system", "user", "assistant", "tool"})
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
