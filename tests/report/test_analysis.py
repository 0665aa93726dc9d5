"""analyze: the Table 1 / Figure 3 breakdown from stored categories, sub-types via the shared classifier,
robustness curves, plots and the command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from runbuilder import write_items_run, write_summary_run

from tlbench.cli import main
from tlbench.report.analysis import CATEGORY_ROWS, analyze_run, breakdown, robustness
from tlbench.report.plots import all_plots, have_matplotlib
from tlbench.report.runs import load_run, load_runs
from tlbench.types import ErrorKind, WrongToolKind

GOLD = [{"name": "get_weather", "arguments": {"city": "Paris", "unit": "C"}}]


def _rec(index: int, cats: list[str], calls: list[dict] | None = None, **extra: object) -> dict[str, object]:
    ok = cats == ["correct"]
    base = {"id": str(index), "index": index, "scenario": "s", "ts": ok, "pi": ok, "cf": ok, "correct": ok}
    return {**base, "parsed": True, "calls": calls or [], "categories": cats, "gold": GOLD, **extra}


def _call(name: str, **args: object) -> dict[str, object]:
    return {"name": name, "arguments": args, "raw": ""}


RECORDS = [
    _rec(0, ["correct"], [_call("get_weather", city="Paris", unit="C")]),
    _rec(
        1, ["wrong_tool"], [_call("get_weather_now", city="Paris", unit="C")]
    ),  # shared prefix "get weather"
    _rec(2, ["wrong_tool"], [_call("fetch_weather", city="Paris", unit="C")]),  # first token differs
    _rec(3, ["content_error"], [_call("get_weather", city="paris ", unit="C")]),  # synonym (normalises equal)
    _rec(4, ["content_error"], [_call("get_weather", city="Rome", unit="C")]),  # other content
    _rec(5, ["missing_parameter", "content_error"], [_call("get_weather", city="PARIS")]),
    _rec(6, ["redundant_parameter"], [_call("get_weather", city="Paris", unit="C", days=3)]),
    _rec(7, ["tool_hallucination"], [_call("nope")]),
    {**_rec(8, [], parsed=False), "parsed": False},  # unparsable: no categories stored
    {**_rec(9, []), "detail": {"missing": True}},  # no prediction
    {**_rec(10, ["wrong_tool"], [_call("fetch_weather")]), "gold": None},  # no gold: sub-type unknown
    _rec(11, ["wrong_tool"], []),  # a final answer where a call was expected
]


def test_breakdown_counts_and_subtypes_by_hand() -> None:
    b = breakdown("run", "toolalpaca-real", RECORDS)
    assert (b.unit, b.n, b.errors) == ("items", 12, 11)
    assert b.counts == {
        "wrong_tool": 4,
        "wrong_tool:no_call": 1,
        "wrong_tool:shared_prefix": 1,
        "wrong_tool:first_token": 1,
        "wrong_tool:unknown": 1,
        "content_error": 3,
        "content_error:synonym": 2,  # items 3 and 5 ("PARIS" normalises to "paris")
        "content_error:other": 1,
        "missing_parameter": 1,
        "redundant_parameter": 1,
        "tool_hallucination": 1,
        "unparsable": 1,
        "missing": 1,
    }
    assert b.share("wrong_tool") == pytest.approx(33.33)


def test_episode_breakdown_counts_call_attempts() -> None:
    eps = [
        _rec(0, ["correct", "tool_call_failure", "tool_instability"]),
        _rec(1, ["unparsable", "tool_hallucination", "other", "correct"]),
    ]
    b = breakdown("run", "tooleyes", eps)
    assert (b.unit, b.n, b.errors) == ("call attempts", 7, 5)
    assert b.counts == {
        "tool_call_failure": 1,
        "tool_instability": 1,
        "unparsable": 1,
        "tool_hallucination": 1,
        "other": 1,
    }


def test_subtypes_from_benchmark_data_on_a_scored_run(scored_runs: tuple[Path, Path], data_dir: Path) -> None:
    _, perturbed = scored_runs
    (b,) = analyze_run(load_run(perturbed), data_dir=data_dir)
    # index % 3 == 0 -> "get_" + gold name: undocumented (tool hallucination); % 3 == 1 -> no prediction
    assert b.counts == {"tool_hallucination": 35, "missing": 35}
    assert (b.n, b.errors) == (105, 70)


def test_robustness_curves(tmp_path: Path) -> None:
    levels = {"clean": 90, "slight": 80, "medium": 70, "heavy": 50, "union": 60}
    a = write_summary_run(
        tmp_path,
        "a",
        {f"rotbench-first-{lv}": {"TS": v, "PI": v - 10, "CF": v - 20} for lv, v in levels.items()},
    )
    b = write_summary_run(tmp_path, "b", {"rotbench-first-clean": {"TS": 1, "PI": 1, "CF": 1}})
    c = write_summary_run(tmp_path, "c", {"tooleyes": {"DE": 1, "CE": 1, "VA": 1}})
    curves = robustness(load_runs([a, b, c]))
    assert list(curves) == ["a", "b"]
    assert list(curves["a"]) == ["clean", "slight", "medium", "heavy", "union"]
    assert curves["a"]["heavy"] == {"TS": 50.0, "PI": 40.0, "CF": 30.0}
    assert curves["b"] == {"clean": {"TS": 1.0, "PI": 1.0, "CF": 1.0}}


@pytest.mark.skipif(not have_matplotlib(), reason="matplotlib (the plot extra) is not installed")
def test_plots_are_png(tmp_path: Path) -> None:
    b1 = breakdown("r1", "toolalpaca-real", RECORDS)
    b2 = breakdown("r2", "toolalpaca-real", RECORDS[:5])
    curves = {
        "r1": {"clean": {"TS": 90.0, "PI": 80.0, "CF": 70.0}, "heavy": {"TS": 50.0, "PI": 40.0, "CF": 30.0}}
    }
    plots = all_plots([b1, b2], curves)
    assert set(plots) == {"errors_toolalpaca-real.png", "robustness.png"}
    for data in plots.values():
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 5000


def test_cli_analyze_table_json_and_plots(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = write_items_run(tmp_path, "hand", "toolalpaca-real", RECORDS)
    assert main(["analyze", str(run), "--data-dir", str(tmp_path / "no-data")]) == 0
    out = capsys.readouterr().out
    assert "toolalpaca-real: errors per category (% of items)" in out
    line = next(x for x in out.splitlines() if x.startswith("- synonym"))
    assert "2 (16.67%)" in line
    assert main(["analyze", str(run), "--json", "--data-dir", str(tmp_path / "no-data")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["breakdowns"][0]["counts"]["wrong_tool:first_token"] == 1
    if have_matplotlib():
        assert main(["analyze", str(run), "--plots", str(tmp_path / "plots")]) == 0
        assert (tmp_path / "plots" / "errors_toolalpaca-real.png").is_file()


def test_cli_analyze_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", str(tmp_path / "none")]) == 2
    items = tmp_path / "r" / "toolalpaca-real"
    write_items_run(tmp_path, "r", "toolalpaca-real", RECORDS[:2])
    (items / "items.jsonl").write_text('{"index": 0}\nnot json\n{"index": 2}\n')
    assert main(["analyze", str(tmp_path / "r")]) == 2
    assert "items.jsonl:2" in capsys.readouterr().err
    (items / "items.jsonl").write_text('{"index": 0, "categories": ["wrong_tool"]}\n{"index": 1, "categor')
    assert main(["analyze", str(tmp_path / "r"), "--json"]) == 0  # a partial last line is skipped
    captured = capsys.readouterr()
    assert json.loads(captured.out)["breakdowns"][0]["n"] == 1
    assert "items.jsonl:2: partial last line skipped" in captured.err


def test_gold_alternatives_list_of_lists() -> None:
    alts = [
        [{"name": "translate", "arguments": {"text": "cat"}}],
        [{"name": "nllb", "arguments": {"text": "cat"}}],
    ]
    recs = [
        _rec(0, ["content_error"], [_call("nllb", text="CAT")], gold=alts),  # matches the 2nd answer: synonym
        _rec(1, ["wrong_tool"], [_call("translate_text", text="cat")], gold=alts),  # shares "translate"
    ]
    b = breakdown("run", "rotbench-first-clean", recs)
    assert b.counts["content_error:synonym"] == 1
    assert b.counts["wrong_tool:shared_prefix"] == 1


def test_category_rows_follow_the_error_taxonomy() -> None:
    """Every stored kind but ``correct`` has a row; a row is a kind, ``missing`` or ``<kind>:<sub-type>``."""
    keys = [k for k, _ in CATEGORY_ROWS]
    kinds = {k.value for k in ErrorKind}
    assert kinds - {ErrorKind.CORRECT.value} <= set(keys)
    for key in keys:
        parent, _, sub = key.partition(":")
        assert parent in kinds | {"missing"} and parent != ErrorKind.CORRECT.value, key
        if parent == ErrorKind.WRONG_TOOL.value and sub:
            assert sub in {w.value for w in WrongToolKind} | {"no_call", "unknown"}, key
