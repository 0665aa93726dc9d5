"""The simulated user that answers ``ask_to_user`` (ToolEyes asks a human on stdin; offline we cannot).

Answer sources, first match wins:

1. scripted answers in the benchmark item (``ctx.item``):
   * ``user_answers`` as a list: consumed in order - the n-th question of the episode gets the n-th answer
     (n is counted from ``ctx.history``, so the executor itself holds no state and replays exactly);
   * ``user_answers`` as a mapping: question -> answer, matched exactly, then case/space/punctuation-blind;
   * ``user_answer``: one answer for every question;
2. an LLM playing the user (:class:`~tools_env.llm_sim.ChatEndpoint`), told the task and the question, with
   answers cached in the replay store when one is given;
3. the fixed reply :data:`NO_INFO_REPLY`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

from tlbench.types import ToolCall, ToolDoc
from tools_env.base import CallContext
from tools_env.llm_sim import ChatEndpoint
from tools_env.replay import ReplayStore

__all__ = ["SimulatedUser", "NO_INFO_REPLY", "scripted_answer", "user_messages"]

#: What the user says when nothing better is known.
NO_INFO_REPLY = "Sorry, I have no further information to provide. Please continue with what you have."


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


def _question(call: ToolCall) -> str:
    q = call.arguments.get("question")
    if isinstance(q, str):
        return q
    texts = [v for v in call.arguments.values() if isinstance(v, str)]
    return texts[0] if texts else ""


def scripted_answer(item: Mapping[str, Any], question: str, asked_before: int) -> str | None:
    """The item's scripted answer to the ``asked_before``-th (0-based) question, or None."""
    answers = item.get("user_answers")
    if isinstance(answers, (list, tuple)):
        if asked_before < len(answers) and answers[asked_before] is not None:
            return str(answers[asked_before])
        return None
    if isinstance(answers, Mapping):
        if question in answers:
            return str(answers[question])
        wanted = _norm(question)
        for q, a in answers.items():
            if _norm(str(q)) == wanted:
                return str(a)
        return None
    single = item.get("user_answer")
    return str(single) if isinstance(single, (str, int, float)) else None


def user_messages(task: str, question: str) -> list[dict[str, str]]:
    """The prompt for an LLM playing the user."""
    system = (
        "You are the user who gave an AI assistant the task below. The assistant asks you a question. "
        "Answer briefly and naturally, as that user, with only information a user would plausibly know; "
        "if you cannot know the answer, say so. Never solve the task for the assistant.\n\n"
        f"Your task for the assistant:\n{task}"
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": question}]


def _task_text(item: Mapping[str, Any]) -> str:
    for key in ("query", "question", "instruction", "id"):
        v = item.get(key)
        if isinstance(v, str) and v.strip():
            return v.removeprefix("Turn 1: ")
    return ""


class SimulatedUser:
    """Executor for ``ask_to_user``: scripted answers, else an LLM user, else :data:`NO_INFO_REPLY`."""

    name = "user"

    def __init__(
        self,
        endpoint: ChatEndpoint | None = None,
        store: ReplayStore | None = None,
        fallback: str = NO_INFO_REPLY,
    ) -> None:
        self.endpoint = endpoint
        self.store = store
        self.fallback = fallback

    def execute(self, call: ToolCall, doc: ToolDoc, ctx: CallContext) -> Any:
        """The user's reply (a string)."""
        question = _question(call)
        asked = sum(1 for past, _ in ctx.history if past.is_ask_user)
        item = ctx.item if isinstance(ctx.item, Mapping) else {}
        scripted = scripted_answer(item, question, asked)
        if scripted is not None:
            return scripted
        if self.endpoint is None:
            return self.fallback
        task = _task_text(item)
        namespace = f"user/{self.endpoint.model}/{hashlib.sha256(task.encode('utf-8')).hexdigest()[:16]}"
        if self.store is not None:
            hit = self.store.get(call.name, {"question": question}, namespace)
            if hit is not None:
                return hit.unwrap()
        reply = self.endpoint.complete(user_messages(task, question)).strip() or self.fallback
        if self.store is not None:
            self.store.put(call.name, {"question": question}, "ok", reply, namespace)
        return reply
