"""``tlbench score --backend vllm --engine-arg ...``: engine args reach ``vllm.LLM`` (fake module in memory)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tlbench.cli import main


def _fake_vllm(log: dict[str, Any]) -> Any:
    path = Path(__file__).resolve().parents[1] / "backends" / "test_vllm.py"
    spec = importlib.util.spec_from_file_location("sm_fake_vllm_src", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up while the class is built
    spec.loader.exec_module(mod)
    return mod.make_fake_vllm(log)


def test_engine_args_pass_through_the_cli(
    tmp_path: Path, tiny_model_dir: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    log: dict[str, Any] = {}
    monkeypatch.setitem(sys.modules, "vllm", _fake_vllm(log))
    monkeypatch.setenv("TLBENCH_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "run"
    code = main(
        [
            "score", "--model", str(tiny_model_dir), "--backend", "vllm", "--benchmarks", "bfcl-v3-exec",
            "--limit", "2", "--no-cache", "--data-dir", str(data_dir), "--out", str(out), "--resamples", "10",
            "--engine-arg", "tensor_parallel_size=2", "--engine-arg", "enable_prefix_caching=true",
            "--engine-arg", "distributed_executor_backend=ray", "--prompt-format", "toolllama-react",
        ]
    )  # fmt: skip
    assert code == 0
    assert log["engine"]["tensor_parallel_size"] == 2
    assert log["engine"]["enable_prefix_caching"] is True
    assert log["engine"]["distributed_executor_backend"] == "ray"
    assert len(log["prompts"]) == 2
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["backend"] == "vllm" and manifest["status"] == "complete"
    assert "bfcl" in capsys.readouterr().out


def test_bad_engine_arg_is_a_usage_error(tmp_path: Path, data_dir: Path, capsys) -> None:
    code = main(["score", "--model", "x", "--engine-arg", "novalue", "--data-dir", str(data_dir)])
    assert code == 2 and "KEY=VALUE" in capsys.readouterr().err
