"""Strict JSON that cannot fail on any ``str``: the one writer (``tlbench.jsonio``) and the places that use it.

Issue: a lone surrogate in model output (a model cut off inside an emoji pair) crashed ``score --model``, the
``--predictions --out`` path and ``classify``; ``1e999999`` was written as ``Infinity``.
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import pytest
from runconfig import mock_run_config

from tlbench import jsonio
from tlbench.backends.mock import MockBackend
from tlbench.cli import main
from tlbench.runner import run
from tlbench.types import canonical_json

LONE = "\ud800"
SURROGATE_OUTPUT = 'Thought: t\nAction: get_translation\nAction Input: {"text": "\\ud800"}'
HUGE_OUTPUT = 'Action: get_weather\nAction Input: {"city": "Paris", "days": 1e999999}'


def _strict_lines(path: Path) -> list[object]:
    data = path.read_bytes()
    data.decode("utf-8")  # valid UTF-8: no raw surrogate reached the file
    return [jsonio.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize(
    "value",
    [LONE, {"k" + LONE: [LONE + "x", "é", "\udfff\ud800"]}, "emoji 😀 ok", {"a": [1, 2.5, None, True]}],
)
def test_dumps_round_trips_and_encodes(value: object) -> None:
    text = jsonio.dumps(value)
    text.encode("utf-8")
    assert json.loads(text) == value


def test_ordinary_text_is_byte_identical_to_the_stdlib() -> None:
    value = {"b": "héllo 😀", "a": [1, {"c": None}]}
    assert jsonio.dumps(value, indent=2) == json.dumps(value, ensure_ascii=False, indent=2)


def test_non_finite_floats_become_names_and_strict_loads_rejects_literals() -> None:
    text = jsonio.dumps({"x": math.inf, "y": [-math.inf, math.nan], "z": 1.5})
    assert "Infinity" not in text.replace('"Infinity"', "").replace('"-Infinity"', "")
    assert jsonio.loads(text) == {"x": "Infinity", "y": ["-Infinity", "NaN"], "z": 1.5}
    with pytest.raises(ValueError):
        jsonio.loads('{"x": Infinity}')
    with pytest.raises(ValueError):
        jsonio.dumps({"x": math.nan}, nonfinite="raise")


def test_canonical_json_is_safe_for_cache_keys() -> None:
    canonical_json({"t": LONE, "n": math.inf}).encode("utf-8")
    assert canonical_json({"b": 1, "a": "é"}) == '{"a":"é","b":1}'


@pytest.mark.parametrize("output", [SURROGATE_OUTPUT, SURROGATE_OUTPUT.replace("\\ud800", LONE)])
def test_score_model_survives_a_lone_surrogate_and_a_rerun(
    output: str, tmp_path: Path, data_dir: Path
) -> None:
    """The escape parses to a lone surrogate in the call's arguments; the raw one sits in the output itself."""
    cfg = mock_run_config(tmp_path, data_dir, ("rotbench-first-clean",), limit=2)
    first = run(cfg, backend=MockBackend(lambda p: output))
    assert first["status"] == "complete"
    rows = _strict_lines(tmp_path / "run" / "rotbench-first-clean" / "items.jsonl")
    assert len(rows) == 2 and all(r["output"] == output for r in rows)  # kept as it was
    _strict_lines(tmp_path / "run" / "rotbench-first-clean" / "predictions.jsonl")
    again = run(cfg, backend=MockBackend(lambda p: "unused"))  # replays the cached bad generation
    assert again["status"] == "complete" and again["generations"] == 0


def test_score_predictions_out_with_a_lone_surrogate(tmp_path: Path, data_dir: Path) -> None:
    preds = tmp_path / "preds.jsonl"
    preds.write_text(json.dumps({"index": 0, "output": SURROGATE_OUTPUT.replace("\\ud800", LONE)}) + "\n")
    out = tmp_path / "out"
    code = main(
        ["score", "--predictions", str(preds), "--benchmark", "rotbench-first-clean",
         "--data-dir", str(data_dir), "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    for name in ("items.jsonl",):
        _strict_lines(out / name)
    jsonio.loads((out / "results.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("output", [SURROGATE_OUTPUT, HUGE_OUTPUT])
def test_classify_writes_strict_utf8_json(output: str, monkeypatch, capsys) -> None:
    tools = [{"name": "get_weather", "parameters": {"type": "object", "properties": {
        "city": {"type": "string"}, "days": {"type": "number"}}, "required": ["city"]}}]  # fmt: skip
    line = json.dumps({"output": output, "format": "react", "tools": tools})
    monkeypatch.setattr("sys.stdin", io.StringIO(line + "\n"))
    code = main(["classify", "-"])
    text = capsys.readouterr().out
    assert code == 0
    text.encode("utf-8")
    (record,) = [jsonio.loads(x) for x in text.splitlines()]
    assert "calls" in record or "error" in record
