"""ToolDoc loaders: unit cases, Python-signature round trip, and the real benchmark files (skipped if absent)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tlbench.classify import check_against_docs, classify_call
from tlbench.docs import (
    docs_from_any,
    docs_from_bfcl,
    docs_from_openai_list,
    docs_from_python_signatures,
    docs_from_rotbench_system,
    docs_from_toolalpaca,
    docs_from_tooleyes_config,
    docs_to_python_signatures,
    normalise_schema,
)
from tlbench.errors import DataError
from tlbench.types import ErrorKind, ToolCall

DATA = Path(os.environ.get("TLBENCH_DATA", "/work/shared/data"))


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"benchmark data not present: {path}")
    return path


# ------------------------------------------------------------------------------------------------ units


def test_openai_list_tolerates_missing_fields() -> None:
    docs = docs_from_openai_list(
        [
            {"name": "a"},
            {"name": "b", "parameters": {"properties": {"x": {"type": "str"}}, "required": ["x", "ghost"]}},
            {"type": "function", "function": {"name": "c", "description": "C"}},
            {"description": "nameless"},
            "junk",
        ]
    )
    assert [d.name for d in docs] == ["a", "b", "c"]
    assert docs[0].parameters == {"type": "object", "properties": {}, "required": []}
    assert docs[1].required == ("x",) and docs[1].properties["x"]["type"] == "string"
    assert docs[2].description == "C"


def test_bfcl_pseudo_types_are_mapped_recursively() -> None:
    (doc,) = docs_from_bfcl(
        [
            {
                "name": "f",
                "parameters": {
                    "type": "dict",
                    "properties": {
                        "p": {"type": "float"},
                        "t": {"type": "tuple", "items": {"type": "float"}},
                        "d": {"type": "dict", "properties": {"inner": {"type": "float"}}},
                        "a": {"type": "any"},
                        "n": {"type": "integer", "default": 5},
                    },
                    "required": ["p"],
                },
            }
        ]
    )
    props = doc.properties
    assert doc.parameters["type"] == "object"
    assert props["p"]["type"] == "number"
    assert props["t"] == {"type": "array", "items": {"type": "number"}}
    assert props["d"]["properties"]["inner"]["type"] == "number"
    assert "type" not in props["a"]
    assert doc.defaults == {"n": 5}
    assert (
        check_against_docs(ToolCall("f", {"p": 1, "a": [1], "t": [1.5, 2]}), [doc]).kind is ErrorKind.CORRECT
    )
    assert check_against_docs(ToolCall("f", {"p": "1"}), [doc]).kind is ErrorKind.TYPE_MISMATCH


def test_normalise_schema_bounds_depth() -> None:
    deep: dict = {"type": "object"}
    cur = deep
    for _ in range(200):
        cur["properties"] = {"x": {"type": "dict"}}
        cur = cur["properties"]["x"]
    normalise_schema(deep)  # no RecursionError


def test_rotbench_system_prompt() -> None:
    tools = [{"name": "t", "parameters": {"type": "object", "properties": {}, "required": []}}]
    text = "You have tools:\n" + json.dumps(tools) + "\n\nLet's Begin!"
    assert [d.name for d in docs_from_rotbench_system(text)] == ["t"]
    assert [d.name for d in docs_from_rotbench_system("x " + json.dumps(tools) + " trailing")] == ["t"]
    for bad in ("no list here", "[not json", '{"a": 1}'):
        with pytest.raises(DataError):
            docs_from_rotbench_system(bad)


def test_tooleyes_config_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError):
        docs_from_tooleyes_config(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(DataError):
        docs_from_tooleyes_config(bad)
    assert docs_from_tooleyes_config([{"name": "x"}])[0].name == "x"


SIGS = '''Function:
def search_advice(query: str, limit: int = 3, strict: bool = False, tags: List[str] = None):
    """
    Search advice slips.

    Args:
    query (str): the search term
        continued here
    limit (int): how many
    """

Function:
def broken(:

Function:
def finish(answer: string):
    """
    Finish the task.

    Args:
    answer (string): the answer
    """
'''


def test_python_signatures() -> None:
    docs = docs_from_python_signatures(SIGS)
    assert [d.name for d in docs] == ["search_advice", "finish"]
    advice = docs[0]
    assert advice.description == "Search advice slips."
    assert advice.required == ("query",)
    assert advice.defaults == {"limit": 3, "strict": False, "tags": None}
    assert advice.properties["query"] == {"type": "string", "description": "the search term continued here"}
    assert advice.properties["tags"]["type"] == "array"
    assert docs[1].properties["answer"]["type"] == "string"


def test_python_signatures_never_execute_or_crash() -> None:
    evil = 'def f(a=__import__("os").system("echo pwned")):\n    """x"""\n'
    (doc,) = docs_from_python_signatures(evil)
    assert doc.defaults == {}  # a non-literal default is ignored, never evaluated
    for junk in ("", "def", "(" * 10_000, "def f(" + "a," * 50_000 + "):\n  pass", "\x00def f(): pass"):
        docs_from_python_signatures(junk)


def test_python_signature_round_trip() -> None:
    docs = docs_from_openai_list(
        [
            {
                "name": "get_x",
                "description": "Get X.",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "a": {"type": "string", "description": "A"},
                        "b": {"type": "integer", "description": "B"},
                    },
                    "required": ["b"],
                },
            },
            {"name": "noop", "description": "Nothing."},
        ]
    )
    text = docs_to_python_signatures(docs)
    assert text.startswith("Function:\ndef get_x(b: integer, a: string = None):\n")
    assert "    Args:\n    b (integer): B\n    a (string): A\n" in text
    assert "\n\nFunction:\ndef noop():" in text
    back = docs_from_python_signatures(text)
    assert [d.name for d in back] == ["get_x", "noop"]
    assert back[0].required == ("b",)
    assert {k: v["type"] for k, v in back[0].properties.items()} == {"b": "integer", "a": "string"}
    assert back[0].description == "Get X."


def test_docs_from_any_shapes() -> None:
    listed = [{"name": "a"}]
    assert docs_from_any(listed)[0].name == "a"
    assert docs_from_any(json.dumps(listed))[0].name == "a"
    assert docs_from_any({"tools": listed})[0].name == "a"
    assert docs_from_any("def a(x: int):\n    pass")[0].name == "a"
    assert docs_from_any(None) == () and docs_from_any(3) == () and docs_from_any("plain") == ()


# --------------------------------------------------------------------------------------- real data


def test_rotbench_first_turn_clean() -> None:
    items = json.loads(_need(DATA / "rotbench/Data/First_Turn/clean.json").read_text(encoding="utf-8"))
    assert len(items) == 105
    for item in items:
        docs = docs_from_rotbench_system(item["conversations"][0]["value"])
        assert 3 <= len(docs) <= 18
        assert docs[-1].name == "finish" and docs[-2].name == "ask_to_user"
    # item 0's gold (nllb) is correct against its own docs; a typo'd name is a hallucination
    docs = docs_from_rotbench_system(items[0]["conversations"][0]["value"])
    gold = ToolCall(
        "get_translation_nllb",
        {"input_text": "See you later", "tgt_lang": "jpn_Jpan", "src_lang": "eng_Latn", "max_length": "None"},
    )
    assert check_against_docs(gold, docs).kind is ErrorKind.CORRECT
    assert (
        classify_call(ToolCall("get_tranlation_nllb", {}), docs, [gold]).kind is ErrorKind.TOOL_HALLUCINATION
    )


def test_tooleyes_library_configs() -> None:
    configs = sorted(_need(DATA / "tooleyes/Tool_Library").glob("*/*/config_gpt4.json"))
    assert len(configs) == 95
    total = 0
    for path in configs:
        docs = docs_from_tooleyes_config(path)
        assert docs[-1].name == "finish" and docs[-1].required == ("answer",)
        total += len(docs) - 2
    assert total == 568


def test_bfcl_exec_files() -> None:
    root = _need(DATA / "bfcl_v3_exec")
    seen_types: set[str] = set()
    items = 0
    for path in sorted(root.glob("BFCL_v3_exec_*.json")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            docs = docs_from_bfcl(item["function"])
            assert len(docs) == len(item["function"])
            for doc in docs:
                assert doc.parameters["type"] == "object"
                for schema in doc.properties.values():
                    if "type" in schema:
                        seen_types.add(schema["type"])
            items += 1
    assert items == 240
    assert seen_types <= {"string", "integer", "number", "boolean", "array", "object"}
    assert {"number", "array"} <= seen_types


def test_toolalpaca_eval_real() -> None:
    items = json.loads(_need(DATA / "toolalpaca/eval_real.json").read_text(encoding="utf-8"))
    assert len(items) == 11
    for item in items:
        docs = docs_from_toolalpaca(item)
        assert [d.name for d in docs] == list(item["Function_Projection"])
    holiday = {d.name: d for d in docs_from_toolalpaca(items[0])}["PublicHolidayIsTodayPublicHoliday"]
    assert holiday.required == ("countryCode",)
    assert holiday.properties["offset"]["type"] == "integer"
    assert holiday.description == "Is today a public holiday"
    call = ToolCall("PublicHolidayIsTodayPublicHoliday", {"countryCode": "CN"})
    assert check_against_docs(call, docs_from_toolalpaca(items[0])).kind is ErrorKind.CORRECT
