"""ToolEyes episodes through the transformers backend with prefix reuse: waves of one batch, the same
transcripts as without reuse, and every round after the first continuing its episode's stored prefix."""

from __future__ import annotations

import json
from pathlib import Path

from tlbench.backends.hf import HFBackend
from tlbench.cli import main
from tlbench.runner import RunConfig, run


def _episodes(tmp_path: Path, data_dir: Path, model_dir: Path, prefix_mb: int, name: str):  # noqa: ANN202
    backend = HFBackend.from_pretrained(
        model_dir, dtype="float32", device="cpu", batch_size=1, prefix_cache_mb=prefix_mb
    )
    cfg = RunConfig(
        model=str(model_dir), out=tmp_path / name, data_dir=data_dir, benchmarks=("tooleyes",), limit=2,
        use_cache=False, batch_size=1, max_new_tokens=8, resamples=20, prefix_cache_mb=prefix_mb,
    )  # fmt: skip
    manifest = run(cfg, backend=backend)
    rows = [
        json.loads(x) for x in (tmp_path / name / "tooleyes" / "predictions.jsonl").read_text().splitlines()
    ]
    return backend, manifest, rows


def test_waved_episodes_with_prefix_reuse_give_the_same_transcripts(
    tmp_path: Path, data_dir: Path, long_model_dir: Path
) -> None:
    _, plain_manifest, plain = _episodes(tmp_path, data_dir, long_model_dir, 0, "plain")
    backend, manifest, reused = _episodes(tmp_path, data_dir, long_model_dir, 256, "reuse")
    assert reused == plain
    assert manifest["generations"] == plain_manifest["generations"] == sum(len(r["turns"]) for r in plain)
    assert manifest["prefix_cache_mb"] == 256
    store = backend.prefix
    assert store is not None
    later_rounds = sum(len(r["turns"]) - 1 for r in plain)
    assert later_rounds > 0 and store.hits >= later_rounds  # every later round continued its own history
    assert store.nbytes <= 256 << 20
    assert manifest["prefix_reuse"] == {"hits": store.hits, "reused_prompt_tokens": store.reused_tokens}
    assert "prefix_reuse" not in plain_manifest


def test_negative_prefix_cache_size_is_a_usage_error(tmp_path: Path, data_dir: Path, capsys) -> None:  # noqa: ANN001
    argv = ["score", "--model", "mock", "--backend", "mock", "--benchmarks", "bfcl-v3-exec", "--limit", "1"]
    code = main([*argv, "--data-dir", str(data_dir), "--out", str(tmp_path / "o"), "--prefix-cache-mb", "-1"])
    assert code == 2 and "--prefix-cache-mb" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
