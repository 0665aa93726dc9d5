"""``tlbench classify``: JSONL in, JSONL out, error records for bad lines, exit codes.

Runs in-process through ``tlbench.cli.main`` with a stand-in parser (``name|{json}``), so the command's own
behaviour is tested independently of the parsers; one test goes through the real parser when it is ready.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tlbench.cli import main
from tlbench.types import ParseFailure, ParseResult, ToolCall

TOOLS = [
    {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
            "required": ["city"],
        },
    }
]
GOLD = [{"name": "get_weather", "arguments": {"city": "Paris"}}]


def _fake_parse(text, fmt, docs=None):
    if fmt not in ("glm", "react"):
        return ParseResult(failure=ParseFailure("unknown_format", f"unknown format {fmt!r}"))
    if not isinstance(text, str) or "|" not in text:
        return ParseResult(failure=ParseFailure("no_call"))
    name, _, args = text.partition("|")
    try:
        return ParseResult(calls=(ToolCall(name, json.loads(args)),))
    except ValueError:
        return ParseResult(failure=ParseFailure("bad_json"))


@pytest.fixture()
def fake_parse(monkeypatch):
    import tlbench.parsers

    monkeypatch.setattr(tlbench.parsers, "parse", _fake_parse)


def _lines(*records) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)


def test_file_in_file_out(tmp_path: Path, fake_parse) -> None:
    src = tmp_path / "in.jsonl"
    out = tmp_path / "out.jsonl"
    src.write_text(
        _lines(
            {"output": 'get_weather|{"city": "Paris"}', "format": "glm", "tools": TOOLS, "gold": GOLD},
            {"output": 'get_weather|{"city": "Rome"}', "tools": TOOLS, "gold": GOLD},
            "",
            {"output": 'nope|{"a": 1}', "format": "glm", "tools": TOOLS},
            {"output": "garbage", "format": "glm", "tools": TOOLS, "gold": GOLD},
        ),
        encoding="utf-8",
    )
    assert main(["classify", str(src), "--out", str(out), "--format", "glm"]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["line"] for r in rows] == [1, 2, 4, 5]
    assert [r["verdict"]["kind"] for r in rows] == [
        "correct",
        "content_error",
        "tool_hallucination",
        "unparsable",
    ]
    assert [r["reward"] for r in rows] == [1.0, -0.25, -2.0, -2.0]
    assert rows[0]["calls"] == [{"name": "get_weather", "arguments": {"city": "Paris"}, "raw": ""}]
    assert rows[3]["failure"] == "no_call"


def test_malformed_lines_give_error_records_and_exit_1(monkeypatch, capsys, fake_parse) -> None:
    stdin = _lines(
        "{not json",
        "[1, 2]",
        {"format": "glm"},
        {"output": 5},
        {"output": "x|{}", "gold": {"nome": "f"}, "format": "glm"},
        {"output": "x|{}", "format": 7},
        {"output": 'get_weather|{"city": "P"}', "tools": TOOLS, "format": "glm"},
    )
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(["classify", "-"])
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 1
    assert [r["line"] for r in rows] == list(range(1, 8))
    assert all("error" in r for r in rows[:6])
    assert rows[6]["verdict"]["kind"] == "correct"


def test_unknown_format_is_judged_unparsable(monkeypatch, capsys, fake_parse) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(_lines({"output": "x|{}", "format": "klingon"})))
    assert main(["classify"]) == 0
    (row,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert row["verdict"]["kind"] == "unparsable"


def test_wildcard_option(tmp_path: Path, monkeypatch, capsys, fake_parse) -> None:
    gold = [{"name": "get_weather", "arguments": {"city": "None"}}]
    record = {"output": 'get_weather|{"city": "Oslo"}', "format": "glm", "tools": TOOLS, "gold": gold}
    monkeypatch.setattr(sys, "stdin", io.StringIO(_lines(record)))
    assert main(["classify", "--wildcard", "None"]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"]["kind"] == "correct"


def test_missing_input_file_is_a_usage_error(tmp_path: Path, capsys) -> None:
    assert main(["classify", str(tmp_path / "nope.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "not found" in err and err.count("\n") == 1


def test_real_parser_end_to_end(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    text = 'Thought: go\nAction: get_weather\nAction Input: {"city": "Paris"}'
    src.write_text(
        _lines({"output": text, "format": "react", "tools": TOOLS, "gold": GOLD}), encoding="utf-8"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "tlbench", "classify", str(src)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    row = json.loads(proc.stdout)
    assert row["verdict"]["kind"] == "correct" and row["reward"] == 1.0
