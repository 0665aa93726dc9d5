"""Adding a benchmark touches one module: a toy benchmark defined and registered here, and nowhere else, is
scored (``score --predictions`` and ``score --model`` with the mock backend), tabled (``leaderboard``) and
reported (``report``) by the real commands, in this process.

The class below is complete: family, version, data file with its own pin (so ``load_complete`` checks it
without ``benchmarks/manifest.json``), prompt style, short name, headline metrics, leaderboard table, doc
loader, repairs, loader and scorer. ``@register`` is applied in the fixture, not at import: registered at
import it would join ``--benchmarks all`` and Table 3 in every other test of the same pytest process.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from benchmarks import BENCHMARKS, register
from benchmarks.base import SINGLE_TURN, Benchmark, Item, ItemScore, LoadReport, Repairs
from tlbench import jsonio
from tlbench.cli import main
from tlbench.errors import DataError
from tlbench.types import ParseResult, ToolCall, ToolDoc

TOY_FILE = "toy/items.json"
TOY_DATA = json.dumps(
    [
        {
            "query": f"What is the weather in {city}?",
            "tools": [
                {
                    "name": "get_weather",
                    "description": "Current weather of a city.",
                    "parameters": {
                        "type": "object",
                        "properties": {"city": {"type": "string"}},
                        "required": ["city"],
                    },
                }
            ],
            "gold": {"name": "get_weather", "arguments": {"city": city}},
        }
        for city in ("Paris", "Lima", "Oslo")
    ]
)


@dataclass(frozen=True, slots=True)
class ToyRepairs(Repairs):
    """The toy scorer's one quirk."""

    case: bool = False
    """String values compared case-insensitively. Changes 0 items with gold predictions."""


@dataclass(frozen=True, slots=True)
class ToyBenchmark(Benchmark):
    """Three weather questions, one call each; TS/PI/CF of the first predicted call."""

    family = "toy"
    version = "1"
    order = 900
    title = "Toy"
    headline = SINGLE_TURN
    repairs = ToyRepairs
    pins = {TOY_FILE: hashlib.sha256(TOY_DATA.encode()).hexdigest()}

    name: str = "toy-weather"

    @property
    def short(self) -> str:
        """``toy``."""
        return "toy"

    @property
    def tables(self) -> tuple[str, ...]:
        """A column group of Table 3."""
        return ("3",)

    @property
    def data_files(self) -> tuple[str, ...]:
        """The one file the loader reads."""
        return (TOY_FILE,)

    def tool_docs(self, raw: Any) -> tuple[ToolDoc, ...]:
        """OpenAI-style doc lists."""
        from tlbench.docs import docs_from_openai_list

        return docs_from_openai_list(raw)

    def load(self, data_dir: Path, report: LoadReport | None = None) -> list[Item]:
        """The items of ``toy/items.json``."""
        raw = jsonio.parse((Path(data_dir) / TOY_FILE).read_text(encoding="utf-8"))
        return [
            Item(
                id=str(i),
                index=i,
                benchmark=self.name,
                scenario="weather",
                messages=({"role": "user", "content": entry["query"]},),
                tools=self.tool_docs(entry["tools"]),
                gold=((ToolCall(entry["gold"]["name"], entry["gold"]["arguments"]),),),
            )
            for i, entry in enumerate(raw)
        ]

    def score_item(
        self, item: Item, output: str, mode: str = "upstream", fmt: str | None = None
    ) -> ItemScore:
        """TS/PI/CF of the first call the shared parser reads."""
        from tlbench.classify import classify
        from tlbench.parsers import parse

        repairs = self.repairs_for(mode)
        result: ParseResult = parse(output, fmt or self.default_format, list(item.tools))
        calls = tuple(result.calls) if result.ok else ()
        gold = item.gold[0][0]
        ts = bool(calls) and calls[0].name == gold.name
        pi = ts and set(calls[0].arguments) == set(gold.arguments)
        norm = (lambda v: v.lower() if isinstance(v, str) else v) if repairs.case else (lambda v: v)
        cf = pi and all(norm(calls[0].arguments[k]) == norm(v) for k, v in gold.arguments.items())
        return ItemScore(
            id=item.id,
            index=item.index,
            scenario=item.scenario,
            ts=ts,
            pi=pi,
            cf=cf,
            correct=cf,
            parsed=bool(calls),
            calls=calls[:1],
            categories=classify(result, list(item.tools), [list(item.gold[0])]).kinds,
            detail={"mode": mode},
        )


@pytest.fixture
def toy_data(tmp_path: Path) -> Iterator[Path]:
    """A data dir with the toy file, and the toy benchmark registered for this test only."""
    data = tmp_path / "data"
    (data / "toy").mkdir(parents=True)
    (data / TOY_FILE).write_text(TOY_DATA, encoding="utf-8")
    register(ToyBenchmark)
    try:
        yield data
    finally:
        BENCHMARKS.unregister(ToyBenchmark)
    assert "toy-weather" not in BENCHMARKS


def _action(name: str, args: Mapping[str, Any]) -> str:
    return f"Thought: look it up\nAction: {name}\nAction Input: {json.dumps(dict(args))}"


def test_a_toy_benchmark_is_scored_tabled_and_reported(
    toy_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    preds = tmp_path / "preds.jsonl"
    lines = [
        {"index": 0, "output": _action("get_weather", {"city": "Paris"})},  # right
        {"index": 1, "output": _action("get_weather", {"city": "Quito"})},  # wrong value
    ]  # item 2 missing: wrong on every metric
    preds.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    out = tmp_path / "toy-run"
    argv = ["score", "--predictions", str(preds), "--benchmark", "toy-weather", "--data-dir", str(toy_data)]
    assert main([*argv, "--out", str(out), "--resamples", "20"]) == 0
    summary = jsonio.parse((out / "results.json").read_text(encoding="utf-8"))["summary"]
    assert (summary["TS"], summary["PI"], summary["CF"], summary["missing"]) == (66.67, 66.67, 33.33, 1)
    capsys.readouterr()

    assert main(["leaderboard", str(out), "--format", "csv"]) == 0
    table = capsys.readouterr().out
    assert "Toy TS,Toy PI,Toy CF" in table.replace('"', "")
    assert "toy-run,run,,,,,,,,,,66.67,66.67,33.33" in table.replace('"', "")

    report = tmp_path / "report"
    assert main(["report", str(out), "--out", str(report), "--data-dir", str(toy_data)]) == 0
    html = (report / "index.html").read_text(encoding="utf-8")
    assert '<th colspan="3">Toy</th>' in html  # Table 3's column group
    assert "toy-weather" in html and "What is the weather in Oslo?" in html  # scores and item browser


def test_a_toy_benchmark_runs_with_a_model_and_joins_all(toy_data: Path, tmp_path: Path) -> None:
    from tlbench.runner import all_benchmarks, expand_benchmarks, run_table

    assert expand_benchmarks("all")[-1] == "toy-weather" and all_benchmarks()[-1] == "toy-weather"
    run = tmp_path / "run"
    argv = ["score", "--backend", "mock", "--model", "m", "--benchmarks", "toy-weather", "--no-cache"]
    assert main([*argv, "--data-dir", str(toy_data), "--out", str(run), "--resamples", "20"]) == 0
    manifest = jsonio.parse((run / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "complete" and manifest["benchmarks"] == ["toy-weather"]
    assert manifest["prompt_formats"]["toy-weather"] == manifest["prompt_format"]  # the general format
    head = [line.split() for line in run_table(run).splitlines()[:2]]
    assert head == [["model", "toy"], ["TS/PI/CF"]]


def test_a_toy_data_file_that_differs_from_its_declared_pin_is_refused(toy_data: Path) -> None:
    from benchmarks.base import load_complete

    assert len(load_complete(BENCHMARKS.get("toy-weather"), toy_data)) == 3
    (toy_data / TOY_FILE).write_text(TOY_DATA.replace("Oslo", "Rome"), encoding="utf-8")
    with pytest.raises(DataError, match="differs from the sha256 its benchmark pins"):
        load_complete(BENCHMARKS.get("toy-weather"), toy_data)
