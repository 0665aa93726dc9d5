"""ToolAlpaca eval_real (11 real APIs, 114 instructions): loader and deterministic TS/PI/CF scorer.

There is no official deterministic ToolAlpaca scorer: upstream (``tangqiaoyu/ToolAlpaca@189069998d``,
``evaluation.py``) evaluates with a GPT-4 judge only, and TL-Training (``Junjie-Ye/TL-Training``)
publishes no evaluation code. The closest official code that defines TS/PI/CF, RoTBench's
``evaluate.py``, reads one strict-JSON ReAct action against a RoTBench item; running it on ToolAlpaca
needs conversion choices that no official code makes, and its rules are not these (its ``{}`` rule would
make the 25 zero-argument gold calls unscorable, it compares values type-exactly and counts the
authentication key): on the seeded sweep of ``tests/upstream/toolalpaca_sweep.py`` it gives tlbench's
Mode A upstream verdicts on 5,756 of 10,231 ReAct predictions. So this module is tlbench's own scorer,
the deterministic one the research note suggests (``bfcl_toolalpaca.md`` §2.4), with its pitfalls (§2.5)
handled as follows; ``upstream`` mode means "the strict rules", not "an official scorer's verdicts".
``tests/upstream/test_toolalpaca_agreement.py`` pins every verdict of the sweep (11,430 predictions, Mode
A and B, both modes) against an independent reading of this docstring.

Items: one per instruction, in file order (API by API); ``id`` is ``"<API name>/<k>"``, ``scenario`` the API
name. ``messages`` is the instruction as one user message; ``tools`` are the API's functions
(:func:`tlbench.docs.docs_from_toolalpaca`: the keys of ``Function_Projection``, parameters from the JSON
after ``Parameters:``; the ``components`` pseudo-entry is not a tool). Gold: the ``Golden_Answers`` calls in
order, ``Action_Input`` read as JSON.

Pitfalls:

* malformed gold JSON (CurrencyBeacon 4, 8, 9, 10: ``"symbols": "symbols": [...]``) is repaired on load to
  ``"symbols": [...]`` (``metadata["repaired_json"]``);
* authentication parameters (the keys of ``Authentication``: ``access_key``, ``appid``, ``api_key``) are
  removed from the gold on load - the 34 gold calls carry upstream authors' literal keys, which never
  enter an ``Item`` - and ignored in predictions; the docs keep them (they are in the upstream docs);
* the 6 AviationAPI items (5-10) whose gold uses functions missing from the docs are kept and flagged
  (``metadata["undocumented_gold"]``): a doc-faithful model cannot reach TS there, so its TS ceiling is
  108/114 = 94.74. Gold answers scored as predictions still give 100 (the names match);
* values are compared by the doc type: a number and a numeric string are equal when they denote the same
  number (gold ``"year": 2024`` vs ``"2024"``; ``amount`` is typed string but the gold gives 500); strings
  are compared after ``strip()``.

Matching (``calls``): ``"first"`` (Mode A, the default: the ReAct format asks for one action per turn) scores
the first predicted call against the best gold call of the item - TS = same name, PI = and the same key set,
CF = and equal values, best by (CF, PI, TS); ``"all"`` (Mode B) needs the whole gold sequence, matched
order-free and one-to-one like BFCL parallel items (TS: equal name multisets; PI: equal (name, key set)
multisets; CF: a perfect matching of equal calls). In ``"all"`` a ReAct output is read action by action.

Modes: ``upstream`` is the note's strict scorer. ``fixed`` adds the lenient variants the note proposes, the
flags of :class:`Repairs` (each changes 0 items with gold answers as predictions, since gold matches itself;
the repairs matter for model outputs).

Remaining arbitrary gold choices (Fruityvice 9 picks apple and banana for "fruits in season"; CurrencyBeacon
9/10 assume July 2023; Cataas 5 uses three ``getRandomCat`` calls) are not repaired: they bound a model's CF
below 100 and are listed in ``metadata["arbitrary_gold"]``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import base
from benchmarks.base import SINGLE_TURN, Benchmark, Item, ItemScore, LoadReport
from benchmarks.bfcl.match import perfect_matching
from benchmarks.registry import register
from tlbench import jsonio
from tlbench.errors import DataError, UsageError
from tlbench.types import ErrorKind, ParseFailure, ParseResult, ToolCall, ToolDoc

__all__ = [
    "Repairs",
    "UPSTREAM",
    "FIXED",
    "ToolAlpaca",
    "repair_action_input",
    "values_match",
    "score_first",
    "score_all",
    "TOOLALPACA_REAL",
    "TOOLALPACA_REAL_ALL",
]

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
_EMPTY: tuple[Any, ...] = ("", None, [], {})


@dataclass(frozen=True, slots=True)
class Repairs(base.Repairs):
    """Lenient variants (all off = ``upstream``, all on = ``fixed``). Counts: items whose verdict changes with
    gold answers as predictions - 0 each, since gold matches itself; the repairs matter for model outputs."""

    case: bool = False
    """Strings compared case-insensitively with whitespace runs collapsed (gold "Las vegas")."""
    list_string: bool = False
    """A list and a comma-joined string of the same elements are equal (``symbols`` is typed string, "A
    list of currencies"; the repaired gold gives lists)."""
    errata: bool = False
    """The gold typo ``"chart_name": "Arriivals"`` (AviationAPI 2) also accepts "Arrivals"."""
    empty_optional: bool = False
    """A predicted optional parameter whose value is empty (``""``, ``None``, ``[]``, ``{}``) and that the
    gold call does not use is ignored for PI."""


UPSTREAM = Repairs.upstream()
FIXED = Repairs.fixed()
repairs_for = Repairs.for_mode


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


# ------------------------------------------------------------------------------------------- values


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            out = float(value.strip())
        except ValueError:
            return None
        return out if math.isfinite(out) else None
    return None


def _norm_text(value: str, repairs: Repairs) -> str:
    s = value.strip()
    return " ".join(s.split()).casefold() if repairs.case else s


def _joined(value: Any) -> str | None:
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return ",".join(str(v).strip() for v in value)
    if isinstance(value, str):
        return ",".join(p.strip() for p in value.split(","))
    return None


def values_match(
    pred: Any, gold: Any, doc_type: str = "", repairs: Repairs = UPSTREAM, _depth: int = 0
) -> bool:
    """Equality of one parameter value under the doc type (see the module docstring)."""
    if _depth > 50:
        return False
    numeric = (
        doc_type in ("integer", "number")
        or (isinstance(pred, int | float) and not isinstance(pred, bool))
        or (isinstance(gold, int | float) and not isinstance(gold, bool))
    )
    if numeric:
        a, b = _as_number(pred), _as_number(gold)
        if a is not None and b is not None:
            return a == b or math.isclose(a, b, rel_tol=1e-9, abs_tol=0.0)
    if isinstance(pred, str) and isinstance(gold, str):
        return _norm_text(pred, repairs) == _norm_text(gold, repairs)
    if repairs.list_string and isinstance(pred, list) != isinstance(gold, list):
        a_s, b_s = _joined(pred), _joined(gold)
        return a_s is not None and b_s is not None and _norm_text(a_s, repairs) == _norm_text(b_s, repairs)
    if isinstance(pred, list) and isinstance(gold, list):
        return len(pred) == len(gold) and all(
            values_match(p, g, "", repairs, _depth + 1) for p, g in zip(pred, gold, strict=True)
        )
    if isinstance(pred, Mapping) and isinstance(gold, Mapping):
        return set(pred) == set(gold) and all(
            values_match(pred[k], gold[k], "", repairs, _depth + 1) for k in pred
        )
    return type(pred) is type(gold) and pred == gold


# ------------------------------------------------------------------------------------------ scoring


@dataclass(frozen=True, slots=True)
class _Ctx:
    """What scoring one item needs: docs by name, auth parameters, errata, repairs."""

    docs: Mapping[str, ToolDoc]
    auth: frozenset[str]
    errata: Mapping[int, Mapping[str, tuple[Any, ...]]]
    repairs: Repairs


def _pred_args(call: ToolCall, gold: ToolCall | None, ctx: _Ctx) -> dict[str, Any]:
    """Prediction arguments without auth parameters (and, in fixed mode, empty unused optional ones)."""
    doc = ctx.docs.get(call.name)
    out = {}
    for key, value in call.arguments.items():
        if key in ctx.auth:
            continue
        if (
            ctx.repairs.empty_optional
            and value in _EMPTY
            and (gold is None or key not in gold.arguments)
            and (doc is None or key not in doc.required)
        ):
            continue
        out[key] = value
    return out


def _doc_type(doc: ToolDoc | None, key: str) -> str:
    schema = doc.properties.get(key) if doc is not None else None
    t = schema.get("type") if isinstance(schema, Mapping) else None
    return t if isinstance(t, str) else ""


def _call_verdict(pred: ToolCall, gold: ToolCall, gold_index: int, ctx: _Ctx) -> tuple[bool, bool, bool]:
    if pred.name != gold.name:
        return False, False, False
    args = _pred_args(pred, gold, ctx)
    if set(args) != set(gold.arguments):
        return True, False, False
    doc = ctx.docs.get(gold.name)
    extra = ctx.errata.get(gold_index, {}) if ctx.repairs.errata else {}
    for key, g in gold.arguments.items():
        accepted = (g, *extra.get(key, ()))
        if not any(values_match(args[key], a, _doc_type(doc, key), ctx.repairs) for a in accepted):
            return True, True, False
    return True, True, True


def score_first(
    pred: Sequence[ToolCall], gold: Sequence[ToolCall], ctx: _Ctx
) -> tuple[bool, bool, bool, int | None]:
    """Mode A: the first predicted call against the best gold call; returns TS, PI, CF, gold index."""
    if not pred:
        return False, False, False, None
    best: tuple[bool, bool, bool] = (False, False, False)
    best_i: int | None = None
    for i, g in enumerate(gold):
        ts, pi, cf = _call_verdict(pred[0], g, i, ctx)
        if (cf, pi, ts) > (best[2], best[1], best[0]):
            best, best_i = (ts, pi, cf), i
    return best[0], best[1], best[2], best_i


def score_all(
    pred: Sequence[ToolCall], gold: Sequence[ToolCall], ctx: _Ctx
) -> tuple[bool, bool, bool, list[int] | None]:
    """Mode B: every gold call, order-free and one-to-one; returns TS, PI, CF and the CF pairing."""
    ts = len(pred) == len(gold) and Counter(c.name for c in pred) == Counter(c.name for c in gold)
    if not ts:
        return False, False, False, None
    table = [[_call_verdict(p, g, i, ctx) for p in pred] for i, g in enumerate(gold)]
    pi = perfect_matching(len(gold), [[v[1] for v in row] for row in table]) is not None
    if not pi:
        return True, False, False, None
    match = perfect_matching(len(gold), [[v[2] for v in row] for row in table])
    return True, True, match is not None, match


# ------------------------------------------------------------------------------------------ reading


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
        try:
            raw = jsonio.parse(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise DataError(
                "benchmark file not found (run 'tlbench data pull toolalpaca' or pass --data-dir)",
                path=str(path),
            ) from None
        except OSError as exc:
            raise DataError(f"cannot read: {exc.strerror or exc}", path=str(path)) from None
        except ValueError as exc:
            raise DataError(
                f"not valid JSON: {exc}", path=str(path), line=getattr(exc, "lineno", None)
            ) from None
        if not isinstance(raw, list):
            raise DataError("expected a JSON list of APIs", path=str(path))
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
        ctx = _Ctx(
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
