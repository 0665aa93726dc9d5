"""kill -9 at random points of ``tlbench collect`` and ``tlbench train``, then resume with the same command.

collect: the trajectory file ends up with exactly the records of an uninterrupted run (same ids, same content,
none twice, none lost), every line complete JSON. train: the resumed run finishes from its last checkpoint,
its model folder is complete and loads, its weights match an uninterrupted run's, no file is corrupt.
Bad trajectory files fail ``train`` with one line naming file:line and exit code 2, writing no model.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
from runs import DATA, check_files, cli_env, jsonl, kill_at, kill_points, tlbench

pytestmark = pytest.mark.skipif(not (DATA / "tooleyes").is_dir(), reason=f"no benchmark data under {DATA}")


def _collect_args(out: Path, limit: int = 60) -> list[str]:
    return ["collect", "--model", "noisy", "--backend", "mock", "--tasks", "synthetic", "--limit", str(limit),
            "--batch-size", "4", "--out", str(out)]  # fmt: skip


def _by_id(path: Path) -> dict[str, dict]:
    rows = jsonl(path)
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)), "duplicate trajectory ids"
    return {r["id"]: r for r in rows}


def test_collect_killed_at_random_points_resumes_to_the_same_records(tmp_path: Path) -> None:
    ref = tmp_path / "ref.jsonl"
    start = time.monotonic()
    proc = tlbench(_collect_args(ref), cli_env(tmp_path / "cache-ref"))
    ref_wall = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr[-1500:]
    env = cli_env(tmp_path / "cache-run")
    out, log = tmp_path / "run.jsonl", tmp_path / "killed.log"
    kills = 0
    # kill points relative to the measured uninterrupted run, so the test holds on fast and loaded machines
    for frac in kill_points(6, 0.3, 0.9, "collect"):
        delay = frac * ref_wall
        if kill_at(_collect_args(out), env, delay, log) is None:
            kills += 1
        if out.exists():
            # a kill may leave one partial last line (readers skip it); every other line is complete
            lines = out.read_bytes().split(b"\n")
            for line in lines[:-1]:
                json.loads(line)
    assert kills >= 2
    final = tlbench(_collect_args(out), env)
    assert final.returncode == 0, final.stderr[-1500:]
    check_files(tmp_path)
    got, want = _by_id(out), _by_id(ref)
    assert set(got) == set(want)
    for k in want:
        assert got[k] == want[k], k


def _tiny_model(folder: Path) -> Path:
    """The backend tests' tiny random Llama builder (hidden 64, 4096 positions, no embedding spread)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "be_conftest", Path(__file__).parents[1] / "backends" / "conftest.py"
    )
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.build_tiny_llama(
        folder, mod.build_tokenizer(), hidden=64, intermediate=128, max_positions=4096, spread=None
    )


RECIPE = """extends = "tiny-mae_pkt"
name = "rel-mae_pkt"

[sft]
max_length = 4096
max_steps = 6
save_steps = 2
"""


def _weights(folder: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(folder / "model.safetensors"))


@pytest.mark.skipif(os.environ.get("TLBENCH_REL_SKIP_TRAIN") == "1", reason="TLBENCH_REL_SKIP_TRAIN=1")
def test_train_killed_at_random_points_resumes_from_its_checkpoint(tmp_path: Path) -> None:
    import torch

    env = cli_env(tmp_path / "cache")
    traj = tmp_path / "traj.jsonl"
    assert tlbench(_collect_args(traj, limit=6), env).returncode == 0
    model = _tiny_model(tmp_path / "tiny")
    recipe = tmp_path / "rec.toml"
    recipe.write_text(RECIPE)

    def args(out: Path) -> list[str]:
        return [
            "train",
            "--recipe",
            str(recipe),
            "--model",
            str(model),
            "--data",
            str(traj),
            "--out",
            str(out),
        ]

    start = time.monotonic()
    ref = tlbench(args(tmp_path / "ref"), env, timeout=1200)
    ref_wall = time.monotonic() - start
    assert ref.returncode == 0, ref.stderr[-2000:]
    out, log = tmp_path / "run", tmp_path / "killed.log"
    kills = 0
    # relative to the measured uninterrupted run: the first kill always lands before a fresh run can finish
    for frac in kill_points(3, 0.3, 0.9, "train"):
        delay = frac * ref_wall
        if kill_at(args(out), env, delay, log) is None:
            kills += 1
        if out.exists():
            check_files(out)
    assert kills >= 1
    final = tlbench(args(out), env, timeout=1200)
    assert final.returncode == 0, final.stderr[-2000:]
    check_files(out)
    a, b = _weights(tmp_path / "ref"), _weights(out)
    assert a.keys() == b.keys()
    for k in a:
        assert torch.allclose(a[k], b[k], atol=1e-5), k
    summary = json.loads((out / "train_summary.json").read_text())
    assert summary  # complete, parseable
    from transformers import AutoModelForCausalLM

    AutoModelForCausalLM.from_pretrained(str(out))  # the folder loads


BAD_TRAJ = {
    "truncated": b'{"id": "a", "messages": [',
    "invalid": b"not json\n",
    "latin1": b'{"id": "caf\xe9"}\n',
    "empty": b"",
    "not_object": b"[1, 2]\n",
}


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _tiny_model(tmp_path_factory.mktemp("tiny"))


@pytest.mark.parametrize("case", sorted(BAD_TRAJ))
def test_train_rejects_bad_trajectory_files_with_file_and_line(
    tmp_path: Path, case: str, tiny_model: Path
) -> None:
    traj = tmp_path / f"{case}.jsonl"
    traj.write_bytes(BAD_TRAJ[case])
    out = tmp_path / "out"
    proc = tlbench(
        [
            "train",
            "--recipe",
            "tiny-none",
            "--model",
            str(tiny_model),
            "--data",
            str(traj),
            "--out",
            str(out),
        ],
        cli_env(tmp_path / "cache"),
    )
    err = proc.stderr.strip()
    assert proc.returncode == 2, err[-1500:]
    assert "Traceback" not in err and f"{case}.jsonl" in err, err[-1500:]
    lines = err.splitlines()
    assert lines[-1].startswith("tlbench train: error:"), err
    if (
        case == "truncated"
    ):  # a partial last line is skipped with a warning (docs/formats.md), then nothing is left
        assert "truncated last line skipped" in err and "truncated.jsonl:1" in err, err
    else:
        assert len(lines) == 1, err
    assert not (out / "model.safetensors").exists()
    shutil.rmtree(out, ignore_errors=True)
