"""Fixtures for the training tests: a word-piece tokenizer whose tool-name pieces are known by hand, a
2-layer random Llama on it, and hand-made trajectory records (docs/formats.md schema)."""

from __future__ import annotations

import json
import os
import string
from pathlib import Path
from typing import Any

import pytest

from training.trajectory import Trajectory

os.environ.setdefault("HF_HUB_OFFLINE", "1")

#: Whole pieces the tokenizer keeps together; everything else is one character per token.
PIECES = [
    "<|im_start|>",
    "<|im_end|>",
    "<tool_call>",
    "</tool_call>",
    "search",
    "news",
    "advice",
    "get",
    "user",
    "profile",
    "data",
    "settings",
    "weather",
    "finish",
    "answer",
    "name",
    "arguments",
]
SPECIALS = ["<|pad|>", "<|unk|>", "<|im_start|>", "<|im_end|>"]


def build_tokenizer() -> Any:
    """WordLevel over known pieces + single characters; decoding concatenates (exact round trip)."""
    import re

    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab: dict[str, int] = {}
    for t in SPECIALS + PIECES + list(string.printable):
        vocab.setdefault(t, len(vocab))
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<|unk|>"))
    words = [p for p in PIECES if not p.startswith("<")]
    pattern = "|".join(re.escape(p) for p in sorted(words, key=len, reverse=True)) + r"|[\s\S]"
    tok.pre_tokenizer = pre_tokenizers.Split(Regex(pattern), behavior="isolated")
    tok.decoder = decoders.Fuse()
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<|pad|>", unk_token="<|unk|>", eos_token="<|im_end|>"
    )
    fast.add_special_tokens({"additional_special_tokens": ["<|im_start|>", "<tool_call>", "</tool_call>"]})
    return fast


@pytest.fixture(scope="session")
def tok() -> Any:
    return build_tokenizer()


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory, tok: Any) -> Path:
    """An HF folder with a 2-layer random Llama (hidden 64) on :func:`build_tokenizer`."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    cfg = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=1024,
        tie_word_embeddings=True,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
    )
    model = LlamaForCausalLM(cfg)
    out = tmp_path_factory.mktemp("tiny_train_llama")
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


TOOLS = [
    {"name": n, "description": n, "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}}
    for n in ("search", "search_news", "search_advice", "finish")
]


def qcall(name: str, args: dict[str, Any]) -> str:
    """A qwen25-format assistant message for one call."""
    return "<tool_call>\n" + json.dumps({"name": name, "arguments": args}) + "\n</tool_call>"


def make_record(rid: str = "r1", topic: str = "x", with_gold: bool = True) -> dict[str, Any]:
    """user -> bad call (hallucinated tool, error feedback) -> good call -> finish."""
    msgs = [
        {"role": "user", "content": f"news on {topic}"},
        {"role": "assistant", "content": qcall("search_nws", {"q": topic})},
        {"role": "tool", "content": "name 'search_nws' is not defined"},
        {"role": "assistant", "content": qcall("search_news", {"q": topic})},
        {"role": "tool", "content": "[1, 2]"},
        {"role": "assistant", "content": qcall("finish", {"answer": "ok"})},
    ]
    turns = [
        {
            "message_index": 1,
            "calls": [{"name": "search_nws", "arguments": {"q": topic}}],
            "parse_ok": True,
            "feedback": "name 'search_nws' is not defined",
            "category": "tool_hallucination",
            "erroneous": True,
            "reward": -2.0,
            "token_ids": None,
        },
        {
            "message_index": 3,
            "calls": [{"name": "search_news", "arguments": {"q": topic}}],
            "parse_ok": True,
            "feedback": "[1, 2]",
            "category": "correct",
            "erroneous": False,
            "reward": 1.0,
            "token_ids": None,
        },
        {
            "message_index": 5,
            "calls": [{"name": "finish", "arguments": {"answer": "ok"}}],
            "parse_ok": True,
            "feedback": None,
            "category": "correct",
            "erroneous": False,
            "reward": 1.0,
            "token_ids": None,
        },
    ]
    gold = [
        [{"name": "search_news", "arguments": {"q": topic}}],
        [{"name": "search_news", "arguments": {"q": topic}}],
        [{"name": "finish", "arguments": {"answer": "ok"}}],
    ]
    return {
        "id": rid,
        "source": "test",
        "seed": 0,
        "tools": TOOLS,
        "messages": msgs,
        "turns": turns,
        "gold": gold if with_gold else None,
        "meta": {},
    }


def make_traj(rid: str = "r1", topic: str = "x", with_gold: bool = True) -> Trajectory:
    """:func:`make_record` as the reader returns it (what ``sft``, ``mae`` and ``irm`` take)."""
    return Trajectory.from_dict(make_record(rid, topic, with_gold))
