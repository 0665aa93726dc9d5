"""A ``tlbench score --model`` process killed with SIGKILL mid-run resumes with zero repeated generations.

The tiny random model of the backend tests (no downloads) runs in a subprocess; once the cache holds a few
finished batches the process is killed, the same command is re-run, and the re-run must (a) generate
exactly the items that were not cached and (b) end with the same figures and outputs as an uninterrupted
run without the cache (run in this process, to save an interpreter start).
"""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BENCHES = "bfcl-v3-exec"
LIMIT = 12


def _cmd(model: Path, data: Path, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "tlbench", "score", "--model", str(model), "--backend", "transformers",
        "--benchmarks", BENCHES, "--limit", str(LIMIT), "--batch-size", "1", "--max-new-tokens", "24",
        "--dtype", "float32", "--prompt-format", "toolllama-react", "--data-dir", str(data),
        "--out", str(out), "--resamples", "20", *extra,
    ]  # fmt: skip


def _rows(db: Path) -> int:
    if not db.is_file():
        return 0
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return int(con.execute("SELECT COUNT(*) FROM generations").fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def _outputs(out: Path) -> dict[str, list[str]]:
    return {
        b: [json.loads(x)["output"] for x in (out / b / "predictions.jsonl").read_text().splitlines()]
        for b in BENCHES.split(",")
    }


def _summaries(out: Path) -> dict[str, dict]:
    return {b: json.loads((out / b / "results.json").read_text())["summary"] for b in BENCHES.split(",")}


def test_sigkill_then_rerun_regenerates_nothing(tmp_path: Path, tiny_model_dir: Path, data_dir: Path) -> None:
    env = {**os.environ, "TLBENCH_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(REPO)}
    db = tmp_path / "cache" / "generations.sqlite"
    out = tmp_path / "run"
    proc = subprocess.Popen(
        _cmd(tiny_model_dir, data_dir, out),
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 240
    while _rows(db) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = _rows(db)
    total = LIMIT
    assert 3 <= before < total, f"kill came too late or too early ({before} cached of {total})"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "running"  # the killed run never claims completion

    rerun = subprocess.run(
        _cmd(tiny_model_dir, data_dir, out), env=env, cwd=REPO, capture_output=True, text=True
    )
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert [s["status"] for s in manifest["segments"]] == ["interrupted"]  # the killed invocation, kept
    assert manifest["wall_time_total_s"] >= manifest["wall_time_s"]
    assert manifest["cache_hits"] == before
    assert manifest["generations"] == total - before  # zero repeated generations
    assert _rows(db) == total
    assert "items/s" in rerun.stderr and "tokens/s" in rerun.stderr
    assert "bfcl" in rerun.stdout and "TS/PI/CF/exec" in rerun.stdout  # the run's table

    # the reference: the same settings, uninterrupted, without the cache (in this process: no new interpreter)
    from tlbench.runner import RunConfig, run

    ref = tmp_path / "ref"
    fresh = run(
        RunConfig(
            model=str(tiny_model_dir), out=ref, data_dir=data_dir, benchmarks=tuple(BENCHES.split(",")),
            backend="transformers", prompt_format="toolllama-react", limit=LIMIT, use_cache=False,
            batch_size=1, max_new_tokens=24, dtype="float32", resamples=20, cache_dir=tmp_path / "cache",
        ),
        log=io.StringIO(),
    )  # fmt: skip
    assert fresh["generations"] == total
    assert _outputs(ref) == _outputs(out)
    assert _summaries(ref) == _summaries(out)
