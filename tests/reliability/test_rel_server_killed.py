"""A server process killed (SIGKILL) in the middle of ``tlbench score``, then started again on the same port.

The items whose requests were lost are infrastructure failures: the run ends ``incomplete`` (exit code 3,
one line with the count and the first error), they are not scored, and the same command, once the server is
back, asks for exactly those items and ends ``complete`` with the result of an uninterrupted run. Everything
runs as real processes (``python -m tlbench`` against ``python tests/reliability/flaky_server.py``).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from runs import DATA, ROOT, check_files, cli_env, jsonl, tlbench, wait_for

pytestmark = pytest.mark.skipif(not (DATA / "rotbench").is_dir(), reason=f"no benchmark data under {DATA}")

BENCHES = "rotbench-first-clean,bfcl-v3-exec,tooleyes"


def _server(port: int = 0, delay: float = 0.0) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "reliability" / "flaky_server.py"), "--port", str(port),
         "--delay", str(delay), "--seconds", "240"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def _args(url: str, out: Path) -> list[str]:
    return [
        "score", "--model", "served", "--backend", "openai", "--base-url", url, "--benchmarks", BENCHES,
        "--limit", "8", "--batch-size", "4", "--prompt-format", "toolllama-react", "--out", str(out),
        "--resamples", "50",
    ]  # fmt: skip


def test_kill_the_server_mid_run_then_restart_it(tmp_path: Path) -> None:
    ref_srv, ref_url = _server()
    try:
        ref = tlbench(_args(ref_url, tmp_path / "ref"), cli_env(tmp_path / "cache-ref"))
    finally:
        _stop(ref_srv)
    assert ref.returncode == 0, ref.stderr[-2000:]

    srv, url = _server(delay=0.2)  # each request takes 0.2 s: the later benchmarks cannot be done yet
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    env, out = cli_env(tmp_path / "cache"), tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tlbench", *_args(url, out)],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:  # kill the server once the first benchmark is done: the later ones lose their requests
        assert wait_for(lambda: (out / "rotbench-first-clean" / "results.json").is_file(), timeout=120)
    finally:
        _stop(srv)
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 3, stderr[-2000:]
    assert "Traceback" not in stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("tlbench score: incomplete: ") and "first error: " in last
    check_files(out)
    first = json.loads((out / "manifest.json").read_text())
    failed = first["infra_failures"]["count"]
    assert first["status"] == "incomplete" and 0 < failed <= 16
    assert "incomplete |" in stdout and "not scored" in stdout  # the run table says so too

    srv, url2 = _server(port=port)  # the same URL again: the same cache keys
    try:
        assert url2 == url
        again = tlbench(_args(url, out), env)
    finally:
        _stop(srv)
    assert again.returncode == 0, again.stderr[-2000:]
    final = json.loads((out / "manifest.json").read_text())
    assert final["status"] == "complete" and final["generations"] >= failed
    assert [s["status"] for s in final["segments"]] == ["incomplete"]
    check_files(out)
    for name in BENCHES.split(","):
        for fname in ("items.jsonl", "predictions.jsonl"):
            assert jsonl(out / name / fname) == jsonl(tmp_path / "ref" / name / fname), (name, fname)
        assert not (out / name / "failed.jsonl").exists()
