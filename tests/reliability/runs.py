"""Shared helpers of the reliability suite: CLI subprocesses, kill -9 at random points, file integrity checks."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("TLBENCH_DATA") or "/work/shared/data")
#: The seed of the random kill points; set TLBENCH_REL_SEED to replay a failure.
SEED = int(os.environ.get("TLBENCH_REL_SEED") or 20261130)
SECRET = "sk-reliability-test-0123456789abcdef"


def cli_env(cache: Path, **extra: str) -> dict[str, str]:
    """The environment of a CLI subprocess: its own cache dir, the data, a secret API key to look for."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TLBENCH_")}
    env.update(
        TLBENCH_CACHE_DIR=str(cache),
        TLBENCH_DATA=str(DATA),
        HF_HUB_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
        OPENAI_API_KEY=SECRET,
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def tlbench(args: list[str], env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``python -m tlbench ARGS`` to the end."""
    return subprocess.run(
        [sys.executable, "-m", "tlbench", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def kill_at(args: list[str], env: dict[str, str], delay: float, log: Path) -> int | None:
    """Start ``tlbench ARGS``, SIGKILL it after ``delay`` s (None when it finished before: its exit code)."""
    with open(log, "ab") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tlbench", *args], env=env, cwd=ROOT, stdout=fh, stderr=fh
        )
        try:
            proc.wait(timeout=delay)
            return proc.returncode
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return None


def kill_points(n: int, lo: float, hi: float, salt: str) -> list[float]:
    """``n`` seeded random delays in [lo, hi)."""
    rng = random.Random(f"{SEED}:{salt}")
    return sorted(rng.uniform(lo, hi) for _ in range(n))


def check_files(root: Path) -> list[Path]:
    """Every visible .json/.jsonl file under ``root`` parses completely (JSON Lines: every line, none
    partial); returns the files checked. Raises AssertionError naming file:line otherwise."""
    checked = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.name.startswith("."):
            continue
        if path.suffix == ".json":
            try:
                json.loads(path.read_text(encoding="utf-8"))
            except ValueError as exc:
                raise AssertionError(f"{path}: corrupt JSON: {exc}") from None
        elif path.suffix == ".jsonl":
            data = path.read_bytes()
            assert not data or data.endswith(b"\n"), f"{path}: partial last line"
            for i, line in enumerate(data.decode("utf-8").splitlines(), 1):
                try:
                    json.loads(line)
                except ValueError as exc:
                    raise AssertionError(f"{path}:{i}: corrupt line: {exc}") from None
        else:
            continue
        checked.append(path)
    return checked


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def files_containing(roots: list[Path], needle: str) -> list[str]:
    """Paths of every file under ``roots`` whose bytes contain ``needle``."""
    found = []
    raw = needle.encode()
    for root in roots:
        for path in [root] if root.is_file() else root.rglob("*"):
            if path.is_file() and raw in path.read_bytes():
                found.append(str(path))
    return found


def fake_reply(prompt: str) -> str:
    """A deterministic 'model': one of a few outputs chosen by the prompt's hash (valid calls, finishes,
    prose), so scores and episode lengths vary but never depend on timing."""
    outs = (
        'Thought: done\nAction: finish\nAction Input: {"answer": "ok"}',
        "I do not know.",
        'Thought: try\nAction: get_x\nAction Input: {"a": 1}',
        'Thought: x\nAction: calculator\nAction Input: {"input_query": "1+2"}',
    )
    return outs[int(hashlib.sha256(prompt.encode()).hexdigest(), 16) % len(outs)]


def wait_for(pred: Any, timeout: float = 30.0) -> bool:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if pred():
            return True
        time.sleep(0.05)
    return False
