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
    be = _backends_conftest()
    return be.build_tiny_llama(tmp_path_factory.mktemp("tiny_llama_score"), be.build_tokenizer())


@pytest.fixture(scope="session")
def long_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same tiny random Llama with room for whole ToolEyes histories (8,192 positions, no truncation)."""
    be = _backends_conftest()
    return be.build_tiny_llama(
        tmp_path_factory.mktemp("tiny_llama_long"), be.build_tokenizer(), max_positions=8192
    )
