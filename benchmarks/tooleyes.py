"""ToolEyes (382 zero-shot items): loader, and DE / CE / VA scoring of multi-turn episode transcripts.

Items come from ``tooleyes/Test_Data/scenario_data_zero_processed.json``; item ids are file positions as
text (upstream ids repeat: two queries appear under two tools; ``metadata["upstream_id"]`` and
``metadata["path"]`` keep the upstream key). The tool docs are ``Tool_Library/<Category>/<Tool>/
config_gpt4.json`` for the item's ``path``. There are no gold answers: ToolEyes is scored from episodes.

Transcript records (one JSON object per line of ``--predictions``), the format accepted:

* ``index`` (int) and/or ``id`` (str; ``path`` may disambiguate an upstream id), matched as in
  ``benchmarks/predictions.py``;
* EITHER ``turns`` (``tools_env.episode.Episode.to_dict()``: per turn ``raw``, ``parse`` with ``calls`` /
  ``failure``, ``feedback`` with ``category`` per call), with ``fmt``, ``forced`` / ``finished`` (the
  record may also nest these under ``"episode"``);
* OR ``messages`` (``{"role", "content"}``) or upstream ``conversations`` (``{"from", "value"}``): the
  whole conversation, system and user first, as upstream's inference stores it. Assistant messages are
  re-read with the official scorer's rule (:func:`react_split`); the following ``function``/``user``
  message is the call's feedback, categorised with :func:`tlbench.classify.classify_feedback`.

Definitions (research note ``rotbench_tooleyes.md`` §5.3), per *call attempt* = every assistant
generation except the model's own final finish and a harness-forced finish; a generation with several
calls gives one attempt per call (``finish`` excluded):

* DE: the call has a tool hallucination, a parameter hallucination or a missing required parameter
  against a FRESH copy of the doc (``tlbench.classify.check_against_docs``; no cumulative gate; at most
  one DE per call; a type mismatch is not a DE);
* CE: any other error: a format error (the generation is not a readable call, or it is a reply without
  a call), or a DE-free call whose execution failed (feedback category ``tool_call_failure``, ``other``,
  or a runtime DE-like category that the doc did not predict, ToolEyes' code and docs disagree for 74
  functions). Tool *instability* (timeouts, 5xx, ``{"error": "connection error."}``) is the environment's
  fault, not the model's: it is counted apart (``instability``) and is not a CE;
* VA: the episode ended by the model's own well-formed ``finish`` call within 9 generations; a forced
  finish, a crash or a transcript that stops without finishing is not VA. A reply without a call (a bare
  ``Final Answer:``, a text-only reply through native ``tools=``) is a format error, not a finish, in
  every format: ToolEyes' inference ends an episode only on a ``finish`` action, and its function-calling
  path (``Code/Inference/models.py``, ``mode == "function_call"``) writes a reply without
  ``function_call`` as ``Action: `` with ``{}``, an empty action that ends nothing
  (:class:`tools_env.episode.Episode` applies the same rule while running).

``DE`` and ``CE`` are pooled rates: ``100 * sum(errors) / sum(attempts)`` over all episodes (lower is
better); ``VA`` is ``100 * mean(valid)`` over all 382 items (a missing episode is not valid). CIs resample
episodes. Per-item ``ts``/``pi``/``cf`` mean: no tool hallucination / no DE / no DE and no CE in the
episode; ``correct`` is VA.

Upstream's rule-based statistics (``Code/Evaluation/util/utils.py``: ``Format_alignment_score`` and
``Tool_selection_score`` inside ``eval_single_data``; research note §5.2) are reproduced per episode in
``detail["upstream"]`` (:func:`upstream_side_stats`): ``Ans_pass``, ``IF``, ``tool_reality``,
``format_err_cnt``, ``conv_react_err``, ``conv_json_err``, ``conv_force_terminated``, in upstream mode
item by item, quirks included:

* a message is read as ``process_message`` reads it (:func:`react_split`): the action is the text between
  the first ``Action:`` and the next ``Action Input:`` with every literal two-character ``\\n`` and every
  ``Action:`` removed (``get_uuid\\n`` is ``get_uuid``); the input is checked with ``eval``, which
  tlbench never calls: :func:`benchmarks.pyeval.python_eval` decides from the AST whether it would
  succeed and what it returns (literals, containers, arithmetic, builtins as names: ``{min: "1"}`` and
  ``{"cnt": 1+2}`` pass, ``{"a": true}`` fails). The one approximation: an input whose value depends on
  running code (a call, an attribute, a comprehension, a name upstream's module binds; see
  ``benchmarks/pyeval.py``) is assumed to evaluate, to a dict with the displayed keys when it is a dict
  display and to a non-dict otherwise. ``eval_undecided`` counts such inputs per episode (summary:
  ``eval_undecided``); over the 12,000-episode sweep of ``tests/upstream/`` 1,387 episodes hold one and 122
  of those get another verdict than upstream's, every other episode agrees;
* the final message is every assistant message equal to the conversation's last message of ANY role
  (an episode that ends on a function message has no final message; its last call is an ordinary one);
* ``Ans_pass`` starts at 1 (0 only for a forced finish); the tool-hallucination gate is cumulative; the
  ``required`` list is one mutable copy per sample that forgets supplied parameters;
* ``crash``: the official pipeline would raise on this episode (its judge-prompt builder cannot split a
  message without ``Action:`` / ``Input`` / ``Action Input:``, or ``Tool_selection_score`` calls
  ``.keys()`` on a non-dict input of a documented tool); the figures are still given, the summary leaves
  the episode out and counts it (``upstream_crashes``);
* ``turns`` records hold raw generations: each is first stored the way upstream's inference loop stores
  it (:func:`stored_text`: ``react_parser`` plus the ``"}`` repair of a truncated finish; a native call
  written as the function-calling path writes it, :func:`rendered_call`), so a tlbench episode gets the
  verdict upstream would give it.

``fixed`` mode drops those quirks: the final message is the last assistant message, a sample without one
has ``Ans_pass`` 0, every call is checked against a fresh doc, no episode crashes. DE/CE/VA are the same
in both modes.

Summary figures, named for what they are (upstream's ``aggregated_data``): ``Ans_pass_mean``,
``IF_mean`` and ``tool_reality_mean`` (percent) and ``format_err_per_episode`` are means over the
episodes present (``side_episodes``; a missing or crashing episode is not in the official input), and
``conv_react_err_sum``, ``conv_json_err_sum``, ``conv_force_terminated_sum`` are sums over them. In
upstream mode the two queries asked under two tools (items 44/96, 50/97) both contribute the episode of
the first present item, as upstream's per-scenario selection by query id does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.base import EPISODE, Benchmark, Item, ItemScore, LoadReport
from benchmarks.metrics import Aggregate, bootstrap_ci, bootstrap_indices, pct, ratio_ci
from benchmarks.pyeval import PyEval, jsonable, python_eval
from benchmarks.registry import register
from tlbench import jsonio
from tlbench.errors import DataError
from tlbench.types import ErrorKind, Feedback, ToolCall, ToolDoc

__all__ = ["TOOLEYES", "ToolEyes", "EpisodeStats", "react_split", "episode_stats", "upstream_side_stats"]

DATA_FILE = "tooleyes/Test_Data/scenario_data_zero_processed.json"
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
_FORCED_MARK = "I cannot handle the task."
_FORCED_WHY = ("trying too many times", "During execution, an error occurs.")
_ROLES = {"human": "user", "gpt": "assistant", "observation": "function", "tool": "function"}


# ------------------------------------------------------------------------------------------ ReAct reading


@dataclass(frozen=True, slots=True)
class ReactSplit:
    """One assistant message read with the official scorer's rule (``util/utils.py``: ``process_message``,
    ``reasoning_format_check``, ``json_format_check``).

    ``react_ok``: the three markers split and the action is non-empty; ``args_ok``: ``eval`` of the input
    succeeds (decided by :func:`benchmarks.pyeval.python_eval`, assumed for an undecided input);
    ``arguments``: the input as a JSON-shaped dict when it is one; ``parsed``: the eval outcome (None when
    the markers do not split).
    """

    react_ok: bool
    args_ok: bool = False
    action: str = ""
    arguments: Mapping[str, Any] | None = None
    parsed: PyEval | None = None


def _segments(text: str) -> tuple[str, str] | None:
    """Upstream ``process_message``: (action, action input), or None when one of its regexes fails.

    ``Thought:.*?Action:`` needs an ``Action:`` after the first ``Thought:``; the action is the text from the
    first ``Action:`` to the next ``Action Input:`` with every literal ``\\n`` (backslash, n), ``Action:`` and
    ``Action Input:`` removed, then stripped; the input is everything after the first ``Action Input:`` with
    every ``Action Input:`` removed, stripped.
    """
    i_th = text.find("Thought:")
    if i_th < 0 or text.find("Action:", i_th + 8) < 0:
        return None
    i_act = text.find("Action:")
    j = text.find("Action Input:", i_act + 7)
    i_in = text.find("Action Input:")
    if j < 0 or i_in < 0:
        return None
    action = (
        text[i_act : j + 13].replace("\\n", "").replace("Action:", "").replace("Action Input:", "").strip()
    )
    return action, text[i_in:].replace("Action Input:", "").strip()


def react_split(text: object) -> ReactSplit:
    """Read one assistant message as the official scorer does (see :class:`ReactSplit`); never evaluates."""
    if not isinstance(text, str):
        return ReactSplit(False)
    seg = _segments(text)
    if seg is None:
        return ReactSplit(False)
    action, source = seg
    parsed = python_eval(source)
    args = None
    if parsed.is_dict:
        value = parsed.value if parsed.status == "value" else dict.fromkeys(parsed.dict_keys())
        args = jsonable(value)
    return ReactSplit(bool(action), parsed.ok, action, args, parsed)


def judge_prompts_ok(text: str) -> bool:
    """Whether upstream's judge-prompt builder (``util/process_utils.py``: ``process_message``) can split
    ``text``: it needs ``Action:``, then ``Input`` after it, and ``Action Input:``, and crashes otherwise."""
    i_act = text.find("Action:")
    return i_act >= 0 and text.find("Input", i_act + 7) >= 0 and "Action Input:" in text


def stored_text(raw: str) -> str:
    """The assistant message upstream's inference loop stores for a raw generation (``Code/Inference/
    utils.py``: ``react_parser``): the ``Thought:...Action:`` span without ``Action:``, the
    ``Action:...Action Input:`` span without ``Action Input:`` and the ``Action Input:...`` rest without
    newlines, each replaced by an empty default when its marker is missing, concatenated; a ``finish``
    whose input does not end with ``"}`` gets ``"}`` appended (``inference.py``: the truncation repair)."""
    i_th = raw.find("Thought:")
    j = raw.find("Action:", i_th + 8) if i_th >= 0 else -1
    thought = raw[i_th : j + 7].replace("Action:", "") if j >= 0 else "Thought: \n"
    i_act = raw.find("Action:")
    k = raw.find("Action Input:", i_act + 7) if i_act >= 0 else -1
    action = raw[i_act : k + 13].replace("Action Input:", "") if k >= 0 else "Action: \n"
    i_in = raw.find("Action Input:")
    action_input = raw[i_in:].replace("\n ", "").replace("\n", "") if i_in >= 0 else "Action Input: {}"
    text = thought + action + action_input
    name = action.replace("Action: ", "").strip()
    if name.lower() == "finish" and action_input.replace("Action Input: ", "").strip()[-2:] != '"}':
        text += '"}'
    return text


def rendered_call(thought: str, name: str, arguments: str) -> str:
    """A native tool call as ToolEyes' function-calling path writes it (``models.py``, ``mode ==
    "function_call"``): ``Thought: <content>`` / ``Action: <name>`` / ``Action Input: <arguments>``; a
    reply without a call has an empty action and ``{}``."""
    flat = arguments.replace("\n  ", "").replace("\n", "")
    return f"Thought: {thought}\nAction: {name}\nAction Input: {flat}"


def _is_forced(text: str) -> bool:
    return _FORCED_MARK in text and any(w in text for w in _FORCED_WHY)


# -------------------------------------------------------------------------------------- episode statistics


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
        if last and _is_forced(text):
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


def _messages_of(record: Mapping[str, Any], upstream: bool = False) -> list[dict[str, str]]:
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


#: The side statistics of one episode, in the official scorer's names (``eval_single_data``).
SIDE_KEYS = ("Ans_pass", "IF", "tool_reality", "format_err_cnt", "conv_react_err", "conv_json_err")


def upstream_side_stats(
    messages: Sequence[Mapping[str, str]], docs: Sequence[ToolDoc], quirks: bool = True
) -> dict[str, Any]:
    """ToolEyes' rule-based statistics of one sample (``util/utils.py``: ``Format_alignment_score`` and
    ``Tool_selection_score``, research note §5.2), and whether the official pipeline would crash on it.

    ``quirks`` (upstream mode): the final message is every assistant message equal to the conversation's
    last message of ANY role; ``Ans_pass`` starts at 1; the tool-hallucination gate is cumulative; the
    ``required`` list is one mutable copy per sample. Without quirks (fixed mode) the final message is the
    last assistant message, a sample without one has ``Ans_pass`` 0, every call is checked against a fresh
    doc, and no input crashes.
    """
    index: dict[str, ToolDoc] = {}
    for d in docs:
        index.setdefault(d.name, d)  # upstream takes the first doc of a name
    required = {name: list(d.required) for name, d in index.items()}
    roles = [str(m.get("role")) for m in messages]
    texts = [m.get("content") if isinstance(m.get("content"), str) else "" for m in messages]
    assistant = [k for k, r in enumerate(roles) if r == "assistant"]
    last_value = texts[-1] if texts else None
    last_k = assistant[-1] if assistant else -1
    out = {"Ans_pass": 1 if quirks or assistant else 0, "format_err_cnt": 0, "conv_react_err": 0}
    out.update(conv_json_err=0, conv_force_terminated=0)
    crash: str | None = None
    if quirks:
        if not messages or roles[0] != "system":
            crash = "judge prompts: no system prompt to read the tool document from"
        elif any(not judge_prompts_ok(texts[k]) for k in [*assistant, len(texts) - 1]):
            crash = "judge prompts: a message without 'Action:' / 'Input' / 'Action Input:' (AttributeError)"
    answered = format_ok = calls = tool_hallu = param_hallu = undecided = 0
    for k in assistant:
        text = texts[k]
        is_last = text == last_value if quirks else k == last_k
        answered += 1
        if is_last and _is_forced(text):
            out["Ans_pass"] = 0
            out["conv_force_terminated"] += 1
            out["format_err_cnt"] += 1
            continue
        split = react_split(text)
        if is_last and split.react_ok:
            out["Ans_pass"] = 1
            format_ok += 1
            continue
        if split.parsed is not None and split.parsed.status == "undecided":
            undecided += 1
        if not split.react_ok:
            out["conv_react_err"] += 1
        elif not split.args_ok:
            out["conv_json_err"] += 1
        if not (split.react_ok and split.args_ok):
            out["format_err_cnt"] += 1
            continue
        format_ok += 1
        calls += 1
        doc = index.get(split.action)
        if doc is None:
            tool_hallu += 1
            continue
        if quirks and tool_hallu:
            continue  # upstream: after the first tool hallucination no parameter is checked again
        if quirks and (split.parsed is None or not split.parsed.is_dict):
            crash = (
                crash
                or "tool selection: the Action Input of a documented tool is not a dict (AttributeError)"
            )
            continue
        keys = split.parsed.dict_keys() if split.parsed is not None else ()
        req = required[split.action] if quirks else list(doc.required)
        for key in keys:
            if key in req:
                req.remove(key)
        props = list(doc.properties)
        unknown = sum(1 for key in keys if key not in props)
        param_hallu += min(int(bool(req)) + unknown, 1)
    out["IF"] = format_ok / answered if answered else 0
    out["tool_reality"] = 1 - (tool_hallu + param_hallu) / calls if calls else 0
    out["calls"] = calls
    out["eval_undecided"] = undecided
    out["crash"] = crash
    return out


# ------------------------------------------------------------------------------------------------ benchmark


@register
@dataclass(frozen=True, slots=True)
class ToolEyes(Benchmark):
    """The ToolEyes zero-shot test set (382 items)."""

    family = "tooleyes"
    version = "c818fcebe017951570a25e552a7984e40093fd52"
    order = 40
    title = "ToolEyes"
    prompt_style = "react"  # each item's system prompt is the ReAct prompt of the benchmark
    headline = EPISODE
    episodic = True

    name: str = "tooleyes"
    default_format: str = "react"

    @property
    def short(self) -> str:
        """``eyes``."""
        return "eyes"

    @property
    def tables(self) -> tuple[str, ...]:
        """The paper's multi-turn and ablation tables."""
        return ("4", "5")

    @property
    def data_files(self) -> tuple[str, ...]:
        """The pinned files ``load`` and the episodes read (manifest paths; a folder ends in ``/``)."""
        return (DATA_FILE, "tooleyes/Tool_Library/")

    def tool_docs(self, raw: Any) -> tuple[ToolDoc, ...]:
        """The doc loader: a tool folder's ``config_gpt4.json`` (a path, or its loaded list)."""
        from tlbench.docs import docs_from_tooleyes_config

        return docs_from_tooleyes_config(raw)

    def load(self, data_dir: Path, report: LoadReport | None = None) -> list[Item]:
        """Items in file order with the docs of their tool folder; bad entries are reported and skipped."""
        path = Path(data_dir) / DATA_FILE
        try:
            raw = jsonio.parse(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise DataError(
                "benchmark file not found (run 'tlbench data pull tooleyes')", path=str(path)
            ) from None
        except (OSError, ValueError) as exc:
            raise DataError(
                f"cannot read: {exc}", path=str(path), line=getattr(exc, "lineno", None)
            ) from None
        if not isinstance(raw, list):
            raise DataError("expected a JSON list of items", path=str(path))
        report = report if report is not None else LoadReport()
        docs_cache: dict[str, tuple[ToolDoc, ...]] = {}
        items = []
        for index, entry in enumerate(raw):
            try:
                tool_path = str(entry["path"])
                rel = tool_path.split("Tool_Library/", 1)[1]
                if ".." in rel.split("/"):
                    raise ValueError(f"bad tool path {tool_path!r}")
                if rel not in docs_cache:
                    docs_cache[rel] = self.tool_docs(
                        Path(data_dir) / "tooleyes" / "Tool_Library" / rel / "config_gpt4.json"
                    )
                messages = tuple(
                    {"role": str(m["from"]), "content": str(m["value"])} for m in entry["conversations"]
                )
                category, _, tool = rel.partition("/")
                items.append(
                    Item(
                        id=str(index),
                        index=index,
                        benchmark=self.name,
                        scenario=str(entry.get("scenario", "")),
                        messages=messages,
                        tools=docs_cache[rel],
                        metadata={
                            "upstream_id": str(entry.get("id", "")),
                            "path": tool_path,
                            "category": category,
                            "tool": tool,
                        },
                    )
                )
            except (KeyError, IndexError, TypeError, ValueError, DataError) as exc:
                report.warn(path, None, f"item {index} skipped: {exc}")
        return items

    def score_transcript(self, item: Item, record: Mapping[str, Any], mode: str = "upstream") -> ItemScore:
        """DE/CE/VA of one episode transcript; a malformed transcript scores as a failed episode."""
        self.repairs_for(mode)  # UsageError for an unknown mode; the side statistics' quirks follow ``mode``
        try:
            stats = episode_stats(record, item.tools)
            upstream = mode == "upstream"
            side = upstream_side_stats(_messages_of(record, upstream), item.tools, quirks=upstream)
            error = None
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            stats, side, error = EpisodeStats(), {}, f"unreadable transcript: {exc}"
        detail: dict[str, Any] = {
            "mode": mode,
            "upstream_id": item.metadata.get("upstream_id", item.id),
            **stats.to_dict(),
            "upstream": side,
        }
        if error:
            detail["error"] = error
        return ItemScore(
            id=item.id,
            index=item.index,
            scenario=item.scenario,
            ts=error is None and stats.tool_hallucination == 0,
            pi=error is None and stats.de == 0,
            cf=error is None and stats.de == 0 and stats.ce == 0,
            correct=stats.valid,
            parsed=error is None and stats.format_errors == 0,
            calls=stats.calls,
            categories=stats.categories,
            detail=detail,
        )

    def score_item(
        self, item: Item, output: str, mode: str = "upstream", fmt: str | None = None
    ) -> ItemScore:
        """A JSON transcript in ``output``, or one bare generation scored as a one-turn episode."""
        record: Any = None
        if isinstance(output, str) and output.lstrip().startswith("{"):
            try:
                record = jsonio.parse(output)
            except ValueError:
                record = None
        if not isinstance(record, Mapping):
            record = {"messages": [*item.messages, {"role": "assistant", "content": str(output)}]}
        return self.score_transcript(item, record, mode)

    def aggregate(self, scores: Sequence[ItemScore], *, resamples: int = 1000, seed: int = 0) -> Aggregate:
        """DE/CE (pooled per call attempt), VA (per episode), side statistics, per scenario, CIs."""
        return Aggregate(
            _summary(scores),
            {name: _summary(group, short=True) for name, group in _groups(scores).items()},
            _cis(scores, resamples, seed),
        )


def _d(score: ItemScore, key: str) -> float:
    value = score.detail.get(key, 0)
    return float(value) if isinstance(value, int | float) else 0.0


def _groups(scores: Sequence[ItemScore]) -> dict[str, list[ItemScore]]:
    groups: dict[str, list[ItemScore]] = {}
    for s in scores:
        groups.setdefault(s.scenario or "-", []).append(s)
    return groups


def _side_of_present(scores: Sequence[ItemScore], mode: str) -> list[Mapping[str, Any]]:
    """The side statistics each present episode contributes to the official summary.

    Upstream (``aggregated_data``) picks, for every scenario, the FIRST sample of the input file with each
    query id: the two queries asked under two tools (items 44/96 and 50/97) are both counted with the
    episode that comes first, so in upstream mode a present episode contributes the statistics of the first
    present episode with its upstream id. Episodes whose statistics do not exist (an unreadable transcript,
    or one the official pipeline crashes on) are left out.
    """
    present = [s for s in scores if not s.detail.get("missing")]
    first: dict[str, Mapping[str, Any]] = {}
    out = []
    for s in present:
        side = s.detail.get("upstream") or {}
        if mode == "upstream":
            key = str(s.detail.get("upstream_id", s.id))
            side = first.setdefault(key, side)
        if side and not side.get("crash"):
            out.append(side)
    return out


def _summary(scores: Sequence[ItemScore], short: bool = False) -> dict[str, Any]:
    attempts = sum(_d(s, "attempts") for s in scores)
    out: dict[str, Any] = {
        "n": len(scores),
        "DE": pct(sum(_d(s, "de") for s in scores), attempts),
        "CE": pct(sum(_d(s, "ce") for s in scores), attempts),
        "VA": pct(sum(s.correct for s in scores), len(scores)),
    }
    if short:
        return out
    present = [s for s in scores if not s.detail.get("missing")]
    mode = next((str(s.detail.get("mode")) for s in present), "upstream")
    side = _side_of_present(scores, mode)
    n = len(side)
    out.update(
        {
            "attempts": int(attempts),
            "parse_failure_rate": pct(sum(_d(s, "format_errors") for s in scores), attempts),
            "instability_rate": pct(sum(_d(s, "instability") for s in scores), attempts),
            "missing": len(scores) - len(present),
            "side_episodes": n,
            "upstream_crashes": sum(1 for s in present if (s.detail.get("upstream") or {}).get("crash"))
            + sum(1 for s in present if not s.detail.get("upstream")),
            "Ans_pass_mean": pct(sum(x.get("Ans_pass", 0) for x in side), n),
            "IF_mean": pct(sum(x.get("IF", 0) for x in side), n),
            "tool_reality_mean": pct(sum(x.get("tool_reality", 0) for x in side), n),
            "format_err_per_episode": round(sum(x.get("format_err_cnt", 0) for x in side) / n, 2)
            if n
            else 0.0,
            "conv_react_err_sum": sum(x.get("conv_react_err", 0) for x in side),
            "conv_json_err_sum": sum(x.get("conv_json_err", 0) for x in side),
            "conv_force_terminated_sum": sum(x.get("conv_force_terminated", 0) for x in side),
            "eval_undecided": sum((s.detail.get("upstream") or {}).get("eval_undecided", 0) for s in present),
        }
    )
    return out


def _cis(scores: Sequence[ItemScore], resamples: int, seed: int) -> dict[str, tuple[float, float]]:
    draws = bootstrap_indices(len(scores), resamples, seed)
    attempts = [_d(s, "attempts") for s in scores]
    return {
        "DE": ratio_ci([_d(s, "de") for s in scores], attempts, indices=draws),
        "CE": ratio_ci([_d(s, "ce") for s in scores], attempts, indices=draws),
        "VA": bootstrap_ci([float(s.correct) for s in scores], indices=draws),
    }


(TOOLEYES,) = ToolEyes.variants()
