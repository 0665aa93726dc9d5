"""ToolAlpaca eval_real: loader pitfalls (auth keys, malformed gold, undocumented functions) and scorer."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.base import Item, LoadReport
from benchmarks.metrics import summary
from benchmarks.toolalpaca import TOOLALPACA_REAL, TOOLALPACA_REAL_ALL, ToolAlpaca, repair_action_input

A, B = TOOLALPACA_REAL, TOOLALPACA_REAL_ALL


def _act(name: str, args: dict) -> str:
    return f"Thought: go\nAction: {name}\nAction Input: {json.dumps(args)}"


def test_ta_counts(ta_items: dict[str, Item]) -> None:
    items = list(ta_items.values())
    assert len(items) == 114
    per_api = Counter(it.scenario for it in items)
    assert per_api["Nager.Date"] == 17 and per_api["WolframAlpha"] == 13 and len(per_api) == 11
    calls = Counter(len(it.gold[0]) for it in items)
    assert calls == {1: 94, 2: 13, 3: 6, 5: 1}


@pytest.mark.parametrize("bench", [A, B], ids=["first", "all"])
@pytest.mark.parametrize("mode", ["upstream", "fixed"])
def test_ta_gold_ceiling_is_100(ta_items: dict[str, Item], bench: ToolAlpaca, mode: str) -> None:
    s = summary([bench.score_item(it, bench.gold_output(it), mode) for it in ta_items.values()])
    assert (s["TS"], s["PI"], s["CF"]) == (100.0, 100.0, 100.0)


def test_ta_auth_params_never_enter_items(ta_items: dict[str, Item]) -> None:
    auth_items = [it for it in ta_items.values() if it.metadata["auth_params"]]
    assert len(auth_items) == 34
    for it in auth_items:
        for call in it.gold[0]:
            assert not set(call.arguments) & set(it.metadata["auth_params"])
            assert not any(p in call.raw for p in it.metadata["auth_params"])


def test_ta_auth_param_in_prediction_is_ignored(ta_items: dict[str, Item]) -> None:
    it = ta_items["apilayer weatherstack/2"]  # current_get(query="San Francisco")
    s = A.score_item(it, _act("current_get", {"access_key": "***", "query": "San Francisco"}))
    assert s.cf


def test_ta_malformed_gold_json_repaired(ta_items: dict[str, Item]) -> None:
    repaired = sorted(it.id for it in ta_items.values() if it.metadata["repaired_json"])
    assert repaired == [f"CurrencyBeacon/{k}" for k in (10, 4, 8, 9)]
    assert ta_items["CurrencyBeacon/4"].gold[0][0].arguments["symbols"] == ["EUR", "GBP"]
    assert ta_items["CurrencyBeacon/9"].gold[0][0].arguments["symbols"] == "JPY"
    assert repair_action_input('{"a": 1}') == ({"a": 1}, False)
    with pytest.raises(ValueError):
        repair_action_input('{"a": ')


def test_ta_undocumented_gold_functions_flagged(ta_items: dict[str, Item]) -> None:
    flagged = {
        it.id: it.metadata["undocumented_gold"]
        for it in ta_items.values()
        if it.metadata["undocumented_gold"]
    }
    assert set(flagged) == {f"AviationAPI/{k}" for k in range(5, 11)}
    assert flagged["AviationAPI/10"] == ("weather_metar_get",)
    # a doc-faithful model cannot name these tools: its TS ceiling is 108/114
    assert round(100 * (114 - len(flagged)) / 114, 2) == 94.74


def test_ta_numbers_and_numeric_strings_compare_by_value(ta_items: dict[str, Item]) -> None:
    it = ta_items["Nager.Date/4"]
    gold = it.gold[0][0]
    args = {**gold.arguments, "year": "2024"}
    assert A.score_item(it, _act(gold.name, args)).cf
    assert not A.score_item(it, _act(gold.name, {**gold.arguments, "year": 2023})).cf
    conv = ta_items["CurrencyBeacon/3"]  # amount typed string, gold 500
    g = conv.gold[0][0]
    assert A.score_item(conv, _act(g.name, {**g.arguments, "amount": "500"})).cf


def test_ta_case_is_strict_upstream_lenient_fixed(ta_items: dict[str, Item]) -> None:
    it = ta_items["apilayer weatherstack/8"]  # gold query "Las vegas"
    out = "\n".join(_act("current_get", {"query": q}) for q in ("Chicago", "Denver", "Las Vegas"))
    assert not B.score_item(it, out, "upstream").cf
    assert B.score_item(it, out, "fixed").cf


def test_ta_list_vs_comma_string(ta_items: dict[str, Item]) -> None:
    it = ta_items["CurrencyBeacon/4"]
    out = _act("latest_get", {"base": "USD", "symbols": "EUR, GBP"})
    up, fx = A.score_item(it, out, "upstream"), A.score_item(it, out, "fixed")
    assert up.pi and not up.cf
    assert fx.cf


def test_ta_gold_typo_errata_in_fixed_only(ta_items: dict[str, Item]) -> None:
    it = ta_items["AviationAPI/2"]
    out = _act("charts_changes_get", {"apt": "AVL", "chart_name": "Arrivals"})
    assert not A.score_item(it, out, "upstream").cf
    assert A.score_item(it, out, "fixed").cf


def test_ta_empty_optional_param_ignored_in_fixed(ta_items: dict[str, Item]) -> None:
    it = ta_items["apilayer weatherstack/3"]  # current_get(query="London"), units omitted
    out = _act("current_get", {"query": "London", "units": ""})
    assert not A.score_item(it, out, "upstream").pi
    assert A.score_item(it, out, "fixed").cf


def test_ta_first_call_matches_best_gold_all_needs_every_call(ta_items: dict[str, Item]) -> None:
    it = ta_items["apilayer weatherstack/1"]  # New York, Tokyo, Sydney
    out = _act("current_get", {"query": "Tokyo", "units": "m"})
    first = A.score_item(it, out)
    assert first.cf and first.detail["gold_index"] == 1
    assert not B.score_item(it, out).ts


def test_ta_all_calls_order_free_with_repeats(ta_items: dict[str, Item]) -> None:
    it = ta_items["apilayer weatherstack/1"]
    calls = [c.raw for c in reversed(it.gold[0])]
    s = B.score_item(it, "\n".join(calls))
    assert s.cf and s.detail["pairing"] == [2, 1, 0]
    dup = [calls[0], calls[0], calls[2]]
    assert not B.score_item(it, "\n".join(dup)).cf
    cats = ta_items["Cataas/5"]  # three getRandomCat calls
    assert B.score_item(cats, "\n".join(c.raw for c in cats.gold[0])).cf
    assert not B.score_item(cats, cats.gold[0][0].raw).ts


def test_ta_levels_are_cumulative(ta_items: dict[str, Item]) -> None:
    it = ta_items["Nager.Date/4"]
    g = it.gold[0][0]
    wrong_name = A.score_item(it, _act("CountryCountryInfo", dict(g.arguments)))
    wrong_keys = A.score_item(it, _act(g.name, {**g.arguments, "extra": "x"}))
    wrong_value = A.score_item(it, _act(g.name, {k: "ZZ" for k in g.arguments}))
    assert (wrong_name.ts, wrong_name.pi, wrong_name.cf) == (False, False, False)
    assert (wrong_keys.ts, wrong_keys.pi, wrong_keys.cf) == (True, False, False)
    assert (wrong_value.ts, wrong_value.pi, wrong_value.cf) == (True, True, False)


@pytest.mark.parametrize(
    "output",
    [
        "",
        "Final Answer: no idea",
        'Action: finish\nAction Input: {"answer": "x"}',
        "Action:\nAction Input: [",
        "x" * 100_000,
    ],
)
def test_ta_bad_or_final_outputs_score_zero(ta_items: dict[str, Item], output: str) -> None:
    for bench in (A, B):
        for mode in ("upstream", "fixed"):
            s = bench.score_item(ta_items["Nager.Date/0"], output, mode)
            assert not (s.ts or s.pi or s.cf)


def test_ta_loader_reports_bad_entries(bfcl_data_dir: Path, tmp_path: Path) -> None:
    raw = json.loads((bfcl_data_dir / "toolalpaca" / "eval_real.json").read_text())
    api = raw[1]
    api["Golden_Answers"][0] = [{"Action": "AirportApi_getAirport", "Action_Input": "{broken"}]
    (tmp_path / "toolalpaca").mkdir()
    (tmp_path / "toolalpaca" / "eval_real.json").write_text(json.dumps([api, "not an api"]))
    report = LoadReport()
    items = ToolAlpaca("t").load(tmp_path, report)
    assert len(items) == len(api["Instructions"]) - 1
    assert len(report.warnings) == 2 and "airportsapi/0 skipped" in report.warnings[0]


def test_ta_registry_name_resolves() -> None:
    from benchmarks import BENCHMARKS

    bench = BENCHMARKS.get("toolalpaca-real")
    assert bench.name == "toolalpaca-real" and bench.default_format == "react"
