"""A multi-turn tool-use episode, run the way ToolEyes runs one (``rotbench_tooleyes.md`` §4).

``Episode.step(model_output)`` parses the output (``tlbench.parsers.parse``), then per call: a ``finish``
call ends the episode; ``ask_to_user`` goes to the simulated user (the ``"user"`` executor); any other call
is validated and executed by the :class:`~tools_env.env.ToolEnv`. An output that parses to no call gets
ToolEyes' format complaint, and so does one that parses to a final answer without a call (``Final
Answer: ...`` in ReAct, a text-only reply through native ``tools=``): ToolEyes ends an episode only on a
``finish`` action, in its ReAct loop and in its function-calling path alike (``Code/Inference/models.py``
renders a reply without ``function_call`` as an empty action with ``{}``, which is not a finish), so a
valid answer (VA) means the same in every format. After ``max_generations`` generations (9:
ToolEyes' ``max_turn = 8`` plus one) without a finish, the upstream forced-finish text is appended as an
assistant message and the episode ends.

Message roles follow ToolEyes: the model's outputs are ``assistant``; observations and execution errors are
``function``; format complaints and the user's replies are ``user``. The transcript keeps every turn's raw
output, parse, calls, feedback and headline category, and round-trips through JSON (:meth:`Episode.to_dict`,
:meth:`Episode.from_dict`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tlbench.classify import most_severe
from tlbench.errors import UsageError
from tlbench.types import ErrorKind, Feedback, ParseFailure, ParseResult, ToolCall, ToolDoc
from tools_env.base import ToolExecError
from tools_env.env import ToolEnv
from tools_env.validate import format_error_feedback

__all__ = ["Episode", "Turn", "FORCED_TURN_FINISH", "FORCED_ERR_FINISH", "SCHEMA_VERSION"]

#: Appended (role assistant) when the model used up its generations without finishing (upstream text).
FORCED_TURN_FINISH = (
    "Thought: I cannot solve this task due to trying too many times.\nAction: finish\n"
    'Action Input: {"answer": "I cannot handle the task."}'
)
#: Appended (role assistant) when generation or parsing crashed (upstream text).
FORCED_ERR_FINISH = (
    "Thought: During execution, an error occurs.\nAction: finish\n"
    'Action Input: {"answer": "I cannot handle the task."}'
)
SCHEMA_VERSION = 1
_NO_INFO = "Sorry, I have no further information to provide. Please continue with what you have."


@dataclass(frozen=True, slots=True)
class Turn:
    """One generation: the raw output, what was parsed, the calls made and the feedback to each.

    ``category`` is the turn's headline (the most severe feedback category; UNPARSABLE for a format error;
    CORRECT for a clean finish). ``messages`` are the chat messages this turn added after the assistant
    message (``{"role": "function" | "user", "content": ...}``).
    """

    index: int
    raw: str
    parse: Mapping[str, Any]
    calls: tuple[ToolCall, ...]
    feedback: tuple[Feedback, ...]
    category: ErrorKind
    messages: tuple[Mapping[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "index": self.index,
            "raw": self.raw,
            "parse": dict(self.parse),
            "calls": [c.to_dict() for c in self.calls],
            "feedback": [f.to_dict() for f in self.feedback],
            "category": self.category.value,
            "messages": [dict(m) for m in self.messages],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Turn:
        """Inverse of :meth:`to_dict`."""
        return cls(
            index=int(data["index"]),
            raw=str(data["raw"]),
            parse=dict(data.get("parse") or {}),
            calls=tuple(ToolCall.from_dict(c) for c in data.get("calls") or ()),
            feedback=tuple(Feedback.from_dict(f) for f in data.get("feedback") or ()),
            category=ErrorKind(data["category"]),
            messages=tuple(dict(m) for m in data.get("messages") or ()),
        )


@dataclass
class Episode:
    """One episode over ``env``; ``tools`` are the docs shown to the model (default: the env's registry).

    ``fmt`` is the parser format (``parser`` replaces ``tlbench.parsers.parse``, e.g. in tests); ``item`` the benchmark item's metadata (scripted user answers, pinned
    date); ``prompt`` the opening messages (system, user) kept at the head of :meth:`messages`.
    ``reply_finishes`` lets a reply without a call end the episode as its answer (``tlbench collect``:
    a native-tools teacher ends with a text reply); off, as ToolEyes runs episodes, it is a format error.
    """

    env: ToolEnv | None
    tools: Sequence[ToolDoc] | None = None
    fmt: str = "react"
    max_generations: int = 9
    item: Mapping[str, Any] = field(default_factory=dict)
    prompt: Sequence[Mapping[str, str]] = ()
    turns: list[Turn] = field(default_factory=list)
    finished: bool = False
    forced: str | None = None
    answer: str | None = None
    parser: Callable[[str, str, list[ToolDoc]], ParseResult] | None = field(
        default=None, repr=False, compare=False
    )
    reply_finishes: bool = False

    def __post_init__(self) -> None:
        if self.max_generations < 1:
            raise UsageError("max_generations must be at least 1")
        if self.tools is None and self.env is not None:
            self.tools = self.env.registry.docs()
        self.tools = tuple(self.tools or ())
        self.item = dict(self.item or {})
        self.prompt = tuple(dict(m) for m in self.prompt)

    # ------------------------------------------------------------------ state

    @property
    def generations(self) -> int:
        """Model outputs consumed so far."""
        return len(self.turns)

    @property
    def valid_answer(self) -> bool:
        """ToolEyes' ``Ans_pass``: the model finished by itself (not forced)."""
        return self.finished and self.forced is None

    def history(self) -> tuple[tuple[ToolCall, Feedback], ...]:
        """Every (call, feedback) pair so far, in order (the executors' ``CallContext.history``)."""
        pairs: list[tuple[ToolCall, Feedback]] = []
        for t in self.turns:
            pairs.extend(zip(t.calls, t.feedback, strict=False))
        return tuple(pairs)

    def messages(self) -> list[dict[str, str]]:
        """The conversation in ToolEyes roles: prompt, then per turn the assistant output and its replies."""
        out = [dict(m) for m in self.prompt]
        for t in self.turns:
            out.append({"role": "assistant", "content": t.raw})
            out.extend(dict(m) for m in t.messages)
        if self.forced is not None:
            out.append({"role": "assistant", "content": self.forced})
        return out

    # ------------------------------------------------------------------ stepping

    def _parse(self, text: str) -> ParseResult:
        from tlbench.parsers import parse

        try:
            return (self.parser or parse)(text, self.fmt, list(self.tools or ()))
        except Exception as exc:  # noqa: BLE001 - the parser contract says never raises; be safe anyway
            return ParseResult(failure=ParseFailure("parser_error", f"{type(exc).__name__}: {exc}", raw=text))

    def step(self, model_output: str) -> Feedback:
        """Consume one model output; returns the (headline) feedback of the turn.

        Raises :class:`UsageError` when the episode is already finished.
        """
        if self.finished:
            raise UsageError("the episode is finished")
        if self.env is None:
            raise UsageError("this episode was loaded from JSON without an environment; it cannot step")
        raw = model_output if isinstance(model_output, str) else str(model_output)
        result = self._parse(raw)
        calls: list[ToolCall] = []
        feedback: list[Feedback] = []
        messages: list[dict[str, str]] = []
        answered = result.ok and not result.calls and self.reply_finishes
        if answered:
            self._finish(result.final_answer or "")
            feedback.append(Feedback(ErrorKind.CORRECT, "", payload={"answer": self.answer}, tool="finish"))
        elif not result.ok or not result.calls:
            # a reply without a call (a bare final answer, a text-only native-tools reply) is a format error,
            # not a finish: ToolEyes ends an episode only on a ``finish`` action (module docstring)
            fb = format_error_feedback(result.failure.reason if result.failure else "no_call")
            feedback.append(fb)
            messages.append({"role": "user", "content": fb.text})
        else:
            self._run_calls(result, calls, feedback, messages)
        category = (
            ErrorKind.UNPARSABLE
            if not (result.ok and (result.calls or answered))
            else most_severe([f.category for f in feedback])
        )
        self.turns.append(
            Turn(
                index=len(self.turns),
                raw=raw,
                parse=result.to_dict(),
                calls=tuple(calls),
                feedback=tuple(feedback),
                category=category,
                messages=tuple(messages),
            )
        )
        if not self.finished and len(self.turns) >= self.max_generations:
            self.force_finish()
        return max(feedback, key=lambda f: _rank(f.category)) if feedback else Feedback(category, "")

    def _run_calls(
        self,
        result: ParseResult,
        calls: list[ToolCall],
        feedback: list[Feedback],
        messages: list[dict[str, str]],
    ) -> None:
        """Run the turn's calls in order (a ``finish`` call ends the episode and the turn), appending each
        call, its feedback and the message the model sees next."""
        assert self.env is not None
        history = list(self.history())
        for call in result.calls:
            calls.append(call)
            if call.is_finish:
                ans = call.arguments.get("answer", result.final_answer or "")
                self._finish(ans if isinstance(ans, str) else str(ans))
                feedback.append(
                    Feedback(ErrorKind.CORRECT, "", payload={"answer": self.answer}, tool=call.name)
                )
                break
            if call.is_ask_user:
                fb = self._ask_user(call, tuple(history))
                messages.append({"role": "user", "content": fb.text})
            else:
                fb = self.env.execute(call, history=tuple(history), item=self.item or None)
                messages.append({"role": "function", "content": fb.text})
            feedback.append(fb)
            history.append((call, fb))

    def force_finish(self, error: bool = False) -> None:
        """End the episode with the upstream forced-finish text (``error``: the crash variant)."""
        if self.finished:
            return
        self.forced = FORCED_ERR_FINISH if error else FORCED_TURN_FINISH
        self.finished = True
        self.answer = "I cannot handle the task."

    def _finish(self, answer: str) -> None:
        self.finished = True
        self.answer = answer

    def _ask_user(self, call: ToolCall, history: tuple[tuple[ToolCall, Feedback], ...]) -> Feedback:
        """The simulated user's reply (category CORRECT; a failing user gives the fixed reply)."""
        assert self.env is not None
        try:
            user = self.env._resolve("user")
            ctx = self.env.context(history=history, item=self.item or None)
            reply = user.execute(call, _user_doc(self.tools or ()), ctx) if user is not None else _NO_INFO
        except (ToolExecError, UsageError, ImportError):
            reply = _NO_INFO
        text = reply if isinstance(reply, str) else str(reply)
        return Feedback(ErrorKind.CORRECT, text, payload=reply, tool=call.name)

    # ------------------------------------------------------------------ JSON

    def to_dict(self) -> dict[str, Any]:
        """The transcript as JSON-ready data (the environment is not serialised)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "fmt": self.fmt,
            "max_generations": self.max_generations,
            "tools": [d.to_dict() for d in self.tools or ()],
            "item": dict(self.item),
            "prompt": [dict(m) for m in self.prompt],
            "turns": [t.to_dict() for t in self.turns],
            "finished": self.finished,
            "forced": self.forced,
            "answer": self.answer,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], env: ToolEnv | None = None) -> Episode:
        """Inverse of :meth:`to_dict`; attach ``env`` to continue stepping an unfinished episode."""
        from tlbench.docs import docs_from_openai_list

        version = data.get("schema_version", SCHEMA_VERSION)
        if version != SCHEMA_VERSION:
            raise UsageError(
                f"episode schema_version {version!r} is not supported (expected {SCHEMA_VERSION})"
            )
        return cls(
            env=env,
            tools=docs_from_openai_list(data.get("tools") or []),
            fmt=str(data.get("fmt", "react")),
            max_generations=int(data.get("max_generations", 9)),
            item=dict(data.get("item") or {}),
            prompt=[dict(m) for m in data.get("prompt") or ()],
            turns=[Turn.from_dict(t) for t in data.get("turns") or ()],
            finished=bool(data.get("finished", False)),
            forced=data.get("forced"),
            answer=data.get("answer"),
        )


def _rank(kind: ErrorKind) -> int:
    from tlbench.classify import severity_rank

    return severity_rank(kind)


def _user_doc(tools: Sequence[ToolDoc]) -> ToolDoc:
    for d in tools:
        if d.name.lower() in ("ask_to_user", "ask_user"):
            return d
    return ToolDoc(name="ask_to_user")
