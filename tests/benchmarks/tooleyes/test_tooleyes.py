"""ToolEyes: loader, DE/CE/VA from message transcripts and Episode-style turns, upstream side statistics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import BENCHMARKS
from benchmarks.base import missing_score
from benchmarks.tooleyes import react_split, stored_text, upstream_side_stats
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
    odd = react_split("Thought: a\nAction: f\nAction Input: {'x': __import__('os')}")
    # upstream's eval would import os: never evaluated here, undecided and assumed to succeed
    assert odd.react_ok and odd.args_ok and odd.parsed.status == "undecided" and odd.arguments == {"x": None}


def _side(item, msgs: list[dict], mode: str = "upstream") -> dict:
    record = {"index": item.index, "messages": [*item.messages, *msgs]}
    return BENCHMARKS.get("tooleyes").score_transcript(item, record, mode).detail["upstream"]


FINISH = _a("finish", '{"answer": "x"}')


def test_rot_tooleyes_action_input_read_as_upstreams_eval(random_item) -> None:
    # ToolEyes' scorer evals the input: a builtin as a key and arithmetic pass its format check
    side = _side(random_item, [_a("generate_string", "{'len': 1+2}"), _f("ok"), FINISH])
    assert (side["conv_json_err"], side["format_err_cnt"], side["calls"], side["tool_reality"]) == (
        0,
        0,
        1,
        1,
    )
    side = _side(random_item, [_a("generate_string", "{min: '1'}"), _f("ok"), FINISH])
    assert (side["conv_json_err"], side["calls"], side["tool_reality"]) == (0, 1, 0)  # an unknown key
    side = _side(random_item, [_a("generate_string", '{"len": true}'), _f("ok"), FINISH])
    assert (side["conv_json_err"], side["calls"]) == (1, 0)  # true is a NameError in Python
    side = _side(random_item, [_a("generate_string", "{'len': str(8)}"), _f("ok"), FINISH])
    assert (side["conv_json_err"], side["eval_undecided"], side["tool_reality"]) == (0, 1, 1)
    de = BENCHMARKS.get("tooleyes").score_transcript(
        random_item,
        {"messages": [*random_item.messages, _a("generate_string", "{min: '1'}"), _f("ok"), FINISH]},
    )
    assert de.detail["format_errors"] == 0 and de.detail["parameter_hallucination"] == 1


def test_rot_tooleyes_action_name_read_as_upstream(random_item) -> None:
    # upstream's process_message drops the two characters \n and any "Action:" from the name
    for name in ("get_uuid\\n", "Action:get_uuid", "\\nget_uuid"):
        side = _side(random_item, [_a(name, "{}"), _f("ok"), FINISH])
        assert side["tool_reality"] == 1 and side["calls"] == 1, name
    assert react_split("Thought: t\nAction: get_uuid\\n\nAction Input: {}").action == "get_uuid"
    d = BENCHMARKS.get("tooleyes").score_transcript(
        random_item, {"messages": [*random_item.messages, _a("get_uuid\\n", "{}"), _f("ok"), FINISH]}
    )
    assert d.detail["tool_hallucination"] == 0


def test_rot_tooleyes_final_message_is_the_last_of_any_role(random_item) -> None:
    call = _a("generate_string", "{'len': '8'}")
    # the conversation ends with a function message: the last assistant message is an ordinary call
    side = _side(random_item, [call, _f("Thought: x Action: y Action Input: {}")])
    assert (side["calls"], side["tool_reality"], side["Ans_pass"], side["crash"]) == (1, 1, 1, None)
    # ... and an earlier assistant message equal to a later non-assistant last message is skipped
    side = _side(
        random_item, [call, _f("ok"), _a("nope", "{}"), {"role": "user", "content": call["content"]}]
    )
    assert (side["calls"], side["tool_reality"]) == (1, 0)
    fixed = _side(random_item, [call, _f("Thought: x Action: y Action Input: {}")], "fixed")
    assert fixed["calls"] == 0  # fixed mode: the last assistant message is the final one


def test_rot_tooleyes_upstream_crashes_are_flagged(random_item) -> None:
    prose = {"role": "assistant", "content": "I think so"}
    assert _side(random_item, [prose, _f("x"), FINISH])["crash"].startswith("judge prompts")
    assert _side(random_item, [_a("get_uuid", "[1]"), _f("x"), FINISH])["crash"].startswith("tool selection")
    assert (
        _side(random_item, [_a("nope", "{}"), _f("x"), _a("get_uuid", "[1]"), _f("x"), FINISH])["crash"]
        is None
    )
    assert _side(random_item, [prose, _f("x"), FINISH], "fixed")["crash"] is None


def test_rot_tooleyes_turns_are_stored_as_upstreams_inference_stores_them(random_item) -> None:
    def turn(raw: str, *after: dict) -> dict:
        return {"raw": raw, "parse": {}, "messages": list(after)}

    record = {
        "prompt": list(random_item.messages),
        "turns": [
            turn("The answer is 42.", _f("x")),
            turn('Thought: t\nAction: finish\nAction Input: {"answer": "4'),
        ],
    }
    s = BENCHMARKS.get("tooleyes").score_transcript(random_item, record)
    side = s.detail["upstream"]
    # prose is stored as "Thought: \nAction: \nAction Input: {}" (an empty action: a ReAct error), and the
    # truncated finish gets its '"}' back: no crash, a valid final message
    assert (side["crash"], side["conv_react_err"], side["Ans_pass"], side["IF"]) == (None, 1, 1, 0.5)
    assert stored_text("hello") == "Thought: \nAction: \nAction Input: {}"
    assert stored_text('Thought: a\nAction: finish\nAction Input: {"answer": "b') == (
        'Thought: a\nAction: finish\nAction Input: {"answer": "b"}'
    )


def test_rot_tooleyes_text_only_native_reply_is_not_a_valid_answer(random_item) -> None:
    reply = {"index": 0, "raw": "Hello!", "parse": {"calls": [], "failure": None, "final_answer": "Hello!"}}
    record = {"fmt": "openai", "prompt": list(random_item.messages), "turns": [reply], "finished": True}
    s = BENCHMARKS.get("tooleyes").score_transcript(random_item, record)
    assert not s.correct and s.detail["format_errors"] == 1 and not s.detail["valid"]
    # upstream's function-calling path writes it as an empty action: a ReAct format error, not skipped as
    # a final answer (the final message is skipped only when it splits)
    assert s.detail["upstream"]["conv_react_err"] == 1 and s.detail["upstream"]["crash"] is None


def test_rot_tooleyes_summary_figures_are_named_for_what_they_are(load_items) -> None:
    items = load_items("tooleyes")
    bench = BENCHMARKS.get("tooleyes")
    bad = {"role": "assistant", "content": "Thought: t\nAction: get_uuid\nAction Input: {x}"}
    records = {
        0: [_a("get_uuid", "{}"), _f("ok"), FINISH],
        1: [bad, _f("no"), bad, _f("no"), {"role": "assistant", "content": FORCED}],
    }
    scores = [
        bench.score_transcript(it, {"messages": [*it.messages, *records[it.index]]})
        if it.index in records
        else missing_score(it)
        for it in items
    ]
    s = bench.aggregate(scores, resamples=10).summary
    # means over the 2 episodes present (the official aggregation), not over all 382
    assert (s["side_episodes"], s["missing"]) == (2, 380)
    assert s["Ans_pass_mean"] == 50.0 and s["IF_mean"] == 50.0 and s["tool_reality_mean"] == 50.0
    assert s["format_err_per_episode"] == 1.5  # (0 + 3) / 2: a mean per episode, as upstream reports it
    assert (s["conv_json_err_sum"], s["conv_force_terminated_sum"], s["conv_react_err_sum"]) == (2, 1, 0)
    assert not {"Ans_pass", "tool_reality", "format_err_cnt"} & set(s)


def test_rot_tooleyes_upstream_summary_counts_a_repeated_query_once_per_scenario(load_items) -> None:
    items = load_items("tooleyes")
    bench = BENCHMARKS.get("tooleyes")
    # items 44 (Advice_slip, TG) and 96 (WolframSearch, RS) share their query id; upstream's aggregation
    # takes the first sample with an id in each scenario, so item 44's episode is counted twice
    good = [*items[44].messages, FINISH]
    forced = [*items[96].messages, {"role": "assistant", "content": FORCED}]
    scores = [bench.score_transcript(items[44], {"messages": good}, "upstream")]
    scores.append(bench.score_transcript(items[96], {"messages": forced}, "upstream"))
    assert bench.aggregate(scores, resamples=10).summary["Ans_pass_mean"] == 100.0
    fixed = [bench.score_transcript(items[44], {"messages": good}, "fixed")]
    fixed.append(bench.score_transcript(items[96], {"messages": forced}, "fixed"))
    assert bench.aggregate(fixed, resamples=10).summary["Ans_pass_mean"] == 50.0


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
    assert {"DE", "CE", "VA", "Ans_pass_mean", "tool_reality_mean", "conv_force_terminated_sum"} <= set(
        summary
    )
    assert summary["VA"] == pct_one(382) and summary["missing"] == 380
    assert set(doc["ci95"]) == {"DE", "CE", "VA"} and len(doc["per_scenario"]) == 7
    assert "unreadable transcript" in doc["items"][1]["detail"]["error"]


def pct_one(n: int) -> float:
    return round(100.0 / n, 2)
