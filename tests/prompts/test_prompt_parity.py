"""Prompt parity: tlbench renders, byte for byte, the prompts the benchmarks' official inference code builds.

Each file ``golden/<benchmark>__<format>[.<variant>].json`` holds a few items of one benchmark: the messages
and tools tlbench renders from (what the benchmark loader yields) and ``expected``, the prompt the official
code built for the same item. A ``.<variant>`` suffix names goldens from another official source for the
same tlbench format (``.bfcl``: BFCL's own model handler). The goldens were produced once by running the
upstream code in a scratch environment (it is not part of this repository) on the raw benchmark files:

* ``toolllama-react`` (RoTBench First/Third_Turn, ToolEyes): ``Junjie-Ye/RoTBench@637e43a``
  ``Code/tool_conversation.py`` template ``tool-single-round`` filled as ``Code/Inference/models.py``
  ``Tool.parse`` does, from ``conversations[:history_sample + 1]`` (1 for First_Turn and ToolEyes, 5 for
  Third_Turn); the ToolEyes multi-round record normalises each model output with ``Code/Inference/utils.py``
  ``react_parser`` as ``Tool.parse`` does (``Junjie-Ye/ToolEyes@c818fce`` has the same files).
* ``openai`` (RoTBench Third_Turn, ToolEyes): the same repositories' ``ChatGPT.parse`` in ``mode="chat"``.
* ``tl-codellama``: ``Junjie-Ye/TL-Training@77c875a`` ``code/mae/mae.py`` ``format_transfor`` (tools ->
  ``Function:`` blocks) and the chat template of ``code/pkt/finetune.py`` ``process_codellama2`` (the README's
  inference template) through ``apply_chat_template(add_generation_prompt=True)``.
* ``nexusraven`` (RoTBench): ``Code/Data_Process/NexusRaven_Prompt.py`` ``version2``.
* ``*.bfcl`` (BFCL-v3 exec): ``ShishirPatil/gorilla@d6b5fb8`` ``berkeley-function-call-leaderboard/bfcl/
  model_handler``: ``QwenFCHandler``, ``LlamaFCHandler``, ``GLMHandler`` (``_pre_query_processing_prompting``,
  ``add_first_turn_message_prompting``, ``_format_prompt``), ``OpenAIHandler`` (``_pre_query_processing_FC``,
  ``_compile_tools``, ``add_first_turn_message_FC``: ``messages=`` and ``tools=``) and ``NexusHandler``
  (``_format_raven_function``).
* ``qwen25`` / ``llama31-json``: the models' chat templates (copies in ``golden/templates/``, from
  ``johnmai-dev/Jinja@bb238dd`` ``Tests/Templates/ChatTemplates.swift``; the same texts BFCL's handlers quote)
  rendered by ``transformers`` ``apply_chat_template(messages, tools=[{"type": "function", "function": doc}],
  add_generation_prompt=True)``.
* ``glm4``: ``GLMHandler._format_prompt`` of ``gorilla@d6b5fb8`` on the item's messages and tools.
* ``qwen2-react``: ``QwenLM/Qwen@2df8e8a`` ``examples/react_demo.py`` ``build_input_text`` /
  ``llm_with_plugin`` (tools as plugin info with the JSON schema as ``parameters``).

Where tlbench deliberately or unavoidably differs, the golden is kept and the case is a strict ``xfail``
whose reason is listed in ``docs/prompts.md`` ("Prompt parity"); a fix that makes it pass must update both.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tlbench.prompts import native_tools, render

GOLDEN = Path(__file__).parent / "golden"

#: Known differences (docs/prompts.md lists each with its reason): golden file stem (or one case id) -> reason.
KNOWN: dict[str, str] = {
    "bfcl-v3-exec__llama31-json.bfcl": "D4: LlamaFCHandler writes BFCL's raw docs (dict/float types, no float hint), not the template's tools",
    "bfcl-v3-exec__qwen25.bfcl": "D4: QwenFCHandler writes BFCL's raw docs with indent=4 between newlines, not the template's tools",
    "bfcl-v3-exec__nexusraven.bfcl": "D3: BFCL's NexusHandler has its own NexusRaven prompt",
    "rotbench-first-clean__nexusraven": "D3: RoTBench's NexusRaven_Prompt.py version2 has its own NexusRaven prompt",
    "rotbench-third-clean__openai": "D2: native tools= and tool-role results instead of upstream's chat-mode ReAct messages",
    "tooleyes__openai": "D2: native tools= and a ReAct system prompt instead of upstream's chat-mode ReAct messages",
}


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _cases() -> list[Any]:
    out = []
    for path in sorted(GOLDEN.glob("*.json")):
        body = _load(path)
        for rec in body["records"]:
            case = _case_id(path.stem, rec)
            reason = KNOWN.get(case) or KNOWN.get(path.stem)
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            out.append(pytest.param(path.stem, rec, id=case, marks=marks))
    return out


def _case_id(stem: str, rec: dict[str, Any]) -> str:
    """``<stem>:<item id>``, ``+history`` for a record whose messages continue the item (a later round)."""
    return f"{stem}:{rec['id']}" + ("+history" if "note" in rec else "")


def _fmt(stem: str) -> str:
    return stem.split("__", 1)[1].split(".", 1)[0]


def _render(fmt: str, rec: dict[str, Any]) -> Any:
    got = render(fmt, rec["messages"], rec["tools"])
    if isinstance(rec["expected"], dict):  # chat formats: the request's messages= and tools=
        return {"messages": got, "tools": native_tools(fmt, rec["tools"])}
    return got


def test_goldens_exist() -> None:
    stems = {p.stem for p in GOLDEN.glob("*.json")}
    assert len(stems) >= 20
    assert {k.split(":", 1)[0] for k in KNOWN} <= stems, "a KNOWN entry names no golden file"


@pytest.mark.parametrize(("stem", "rec"), _cases())
def test_prompt_matches_official_code(stem: str, rec: dict[str, Any]) -> None:
    got = _render(_fmt(stem), rec)
    assert got == rec["expected"]


def _tool_dicts(item: Any) -> list[dict[str, Any]]:
    return [
        {"name": d.name, "description": d.description, "parameters": dict(d.parameters)} for d in item.tools
    ]


def test_goldens_inputs_are_what_the_loaders_yield() -> None:
    """The goldens' messages and tools are the benchmark loaders' items (so a run renders ``expected``)."""
    import os

    from benchmarks import BENCHMARKS

    data = Path(os.environ.get("TLBENCH_DATA") or "/work/shared/data")
    if not data.is_dir():
        pytest.skip(f"benchmark data not found under {data}")
    loaded: dict[str, dict[int, Any]] = {}
    for path in sorted(GOLDEN.glob("*.json")):
        body = _load(path)
        bench = body["benchmark"]
        if bench not in loaded:
            loaded[bench] = {it.index: it for it in BENCHMARKS.get(bench).load(data)}
        for rec in body["records"]:
            item = loaded[bench][rec["item"]]
            assert rec["id"] == item.id, path.name
            assert rec["tools"] == json.loads(json.dumps(_tool_dicts(item))), f"{path.name}:{rec['id']}"
            msgs = [dict(m) for m in item.messages]
            assert rec["messages"][: len(msgs)] == msgs, f"{path.name}:{rec['id']}"
            if "note" not in rec:
                assert len(rec["messages"]) == len(msgs)


@pytest.mark.parametrize(
    ("fmt", "template", "bos"), [("qwen25", "qwen2_5", ""), ("llama31-json", "llama3_1", "<|begin_of_text|>")]
)
def test_chat_template_format_renders_the_official_template(fmt: str, template: str, bos: str) -> None:
    """``chat-template`` with the model's own template gives the same goldens as the hand-written format."""
    from tokenizers import Tokenizer, models
    from transformers import PreTrainedTokenizerFast

    tok = PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer(models.WordLevel({"<unk>": 0, "<s>": 1}, unk_token="<unk>")),
        unk_token="<unk>",
        bos_token=bos or "<s>",
        chat_template=(GOLDEN / "templates" / f"{template}.jinja").read_text(encoding="utf-8"),
    )
    for path in sorted(GOLDEN.glob(f"*__{fmt}.json")):
        for rec in _load(path)["records"]:
            got = render("chat-template", rec["messages"], rec["tools"], tokenizer=tok)
            assert got == rec["expected"], f"{path.stem}:{rec['id']}"


def test_bfcl_docs_are_shown_as_bfcl_handlers_show_them() -> None:
    """BFCL's doc pre-processing (Python hint, float marks, nested too) then tlbench's type mapping.

    ``expected`` is ``convert_to_tool(func_doc_language_specific_pre_processing(fn, "exec_simple"),
    GORILLA_TO_OPENAPI, ModelStyle.OpenAI)[0]["function"]`` run at gorilla@d6b5fb8.
    """
    from benchmarks.bfcl import prompted_functions
    from tlbench.docs import docs_from_bfcl

    fn = json.loads(
        '[{"name": "f", "description": "Do f.", "parameters": {"type": "dict", "properties": {"x": {"type": '
        '"float", "description": "X."}, "pt": {"type": "tuple", "items": {"type": "float"}, "description": '
        '"Point."}, "opts": {"type": "dict", "description": "Options.", "properties": {"w": {"type": "float", '
        '"description": "W."}, "n": {"type": "integer", "description": "N.", "default": 2}}}, "rows": {"type": '
        '"array", "description": "Rows.", "items": {"type": "dict", "properties": {"v": {"type": "float", '
        '"description": "V."}}}}}, "required": ["x"]}}]'
    )
    expected = json.loads(
        '{"name": "f", "description": "Do f. Note that the provided function is in Python 3 syntax.", '
        '"parameters": {"type": "object", "properties": {"x": {"type": "number", "description": "X. This is a '
        'float type value.", "format": "float"}, "pt": {"type": "array", "items": {"type": "number"}, '
        '"description": "Point."}, "opts": {"type": "object", "description": "Options.", "properties": {"w": '
        '{"type": "number", "description": "W. This is a float type value.", "format": "float"}, "n": {"type": '
        '"integer", "description": "N.", "default": 2}}}, "rows": {"type": "array", "description": "Rows.", '
        '"items": {"type": "object", "properties": {"v": {"type": "number", "description": "V. This is a float '
        'type value.", "format": "float"}}}}}, "required": ["x"]}}'
    )
    before = json.dumps(fn)
    (doc,) = docs_from_bfcl(prompted_functions(fn))
    assert json.dumps(fn) == before  # the raw docs are not modified
    got = {"name": doc.name, "description": doc.description, "parameters": dict(doc.parameters)}
    assert json.dumps(got) == json.dumps(expected)  # same keys in the same order


@pytest.mark.parametrize("fmt", ["nexusraven", "tl-codellama"])
def test_python_signature_formats_drop_a_benchmark_system_prompt(fmt: str) -> None:
    """Neither official NexusRaven prompt nor TL-Training's data shows a system text next to the functions."""
    rec = _load(GOLDEN / "rotbench-first-clean__nexusraven.json")["records"][0]
    system = rec["messages"][0]["content"]
    got = render(fmt, rec["messages"], rec["tools"])
    assert isinstance(got, str) and system not in got and "Let's Begin!" not in got
    assert "def get_translation_nllb(" in got


def test_react_chatml_shows_earlier_turns_as_upstream_keeps_them() -> None:
    """``react-chatml`` (no official code) keeps ``toolllama-react``'s content: the same normalised turns."""
    from tlbench.prompts.toolllama import upstream_turn

    body = _load(GOLDEN / "tooleyes__toolllama-react.json")
    for rec in (r for r in body["records"] if "note" in r):
        got = render("react-chatml", rec["messages"], rec["tools"])
        for m in rec["messages"]:
            if m["role"] == "assistant":
                turn = upstream_turn(m["content"])
                assert f"<|im_start|>assistant\n{turn}<|im_end|>" in got
                assert f"Assistant: {turn}\n" in rec["expected"]
