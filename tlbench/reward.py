"""The IRM reward (TL-Training §3.3), computed from the shared classifier's :class:`Verdict` only.

Training (trl's GRPO/PPO through :func:`irm_reward_fn`) and scoring both go through
:func:`tlbench.classify.classify`, so they can never disagree about what a call is worth.

Per call (the paper's table; parameter issues are an indicator sum)::

    unparsable                      -2
    tool hallucination              -2
    wrong tool                      -1.5
    parameter issues                -0.8 if any hallucinated + -0.5 if any redundant + -0.5 if any missing
                                    (-0.5, -0.8, -1.0, -1.3 or -1.8)
    content error                   -0.25
    correct                         +1

Decisions beyond the paper (documented, tested):

* **Several calls in a turn**: the turn earns its *worst* call's reward (one bad parallel call spoils the turn).
* **Type mismatch** (doc-only, or a differing value of the wrong type) counts as a content error: -0.25.
  When parameter issues are present they decide and content/type problems add nothing.
* **Execution kinds** (only present when a caller builds a verdict from feedback): a tool-call failure is
  the model's fault in the values it sent, -0.25 like a content error; tool instability and "other" are the
  environment's fault and give 0.0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tlbench import jsonio
from tlbench.classify import classify, gold_alternatives
from tlbench.docs import docs_from_any
from tlbench.errors import TlbenchError
from tlbench.types import CallVerdict, ErrorKind, ToolDoc, Verdict

__all__ = [
    "REWARDS",
    "PARAMETER_REWARDS",
    "call_reward",
    "irm_reward",
    "irm_reward_fn",
    "completion_text",
    "verl_compute_score",
    "openrlhf_reward_func",
]

#: Reward of each headline kind (parameter kinds are resolved by :data:`PARAMETER_REWARDS`).
REWARDS: dict[ErrorKind, float] = {
    ErrorKind.UNPARSABLE: -2.0,
    ErrorKind.TOOL_HALLUCINATION: -2.0,
    ErrorKind.WRONG_TOOL: -1.5,
    ErrorKind.TYPE_MISMATCH: -0.25,
    ErrorKind.CONTENT_ERROR: -0.25,
    ErrorKind.TOOL_CALL_FAILURE: -0.25,
    ErrorKind.TOOL_INSTABILITY: 0.0,
    ErrorKind.OTHER: 0.0,
    ErrorKind.CORRECT: 1.0,
}

#: (hallucinated, redundant, missing) -> reward: the indicator sum written out so the values are exact.
PARAMETER_REWARDS: dict[tuple[bool, bool, bool], float] = {
    (True, False, False): -0.8,
    (False, True, False): -0.5,
    (False, False, True): -0.5,
    (True, True, False): -1.3,
    (True, False, True): -1.3,
    (False, True, True): -1.0,
    (True, True, True): -1.8,
}

_FATAL_KINDS = (ErrorKind.UNPARSABLE, ErrorKind.TOOL_HALLUCINATION, ErrorKind.WRONG_TOOL)
_PARAM_KINDS = (
    ErrorKind.PARAMETER_HALLUCINATION,
    ErrorKind.REDUNDANT_PARAMETER,
    ErrorKind.MISSING_PARAMETER,
)


def call_reward(cv: CallVerdict) -> float:
    """The IRM reward of one judged call (see the module docstring)."""
    kinds = cv.kinds
    if not kinds:
        return REWARDS[ErrorKind.CORRECT]
    for kind in _FATAL_KINDS:
        if kind in kinds:
            return REWARDS[kind]
    flags = (_PARAM_KINDS[0] in kinds, _PARAM_KINDS[1] in kinds, _PARAM_KINDS[2] in kinds)
    if flags != (False, False, False):
        return PARAMETER_REWARDS[flags]
    return REWARDS[cv.kind]


def irm_reward(verdict: Verdict) -> float:
    """The IRM reward of one turn: its worst call's reward, or the headline's reward when there are no calls."""
    if verdict.kind is ErrorKind.UNPARSABLE or not verdict.calls:
        return call_reward(CallVerdict(call=None, kinds=(verdict.kind,)))
    return min(call_reward(cv) for cv in verdict.calls)


def completion_text(completion: Any) -> Any:
    """The text of a trl completion: a plain string, or the last assistant message of a conversation.

    A message carrying OpenAI ``tool_calls`` is returned as the message dict itself (for the ``openai``
    parser); anything else is returned as is for the parser to reject.
    """
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Mapping):
        message: Any = completion
    elif isinstance(completion, Sequence) and completion:
        message = completion[-1]
        for m in reversed(completion):
            if isinstance(m, Mapping) and m.get("role", "assistant") == "assistant":
                message = m
                break
    else:
        return ""
    if isinstance(message, Mapping):
        if message.get("tool_calls"):
            return dict(message)
        content = message.get("content")
        if isinstance(content, list):  # multimodal-style content parts
            return "".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping))
        return "" if content is None else content
    return message


def _column(value: Any, i: int) -> Any:
    """Row ``i`` of a trl column (a list), or the value itself when it is one value for all rows."""
    if isinstance(value, list | tuple):
        return value[i] if i < len(value) else None
    return value


def _docs_for(value: Any) -> tuple[ToolDoc, ...]:
    try:
        return docs_from_any(value)
    except (ValueError, TypeError, TlbenchError):  # unreadable docs: no docs, every call hallucinated
        return ()


def irm_reward_fn(
    prompts: Sequence[Any] | None,
    completions: Sequence[Any],
    *,
    tools: Any = None,
    gold: Any = None,
    format: Any = "react",  # the dataset column is called "format"
    **kwargs: Any,
) -> list[float]:
    """trl-compatible IRM reward: ``fn(prompts, completions, **columns) -> list[float]``.

    ``tools`` and ``gold`` are dataset columns (one value per completion) or one value for all: JSON strings
    or lists of dicts, in any shape :func:`tlbench.docs.docs_from_any` and
    :func:`tlbench.classify.gold_alternatives` accept (gold may also be text in the output format).
    ``format`` is a column or one format name. Every completion goes through the same parse + classify +
    :func:`irm_reward` path as scoring; a row whose gold cannot be read scores as if no gold were given.
    """
    from tlbench.parsers import parse

    rewards: list[float] = []
    for i, completion in enumerate(completions):
        fmt = _column(format, i) or "react"
        docs = _docs_for(_column(tools, i))
        try:
            alts = gold_alternatives(_column(gold, i), str(fmt), docs)
        except (ValueError, TypeError):
            alts = None
        result = parse(completion_text(completion), str(fmt), list(docs))
        rewards.append(irm_reward(classify(result, docs, alts)))
    return rewards


def verl_compute_score(
    data_source: str, solution_str: str, ground_truth: Any, extra_info: Mapping[str, Any] | None = None
) -> float:
    """verl's ``compute_score`` hook: ``ground_truth`` is the gold; ``extra_info`` carries ``tools`` and
    ``format`` (default ``react``). Same path as :func:`irm_reward_fn`."""
    extra = extra_info if isinstance(extra_info, Mapping) else {}
    fmt = extra.get("format") or "react"
    return irm_reward_fn(None, [solution_str], tools=[extra.get("tools")], gold=[ground_truth], format=fmt)[0]


def openrlhf_reward_func(queries: Sequence[str], prompts: Sequence[str], labels: Sequence[Any]) -> Any:
    """OpenRLHF's remote ``reward_func(queries, prompts, labels)``: each query is prompt + response, each
    label a JSON object (or dict) ``{"tools", "gold", "format"}``. Returns a float tensor."""
    import torch

    completions: list[str] = []
    tools: list[Any] = []
    gold: list[Any] = []
    formats: list[Any] = []
    for query, prompt, label in zip(queries, prompts, labels, strict=True):
        completions.append(query[len(prompt) :] if query.startswith(prompt) else query)
        if isinstance(label, str):
            try:
                label = jsonio.parse(label)
            except ValueError:
                label = {}
        label = label if isinstance(label, Mapping) else {}
        tools.append(label.get("tools"))
        gold.append(label.get("gold"))
        formats.append(label.get("format") or "react")
    rewards = irm_reward_fn(list(prompts), completions, tools=tools, gold=gold, format=formats)
    return torch.tensor(rewards, dtype=torch.float32)
