"""The BFCL-v3 exec benchmark class: categories, releases, loader and scorer; the repair counts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from benchmarks.base import EXEC, SINGLE_TURN, Benchmark, Item, ItemScore, LoadReport
from benchmarks.bfcl.execution import exec_check, execute
from benchmarks.bfcl.load import parse_gold_call, prompted_functions, read_jsonl
from benchmarks.bfcl.match import match_calls
from benchmarks.bfcl.read import read_output
from benchmarks.bfcl.repairs import Repairs
from benchmarks.registry import register
from tlbench.errors import UsageError
from tlbench.types import ErrorKind, ParseResult, ToolDoc
from tools_env.impls.bfcl_exec import LIVE_FUNCTIONS, PURE_FUNCTIONS

CATEGORIES = ("simple", "multiple", "parallel", "parallel_multiple")


#: Release name -> folder under the data dir (and whether the gold is inside the question lines).
RELEASES: Mapping[str, tuple[str, bool]] = {
    "d6b5fb8": ("bfcl_v3_exec", False),
    "v3-2024-09-20": ("bfcl_v3_exec/v3_release_2024-09-20", True),
}


@register
@dataclass(frozen=True, slots=True)
class Bfcl(Benchmark):
    """BFCL-v3 exec over ``categories``, e.g. ``Bfcl("bfcl-v3-exec-simple", ("simple",))``."""

    family = "bfcl"
    version = "d6b5fb8c5214ba9733de300256a2998755a3e32c"
    order = 30
    title = "BFCL-v3"
    headline = (*SINGLE_TURN, EXEC)
    repairs = Repairs

    name: str
    categories: tuple[str, ...] = CATEGORIES
    release: str = "d6b5fb8"
    default_format: str = "python"
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def variants(cls) -> tuple[Bfcl, ...]:
        """All four categories together, then each category alone."""
        return (
            cls("bfcl-v3-exec"),
            *(cls(f"bfcl-v3-exec-{c.replace('_', '-')}", (c,)) for c in CATEGORIES),
        )

    @property
    def short(self) -> str:
        """``bfcl``, ``bfcl-simple``, ..."""
        return self.name.replace("bfcl-v3-exec", "bfcl")

    @property
    def in_all(self) -> bool:
        """The single categories are parts of ``bfcl-v3-exec``."""
        return self.categories == CATEGORIES

    @property
    def tables(self) -> tuple[str, ...]:
        """The paper's single-turn table reports the 240 items together."""
        return ("3",) if self.categories == CATEGORIES else ()

    @property
    def test_set(self) -> bool:
        """The single categories are parts of ``bfcl-v3-exec``."""
        return self.categories == CATEGORIES

    @property
    def data_files(self) -> tuple[str, ...]:
        """The pinned files ``load`` reads (``benchmarks/manifest.json`` paths): questions (and answers)."""
        folder, gold_inline = RELEASES.get(self.release, ("", True))
        names = [f"BFCL_v3_exec_{c}.json" for c in self.categories]
        answers = [] if gold_inline else [f"{folder}/possible_answer/{n}" for n in names]
        return (*(f"{folder}/{n}" for n in names), *answers)

    def tool_docs(self, raw: Any) -> tuple[ToolDoc, ...]:
        """The doc loader: a question's ``function`` list as BFCL's handlers show it (prompted)."""
        from tlbench.docs import docs_from_bfcl

        return docs_from_bfcl(prompted_functions(raw))

    def load(self, data_dir: Path, report: LoadReport | None = None) -> list[Item]:
        """Items in file order (categories in the order above); malformed lines reported with file:line."""
        if self.release not in RELEASES:
            raise UsageError(f"unknown BFCL release {self.release!r}; choose one of {', '.join(RELEASES)}")
        folder, gold_inline = RELEASES[self.release]
        report = report if report is not None else LoadReport()
        items: list[Item] = []
        for category in self.categories:
            qpath = Path(data_dir) / folder / f"BFCL_v3_exec_{category}.json"
            questions = read_jsonl(qpath, report)
            answers: dict[str, tuple[int, dict[str, Any]]] = {}
            apath = qpath
            if not gold_inline:
                apath = Path(data_dir) / folder / "possible_answer" / qpath.name
                answers = {obj["id"]: (n, obj) for n, obj in read_jsonl(apath, report)}
            for n, q in questions:
                answer = q if gold_inline else answers.get(q["id"], (0, None))[1]
                if answer is None:
                    report.warn(qpath, n, f"{q['id']} skipped: no gold in {apath.name}")
                    continue
                try:
                    items.append(self._item(len(items), category, q, answer))
                except (ValueError, TypeError, KeyError) as exc:
                    report.warn(qpath, n, f"{q['id']} skipped: {exc}")
        return items

    def _item(self, index: int, category: str, q: Mapping[str, Any], answer: Mapping[str, Any]) -> Item:
        turns = q["question"]
        if not isinstance(turns, list) or not turns or not isinstance(turns[0], list):
            raise ValueError("'question' must be a list of turns")
        messages = tuple({"role": str(m["role"]), "content": str(m["content"])} for m in turns[0])
        docs = self.tool_docs(q.get("function") or [])
        gold_strings = answer["ground_truth"]
        if not isinstance(gold_strings, list) or not gold_strings:
            raise ValueError("'ground_truth' must be a non-empty list of call strings")
        gold = tuple(parse_gold_call(str(g), docs) for g in gold_strings)
        types = [str(t) for t in answer.get("execution_result_type") or []]
        if len(types) < len(gold):
            raise ValueError("fewer execution_result_type entries than gold calls")
        names = {g.name for g in gold}
        executable = names <= set(PURE_FUNCTIONS) and all(t == "exact_match" for t in types[: len(gold)])
        expected: list[Any] = []
        if executable:
            for g in gold:
                out = execute(g)
                if not out.ok:
                    raise ValueError(f"gold call {g.raw!r} does not run: {out.error}")
                expected.append(out.value)
        return Item(
            id=str(q["id"]),
            index=index,
            benchmark=self.name,
            scenario=category,
            messages=messages,
            tools=docs,
            gold=(gold,),
            metadata={
                "release": self.release,
                "gold_strings": tuple(str(g) for g in gold_strings),
                "result_types": tuple(types[: len(gold)]),
                "stale_result_types": len(types) > len(gold),
                "executable": executable,
                "live_functions": tuple(sorted(names & LIVE_FUNCTIONS)),
                "expected": tuple(expected),
            },
        )

    def gold_output(self, item: Item) -> str:
        """The gold answer as a model would print it: BFCL's list syntax with the gold strings verbatim."""
        return "[" + ", ".join(item.metadata["gold_strings"]) + "]"

    def score_item(
        self, item: Item, output: str, mode: str = "upstream", fmt: str | None = None
    ) -> ItemScore:
        """Exec verdict (executable items) and TS/PI/CF of one raw output; never raises on bad output."""
        repairs = self.repairs_for(mode)
        parse = read_output(output, item, repairs, fmt)
        calls = tuple(parse.calls) if parse.ok else ()
        detail: dict[str, Any] = {"mode": mode}
        if parse.failure is not None:
            detail["failure"] = parse.failure.reason
        elif not calls:
            detail["failure"] = "no_call"
        gold = item.gold[0]
        ts, pi, cf, pairing = match_calls(calls, gold, item.tools, repairs)
        detail["pairing"] = pairing
        exec_ok: bool | None = None
        if item.metadata.get("executable"):
            exec_ok, extra = exec_check(calls, item, repairs)
            detail.update(extra)
        else:
            detail["fallback"] = "argument comparison (CF): live-web functions " + ", ".join(
                item.metadata.get("live_functions", ())
            )
        return ItemScore(
            id=item.id,
            index=item.index,
            scenario=item.scenario,
            ts=ts,
            pi=pi,
            cf=cf,
            correct=exec_ok if exec_ok is not None else cf,
            parsed=bool(calls),
            exec=exec_ok,
            calls=calls,
            categories=_categories(parse, item),
            detail=detail,
        )


def _categories(parse: ParseResult, item: Item) -> tuple[ErrorKind, ...]:
    """The shared classifier's categories (informational; never affects the verdicts)."""
    from tlbench.classify import classify

    verdict = classify(parse, item.tools, [list(alt) for alt in item.gold])
    return verdict.kinds


def repair_counts(data_dir: Path, release: str = "d6b5fb8") -> dict[str, int]:
    """For each fixed-mode repair alone: how many items' verdicts (ts, pi, cf, exec) change when the gold
    strings are scored verbatim as the prediction (the counts quoted in the module docstring)."""
    bench = Bfcl("bfcl-v3-exec", release=release)
    items = bench.load(data_dir)
    base = {it.id: bench.score_item(it, bench.gold_output(it), "upstream") for it in items}
    out: dict[str, int] = {}
    for name in (f.name for f in fields(Repairs)):
        repairs = Repairs(**{name: True})
        changed = 0
        for it in items:
            parse = read_output(bench.gold_output(it), it, repairs, None)
            calls = tuple(parse.calls) if parse.ok else ()
            ts, pi, cf, _ = match_calls(calls, it.gold[0], it.tools, repairs)
            ex = exec_check(calls, it, repairs)[0] if it.metadata["executable"] else None
            b = base[it.id]
            changed += (ts, pi, cf, ex) != (b.ts, b.pi, b.cf, b.exec)
        out[name] = changed
    return out


BFCL_ALL, BFCL_SIMPLE, BFCL_MULTIPLE, BFCL_PARALLEL, BFCL_PARALLEL_MULTIPLE = Bfcl.variants()
