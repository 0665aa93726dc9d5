"""ToolEyes: loader, DE/CE/VA from message transcripts and Episode-style turns, upstream side statistics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import BENCHMARKS
from benchmarks.tooleyes import react_split, upstream_side_stats
from tlbench.cli import main
from tlbench.types import ToolDoc

FORMAT_ERR = "Your output format does not match the specified format, please revise your answer."
FORCED = (
    "Thought: I cannot solve this task due to trying too many times.\nAction: finish\n"
    'Action Input: {"answer": "I cannot handle the task."}'
)


def _a(action: str, args: str) -> dict:
    return {"role": "assistant", "content": f"Thought: t\nAction: {action}\nAction Input: {args}"}


def _f(text: str) -> dict:
    return {"role": "function", "content": text}


@pytest.fixture(scope="module")
def random_item(load_items):
    items = load_items("tooleyes")
    return items[0]


def test_rot_tooleyes_loader(load_items) -> None:
    items = load_items("tooleyes")
    assert len(items) == 382 and len({it.id for it in items}) == 382
    assert {it.scenario for it in items} == {"TG", "RS", "DU", "PL", "IR", "AM", "FT"}
    assert all([d.name for d in it.tools][-2:] == ["ask_to_user", "finish"] for it in items)
    assert items[0].metadata["path"] == "ToolEyes/Tool_Library/Random/Random"
    dup = [it for it in items if it.metadata["upstream_id"].endswith("advice about 'love'?")]
    assert len(dup) == 2 and dup[0].metadata["path"] != dup[1].metadata["path"]


def test_rot_tooleyes_de_ce_va_from_messages(random_item) -> None:
    msgs = [
        *random_item.messages,
        _a("generate_string", "{'len': '8'}"),
        _f('"abcdefgh"'),
        _a("bogus_tool", "{'a': '1'}"),
        _f("cannot import name 'bogus_tool' from 'x.tool' (/x/tool.py)"),
        {"role": "assistant", "content": "I think so"},
        {"role": "user", "content": FORMAT_ERR},
        _a("generate_string", "{'len': '8', 'colour': 'red'}"),
        _f("generate_string() got an unexpected keyword argument 'colour'"),
        _a("get_uuid", "{}"),
        _f("'<' not supported between instances of 'str' and 'int'"),
        _a("get_uuid", "{}"),
        _f('{"error": "connection error."}'),
        _a("finish", '{"answer": "abcdefgh"}'),
    ]
    s = BENCHMARKS.get("tooleyes").score_transcript(random_item, {"index": 0, "messages": msgs})
    d = s.detail
    assert (d["attempts"], d["de"], d["ce"], d["format_errors"], d["instability"]) == (6, 2, 2, 1, 1)
    assert d["tool_hallucination"] == 1 and d["parameter_hallucination"] == 1
    assert s.correct and d["valid"] and not s.pi and not s.ts and not s.parsed
    up = d["upstream"]
    assert up["Ans_pass"] == 1 and up["conv_react_err"] == 1 and up["format_err_cnt"] == 1
    # upstream gate: after the tool hallucination, parameters are no longer checked -> 1 of 5 calls
    assert up["calls"] == 5 and up["tool_reality"] == 0.8


def test_rot_tooleyes_forced_finish_and_conversations_shape(random_item) -> None:
    conv = [{"from": m["role"], "value": m["content"]} for m in random_item.messages]
    for _ in range(9):
        conv += [{"from": "assistant", "value": "Thought: t\nAction: get_uuid\nAction Input: {}"}]
        conv += [{"from": "function", "value": '"id"'}]
    conv.append({"from": "assistant", "value": FORCED})
    s = BENCHMARKS.get("tooleyes").score_transcript(random_item, {"id": "0", "conversations": conv})
    assert not s.correct and s.detail["forced"] and s.detail["attempts"] == 9 and s.detail["de"] == 0
    assert s.detail["upstream"]["conv_force_terminated"] == 1 and s.detail["upstream"]["Ans_pass"] == 0
    assert s.cf  # nine clean calls: no DE, no CE


def test_rot_tooleyes_episode_turns(random_item) -> None:
    record = {
        "index": 0,
        "prompt": list(random_item.messages),
        "turns": [
            {
                "index": 0,
                "raw": "x",
                "parse": {"calls": [{"name": "get_uuid", "arguments": {"x": "1"}}], "failure": None},
                "calls": [{"name": "get_uuid", "arguments": {"x": "1"}}],
                "feedback": [{"category": "parameter_hallucination", "text": "unexpected"}],
                "category": "parameter_hallucination",
            },
            {
                "index": 1,
                "raw": "?",
                "parse": {"calls": [], "failure": {"reason": "no_call"}},
                "category": "unparsable",
            },
            {
                "index": 2,
                "raw": "y",
                "parse": {"calls": [{"name": "get_uuid", "arguments": {}}], "failure": None},
                "feedback": [{"category": "tool_call_failure", "text": "boom"}],
                "category": "tool_call_failure",
            },
            {"index": 3, "raw": "z", "parse": {"calls": [{"name": "finish", "arguments": {"answer": "a"}}]}},
        ],
        "finished": True,
        "forced": None,
    }
    s = BENCHMARKS.get("tooleyes").score_transcript(random_item, record)
    d = s.detail
    assert (d["attempts"], d["de"], d["ce"], d["valid"]) == (3, 1, 2, True)


def test_rot_tooleyes_side_stats_quirks_vs_fixed() -> None:
    docs = (
        ToolDoc(
            name="f",
            parameters={"type": "object", "properties": {"a": {}}, "required": ["a"]},
            required=("a",),
        ),
        ToolDoc(name="finish"),
    )
    msgs = [
        _a("f", "{'a': '1'}"),
        _f("ok"),
        _a("f", "{}"),  # misses 'a': upstream forgot 'a' was required after the first call
        _f("err"),
        _a("finish", "{'answer': 'x'}"),
    ]
    assert upstream_side_stats(msgs, docs, quirks=True)["tool_reality"] == 1.0
    assert upstream_side_stats(msgs, docs, quirks=False)["tool_reality"] == 0.5


def test_rot_tooleyes_react_split() -> None:
    assert react_split("Thought: a\nAction: f\nAction Input: {'x': 1}").arguments == {"x": 1}
    assert not react_split("Action: f\nAction Input: {}").react_ok  # no Thought
    assert not react_split("Thought: a\nAction: \nAction Input: {}").react_ok  # empty action
    bad = react_split("Thought: a\nAction: f\nAction Input: {'x': __import__('os')}")
    assert bad.react_ok and not bad.args_ok  # never evaluated


def test_rot_tooleyes_cli_summary(capsys, tmp_path: Path, data_dir: Path, random_item) -> None:
    pred = tmp_path / "t.jsonl"
    rec = {"index": 0, "messages": [*random_item.messages, _a("finish", '{"answer": "x"}')]}
    pred.write_text(json.dumps(rec) + "\n" + json.dumps({"index": 1, "messages": "bad"}) + "\n", "utf-8")
    code = main(
        [
            "score",
            "--predictions",
            str(pred),
            "--benchmark",
            "tooleyes",
            "--data-dir",
            str(data_dir),
            "--json",
        ]
    )
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    summary = doc["summary"]
    assert {"DE", "CE", "VA", "Ans_pass", "tool_reality", "conv_force_terminated"} <= set(summary)
    assert summary["VA"] == pct_one(382) and summary["missing"] == 380
    assert set(doc["ci95"]) == {"DE", "CE", "VA"} and len(doc["per_scenario"]) == 7
    assert "unreadable transcript" in doc["items"][1]["detail"]["error"]


def pct_one(n: int) -> float:
    return round(100.0 / n, 2)
