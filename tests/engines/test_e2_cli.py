"""``python -m tlbench score --backend vllm`` as a user runs it, in a subprocess: it exits once its table is
printed (issue 21: it hung for ~10 min in multiprocessing's exit handler joining EngineCore), engine
arguments reach vLLM (prefix caching off gives the outputs of the in-process run, where it is on), SIGTERM
leaves no EngineCore or worker behind, and ``--dtype auto`` is resolved and recorded."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil
from eng_support import ENGINE_ARGS, LIMIT, NEW_TOKENS, ROOT, Report, compare

#: seconds a finished run may take to exit after printing its table (engine shutdown included)
EXIT_BOUND_S = 90


def _score_cmd(model_dir: Path, data_dir: Path, out: Path, benches: str, *extra: str) -> list[str]:
    cmd = [
        sys.executable, "-m", "tlbench", "score", "--backend", "vllm", "--model", str(model_dir),
        "--benchmarks", benches, "--limit", str(LIMIT), "--max-new-tokens", str(NEW_TOKENS),
        "--no-cache", "--resamples", "10", "--data-dir", str(data_dir), "--out", str(out),
    ]  # fmt: skip
    for key, value in ENGINE_ARGS.items():
        cmd += ["--engine-arg", f"{key}={json.dumps(value)}"]
    return cmd + list(extra)


class _Reader(threading.Thread):
    """Collects a pipe's lines with the time each arrived."""

    def __init__(self, pipe: Any) -> None:
        super().__init__(daemon=True)
        self.pipe = pipe
        self.lines: list[tuple[float, str]] = []

    def run(self) -> None:
        for line in self.pipe:
            self.lines.append((time.monotonic(), line))

    def text(self) -> str:
        return "".join(line for _, line in self.lines)


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _still_running(procs: list[psutil.Process], wait_s: float) -> list[int]:
    deadline = time.monotonic() + wait_s
    while True:
        alive = []
        for p in procs:
            try:
                if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                    alive.append(p.pid)
            except psutil.NoSuchProcess:
                continue
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.5)


def _popen(cmd: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ)
    )


def test_score_exits_after_its_table_and_engine_args_reach_vllm(
    model_dir: Path, data_dir: Path, vllm_run: Path, tmp_path: Path, report: Report
) -> None:
    out = tmp_path / "prefix-off"
    benches = "bfcl-v3-exec,tooleyes"
    cmd = _score_cmd(model_dir, data_dir, out, benches, "--dtype", "float32")
    proc = _popen([*cmd, "--engine-arg", "enable_prefix_caching=false"])
    stdout, stderr = _Reader(proc.stdout), _Reader(proc.stderr)
    stdout.start()
    stderr.start()

    def table_at() -> float | None:
        return next((t for t, line in stdout.lines if line.startswith("complete |")), None)

    deadline = time.monotonic() + 1500
    try:  # wait for the table, then at most EXIT_BOUND_S for the process to end
        while proc.poll() is None and time.monotonic() < deadline:
            shown = table_at()
            if shown is not None and time.monotonic() - shown > EXIT_BOUND_S:
                break
            time.sleep(0.5)
    finally:
        hung = proc.poll() is None
        if hung:
            for child in _descendants(proc.pid):
                child.kill()
            proc.kill()
            proc.wait()
    ended = time.monotonic()
    stdout.join(10)
    stderr.join(10)
    shown = table_at()
    assert shown is not None, stdout.text()[-3000:] + stderr.text()[-3000:]
    assert not hung, f"still running {ended - shown:.0f} s after printing its table"
    assert proc.returncode == 0, stderr.text()[-3000:]
    report.figures["score --backend vllm: seconds from table to exit"] = round(ended - shown, 1)
    assert "enable_prefix_caching=False" in stdout.text() + stderr.text()  # vLLM's own config line
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["engine_args"]["enable_prefix_caching"] is False and manifest["dtype"] == "float32"
    bad = compare(report, "vllm prefix caching on vs off", vllm_run, out, tuple(benches.split(",")))
    assert not bad, bad


def test_sigterm_leaves_no_engine_process_and_auto_dtype_is_resolved(
    model_dir: Path, data_dir: Path, tmp_path: Path
) -> None:
    from tlbench.models import resolve_dtype

    out = tmp_path / "terminated"
    proc = _popen(_score_cmd(model_dir, data_dir, out, "tooleyes", "--dtype", "auto"))
    stdout, stderr = _Reader(proc.stdout), _Reader(proc.stderr)
    stdout.start()
    stderr.start()
    engine: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 900
        while (
            time.monotonic() < deadline and proc.poll() is None
        ):  # the manifest appears once the engine runs
            if (out / "manifest.json").is_file():
                break
            time.sleep(0.5)
        assert proc.poll() is None, stderr.text()[-3000:]
        time.sleep(2)  # into the first round of episodes
        engine = _descendants(proc.pid)
        assert any("VLLM" in " ".join(p.cmdline()) or "VLLM" in p.name() for p in engine), engine
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        leftover = _still_running(engine, 60)
        for pid in leftover:  # never leave them behind, even when the test fails
            psutil.Process(pid).kill()
    assert code == 143, stderr.text()[-3000:]
    assert not leftover, f"processes left running after SIGTERM: {leftover}"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "interrupted"
    expected = resolve_dtype("auto")  # what transformers would pick on this machine
    assert manifest["dtype"] == expected and manifest["model_id"].endswith(f":{expected}")
    assert f"dtype=torch.{expected}" in stdout.text() + stderr.text()  # what the engine was built with
