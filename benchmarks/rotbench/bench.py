"""The RoTBench benchmark class (ten files): loader, output reading in any format, scoring with categories."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.base import SINGLE_TURN, Benchmark, Item, ItemScore, LoadReport, read_json_list
from benchmarks.registry import register
from benchmarks.rotbench.scoring import (
    NONE_VALUE,
    UPSTREAM,
    CallScore,
    ReactAction,
    Repairs,
    parse_action,
    score_call,
)
from tlbench import jsonio
from tlbench.errors import DataError, UsageError
from tlbench.types import ErrorKind, ParseFailure, ParseResult, ToolCall, ToolDoc

TURNS: Mapping[str, str] = {"first": "First_Turn", "third": "Third_Turn"}


LEVELS = ("clean", "slight", "medium", "heavy", "union")


SCENARIOS = ("TG", "RS", "DU", "PL", "AM", "IR", "FT")


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
        raw = read_json_list(path, "rotbench")
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
