"""Session fixtures: a tiny random Llama (head_dim 64) with a BPE tokenizer trained here, no downloads."""

from __future__ import annotations

import os
import pydoc
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

SPECIALS = [
    "<|pad|>",
    "<|bos|>",
    "<|eos|>",
    "<|unk|>",
    "<|system|>",
    "<|user|>",
    "<|assistant|>",
    "<|tool|>",
    "<|end|>",
]

# A template that takes tools and renders assistant tool_calls as <tool_call> JSON (Qwen-2.5 style).
CHAT_TEMPLATE = (
    "{%- if tools %}<|system|>Tools: {{ tools | tojson }}<|end|>{% endif %}"
    "{%- for m in messages %}<|{{ m['role'] }}|>"
    "{%- if m.get('tool_calls') %}{% for tc in m['tool_calls'] %}<tool_call>"
    '{"name": {{ tc["function"]["name"] | tojson }}, "arguments": {{ tc["function"]["arguments"] | tojson }}}'
    "</tool_call>{% endfor %}{% else %}{{ m['content'] }}{% endif %}<|end|>{% endfor %}"
    "{%- if add_generation_prompt %}<|assistant|>{% endif %}"
)


def build_tokenizer():  # noqa: ANN201 - transformers type
    import json
    import random

    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    rng = random.Random(0)
    corpus = [pydoc.render_doc(m, renderer=pydoc.plaintext) for m in ("json", "string", "textwrap")]
    for i in range(300):
        args = {"city": rng.choice(["Paris", "Rome", "Oslo"]), "days": i % 7}
        corpus.append("Action: get_weather\nAction Input: " + json.dumps(args))
        corpus.append("<tool_call>" + json.dumps({"name": "get_weather", "arguments": args}) + "</tool_call>")
    tok = Tokenizer(models.BPE(unk_token="<|unk|>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=1024, special_tokens=SPECIALS, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tok.train_from_iterator(corpus, trainer)
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<|bos|>",
        eos_token="<|end|>",
        pad_token="<|pad|>",
        unk_token="<|unk|>",
        chat_template=CHAT_TEMPLATE,
    )


def build_tiny_llama(
    out: Path,
    tok: Any,
    *,
    hidden: int = 128,
    intermediate: int = 256,
    layers: int = 2,
    max_positions: int = 512,
    spread: float | None = 8.0,
) -> Path:
    """Save a seeded random Llama (2 heads, 1 KV head, tied embeddings) and ``tok`` into ``out``.

    ``spread`` scales the embeddings so greedy argmax is not decided by float noise between batch shapes.
    Shared by every test folder that needs a tiny local model (no downloads).
    """
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    cfg = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=hidden,
        intermediate_size=intermediate,
        num_hidden_layers=layers,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=max_positions,
        tie_word_embeddings=True,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
    )
    model = LlamaForCausalLM(cfg)
    if spread is not None:
        with torch.no_grad():
            model.model.embed_tokens.weight.mul_(spread)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An HF folder with a 2-layer random Llama (hidden 128, 2 heads, 1 KV head: head_dim 64)."""
    return build_tiny_llama(tmp_path_factory.mktemp("tiny_llama"), build_tokenizer())


@pytest.fixture(scope="session")
def tiny_backend(tiny_model_dir: Path):  # noqa: ANN201
    from tlbench.backends.hf import HFBackend

    return HFBackend.from_pretrained(tiny_model_dir, dtype="float32", device="cpu", batch_size=4)
