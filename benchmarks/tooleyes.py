"""ToolEyes (382 zero-shot items): loader, and DE / CE / VA scoring of multi-turn episode transcripts.

Items come from ``tooleyes/Test_Data/scenario_data_zero_processed.json``; item ids are file positions as
text (upstream ids repeat: two queries appear under two tools; ``metadata["upstream_id"]`` and
``metadata["path"]`` keep the upstream key). The tool docs are ``Tool_Library/<Category>/<Tool>/
config_gpt4.json`` for the item's ``path``. There are no gold answers: ToolEyes is scored from episodes.

Transcript records (one JSON object per line of ``--predictions``), the format accepted:

* ``index`` (int) and/or ``id`` (str; ``path`` may disambiguate an upstream id), matched as in
  ``benchmarks/predictions.py``;
* EITHER ``turns`` (``tools_env.episode.Episode.to_dict()``: per turn ``raw``, ``parse`` with ``calls`` /
  ``failure``, ``feedback`` with ``category`` per call), with ``forced`` / ``finished`` (the record may also
  nest these under ``"episode"``);
* OR ``messages`` (``{"role", "content"}``) or upstream ``conversations`` (``{"from", "value"}``): the
  whole conversation, system and user first. Assistant messages are re-read with ToolEyes' ReAct rule
  (``Thought: / Action: / Action Input:``, the input a Python literal read with :func:`ast.literal_eval`,
  never ``eval``); the following ``function``/``user`` message is the call's feedback, categorised with
  :func:`tlbench.classify.classify_feedback`.

Definitions (research note ``rotbench_tooleyes.md`` §5.3), per *call attempt* = every assistant
generation except the model's own final finish and a harness-forced finish; a generation with several
calls gives one attempt per call (``finish`` excluded):

* DE: the call has a tool hallucination, a parameter hallucination or a missing required parameter
  against a FRESH copy of the doc (``tlbench.classify.check_against_docs``; no cumulative gate; at most
  one DE per call; a type mismatch is not a DE);
* CE: any other error: a format error (the generation is not a readable call), or a DE-free call whose
  execution failed (feedback category ``tool_call_failure``, ``other``, or a runtime DE-like category
  that the doc did not predict, ToolEyes' code and docs disagree for 74 functions). Tool *instability*
  (timeouts, 5xx, ``{"error": "connection error."}``) is the environment's fault, not the model's: it is
  counted apart (``instability``) and is not a CE;
* VA: the episode ended by the model's own well-formed finish (a parsed ``finish`` call or final answer)
  within 9 generations; a forced finish, a crash or a transcript that stops without finishing is not VA.

``DE`` and ``CE`` are pooled rates: ``100 * sum(errors) / sum(attempts)`` over all episodes (lower is
better); ``VA`` is ``100 * mean(valid)``. CIs resample episodes. Per-item ``ts``/``pi``/``cf`` mean: no tool
hallucination / no DE / no DE and no CE in the episode; ``correct`` is VA.

Upstream's rule-based side statistics (``eval_pipeline.py``, §5.2) are computed from the messages:
``format_err_cnt``, ``conv_react_err``, ``conv_json_err``, ``conv_force_terminated`` (sums), ``Ans_pass``
and ``tool_reality`` (means). In ``upstream`` mode ``tool_reality`` keeps upstream's quirks (the
cumulative tool-hallucination gate, the per-sample ``required`` list that forgets supplied parameters,
the final message skipped by string equality); ``fixed`` mode drops them. DE/CE/VA are the same in both.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.base import MODES, Item, ItemScore, LoadReport
from benchmarks.metrics import Aggregate, bootstrap_ci, bootstrap_indices, pct, ratio_ci
from tlbench.errors import DataError, UsageError
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
    """One assistant message read with ToolEyes' rule: ``react_ok`` (the split works, action non-empty)
    and ``args_ok`` (the input is a Python literal); ``arguments`` is set when it is a dict."""

    react_ok: bool
    args_ok: bool = False
    action: str = ""
    arguments: Mapping[str, Any] | None = None


def react_split(text: object) -> ReactSplit:
    """``Thought: ... Action: ... Action Input: ...`` in this order, with a non-empty action."""
    if not isinstance(text, str):
        return ReactSplit(False)
    i_th = text.find("Thought:")
    i_act = text.find("Action:", max(i_th, 0))
    i_in = text.find("Action Input:", max(i_act, 0))
    if i_th < 0 or i_act < 0 or i_in < 0:
        return ReactSplit(False)
    action = text[i_act + 7 : i_in].strip()
    if not action:
        return ReactSplit(False)
    source = text[i_in + 13 :].strip()
    try:
        value = ast.literal_eval(source) if len(source) < 200_000 else None
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return ReactSplit(True, False, action)
    if value is None and source != "None":
        return ReactSplit(True, False, action)
    args = {str(k): v for k, v in value.items()} if isinstance(value, dict) else None
    return ReactSplit(True, True, action, args)


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
    categories: tuple[str, ...] = ()
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
    categories: list[str] = field(default_factory=list)
    calls: list[ToolCall] = field(default_factory=list)

    def add(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def format_error(self) -> None:
        self.add("attempts")
        self.add("format_errors")
        self.add("ce")
        self.categories.append(ErrorKind.UNPARSABLE.value)

    def call(self, call: ToolCall, feedback: ErrorKind | None) -> None:
        from tlbench.classify import check_against_docs

        self.add("attempts")
        self.calls.append(call)
        verdict = check_against_docs(call, self.docs)  # a fresh look at the doc for every call
        de = next((k for k in verdict.kinds if k in _DE_KINDS), None)
        if de is not None:
            self.add("de")
            self.add(de.value)
            self.categories.append(de.value)
        elif feedback is ErrorKind.TOOL_INSTABILITY:
            self.add("instability")
            self.categories.append(feedback.value)
        elif feedback is not None and feedback in _CE_EXEC:
            self.add("ce")
            self.add("failed_calls")
            self.categories.append(feedback.value)
        else:
            self.categories.append(ErrorKind.CORRECT.value)

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
        if parse.get("failure") or turn.get("category") == ErrorKind.UNPARSABLE.value and not raw_calls:
            counter.format_error()
            continue
        if not raw_calls and parse.get("final_answer") is not None:
            valid = True
            break
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


def _messages_of(record: Mapping[str, Any]) -> list[dict[str, str]]:
    """The conversation of a record, rebuilt from ``turns`` when there are no messages."""
    body = record.get("episode") if isinstance(record.get("episode"), Mapping) else record
    if (
        isinstance(body.get("turns"), list)
        and body.get("messages") is None
        and body.get("conversations") is None
    ):
        out = [dict(m) for m in body.get("prompt") or () if isinstance(m, Mapping)]
        for t in body["turns"]:
            if isinstance(t, Mapping):
                out.append({"role": "assistant", "content": str(t.get("raw", ""))})
                out.extend(dict(m) for m in t.get("messages") or () if isinstance(m, Mapping))
        if body.get("forced"):
            out.append({"role": "assistant", "content": str(body["forced"])})
        return out
    return _normalise_messages(body)


def upstream_side_stats(
    messages: Sequence[Mapping[str, str]], docs: Sequence[ToolDoc], quirks: bool = True
) -> dict[str, Any]:
    """ToolEyes' ``eval_single_data`` rule-based statistics for one sample (§5.2)."""
    index = {d.name: d for d in docs}
    required = {d.name: list(d.required) for d in docs}  # upstream: one mutable copy per sample
    assistant = [m["content"] for m in messages if m.get("role") == "assistant"]
    out = {"Ans_pass": 1, "format_err_cnt": 0, "conv_react_err": 0, "conv_json_err": 0}
    out["conv_force_terminated"] = 0
    calls = tool_hallu = param_hallu = 0
    last_value = assistant[-1] if assistant else None
    for k, text in enumerate(assistant):
        is_last = text == last_value if quirks else k == len(assistant) - 1
        split = react_split(text)
        if is_last and _is_forced(text):
            out["Ans_pass"] = 0
            out["conv_force_terminated"] += 1
            out["format_err_cnt"] += 1
            continue
        if is_last and split.react_ok:
            continue
        if not split.react_ok:
            out["conv_react_err"] += 1
            out["format_err_cnt"] += 1
            continue
        if not split.args_ok:
            out["conv_json_err"] += 1
            out["format_err_cnt"] += 1
            continue
        calls += 1
        args = split.arguments or {}
        doc = index.get(split.action)
        if doc is None:
            tool_hallu += 1
            continue
        if quirks and tool_hallu:
            continue  # upstream: after the first tool hallucination no parameter is checked again
        req = required[split.action] if quirks else list(doc.required)
        missing = any(p not in args for p in req)
        if quirks:
            required[split.action] = [p for p in req if p not in args]
        unknown = sum(1 for p in args if p not in doc.properties)
        param_hallu += min(int(missing) + unknown, 1)
    if not assistant:
        out["Ans_pass"] = 0
    out["tool_reality"] = round(1 - (tool_hallu + param_hallu) / calls, 4) if calls else 0.0
    out["calls"] = calls
    return out


# ------------------------------------------------------------------------------------------------ benchmark


@dataclass(frozen=True, slots=True)
class ToolEyes:
    """The ToolEyes zero-shot test set (382 items)."""

    name: str = "tooleyes"
    default_format: str = "react"
    predictions_are_transcripts: bool = True

    @property
    def data_files(self) -> tuple[str, ...]:
        """The pinned files ``load`` and the episodes read (manifest paths; a folder ends in ``/``)."""
        return (DATA_FILE, "tooleyes/Tool_Library/")

    def load(self, data_dir: Path, report: LoadReport | None = None) -> list[Item]:
        """Items in file order with the docs of their tool folder; bad entries are reported and skipped."""
        from tlbench.docs import docs_from_tooleyes_config

        path = Path(data_dir) / DATA_FILE
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
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
                    docs_cache[rel] = docs_from_tooleyes_config(
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
        if mode not in MODES:
            raise UsageError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
        try:
            stats = episode_stats(record, item.tools)
            side = upstream_side_stats(_messages_of(record), item.tools, quirks=mode == "upstream")
            error = None
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            stats, side, error = EpisodeStats(), {}, f"unreadable transcript: {exc}"
        detail: dict[str, Any] = {"mode": mode, **stats.to_dict(), "upstream": side}
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
                record = json.loads(output)
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
    side = [s.detail.get("upstream") or {} for s in present]
    out.update(
        {
            "attempts": int(attempts),
            "parse_failure_rate": pct(sum(_d(s, "format_errors") for s in scores), attempts),
            "instability_rate": pct(sum(_d(s, "instability") for s in scores), attempts),
            "missing": len(scores) - len(present),
            "Ans_pass": pct(sum(x.get("Ans_pass", 0) for x in side), len(scores)),
            "tool_reality": pct(sum(x.get("tool_reality", 0.0) for x in side), len(scores)),
            "format_err_cnt": sum(x.get("format_err_cnt", 0) for x in side),
            "conv_react_err": sum(x.get("conv_react_err", 0) for x in side),
            "conv_json_err": sum(x.get("conv_json_err", 0) for x in side),
            "conv_force_terminated": sum(x.get("conv_force_terminated", 0) for x in side),
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


TOOLEYES = ToolEyes()
