"""Multi-turn history per format, trimming to a budget (oldest observations first), auto_format."""

from __future__ import annotations

from typing import Any

import pytest

from tlbench.errors import UsageError
from tlbench.prompts import PROMPT_FORMATS, TRIM_MARKER, auto_format, get_format, render, stop_for
from tlbench.types import ToolCall, ToolDoc

DOCS = (ToolDoc(name="lookup", parameters={"type": "object", "properties": {"q": {"type": "string"}}}),)


def history(n: int) -> list[dict[str, Any]]:
    msgs: list[dict[str, Any]] = [{"role": "user", "content": "TASK-START"}]
    for i in range(n):
        msgs.append({"role": "assistant", "tool_calls": [ToolCall("lookup", {"q": f"q{i}"})]})
        msgs.append({"role": "function", "content": f"OBS{i}-" + "x" * 300})
    return msgs


@pytest.mark.parametrize("fmt", [n for n in PROMPT_FORMATS.names() if n != "chat-template"])
def test_history_renders_every_turn_in_order(fmt: str) -> None:
    out = render(fmt, history(3), DOCS)
    text = out if isinstance(out, str) else str(out)
    positions = [text.find(s) for s in ("TASK-START", "q0", "OBS0", "q1", "OBS1", "q2", "OBS2")]
    assert -1 not in positions and positions == sorted(positions), (fmt, positions)


@pytest.mark.parametrize("fmt", [n for n in PROMPT_FORMATS.names() if n != "chat-template"])
def test_trimming_drops_oldest_observations_first(fmt: str) -> None:
    full = render(fmt, history(4), DOCS)
    full_len = len(full if isinstance(full, str) else str(full))
    trimmed = render(fmt, history(4), DOCS, budget=full_len - 500, count_tokens=len)
    text = trimmed if isinstance(trimmed, str) else str(trimmed)
    assert "OBS0" not in text and "OBS1" not in text  # two observations (~300 chars each) had to go
    assert "OBS3" in text and "TASK-START" in text and "q0" in text  # task and calls stay
    assert TRIM_MARKER in text
    untouched = render(fmt, history(4), DOCS, budget=10**9, count_tokens=len)
    assert untouched == full


def test_budget_that_cannot_be_met_still_renders() -> None:
    out = render("qwen25", history(2), DOCS, budget=1, count_tokens=len)
    assert isinstance(out, str) and out.count(TRIM_MARKER) == 2


def test_bad_messages_and_unknown_formats_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="unknown role"):
        render("qwen25", [{"role": "robot", "content": "x"}], DOCS)
    with pytest.raises(ValueError, match="not a mapping"):
        render("qwen25", ["hello"], DOCS)  # type: ignore[list-item]
    with pytest.raises(UsageError, match="Did you mean"):
        get_format("qwen26")


def test_tools_may_be_raw_dicts() -> None:
    raw = [{"name": "lookup", "description": "d", "parameters": {"type": "object", "properties": {}}}]
    assert "lookup" in str(render("glm4", [{"role": "user", "content": "x"}], raw))


def test_stop_strings_exist_for_text_formats() -> None:
    assert "Observation:" in stop_for("qwen2-react")
    assert "<|eot_id|>" in stop_for("llama31-json")


class Tok:
    def __init__(self, name: str, template: str | None) -> None:
        self.name_or_path = name
        self.chat_template = template


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ({"model_type": "llama", "_name_or_path": "Junjie-Ye/TL-CodeLLaMA-2"}, "tl-codellama"),
        ({"_name_or_path": "ToolBench/ToolLLaMA-2-7b-v2"}, "toolllama-react"),
        ({"_name_or_path": "Nexusflow/NexusRaven-V2-13B"}, "nexusraven"),
        ({"model_type": "chatglm"}, "glm4"),
        ({"_name_or_path": "Qwen/Qwen2.5-7B-Instruct"}, "qwen25"),
        ({"model_type": "qwen2", "_name_or_path": "Qwen/Qwen2-7B-Instruct"}, "qwen2-react"),
        ({"_name_or_path": "meta-llama/Llama-3.1-8B-Instruct"}, "llama31-json"),
        (Tok("some/model", "{% if tools %}{{ tools }}{% endif %}"), "chat-template"),
        (Tok("HuggingFaceTB/SmolLM2-135M-Instruct", "<|im_start|>{{ m }}"), "qwen25"),
        (Tok("plain", None), "toolllama-react"),
    ],
)
def test_auto_format(source: Any, expected: str) -> None:
    assert auto_format(source) == expected


def test_auto_format_reads_a_model_folder(tmp_path) -> None:  # noqa: ANN001
    (tmp_path / "config.json").write_text('{"model_type": "llama", "architectures": ["LlamaForCausalLM"]}')
    (tmp_path / "chat_template.jinja").write_text("<|im_start|>{{ x }}")
    assert auto_format(tmp_path) == "qwen25"
