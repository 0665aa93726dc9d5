"""Prompt formats of the TL-Training paper's Appendix B, each paired with its output parser.

Every format is in :data:`PROMPT_FORMATS` (``PROMPT_FORMATS.names()``; aliases accepted), each described by
its module: the paired parser, the family, and what it needs (``native_tools``: the tools go beside the
prompt; ``for_tokenizer``: rendering, call syntax and parser come from the model's tokenizer, as for
``chat-template``).

Entry points: :func:`render` (messages + tools -> prompt text, or chat messages for ``openai``; multi-turn
history rendered per format and trimmed, oldest observations first, to a token budget),
:func:`format_call` (how the model is expected to print a call), :func:`parser_for`, :func:`stop_for` and
:func:`auto_format` (pick a format from a model's config/tokenizer).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tlbench import jsonio
from tlbench.prompts.base import TRIM_MARKER, Msg, PromptFormat, normalise_messages, trim_to_budget
from tlbench.prompts.chat_template import CHAT_TEMPLATE
from tlbench.prompts.glm4 import GLM4
from tlbench.prompts.llama31 import LLAMA31_JSON
from tlbench.prompts.nexusraven import NEXUSRAVEN
from tlbench.prompts.openai_tools import OPENAI_TOOLS, openai_tools
from tlbench.prompts.qwen2_react import QWEN2_REACT
from tlbench.prompts.qwen25 import QWEN25
from tlbench.prompts.react_chatml import REACT_CHATML
from tlbench.prompts.tl_codellama import TL_CODELLAMA
from tlbench.prompts.toolllama import TOOLLLAMA_AUTOGPT, TOOLLLAMA_REACT
from tlbench.registry import Registry
from tlbench.types import ToolCall, ToolDoc

__all__ = [
    "PROMPT_FORMATS",
    "PromptFormat",
    "TRIM_MARKER",
    "auto_format",
    "auto_react_format",
    "format_call",
    "get_format",
    "native_tools",
    "parser_for",
    "render",
    "stop_for",
]

#: Every prompt format by name, with its aliases.
PROMPT_FORMATS: Registry[PromptFormat] = Registry("prompt format")
PROMPT_FORMATS.add("toolllama-react", TOOLLLAMA_REACT, "react", "toolllama")
PROMPT_FORMATS.add("toolllama-autogpt", TOOLLLAMA_AUTOGPT, "autogpt")
PROMPT_FORMATS.add("nexusraven", NEXUSRAVEN, "nexusraven-v2", "raven")
PROMPT_FORMATS.add("glm4", GLM4, "chatglm4", "glm")
PROMPT_FORMATS.add("qwen2-react", QWEN2_REACT, "qwen-react")
PROMPT_FORMATS.add("llama31-json", LLAMA31_JSON, "llama3", "llama31")
PROMPT_FORMATS.add("qwen25", QWEN25, "qwen2.5", "qwen", "hermes")
PROMPT_FORMATS.add("openai", OPENAI_TOOLS, "openai-tools")
PROMPT_FORMATS.add("tl-codellama", TL_CODELLAMA, "tl", "codellama")
PROMPT_FORMATS.add("chat-template", CHAT_TEMPLATE, "template")
PROMPT_FORMATS.add("react-chatml", REACT_CHATML, "react-chat")


def get_format(name: str) -> PromptFormat:
    """The format record for a name or alias (UsageError with suggestions when unknown)."""
    return PROMPT_FORMATS.get(name)


def _as_docs(tools: Sequence[ToolDoc] | Sequence[Mapping[str, Any]] | None) -> tuple[ToolDoc, ...]:
    if not tools:
        return ()
    if all(isinstance(t, ToolDoc) for t in tools):
        return tuple(tools)  # type: ignore[arg-type]
    from tlbench.docs import docs_from_any

    return tuple(docs_from_any(list(tools)))


def render(
    fmt: str,
    messages: Sequence[Mapping[str, Any]],
    tools: Sequence[ToolDoc] | Sequence[Mapping[str, Any]] | None = None,
    *,
    tokenizer: Any = None,
    add_generation_prompt: bool = True,
    budget: int | None = None,
    count_tokens: Callable[[str], int] | None = None,
) -> str | list[dict[str, Any]]:
    """Render a conversation for format ``fmt``: text, or chat messages for ``openai``.

    ``tools``: ToolDocs (or raw OpenAI/BFCL-style dicts). ``budget`` (tokens) trims the oldest
    observations first until the prompt fits; tokens are counted with ``count_tokens``, else with
    ``tokenizer``, else estimated as characters / 3. ``chat-template`` needs ``tokenizer``.
    """
    pf = _bound(fmt, tokenizer)
    docs = _as_docs(tools)
    msgs = normalise_messages(messages)

    def one(ms: Sequence[Msg]) -> str | list[dict[str, Any]]:
        return pf.render(ms, docs, add_generation_prompt)

    if budget is not None:
        count = count_tokens or _counter(tokenizer)
        msgs = trim_to_budget(msgs, lambda ms: _as_text(one(ms)), budget, count)
    return one(msgs)


def _bound(fmt: str, tokenizer: Any) -> PromptFormat:
    """The format for ``fmt``, specialised to ``tokenizer`` when it depends on one (and one is given)."""
    pf = get_format(fmt)
    return pf.for_tokenizer(tokenizer) if pf.for_tokenizer is not None and tokenizer is not None else pf


def _as_text(rendered: str | list[dict[str, Any]]) -> str:
    return rendered if isinstance(rendered, str) else jsonio.dumps(rendered)


def _counter(tokenizer: Any) -> Callable[[str], int]:
    if tokenizer is not None:
        return lambda s: len(tokenizer(s, add_special_tokens=False)["input_ids"])
    return lambda s: len(s) // 3 + 1


def format_call(fmt: str, call: ToolCall, thought: str = "", *, tokenizer: Any = None) -> str:
    """The text a model following ``fmt`` prints for ``call`` (what ``parser_for(fmt)`` reads back)."""
    return _bound(fmt, tokenizer).call(call, thought)


def parser_for(fmt: str, tokenizer: Any = None) -> str:
    """The :func:`tlbench.parsers.parse` format name paired with ``fmt``."""
    return _bound(fmt, tokenizer).parser


def stop_for(fmt: str) -> tuple[str, ...]:
    """Stop strings to generate with for ``fmt``."""
    return get_format(fmt).stop


def native_tools(
    fmt: str, tools: Sequence[ToolDoc] | Sequence[Mapping[str, Any]] | None
) -> list[dict[str, Any]] | None:
    """The ``tools=`` list to send alongside the prompt (formats with ``native_tools``, e.g. ``openai``;
    the others embed the tools in the prompt)."""
    return openai_tools(_as_docs(tools)) if get_format(fmt).native_tools and tools else None


def _hints(source: Any) -> tuple[str, str]:
    """(lowercased name/type hints, chat template text) from a tokenizer, config, dict or folder."""
    names: list[str] = []
    template = ""
    if isinstance(source, str | Path) and Path(source).is_dir():
        folder = Path(source)
        names.append(str(folder).lower())
        for fname in ("config.json", "tokenizer_config.json"):
            try:
                data = jsonio.parse((folder / fname).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(data, dict):
                names += [
                    str(data.get("model_type", "")),
                    " ".join(map(str, data.get("architectures") or [])),
                ]
                names.append(str(data.get("_name_or_path", "")))
                if isinstance(data.get("chat_template"), str):
                    template = data["chat_template"]
        jinja = folder / "chat_template.jinja"
        if not template and jinja.is_file():
            template = jinja.read_text(encoding="utf-8")
        return " ".join(names).lower(), template
    if isinstance(source, Mapping):
        names += [str(source.get(k, "")) for k in ("model_type", "_name_or_path", "name_or_path")]
        names.append(" ".join(map(str, source.get("architectures") or [])))
        t = source.get("chat_template")
        return " ".join(names).lower(), t if isinstance(t, str) else ""
    for attr in ("name_or_path", "_name_or_path", "model_type"):
        value = getattr(source, attr, None)
        if isinstance(value, str):
            names.append(value)
    names.append(" ".join(map(str, getattr(source, "architectures", None) or [])))
    t = getattr(source, "chat_template", None)
    return " ".join(names).lower(), t if isinstance(t, str) else ""


def auto_format(source: Any) -> str:
    """Pick a prompt format from a model folder, tokenizer, config object or config dict.

    Known families by name first (TL-CodeLLaMA, ToolLLaMA, NexusRaven, GLM-4, Qwen2 vs Qwen2.5,
    Llama-3.1); then the chat template: one that uses ``tools`` -> ``chat-template``; a ChatML template
    without tools (SmolLM2, the default model) -> ``qwen25``; anything else -> ``toolllama-react``.
    """
    names, template = _hints(source)
    if "tl-codellama" in names or "tl_codellama" in names or "codellama" in names:
        return "tl-codellama"
    if "toolllama" in names:
        return "toolllama-react"
    if "nexusraven" in names:
        return "nexusraven"
    if "glm" in names:
        return "glm4"
    if "qwen2.5" in names or "qwen2_5" in names:
        return "qwen25"
    if "qwen" in names and "<tool_call>" not in template:
        return "qwen2-react"
    if ("llama-3.1" in names or "llama3.1" in names or "llama-3" in names) and "tools" not in template:
        return "llama31-json"
    if template and "tools" in template:
        return "chat-template"
    if "<|im_start|>" in template:
        return "qwen25"
    return "toolllama-react"


def auto_react_format(source: Any) -> str:
    """The format for benchmarks whose items carry their own ReAct system prompt (RoTBench, ToolEyes).

    ``react-chatml`` for a ChatML model (the item's prompt in the model's own turns), ``toolllama-react``
    otherwise (upstream's plain ``System/User/Assistant/Function`` layout).
    """
    _, template = _hints(source)
    return "react-chatml" if "<|im_start|>" in template else "toolllama-react"
