"""Importers: TL-Training raw data, ShareGPT/ToolLLaMA, OpenAI messages -> labelled trajectories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tlbench.errors import UsageError
from training.importers import import_file
from training.trajectory import read_trajectories

TOOLS = [
    {
        "function": {
            "name": "get_translation_nllb",
            "description": "Translate.",
            "parameters": {
                "properties": {
                    "input_text": {"type": "string", "description": "text"},
                    "max_length": {"type": "string", "description": "max"},
                },
                "required": ["input_text", "max_length"],
            },
        }
    },
    {"function": {"name": "finish", "description": "done", "parameters": {"properties": {}, "required": []}}},
]

TL_RAW = [
    {
        "id": "a1",
        "conversations": [
            {"role": "system", "content": json.dumps(TOOLS)},
            {"role": "user", "content": "Translate hello"},
            {"role": "assistant", "content": 'get_translation_nllb\n{"input_text": "hello"}'},
            {
                "role": "function",
                "content": "get_translation_nllb() missing 1 required positional argument: 'max_length'",
            },
            {
                "role": "assistant",
                "content": 'get_translation_nllb\n{"input_text": "hello", "max_length": "9"}',
            },
            {"role": "function", "content": '{"translation": "bonjour"}'},
            {"role": "assistant", "content": 'finish\n{"answer": "bonjour"}'},
        ],
    },
    {"id": "a2", "conversations": [{"role": "robot", "content": "?"}]},
    {
        "id": "a3",
        "conversations": [
            {"role": "system", "content": json.dumps(TOOLS)},
            {"role": "user", "content": "Translate"},
            {"role": "assistant", "content": 'translate_it\n{"input_text": "x"}'},
            {"role": "function", "content": "name 'translate_it' is not defined"},
            {"role": "assistant", "content": 'get_translation_nllb\n{"input_text": "x", "max_length": "5"}'},
            {"role": "function", "content": "HTTPSConnectionPool(host='x'): Max retries exceeded"},
        ],
    },
]


def _cats(path: Path) -> dict[str, list[str]]:
    return {t.id: [u.category for u in t.turns] for t in read_trajectories(path)}


def test_tl_training_raw_labels_from_feedback_and_skips_bad_records(tmp_path: Path) -> None:
    src = tmp_path / "raw_data.json"
    src.write_text(json.dumps(TL_RAW))
    out = tmp_path / "out.jsonl"
    stats = import_file("tl-training", src, out)
    assert (stats["records"], stats["imported"], stats["skipped"]) == (3, 2, 1)
    assert stats["errors"][0].startswith(f"{src}[1]: ") and "robot" in stats["errors"][0]
    cats = _cats(out)
    assert cats["tl-training:a1"] == ["missing_parameter", "correct", "correct"]
    assert cats["tl-training:a3"] == ["tool_hallucination", "tool_instability"]
    t = next(iter(read_trajectories(out)))
    assert [m["role"] for m in t.messages] == ["user", "assistant", "tool", "assistant", "tool", "assistant"]
    assert [d["name"] for d in t.tools] == ["get_translation_nllb", "finish"]
    assert [u.erroneous for u in t.turns] == [True, False, False] and all(u.reward is None for u in t.turns)
    assert t.turns[1].calls[0]["arguments"] == {"input_text": "hello", "max_length": "9"}
    assert stats["erroneous_turns"] == 2 and stats["categories"]["correct"] == 2
    again = import_file("tl-training", src, out)  # resume: nothing duplicated
    assert (again["imported"], again["already_present"]) == (0, 2)
    assert len(list(read_trajectories(out))) == 2


def test_sharegpt_toolllama_with_system_tool_list_and_format_complaint(tmp_path: Path) -> None:
    system = "You can use these APIs: " + json.dumps([t["function"] for t in TOOLS]) + "\n\nLet's Begin!"
    rec = {
        "conversations": [
            {"from": "system", "value": system},
            {"from": "human", "value": "Translate hello"},
            {"from": "gpt", "value": "I will translate it."},
            {
                "from": "human",
                "value": "Your output format does not match the specified format. Please try again.",
            },
            {
                "from": "gpt",
                "value": 'Thought: go\nAction: get_translation_nllb\nAction Input: {"input_text": "hello", "max_length": "9"}',
            },
            {"from": "function", "value": '{"error": "", "response": "bonjour"}'},
            {"from": "gpt", "value": 'Thought: done\nAction: finish\nAction Input: {"answer": "bonjour"}'},
            {"from": "gpt", "value": ["gold alternative 1", "gold alternative 2"]},
        ]
    }
    src = tmp_path / "sg.jsonl"
    src.write_text(json.dumps(rec) + "\n" + "{bad json\n")
    out = tmp_path / "out.jsonl"
    stats = import_file("toolllama", src, out)
    assert (stats["imported"], stats["skipped"]) == (1, 1) and f"{src}:2:" in stats["errors"][0]
    (t,) = read_trajectories(out)
    assert [d["name"] for d in t.tools] == ["get_translation_nllb", "finish"]
    assert t.messages[0]["role"] == "system"  # a prose system prompt is kept
    assert [u.category for u in t.turns] == ["unparsable", "correct", "correct"]


def test_openai_messages_jsonl(tmp_path: Path) -> None:
    call = {
        "id": "c1",
        "type": "function",
        "function": {"name": "get_translation_nllb", "arguments": '{"input_text": "hi"}'},
    }
    rec = {
        "tools": [{"type": "function", **TOOLS[0]}],
        "messages": [
            {"role": "developer", "content": "be brief"},
            {"role": "user", "content": "translate hi"},
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {
                "role": "tool",
                "tool_call_id": "c1",
                "content": "get_translation_nllb() missing 1 required positional argument: 'max_length'",
            },
            {"role": "assistant", "content": "Sorry, I could not translate it."},
        ],
    }
    src = tmp_path / "oa.jsonl"
    src.write_text(json.dumps(rec) + "\n")
    out = tmp_path / "out.jsonl"
    assert import_file("openai", src, out)["imported"] == 1
    (t,) = read_trajectories(out)
    assert [u.category for u in t.turns] == ["missing_parameter", "correct"]
    assert t.turns[0].calls == ({"name": "get_translation_nllb", "arguments": {"input_text": "hi"}},)
    assert (
        json.loads(t.messages[2]["content"])["tool_calls"][0]["id"] == "c1"
        and t.messages[0]["role"] == "system"
    )


def test_unknown_format_and_missing_file_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown import format"):
        import_file("csv", tmp_path / "x", tmp_path / "o.jsonl")
    with pytest.raises(UsageError, match="no such file"):
        import_file("openai", tmp_path / "x", tmp_path / "o.jsonl")


def test_import_with_no_good_record_is_exit_2_and_leaves_no_file(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    """Issue 19: every record bad (e.g. the wrong --import format) used to exit 0 with an empty output."""
    from tlbench.cli import main

    src = tmp_path / "conv.jsonl"
    src.write_text('{"messages": "not a list"}\n{"nothing": 1}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["collect", "--import", "openai", str(src), "--out", str(out), "--no-decontam"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "none of the 2 records could be imported" in err[0] and f"{src}:1" in err[0], err
    assert not out.exists() and not Path(f"{out}.decontam.json").exists()
    empty = tmp_path / "empty.json"
    empty.write_text("[]", encoding="utf-8")
    assert main(["collect", "--import", "tl-training", str(empty), "--out", str(out), "--no-decontam"]) == 2
    assert "no records" in capsys.readouterr().err and not out.exists()
    # an existing output file is kept as it was (resume of an earlier, good import)
    good = tmp_path / "good.json"
    good.write_text(json.dumps(TL_RAW), encoding="utf-8")
    assert import_file("tl-training", good, out)["imported"] == 2
    before = out.read_bytes()
    assert main(["collect", "--import", "openai", str(src), "--out", str(out), "--no-decontam"]) == 2
    assert out.read_bytes() == before
