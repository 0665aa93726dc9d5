"""The ToolAlpaca eval_real benchmark class: loader (gold repairs, authentication parameters left out),
output reading and scoring.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.base import SINGLE_TURN, Benchmark, Item, ItemScore, LoadReport, read_json_list
from benchmarks.registry import register
from benchmarks.toolalpaca.scoring import Context, Repairs, score_all, score_first
from tlbench import jsonio
from tlbench.errors import UsageError
from tlbench.types import ErrorKind, ParseFailure, ParseResult, ToolCall, ToolDoc

RELPATH = "toolalpaca/eval_real.json"


_DUP_KEY = re.compile(r'"(\w+)":\s*"\1":\s*')


#: (API, instruction index) -> {parameter: extra accepted values} (``errata`` repair).
ERRATA: Mapping[tuple[str, int], Mapping[str, tuple[Any, ...]]] = {
    ("AviationAPI", 2): {"chart_name": ("Arrivals",)},
}


#: Gold choices the instruction does not determine (documented, not repaired).
ARBITRARY_GOLD: Mapping[tuple[str, int], str] = {
    ("Fruityvice", 9): "fruits in season: the gold picks apple and banana",
    ("CurrencyBeacon", 9): "'July' without a year: the gold assumes 2023",
    ("CurrencyBeacon", 10): "'July' without a year: the gold assumes 2023",
    ("Cataas", 5): "'a list of 3 cats': three getRandomCat calls (api with limit=3 is plausible too)",
    ("AviationAPI", 2): "gold typo 'Arriivals' (repaired in fixed mode)",
}


def repair_action_input(text: str) -> tuple[dict[str, Any], bool]:
    """A gold ``Action_Input`` as a dict, and whether the ``"k": "k": v`` duplication had to be repaired.

    ``ValueError`` when it is not a JSON object even after the repair.
    """
    repaired = False
    try:
        value = jsonio.parse(text) if text.strip() else {}
    except ValueError:
        fixed = _DUP_KEY.sub(lambda m: f'"{m.group(1)}": ', text)
        value = jsonio.parse(fixed)
        repaired = True
    if not isinstance(value, dict):
        raise ValueError("Action_Input is not a JSON object")
    return value, repaired


def _react_actions(text: str, docs: Sequence[ToolDoc]) -> ParseResult:
    """Every ``Action:`` block of a ReAct output (the shared parser reads only the first)."""
    from tlbench.parsers.react import parse_react

    starts = [m.start() for m in re.finditer(r"Action:", text)]
    if len(starts) <= 1:
        return parse_react(text, docs)
    calls: list[ToolCall] = []
    for a, b in zip(starts, [*starts[1:], len(text)], strict=True):
        part = parse_react(text[a:b], docs)
        if not part.ok:
            return part
        calls.extend(part.calls)
    return ParseResult(calls=tuple(calls))


def _read_output(output: object, item: Item, fmt: str | None, every: bool) -> ParseResult:
    if not isinstance(output, str):
        return ParseResult(failure=ParseFailure("not_text", "output is not a string"))
    docs = list(item.tools)
    if fmt in (None, "react"):
        if every:
            return _react_actions(output, docs)
        from tlbench.parsers.react import parse_react

        return parse_react(output, docs)
    from tlbench.parsers import parse

    try:
        return parse(output, fmt, docs)
    except NotImplementedError:
        raise UsageError(f"the {fmt!r} parser is not available yet") from None


def _render(call: ToolCall) -> str:
    return f"Action: {call.name}\nAction Input: {jsonio.dumps(dict(call.arguments))}"


@register
@dataclass(frozen=True, slots=True)
class ToolAlpaca(Benchmark):
    """ToolAlpaca eval_real; ``calls`` is ``"first"`` (Mode A) or ``"all"`` (Mode B)."""

    family = "toolalpaca"
    version = "189069998d64a7baf1b4a1c3c4b2e75eb9d05532"
    order = 10
    title = "ToolAlpaca"
    headline = SINGLE_TURN
    repairs = Repairs

    name: str
    calls: str = "first"
    default_format: str = "react"
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def variants(cls) -> tuple[ToolAlpaca, ...]:
        """Mode A only: Mode B (:data:`TOOLALPACA_REAL_ALL`) is scored by the tests, not registered."""
        return (cls("toolalpaca-real"),)

    @property
    def short(self) -> str:
        """``alpaca`` (``alpaca-all`` for Mode B)."""
        return "alpaca" if self.calls == "first" else "alpaca-all"

    @property
    def tables(self) -> tuple[str, ...]:
        """The paper's single-turn and ablation tables (Mode A)."""
        return ("3", "5") if self.calls == "first" else ()

    @property
    def data_files(self) -> tuple[str, ...]:
        """The pinned files ``load`` reads (``benchmarks/manifest.json`` paths)."""
        return (RELPATH,)

    def tool_docs(self, raw: Any) -> tuple[ToolDoc, ...]:
        """The doc loader: one API entry of ``eval_real.json`` (:func:`tlbench.docs.docs_from_toolalpaca`)."""
        from tlbench.docs import docs_from_toolalpaca

        return docs_from_toolalpaca(raw)

    def load(self, data_dir: Path, report: LoadReport | None = None) -> list[Item]:
        """114 items in file order; a malformed API entry or gold call is reported and skipped."""
        path = Path(data_dir) / RELPATH
        raw = read_json_list(path, "toolalpaca", "APIs")
        report = report if report is not None else LoadReport()
        items: list[Item] = []
        for a, api in enumerate(raw):
            if not isinstance(api, Mapping) or not isinstance(api.get("Name"), str):
                report.warn(path, None, f"API {a} skipped: not an object with a 'Name'")
                continue
            instructions, answers = api.get("Instructions"), api.get("Golden_Answers")
            if (
                not isinstance(instructions, list)
                or not isinstance(answers, list)
                or len(instructions) != len(answers)
            ):
                report.warn(
                    path, None, f"API {a} ({api['Name']}) skipped: Instructions/Golden_Answers mismatch"
                )
                continue
            docs = self.tool_docs(api)
            for k, (text, answer) in enumerate(zip(instructions, answers, strict=True)):
                try:
                    items.append(self._item(len(items), api, k, text, answer, docs))
                except (ValueError, TypeError, KeyError) as exc:
                    report.warn(path, None, f"{api['Name']}/{k} skipped: {exc}")
        return items

    def _item(
        self, index: int, api: Mapping[str, Any], k: int, text: Any, answer: Any, docs: tuple[ToolDoc, ...]
    ) -> Item:
        name = str(api["Name"])
        auth = api.get("Authentication")
        auth_params = tuple(str(p) for p in auth) if isinstance(auth, Mapping) else ()
        if not isinstance(text, str) or not isinstance(answer, list) or not answer:
            raise ValueError("an instruction needs a string and a non-empty list of gold calls")
        gold: list[ToolCall] = []
        repaired = False
        for step in answer:
            if not isinstance(step, Mapping) or not isinstance(step.get("Action"), str):
                raise ValueError("a gold step needs a string 'Action'")
            args, fixed = repair_action_input(str(step.get("Action_Input") or ""))
            repaired = repaired or fixed
            args = {key: v for key, v in args.items() if key not in auth_params}
            call = ToolCall(name=step["Action"], arguments=args)
            gold.append(ToolCall(name=call.name, arguments=args, raw=_render(call)))
        names = {d.name for d in docs}
        undocumented = sorted({g.name for g in gold} - names)
        errata = {
            i: ERRATA[(name, k)]
            for i, g in enumerate(gold)
            if (name, k) in ERRATA and set(ERRATA[(name, k)]) & set(g.arguments)
        }
        return Item(
            id=f"{name}/{k}",
            index=index,
            benchmark=self.name,
            scenario=name,
            messages=({"role": "user", "content": text},),
            tools=docs,
            gold=(tuple(gold),),
            metadata={
                "api": name,
                "instruction_index": k,
                "category": str(api.get("Category", "")),
                "auth_params": auth_params,
                "repaired_json": repaired,
                "undocumented_gold": tuple(undocumented),
                "errata": errata,
                "arbitrary_gold": ARBITRARY_GOLD.get((name, k), ""),
            },
        )

    def gold_output(self, item: Item) -> str:
        """The gold as a ReAct output: the first call (``calls="first"``) or every call in order."""
        gold = item.gold[0]
        shown = gold[:1] if self.calls == "first" else gold
        return "\n".join(f"Thought: step {i + 1}\n{c.raw}" for i, c in enumerate(shown))

    def score_item(
        self, item: Item, output: str, mode: str = "upstream", fmt: str | None = None
    ) -> ItemScore:
        """TS/PI/CF of one raw output (Mode A or B per ``calls``); never raises on bad output."""
        repairs = self.repairs_for(mode)
        every = self.calls == "all"
        parse = _read_output(output, item, fmt, every)
        calls = tuple(parse.calls) if parse.ok else ()
        ctx = Context(
            docs={d.name: d for d in item.tools},
            auth=frozenset(item.metadata.get("auth_params", ())),
            errata=item.metadata.get("errata", {}),
            repairs=repairs,
        )
        gold = item.gold[0]
        detail: dict[str, Any] = {"mode": mode, "calls": self.calls}
        if parse.failure is not None:
            detail["failure"] = parse.failure.reason
        if every:
            ts, pi, cf, pairing = score_all(calls, gold, ctx)
            detail["pairing"] = pairing
        else:
            ts, pi, cf, gi = score_first(calls, gold, ctx)
            detail["gold_index"] = gi
        if item.metadata.get("undocumented_gold"):
            detail["undocumented_gold"] = list(item.metadata["undocumented_gold"])
        return ItemScore(
            id=item.id,
            index=item.index,
            scenario=item.scenario,
            ts=ts,
            pi=pi,
            cf=cf,
            correct=cf,
            parsed=bool(calls),
            calls=calls,
            categories=_categories(parse, item, every),
            detail=detail,
        )


def _categories(parse: ParseResult, item: Item, every: bool) -> tuple[ErrorKind, ...]:
    """The shared classifier's categories, with auth parameters left out of docs and prediction."""
    from tlbench.classify import classify

    auth = set(item.metadata.get("auth_params", ()))
    docs = [_without(d, auth) for d in item.tools]
    if parse.ok and parse.calls:
        calls = [
            ToolCall(c.name, {k: v for k, v in c.arguments.items() if k not in auth}, c.raw)
            for c in parse.calls
        ]
        parse = ParseResult(calls=tuple(calls if every else calls[:1]), final_answer=parse.final_answer)
    gold = item.gold[0]
    alts = [list(gold)] if every else [[g] for g in gold]
    return classify(parse, docs, alts).kinds


def _without(doc: ToolDoc, drop: set[str]) -> ToolDoc:
    if not drop or not drop & set(doc.properties):
        return doc
    props = {k: v for k, v in doc.properties.items() if k not in drop}
    required = tuple(r for r in doc.required if r not in drop)
    params = {**doc.parameters, "properties": props, "required": list(required)}
    return ToolDoc(
        name=doc.name,
        description=doc.description,
        parameters=params,
        required=required,
        defaults=doc.defaults,
    )


TOOLALPACA_REAL = ToolAlpaca.variants()[0]


TOOLALPACA_REAL_ALL = ToolAlpaca("toolalpaca-real-all", calls="all")
