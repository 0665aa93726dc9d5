"""Decontamination report: n-grams, tool-name and query overlap, and the CLI side file."""

from __future__ import annotations

import json
from pathlib import Path

from tlbench.cli import main
from training import decontam
from training.decontam import SetIndex, ngrams, report, summary_lines


def _fake_index(name: str, data_dir: Path, n: int = 8) -> SetIndex:
    queries: tuple[str, ...] = ("convert ten dollars to euros",)
    if name == "rotbench":
        queries = ("what is the weather like in paris tomorrow morning please tell me", *queries)
    grams = {}
    for i, q in enumerate(queries):
        for g in ngrams(q, n):
            grams.setdefault(g, i)
    tools = frozenset({"get_weather", "convert_currency"} if name == "rotbench" else {"other"})
    return SetIndex(name, tools, frozenset(queries), grams, queries, n)


def _rec(query: str, tools: list[str]) -> dict:
    return {
        "id": query,
        "tools": [{"name": t} for t in [*tools, "finish"]],
        "messages": [{"role": "user", "content": query}],
        "turns": [],
        "gold": [[{"name": tools[0], "arguments": {}}]],
    }


def test_ngrams_lowercase_and_short_texts() -> None:
    assert ngrams("A b, C!", 2) == {("a", "b"), ("b", "c")}
    assert ngrams("one two", 8) == {("one", "two")} and ngrams("", 3) == set()


def test_report_counts_overlaps(monkeypatch) -> None:
    monkeypatch.setattr(decontam, "load_test_index", _fake_index)
    recs = [
        _rec("What is the weather like in Paris tomorrow morning? Please tell me.", ["get_weather"]),
        _rec("Hi, what is the weather like in Paris tomorrow morning please, now", ["get_time"]),
        _rec("Something unrelated entirely", ["get_time"]),
    ]
    rep = report(recs, Path("."), n=8, test_sets=("rotbench", "bfcl"))
    rot = rep["test_sets"]["rotbench"]
    assert rep["distinct_tools"] == 2 and rep["called_tools"] == 2  # finish is left out
    assert rot["shared_tool_names"] == 1 and rot["shared_tool_fraction"] == 0.5
    assert rot["called_tools_in_test"] == 0.5
    assert rot["queries_with_shared_ngram"] == 2 and rot["exact_duplicate_queries"] == 1
    assert rot["query_ngram_overlap"] == round(2 / 3, 4) and rot["examples"][0]["ngram"]
    assert rep["test_sets"]["bfcl"]["queries_with_shared_ngram"] == 0
    lines = summary_lines(rep)
    assert len(lines) == 3 and "rotbench" in lines[1] and "exact duplicates 1" in lines[1]


def test_collect_writes_the_report_next_to_the_file(tmp_path: Path, data_dir: Path, capsys) -> None:
    """Importing a copy of RoTBench test items must be flagged as 100% contaminated."""
    src = data_dir / "rotbench" / "Data" / "Third_Turn" / "clean.json"
    out = tmp_path / "rot.jsonl"
    assert (
        main(["collect", "--import", "sharegpt", str(src), "--out", str(out), "--data-dir", str(data_dir)])
        == 0
    )
    printed = capsys.readouterr().out
    rep = json.loads((tmp_path / "rot.jsonl.decontam.json").read_text())
    rot = rep["test_sets"]["rotbench"]
    assert rot["exact_duplicate_queries"] == rep["queries"] == 70 and rot["query_ngram_overlap"] == 1.0
    assert rep["test_sets"]["bfcl"]["query_ngram_overlap"] == 0.0
    assert "rotbench" in printed and "report:" in printed
