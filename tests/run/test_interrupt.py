"""A ``score --model`` process stopped by a signal leaves a manifest that says what happened.

Issue 19, section 4: SIGTERM left the manifest at ``running`` (Python's default action kills the process
without the clean-up Ctrl-C gets), and a SIGKILLed invocation recorded 0 generations when it had made 2
(the manifest was rewritten only every 30 s). The model is the scripted mock in a real ``python`` process
(``tlbench.cli.main``), so the signal arrives while a generation is in progress, at a known count.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: argv: out, cache dir, data dir, marker file, mode. The third generation writes the marker and then
#: waits to be signalled (mode "term"), kills its own process (mode "kill"), or just answers ("plain").
DRIVER = r"""
import os, signal, sys, time
from pathlib import Path

import tlbench.runner as runner
from tlbench.backends.mock import MockBackend
from tlbench.cli import main

out, cache, data, marker, mode = sys.argv[1:6]
calls = 0

def reply(prompt):
    global calls
    calls += 1
    if calls == 3 and mode != "plain":
        if mode == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        Path(marker).write_text("generating")
        time.sleep(120)  # SIGTERM arrives here
    return 'Thought: t\nAction: finish\nAction Input: {"answer": "ok"}'

runner.build_backend = lambda cfg, log=None: (MockBackend(reply, model="m"), "mock")
os.environ["TLBENCH_CACHE_DIR"] = cache
sys.exit(main([
    "score", "--model", "m", "--backend", "mock", "--benchmarks", "rotbench-first-clean", "--limit", "4",
    "--batch-size", "1", "--prompt-format", "toolllama-react", "--resamples", "20", "--data-dir", data,
    "--out", out,
]))
"""


def _start(tmp_path: Path, data_dir: Path, mode: str) -> subprocess.Popen[str]:
    args = [str(tmp_path / "run"), str(tmp_path / "cache"), str(data_dir), str(tmp_path / "marker"), mode]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen(
        [sys.executable, "-c", DRIVER, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _manifest(tmp_path: Path) -> dict:
    return json.loads((tmp_path / "run" / "manifest.json").read_text(encoding="utf-8"))


def test_sigterm_marks_the_run_interrupted_with_its_counts(tmp_path: Path, data_dir: Path) -> None:
    proc = _start(tmp_path, data_dir, "term")
    try:
        deadline = time.monotonic() + 120  # a bound on waiting, not a timed assertion
        while not (tmp_path / "marker").exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (tmp_path / "marker").exists(), proc.communicate(timeout=30)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 143, (proc.returncode, err[-2000:])
    assert err.strip().splitlines()[-1] == "tlbench score: terminated" and "Traceback" not in err, err
    man = _manifest(tmp_path)
    assert man["status"] == "interrupted" and man["generations"] == 2, man


def test_a_sigkilled_segment_counts_the_generations_it_made(tmp_path: Path, data_dir: Path) -> None:
    proc = _start(tmp_path, data_dir, "kill")
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL, err[-2000:]
    killed = _manifest(tmp_path)
    assert killed["status"] == "running" and killed["generations"] == 2, killed
    resumed = _start(tmp_path, data_dir, "plain")
    _, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err[-2000:]
    man = _manifest(tmp_path)
    assert man["status"] == "complete" and (man["generations"], man["cache_hits"]) == (2, 2), man
    [segment] = man["segments"]
    assert segment["status"] == "interrupted" and segment["generations"] == 2, segment
