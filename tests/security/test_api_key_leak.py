"""An API key given through the environment (OPENAI_API_KEY for the openai backend) reaches the server in
the Authorization header and appears nowhere else: not in any file the run writes (run directory, cache,
manifest, error records), not on stdout/stderr, also when every request fails and error records are written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "reliability"))

from flaky_server import FlakyServer  # noqa: E402

DATA = Path(os.environ.get("TLBENCH_DATA") or "/work/shared/data")
SECRET = "sk-security-test-9f8e7d6c5b4a"


@pytest.mark.skipif(not (DATA / "rotbench").is_dir(), reason=f"no benchmark data under {DATA}")
@pytest.mark.parametrize("reply", ["ok", "always500"])
def test_api_key_is_sent_but_never_written(tmp_path: Path, reply: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TLBENCH_")}
    env.update(
        OPENAI_API_KEY=SECRET, TLBENCH_CACHE_DIR=str(tmp_path / "cache"), TLBENCH_DATA=str(DATA),
        PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1",
    )  # fmt: skip
    with FlakyServer(lambda p: reply + " Action: finish") as srv:
        if reply == "always500":
            srv.force_mode = "always500"  # every request fails: error records are written
        proc = subprocess.run(
            [sys.executable, "-m", "tlbench", "score", "--model", "fake", "--backend", "openai",
             "--base-url", srv.url, "--benchmarks", "rotbench-first-clean", "--limit", "3",
             "--out", str(tmp_path / "run")],
            env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        seen = set(srv.auth_headers)
    assert proc.returncode == (3 if reply == "always500" else 0), proc.stderr[-1500:]  # 3: incomplete
    failed = tmp_path / "run" / "rotbench-first-clean" / "failed.jsonl"  # the error records
    assert failed.is_file() == (reply == "always500")
    assert seen == {f"Bearer {SECRET}"}  # the key was used
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "manifest.json" for p in written)
    leaks = [str(p) for p in written if SECRET.encode() in p.read_bytes()]
    assert leaks == []
    assert SECRET not in proc.stdout + proc.stderr
