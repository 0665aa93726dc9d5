"""Fixtures for ``tlbench score --model`` tests: the shared benchmark data and a tiny random model folder."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The read-only benchmark data; skips when it is absent."""
    path = Path(os.environ.get("TLBENCH_DATA") or "/work/shared/data")
    if not (path / "rotbench" / "Data" / "First_Turn" / "clean.json").is_file():
        pytest.skip(f"benchmark data not found under {path}")
    return path


def _backends_conftest():  # noqa: ANN202 - a module object
    spec = importlib.util.spec_from_file_location(
        "score_model_be_conftest", Path(__file__).resolve().parents[1] / "backends" / "conftest.py"
    )
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An HF folder with the backend tests' 2-layer random Llama (built here, no downloads)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tok = _backends_conftest().build_tokenizer()
    torch.manual_seed(0)
    cfg = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=128,
        intermediate_size=256,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=512,
        tie_word_embeddings=True,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
    )
    model = LlamaForCausalLM(cfg)
    with torch.no_grad():
        model.model.embed_tokens.weight.mul_(8.0)
    out = tmp_path_factory.mktemp("tiny_llama_score")
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out
