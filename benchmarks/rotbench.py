"""RoTBench (First_Turn / Third_Turn x clean, slight, medium, heavy, union): loader and TS/PI/CF scorer.

Items come from ``rotbench/Data/<First_Turn|Third_Turn>/<level>.json`` (a JSON list). The model sees the
conversation up to the last assistant message (system + user for First_Turn, plus two earlier actions and
their observations for Third_Turn) and must write ONE ReAct action; the last assistant value is the list of
acceptable gold answers. Item ids are the file positions as text (``"0"``, ``"1"``, ...), because upstream
ids (``"Turn 1: <query>"``) repeat across the noisy halves; the upstream id is kept in
``metadata["upstream_id"]``. Tool docs come from the JSON list in the system prompt.

Two scoring modes (research note ``rotbench_tooleyes.md`` §2):

``upstream`` reproduces ``evaluate.py --version 0`` item by item, quirks included:

* the name is ``s[s.find("Action:") + 8 : s.find("Action Input:")]`` minus ONE trailing ``"\\n"`` (no other
  stripping; a missing marker makes ``find`` return -1 and the slices run on as upstream's do);
* the arguments are ``json.loads(s[i_in + 14:])``: strict JSON, nothing after the object;
* a prediction whose arguments are falsy (``{}``, ``[]``, ``0``, ``null``) or a string scores 0/0/0;
  upstream *crashes* on an empty name (IndexError), on a list/number/``true`` as arguments once the name
  matches a gold (AttributeError on ``.keys()``) and on JSON nested beyond Python's recursion limit
  (RecursionError): all are scored as unparsable here (``empty_name`` / ``not_object`` / ``bad_json``);
* ``finish`` and ``ask_to_user`` are identified by position (last and second-to-last tool); a literal
  ``finish`` prediction is renamed to the finish-position tool's name when a gold of that tool is met, in
  each of upstream's three loops (TS, PI, CF) separately, each loop starting again from the prediction as
  written (so the TS loop stopping at a tool literally named ``finish`` does not keep the PI loop from
  reaching the finish-position tool's gold);
* TS: some gold has the same name; PI: ... and the same key set (keys whose gold value is the string
  ``"None"`` must be present, any value); CF: ... and equal values after dropping the ``"None"`` keys,
  except that CF = PI (values are not compared) when the gold's tool is the finish- or ask-position tool
  *or is literally named* ``finish`` / ``ask_to_user`` (upstream renames the two position tools to those
  names and then skips on the name, so a tool that the heavy/union noise merely named ``finish`` or
  ``ask_to_user`` skips too: 123 of the 14,000 swept predictions, all in First_Turn heavy/union and
  Third_Turn heavy);
* CF mutates the prediction in place: the ``"None"`` keys of every name-and-key-matching gold are deleted
  from the prediction dict before the value comparison, so a later gold of the same tool with a
  ``"None"`` key then fails its key check (quirk 2: item 1 of First_Turn/clean, third gold).

Agreement (``tests/upstream/test_rotbench_agreement.py``): on a seeded sweep of 14,000 predictions built
from the public golds (every file, noise level and turn; 53 kinds of mutation of names, keys, values,
types and format), upstream mode gives the official ``evaluate.py``'s TS/PI/CF on all 14,000; the 574 on
which ``evaluate.py`` raises are scored 0/0/0 as unparsable.

``fixed`` repairs four things: the flags of :class:`Repairs`, each with what it changes (measured).

In both modes the parse-failure reason is kept in ``detail["failure"]``; the classifier categories come
from :func:`tlbench.classify.classify` against the gold alternatives with ``"None"`` as the wildcard value.
Other output formats (``fmt`` other than ``react``) are read with :func:`tlbench.parsers.parse`; its first
call is scored with the same TS/PI/CF rules (a bare final answer counts as a ``finish`` call).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import base
from benchmarks.base import SINGLE_TURN, Benchmark, Item, ItemScore, LoadReport
from benchmarks.registry import register
from tlbench import jsonio
from tlbench.errors import DataError, UsageError
from tlbench.types import ErrorKind, ParseFailure, ParseResult, ToolCall, ToolDoc

__all__ = [
    "TURNS",
    "LEVELS",
    "SCENARIOS",
    "NONE_VALUE",
    "Repairs",
    "UPSTREAM",
    "FIXED",
    "ReactAction",
    "parse_action",
    "score_call",
    "score_output",
    "RoTBench",
    "ROTBENCH",
]

TURNS: Mapping[str, str] = {"first": "First_Turn", "third": "Third_Turn"}
LEVELS = ("clean", "slight", "medium", "heavy", "union")
SCENARIOS = ("TG", "RS", "DU", "PL", "AM", "IR", "FT")
#: A gold value meaning "this key must be present, any value".
NONE_VALUE = "None"
_ACTION = "Action:"
_INPUT = "Action Input:"


@dataclass(frozen=True, slots=True)
class Repairs(base.Repairs):
    """The quirks of ``evaluate.py`` that ``fixed`` mode repairs. Counts: items whose score changes when the
    first gold answer of every item is scored as the prediction, over all ten files (1,400 items; see the
    tests), and swept predictions whose fixed-mode TS/PI/CF differ from the official verdict with that
    repair alone (2,255 with all four)."""

    empty_args: bool = False
    """``{}`` arguments are a valid call (upstream ceiling 92.38 on First_Turn/clean becomes 100). Changes
    8/16/16/10/8 First_Turn and 3/6/6/3/1 Third_Turn items (clean/slight/medium/heavy/union), 77 in all (84
    of the 1,912 individual gold answers when each gold answer is scored as a prediction); 923 swept
    predictions."""
    fresh_copy: bool = False
    """Every gold is compared with a fresh copy of the prediction (no in-place mutation). Changes 0 items
    with first-gold predictions, and 24 individual gold answers over the ten files when each one is scored
    as a prediction (an earlier gold of the same tool matches keys but not values, as for item 1's third
    gold: upstream TS=PI=1, CF=0); 8 swept predictions."""
    position_names: bool = False
    """``finish`` / ``ask_to_user`` mean the position tools only. A literal ``finish`` / ``ask_to_user``
    prediction is accepted for the finish/ask-position tool only when no tool of the item is really called
    that (upstream accepts ``finish`` even when the heavy noise gave that name to another tool, and never
    accepts ``ask_to_user`` for a renamed ask tool), and values are compared for every tool but the two
    position tools (upstream skips them for a tool literally named ``finish`` / ``ask_to_user`` too).
    Changes 0 items with gold predictions (gold answers use the item's own names); 138 swept predictions
    (123 of them the literal-name value skip)."""
    strip_name: bool = False
    """Surrounding whitespace (spaces, ``\\r``, several newlines) around the action name is ignored. Changes
    0 items with gold predictions; 1,119 swept predictions."""


UPSTREAM = Repairs.upstream()
FIXED = Repairs.fixed()
repairs_for = Repairs.for_mode


@dataclass(frozen=True, slots=True)
class ReactAction:
    """One ReAct action read with upstream's slicing rule: a name and arguments, or a failure reason."""

    name: str = ""
    arguments: Any = None
    failure: str | None = None

    @property
    def ok(self) -> bool:
        """True when the action can be scored."""
        return self.failure is None


def parse_action(text: object, repairs: Repairs = UPSTREAM, *, gold: bool = False) -> ReactAction:
    """Read ``text`` as upstream's version-0 evaluator does (see the module docstring).

    ``gold=True`` skips the prediction-only rejections (falsy arguments), as upstream parses gold answers
    without them. Never raises: upstream's crashes become failures ``"empty_name"`` / ``"not_object"``.
    """
    if not isinstance(text, str):
        return ReactAction(failure="not_text")
    i_act = text.find(_ACTION)
    i_in = text.find(_INPUT)
    if repairs.strip_name and (i_act < 0 or i_in < 0):
        return ReactAction(failure="no_action")
    name = text[i_act + 8 : i_in]
    if repairs.strip_name:
        name = name.strip()
    elif name.endswith("\n"):
        name = name[:-1]
    elif not name:
        return ReactAction(failure="empty_name")  # upstream: IndexError on name[-1]
    try:
        args = json.loads(text[i_in + 14 :])
    except (ValueError, RecursionError):
        return ReactAction(name=name, failure="bad_json")
    if isinstance(args, str):
        return ReactAction(name=name, arguments=args, failure="not_object")
    if not gold and not repairs.empty_args and not args:
        return ReactAction(name=name, arguments=args, failure="empty_args")
    if not isinstance(args, dict):
        return ReactAction(name=name, arguments=args, failure="not_object")  # upstream: AttributeError
    if not name:
        return ReactAction(name=name, arguments=args, failure="empty_name")
    return ReactAction(name=name, arguments=args)


@dataclass(frozen=True, slots=True)
class CallScore:
    """TS/PI/CF of one predicted call, and the gold alternative that gave the best verdict."""

    ts: bool = False
    pi: bool = False
    cf: bool = False
    gold_index: int | None = None


def _name_matches(
    g_name: str, pred_name: str, finish: str, ask: str, tool_names: frozenset[str], repairs: Repairs
) -> bool:
    if g_name == pred_name:
        return True
    if not repairs.position_names:
        return False
    return (g_name == finish and pred_name == "finish" and "finish" not in tool_names) or (
        g_name == ask and pred_name == "ask_to_user" and "ask_to_user" not in tool_names
    )


def _values_skipped(g_name: str, finish: str, ask: str, repairs: Repairs) -> bool:
    """Whether CF skips the value comparison for a gold of this tool (then CF = PI).

    Upstream renames the gold's tool (the last tool to ``"finish"``, then the second-to-last to
    ``"ask_to_user"``) and skips when the result is either literal name, so a tool that the heavy/union noise
    merely *named* ``finish`` or ``ask_to_user`` skips too. ``position_names`` keeps the skip for the two
    position tools only.
    """
    if g_name in (finish, ask):
        return True
    return not repairs.position_names and g_name in ("finish", "ask_to_user")


def score_call(
    pred_name: str,
    pred_args: Mapping[str, Any],
    golds: Sequence[tuple[str, Mapping[str, Any]]],
    finish: str,
    ask: str,
    tool_names: Sequence[str] = (),
    repairs: Repairs = UPSTREAM,
) -> CallScore:
    """TS/PI/CF of one parsed prediction against the gold alternatives ``(name, args)``, in order.

    ``finish``/``ask`` are the names of the last and second-to-last tools. With ``UPSTREAM`` this is
    upstream's procedure: three separate loops over the golds (TS, PI, CF), each starting from the
    prediction as written and renaming a literal ``finish`` when it meets the finish-position tool's gold,
    and the in-place mutation of the prediction in CF.
    """
    names = frozenset(tool_names)

    def matches(g_name: str, name: str) -> tuple[bool, str]:
        """(same tool, the prediction's name from here on): upstream renames a literal ``finish``."""
        if not repairs.position_names and g_name == finish and name == "finish":
            name = g_name
        return _name_matches(g_name, name, finish, ask, names, repairs), name

    pred = dict(pred_args)
    ts = pi = cf = False
    best: int | None = None
    name = pred_name
    for i, (g_name, _) in enumerate(golds):
        same, name = matches(g_name, name)
        if same:
            ts, best = True, i
            break
    name = pred_name  # each of upstream's loops reads the prediction afresh
    for i, (g_name, g_args) in enumerate(golds):
        same, name = matches(g_name, name)
        if same and set(g_args) == set(pred):
            pi, best = True, i
            break
    if pi:
        name = pred_name
        for i, (g_name, g_args) in enumerate(golds):
            candidate = dict(pred) if repairs.fresh_copy else pred
            same, name = matches(g_name, name)
            if not same or set(g_args) != set(candidate):
                continue
            if _values_skipped(g_name, finish, ask, repairs):
                cf, best = True, i
                break
            gold = dict(g_args)
            for key in [k for k, v in gold.items() if v == NONE_VALUE]:
                del gold[key]
                del candidate[key]  # upstream mutates the prediction itself (quirk 2)
            if gold == candidate:
                cf, best = True, i
                break
    return CallScore(ts=ts, pi=pi, cf=cf, gold_index=best)


def _convert_message(msg: Any) -> dict[str, Any]:
    """``{"from", "value"}`` -> ``{"role", "content"}`` (roles kept: system, user, assistant, function)."""
    if not isinstance(msg, Mapping) or not isinstance(msg.get("value"), str):
        raise ValueError("a conversation entry needs a 'from' and a string 'value'")
    return {"role": str(msg.get("from")), "content": msg["value"]}


def _tool_list(system: str) -> list[Any]:
    """The raw tool list, found as upstream does (first ``[`` up to the last 13 characters)."""
    try:
        tools = jsonio.parse(system[system.find("[") : -13])
    except ValueError:
        tools, _ = json.JSONDecoder().raw_decode(system[system.find("[") :])
    if not isinstance(tools, list) or len(tools) < 2:
        raise ValueError("the system prompt's tool list needs at least two tools")
    return tools


@register
@dataclass(frozen=True, slots=True)
class RoTBench(Benchmark):
    """One RoTBench file, e.g. ``RoTBench("rotbench-first-clean", "first", "clean")``."""

    family = "rotbench"
    version = "637e43ae9a978036774c92bb2ab11a83609e304b"
    order = 20
    title = "RoTBench"
    prompt_style = "react"  # each item's system prompt is the ReAct prompt of the benchmark
    headline = SINGLE_TURN
    repairs = Repairs
    wildcard = NONE_VALUE

    name: str
    turn: str
    level: str
    default_format: str = "react"
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def variants(cls) -> tuple[RoTBench, ...]:
        """The ten files: both turns at every noise level."""
        return tuple(cls(f"rotbench-{turn}-{level}", turn, level) for turn in TURNS for level in LEVELS)

    @property
    def short(self) -> str:
        """``rot1-clean``, ``rot3-union``, ..."""
        return f"rot{1 if self.turn == 'first' else 3}-{self.level}"

    @property
    def tables(self) -> tuple[str, ...]:
        """The paper's single-turn and ablation tables report First_Turn / clean."""
        return ("3", "5") if (self.turn, self.level) == ("first", "clean") else ()

    @property
    def test_set(self) -> bool:
        """The ten files share their queries: clean and union (first turn) stand for all of them."""
        return self.turn == "first" and self.level in ("clean", "union")

    @property
    def relpath(self) -> str:
        """The file under the data dir."""
        return f"rotbench/Data/{TURNS[self.turn]}/{self.level}.json"

    @property
    def data_files(self) -> tuple[str, ...]:
        """The pinned files ``load`` reads (``benchmarks/manifest.json`` paths)."""
        return (self.relpath,)

    def tool_docs(self, raw: Any) -> tuple[ToolDoc, ...]:
        """The doc loader: the tool list of an item's system prompt (:func:`_tool_list`) as docs."""
        from tlbench.docs import docs_from_openai_list

        return docs_from_openai_list(raw)

    def load(self, data_dir: Path, report: LoadReport | None = None) -> list[Item]:
        """Items in file order; a malformed entry is reported (``file:item N``) and skipped."""
        path = Path(data_dir) / self.relpath
        try:
            raw = jsonio.parse(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise DataError(
                "benchmark file not found (run 'tlbench data pull rotbench' or pass --data-dir)",
                path=str(path),
            ) from None
        except OSError as exc:
            raise DataError(f"cannot read: {exc.strerror or exc}", path=str(path)) from None
        except ValueError as exc:
            line = getattr(exc, "lineno", None)
            raise DataError(f"not valid JSON: {exc}", path=str(path), line=line) from None
        if not isinstance(raw, list):
            raise DataError("expected a JSON list of items", path=str(path))
        report = report if report is not None else LoadReport()
        items = []
        for index, entry in enumerate(raw):
            try:
                items.append(self._item(index, entry, len(raw), report, path))
            except (ValueError, TypeError, KeyError, DataError) as exc:
                report.warn(path, None, f"item {index} skipped: {exc}")
        return items

    def _item(self, index: int, entry: Any, total: int, report: LoadReport, path: Path) -> Item:
        if not isinstance(entry, Mapping):
            raise ValueError("not a JSON object")
        conv = entry["conversations"]
        if not isinstance(conv, list) or len(conv) < 3:
            raise ValueError("'conversations' needs system, user and the gold answers")
        answers = conv[-1].get("value") if isinstance(conv[-1], Mapping) else None
        if not isinstance(answers, list) or not answers:
            raise ValueError("the last conversation entry must hold the list of gold answers")
        messages = tuple(_convert_message(m) for m in conv[:-1])
        tools = _tool_list(messages[0]["content"])
        docs = self.tool_docs(tools)
        names = [str(t.get("name")) if isinstance(t, Mapping) else "" for t in tools]
        gold: list[tuple[ToolCall, ...]] = []
        for j, text in enumerate(answers):
            act = parse_action(text, UPSTREAM, gold=True)
            if not act.ok:
                report.warn(path, None, f"item {index}: gold answer {j} unreadable ({act.failure}), dropped")
                continue
            gold.append((ToolCall(name=act.name, arguments=act.arguments, raw=str(text)),))
        if not gold:
            raise ValueError("no readable gold answer")
        noise = None  # slight/medium/heavy: first half noisy tool names, second half noisy parameter names
        if self.level in ("slight", "medium", "heavy"):
            noise = "tool_names" if index < total // 2 else "parameter_names"
        scenario = str(entry.get("scenario", ""))
        return Item(
            id=str(index),
            index=index,
            benchmark=self.name,
            scenario=scenario,
            messages=messages,
            tools=docs,
            gold=tuple(gold),
            metadata={
                "upstream_id": str(entry.get("id", "")),
                "turn": TURNS[self.turn],
                "level": self.level,
                "noise": noise,
                "tool_names": tuple(names),
                "finish_name": names[-1],
                "ask_name": names[-2],
            },
        )

    def score_item(
        self, item: Item, output: str, mode: str = "upstream", fmt: str | None = None
    ) -> ItemScore:
        """TS/PI/CF of one raw output (see the module docstring); never raises on bad output."""
        repairs = self.repairs_for(mode)
        act, extra = _read_output(output, item, repairs, fmt)
        detail: dict[str, Any] = {"mode": mode, **extra}
        if act.ok:
            sc = _score_action(act, item, repairs)
            call = ToolCall(
                name=act.name, arguments=act.arguments, raw=output if isinstance(output, str) else ""
            )
            parse = ParseResult(calls=(call,))
            detail["gold_index"] = sc.gold_index
        else:
            sc = CallScore()
            call = None
            detail["failure"] = act.failure
            if act.failure == "empty_args":  # a readable call that upstream refuses to score
                parse = ParseResult(calls=(ToolCall(name=act.name, arguments={}),))
            else:
                parse = ParseResult(failure=ParseFailure(act.failure or "no_call", raw=str(output)[:200]))
        categories = _categories(parse, item)
        return ItemScore(
            id=item.id,
            index=item.index,
            scenario=item.scenario,
            ts=sc.ts,
            pi=sc.pi,
            cf=sc.cf,
            correct=sc.cf,
            parsed=act.ok or act.failure == "empty_args",
            calls=() if call is None else (call,),
            categories=categories,
            detail=detail,
        )


def _score_action(act: ReactAction, item: Item, repairs: Repairs) -> CallScore:
    meta = item.metadata
    golds = [(alt[0].name, alt[0].arguments) for alt in item.gold]
    return score_call(
        act.name, act.arguments, golds, meta["finish_name"], meta["ask_name"], meta["tool_names"], repairs
    )


def score_output(
    item: Item, output: object, repairs: Repairs = UPSTREAM, fmt: str | None = None
) -> CallScore:
    """TS/PI/CF of one raw output under any repair set (``score_item`` without the classifier's categories;
    the agreement tests use it to count what each repair changes on its own)."""
    act, _ = _read_output(output, item, repairs, fmt)
    return _score_action(act, item, repairs) if act.ok else CallScore()


def _read_output(
    output: object, item: Item, repairs: Repairs, fmt: str | None
) -> tuple[ReactAction, dict[str, Any]]:
    """The action to score: upstream's ReAct rule for ``react``, else the shared parser's first call."""
    if fmt in (None, "react"):
        return parse_action(output, repairs), {}
    from tlbench.parsers import parse

    try:
        result = parse(output, fmt, list(item.tools))
    except NotImplementedError:
        raise UsageError(f"the {fmt!r} parser is not available yet") from None
    if not result.ok:
        reason = result.failure.reason if result.failure else "no_call"
        return ReactAction(failure=reason), {"format": fmt}
    extra: dict[str, Any] = {"format": fmt}
    if result.calls:
        first = result.calls[0]
        if len(result.calls) > 1:
            extra["extra_calls"] = len(result.calls) - 1
        name, args = first.name, dict(first.arguments)
    elif result.final_answer is not None:
        name, args = "finish", {"answer": result.final_answer}
    else:
        return ReactAction(failure="no_call"), extra
    if not args and not repairs.empty_args:
        return ReactAction(name=name, arguments=args, failure="empty_args"), extra
    return ReactAction(name=name, arguments=args), extra


def _categories(parse: ParseResult, item: Item) -> tuple[ErrorKind, ...]:
    """The shared classifier's categories for this output (informational; never affects TS/PI/CF)."""
    from tlbench.classify import classify

    verdict = classify(parse, item.tools, [list(alt) for alt in item.gold], wildcard=NONE_VALUE)
    return verdict.kinds


#: Every RoTBench file by registry name.
ROTBENCH: Mapping[str, RoTBench] = {b.name: b for b in RoTBench.variants()}
