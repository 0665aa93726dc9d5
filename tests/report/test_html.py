"""The static HTML report: self-contained, escaped, and working in a real headless chromium
(loads with no console errors, filters work, an item opens, thousands of items page)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from runbuilder import write_items_run

from tlbench.cli import main
from tlbench.report.html import embed_json, write_report
from tlbench.report.runs import load_runs

EVIL = '</script><img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'


def test_embedded_json_cannot_close_the_script_element() -> None:
    value = {"o": EVIL, "amp": "a & b <!--"}
    text = embed_json(value)
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == value


def _episode(index: int) -> dict[str, object]:
    return {
        "id": str(index),
        "index": index,
        "scenario": "TG",
        "ts": True,
        "pi": True,
        "cf": False,
        "correct": False,
        "parsed": True,
        "calls": [{"name": "search", "arguments": {"q": "x"}}],
        "categories": ["tool_call_failure"],
        "detail": {"de": 0, "ce": 1, "attempts": 1},
        "prompt": [
            {"role": "system", "content": "SYSTEM PROMPT TEXT"},
            {"role": "user", "content": "find x"},
        ],
        "output": EVIL,
        "turns": [
            {
                "output": "Action: search",
                "calls": [{"name": "search", "arguments": {"q": "x"}}],
                "feedback": ["FEEDBACK: search() got an unexpected keyword argument"],
                "category": "tool_call_failure",
            }
        ],
    }


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, scored_runs: tuple[Path, Path], data_dir: Path) -> Path:
    root = tmp_path_factory.mktemp("report")
    hand = write_items_run(root, "hand", "tooleyes", [_episode(0), _episode(1)])
    path, stats = write_report(load_runs([*scored_runs, hand]), root / "out", data_dir=data_dir)
    assert stats["items"] == 105 + 382 + 105 + 2  # gold (rotbench + every tooleyes item), perturbed, hand
    return path


def test_report_is_self_contained(report: Path) -> None:
    page = report.read_text(encoding="utf-8")
    assert not re.search(r"<(script|img|link|iframe)[^>]+(src|href)=\"(?!data:)", page)
    assert "<link" not in page and "@import" not in page
    assert page.count("data:image/png;base64,") >= 2  # error bars per benchmark (+ robustness)
    assert EVIL not in page  # only escaped inside the JSON
    assert '<table class="lb" data-table="3">' in page
    assert "<h3>perturbed vs gold</h3>" in page  # the comparison section
    cf_row = "<td>rotbench-first-clean</td><td>CF</td><td>105</td><td>92.38</td><td>32.38</td><td>-60.00</td>"
    assert cf_row in page
    assert "<details><summary>per scenario</summary>" in page
    assert "<td>perturbed</td><td>TG</td><td>15</td>" in page  # 7 RoTBench scenarios of 15 items


def test_cli_report(scored_runs: tuple[Path, Path], data_dir: Path, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    code = main(["report", *map(str, scored_runs), "--out", str(tmp_path), "--data-dir", str(data_dir)])
    assert code == 0
    assert "592 items" in capsys.readouterr().out
    assert (tmp_path / "index.html").is_file()
    assert main(["report", str(tmp_path / "nope"), "--out", str(tmp_path)]) == 2


def _errors(browser) -> list[dict]:  # noqa: ANN001
    return [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]


def _count(browser) -> str:  # noqa: ANN001
    return browser.find_element("id", "count").text


def _select(browser, element_id: str, value: str) -> None:  # noqa: ANN001
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element("id", element_id)).select_by_value(value)


def test_report_in_a_real_browser(browser, report: Path) -> None:  # noqa: ANN001
    browser.get(report.as_uri())
    assert browser.find_element("css selector", "h1").text.startswith("tlbench report")
    assert _errors(browser) == []
    assert _count(browser) == "594 of 594 items"
    assert len(browser.find_elements("css selector", "#items tbody tr")) == 50
    runs = [o.text for o in browser.find_elements("css selector", "#f-run option")]
    assert runs == ["all", "gold", "perturbed", "hand"]
    _select(browser, "f-run", "1")
    assert _count(browser) == "105 of 594 items"
    _select(browser, "f-correct", "1")
    assert _count(browser) == "34 of 594 items"
    _select(browser, "f-correct", "")
    _select(browser, "f-cat", "tool_hallucination")
    assert _count(browser) == "35 of 594 items"
    rows = browser.find_elements("css selector", "#items tbody tr")
    assert len(rows) == 35 and all("tool_hallucination" in r.text for r in rows)
    _select(browser, "f-cat", "missing")
    assert _count(browser) == "35 of 594 items"
    _select(browser, "f-run", "")
    _select(browser, "f-cat", "")
    benches = [o.text for o in browser.find_elements("css selector", "#f-bench option")]
    _select(browser, "f-bench", str(benches.index("tooleyes") - 1))
    assert _count(browser) == "384 of 594 items"  # 382 scored (3 with transcripts) + 2 hand-written
    scenarios = [o.text for o in browser.find_elements("css selector", "#f-scenario option")]
    assert scenarios[0] == "all" and set(scenarios[1:]) == {"AM", "DU", "FT", "IR", "PL", "RS", "TG"}
    _select(browser, "f-bench", "")
    _select(browser, "f-scenario", "TG")
    assert int(_count(browser).split()[0]) > 0
    assert all(r.text.split()[3] == "TG" for r in browser.find_elements("css selector", "#items tbody tr"))
    assert _errors(browser) == []


def test_an_item_opens_with_prompt_output_calls_gold(browser, report: Path) -> None:  # noqa: ANN001
    browser.get(report.as_uri())
    _select(browser, "f-run", "1")
    browser.find_elements("css selector", "#items tbody tr")[0].click()
    view = browser.find_element("id", "item-view")
    assert view.is_displayed()
    text = view.text
    assert "perturbed · rotbench-first-clean · item 0" in text
    for heading in ("Verdict", "Prompt", "Raw output", "Parsed calls", "Gold calls"):
        assert heading in text
    assert "Action: get_" in text  # the perturbed raw output
    assert "[system]" in text  # the prompt, from the benchmark data
    browser.find_element("id", "iv-close").click()
    assert not view.is_displayed()
    assert _errors(browser) == []


def test_episode_turns_and_hostile_text_are_shown_as_text(browser, report: Path) -> None:  # noqa: ANN001
    browser.get(report.as_uri())
    _select(browser, "f-run", "2")
    assert _count(browser) == "2 of 594 items"
    browser.find_elements("css selector", "#items tbody tr")[0].click()
    text = browser.find_element("id", "item-view").text
    assert "FEEDBACK: search() got an unexpected keyword argument" in text
    assert "turn 1 · tool_call_failure" in text
    assert "SYSTEM PROMPT TEXT" in text
    assert 'onerror="window.__pwned=1"' in text  # shown literally
    assert browser.execute_script("return window.__pwned === undefined")
    assert browser.find_elements("css selector", "#item-view img") == []
    assert _errors(browser) == []


def test_thousands_of_items_page_and_open_by_hash(browser, tmp_path: Path) -> None:  # noqa: ANN001
    records = [
        {
            "id": str(i),
            "index": i,
            "scenario": f"S{i % 7}",
            "ts": i % 2 == 0,
            "pi": i % 4 == 0,
            "cf": i % 8 == 0,
            "correct": i % 8 == 0,
            "parsed": True,
            "calls": [{"name": f"tool_{i % 13}", "arguments": {"n": i}}],
            "categories": ["correct"] if i % 8 == 0 else ["content_error"],
            "output": f'Action: tool_{i % 13}\nAction Input: {{"n": {i}}}',
        }
        for i in range(5000)
    ]
    run = write_items_run(tmp_path, "big", "rotbench-first-clean", records)
    page, stats = write_report(load_runs([run]), tmp_path / "out")
    assert stats["items"] == 5000
    browser.get(page.as_uri() + "#item-4321")
    assert "big · rotbench-first-clean · item 4321" in browser.find_element("id", "item-view").text
    browser.find_element("id", "iv-close").click()
    assert _count(browser) == "5000 of 5000 items"
    assert browser.find_element("id", "page").text == "page 1 / 100"
    assert len(browser.find_elements("css selector", "#items tbody tr")) == 50
    browser.find_element("id", "next").click()
    assert browser.find_element("id", "page").text == "page 2 / 100"
    assert browser.find_elements("css selector", "#items tbody tr")[0].text.split()[2] == "50"
    _select(browser, "f-correct", "1")
    assert _count(browser) == "625 of 5000 items"
    browser.find_element("id", "f-text").send_keys("4321")
    assert _count(browser) == "0 of 5000 items"  # 4321 is not a correct item
    _select(browser, "f-correct", "")
    assert _count(browser) == "1 of 5000 items"
    assert _errors(browser) == []
