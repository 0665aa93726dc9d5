"""LLM-written tasks: a model behind an OpenAI-compatible endpoint invents the query and its gold calls.

For each task the generator picks (seeded) a tool package and one or two target tools, as the synthetic
source does, and asks the model (``/v1/chat/completions`` through :class:`tlbench.backends.openai_http.
OpenAIBackend`) for a JSON object ``{"query": str, "calls": [{"name", "arguments"}]}``. A reply is accepted
only when it is JSON, names exactly the target tools in order, and every call passes the shared classifier's
documentation check (:func:`tlbench.classify.check_against_docs`: documented names and parameters, required
parameters present, right types). Rejected replies are retried with a new seed up to ``retries`` times, then
the task is dropped and counted. A request that fails for an infrastructure reason (the server answers an
error or is gone) is not a rejected reply: it stops the source with :class:`tlbench.errors.InfraError`
(dropping it would silently shift every later task, and a re-run must make the same tasks). Near-miss distractor tools are added as in the synthetic source, and the
split is the synthetic source's (package, tool) rule, so ``llm:heldout`` never shares a target tool/template
pair with ``llm:train``.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from tlbench import jsonio
from tlbench.errors import InfraError, UsageError
from tlbench.types import ToolCall, ToolDoc
from tools_env.simulate import stable_seed
from training.tasks import Task
from training.tasks.synthetic import ToolPackage, distractors_for, insert_at_random, split_of, usable_tool

__all__ = ["llm_tasks", "task_prompt", "read_reply", "LLM_TEMPLATE"]

#: The template index the split rule uses for LLM tasks (one "template": the model's own wording).
LLM_TEMPLATE = -1

_INSTRUCTIONS = (
    "You write training data for a tool-using assistant. Given the tools below, write ONE realistic user "
    "request that is solved by calling {targets}, in that order, with concrete argument values that appear "
    "in the request. Reply with a single JSON object and nothing else: "
    '{{"query": "<the user request>", "calls": [{{"name": "<tool>", "arguments": {{...}}}}]}}.\n\nTools:\n{tools}'
)


def task_prompt(docs: Sequence[ToolDoc], targets: Sequence[str]) -> list[dict[str, str]]:
    """The chat messages asking for one task over ``docs`` targeting ``targets``."""
    listing = jsonio.dumps([d.to_dict() for d in docs if d.name not in ("finish", "ask_to_user")])
    return [{"role": "user", "content": _INSTRUCTIONS.format(targets=", ".join(targets), tools=listing)}]


def read_reply(
    text: str, docs: Sequence[ToolDoc], targets: Sequence[str]
) -> tuple[str, list[dict[str, Any]]] | None:
    """(query, calls) from a model reply, or None when it is not acceptable (see the module docstring)."""
    from tlbench.classify import check_against_docs

    start = text.find("{")
    if start < 0:
        return None
    try:
        obj, _ = json.JSONDecoder().raw_decode(text[start:])
    except ValueError:
        return None
    if not isinstance(obj, Mapping):
        return None
    query = obj.get("query")
    calls = obj.get("calls")
    if not isinstance(query, str) or not query.strip() or not isinstance(calls, list):
        return None
    out: list[dict[str, Any]] = []
    index = {d.name: d for d in docs}
    for c in calls:
        if not isinstance(c, Mapping) or not isinstance(c.get("name"), str):
            return None
        args = c.get("arguments") or {}
        if not isinstance(args, Mapping):
            return None
        if check_against_docs(ToolCall(c["name"], dict(args)), index).kind.is_error:
            return None
        out.append({"name": c["name"], "arguments": dict(args)})
    if [c["name"] for c in out] != list(targets):
        return None
    return query.strip(), out


def llm_tasks(
    library: Sequence[ToolPackage],
    *,
    n: int,
    seed: int = 0,
    split: str = "train",
    base_url: str,
    model: str,
    backend: Any = None,
    retries: int = 2,
    multi_ratio: float = 0.3,
    temperature: float = 0.7,
    max_new_tokens: int = 512,
    log: Any = None,
) -> list[Task]:
    """Up to ``n`` tasks of ``split`` written by ``model`` at ``base_url`` (``backend`` overrides the client)."""
    if n < 0:
        raise UsageError("the number of tasks must be >= 0")
    if backend is None:
        from tlbench.backends.openai_http import OpenAIBackend

        backend = OpenAIBackend(base_url, model)
    pool = [
        (p, d)
        for p in library
        for d in p.docs
        if usable_tool(d) and split_of(p.name, d.name, LLM_TEMPLATE) == split
    ]
    if not pool:
        raise UsageError(f"no tool of this library falls in split {split!r}")
    ask = _Asker(backend, base_url, seed, retries, temperature, max_new_tokens)
    rng = random.Random(stable_seed("llm-tasks", seed, split))  # not cryptography
    tasks: list[Task] = []
    dropped = 0
    k = 0
    while len(tasks) < n and k < n + retries * n + 10:
        k += 1
        pkg, doc = rng.choice(pool)
        targets = [doc]
        others = [d for d in pkg.docs if usable_tool(d) and d.name != doc.name]
        if others and rng.random() < multi_ratio:
            targets.append(rng.choice(others))
        got = ask(pkg.docs, [d.name for d in targets], k)
        if got is None:
            dropped += 1
            continue
        distractors = distractors_for(rng, pkg, targets)
        tools = [d for d in pkg.docs if d.name not in ("ask_to_user", "finish")]
        insert_at_random(rng, tools, distractors)
        tools += [d for d in pkg.docs if d.name in ("ask_to_user", "finish")]
        tasks.append(
            Task(
                id=f"llm-{split}-{seed}-{len(tasks)}",
                source=f"llm:{split}",
                query=got[0],
                tools=tuple(tools),
                steps=tuple((c,) for c in got[1]),
                seed=seed,
                split=split,
                meta={"package": pkg.name, "model": model, "near_miss": [d.name for d in distractors]},
            )
        )
    if dropped:
        print(f"[tasks] llm: {dropped} task(s) dropped after unusable replies", file=log or sys.stderr)
    return tasks


class _Asker:
    """Asks the task model for one task, retrying an unusable reply with a new seed (see the module docstring)."""

    def __init__(
        self, backend: Any, base_url: str, seed: int, retries: int, temperature: float, max_new_tokens: int
    ) -> None:
        self.backend, self.base_url, self.seed, self.retries = backend, base_url, seed, retries
        self.temperature, self.max_new_tokens = temperature, max_new_tokens

    def __call__(
        self, docs: Sequence[ToolDoc], targets: Sequence[str], k: int
    ) -> tuple[str, list[dict[str, Any]]] | None:
        """(query, calls) of the first acceptable reply for task number ``k``; None after ``retries``
        unusable ones. :class:`InfraError` when the server fails (an infrastructure fault, not a reply)."""
        from tlbench.backends.base import GenConfig

        for attempt in range(self.retries + 1):
            cfg = GenConfig(
                max_new_tokens=self.max_new_tokens,
                temperature=self.temperature,
                seed=stable_seed("llm-task", self.seed, k, attempt) % (1 << 31),
            )
            gen = self.backend.generate([task_prompt(docs, targets)], cfg)[0]
            if not gen.ok:
                hint = f"; {gen.hint}" if gen.hint else ""
                raise InfraError(f"the task model at {self.base_url} failed: {gen.error}{hint}")
            got = read_reply(gen.text, docs, targets)
            if got is not None:
                return got
        return None
