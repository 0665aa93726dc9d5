"""kill -9 at random points of ``tlbench score --model``, then resume: the final run directory equals an
uninterrupted run's, no record is lost or duplicated, no file is ever corrupt, and no generation is repeated
beyond the one batch in flight at each kill. Two processes scoring into one cache at once: no corruption.
The API key given through the environment appears in no file the runs write and in no log.

The model is a deterministic fake behind the openai backend (a local server, tests/reliability/flaky_server.py),
so results cannot depend on timing and every request can be counted.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flaky_server import FlakyServer
from runs import (
    DATA,
    ROOT,
    SECRET,
    check_files,
    cli_env,
    fake_reply,
    files_containing,
    jsonl,
    kill_at,
    kill_points,
    tlbench,
)

BENCHES = "rotbench-first-clean,bfcl-v3-exec,tooleyes,toolalpaca-real"
BATCH = 4

pytestmark = pytest.mark.skipif(
    not (DATA / "rotbench").is_dir(), reason=f"benchmark data not found under {DATA}"
)


def _args(url: str, out: Path, limit: int = 10) -> list[str]:
    return [
        "score", "--model", "fake", "--backend", "openai", "--base-url", url, "--benchmarks", BENCHES,
        "--limit", str(limit), "--batch-size", str(BATCH), "--out", str(out),
    ]  # fmt: skip


def _comparable(run: Path) -> dict[str, object]:
    out: dict[str, object] = {}
    for name in BENCHES.split(","):
        res = json.loads((run / name / "results.json").read_text())
        res.pop("predictions", None)
        out[name] = {
            "results": res,
            "items": jsonl(run / name / "items.jsonl"),
            "predictions": jsonl(run / name / "predictions.jsonl"),
        }
    man = json.loads((run / "manifest.json").read_text())
    out["manifest"] = {k: man[k] for k in ("status", "benchmarks", "completed_benchmarks", "limit", "mode")}
    return out


def test_kill_minus_9_at_random_points_then_resume_gives_the_uninterrupted_result(tmp_path: Path) -> None:
    with FlakyServer(fake_reply, delay_s=0.1) as srv:  # slow enough that generation dominates the run
        t_ref = time.monotonic()
        ref = tlbench(_args(srv.url, tmp_path / "ref"), cli_env(tmp_path / "cache-ref"))
        t_ref = time.monotonic() - t_ref
        assert ref.returncode == 0, ref.stderr[-2000:]
        unique = len(srv.conversations)
        assert sum(srv.conversations.values()) == unique  # an uninterrupted run asks for each prompt once
        srv.conversations.clear()

        env = cli_env(tmp_path / "cache-run")
        run, log = tmp_path / "run", tmp_path / "killed.log"
        kills = 0
        t0 = time.monotonic()
        # kill points spread over the process's life: start-up, loading, generation, writing
        for frac in kill_points(5, 0.3, 0.9, "score"):
            delay = frac * t_ref
            if kill_at(_args(srv.url, run), env, delay, log) is None:
                kills += 1
            if run.exists():
                check_files(run)  # never a corrupt file, whenever it died
        print(f"score: {kills} kills over {t_ref:.1f} s reference run")
        assert kills >= 2, f"runs finished too early to be killed ({time.monotonic() - t0:.1f} s)"
        final = tlbench(_args(srv.url, run), env)
        assert final.returncode == 0, final.stderr[-2000:]
        asked = dict(srv.conversations)

    check_files(run)
    assert _comparable(run) == _comparable(tmp_path / "ref")
    assert len(asked) == unique, "a prompt of the reference run was never generated, or a new one appeared"
    duplicates = sum(asked.values()) - unique
    assert duplicates <= kills * BATCH, (duplicates, kills)  # at most the batch in flight per kill
    segments = json.loads((run / "manifest.json").read_text())["segments"]
    # killed invocations that got as far as writing a manifest are listed (an early kill writes none)
    assert len(segments) <= kills and all(s["status"] == "interrupted" for s in segments)
    for name in BENCHES.split(","):
        rows = jsonl(run / name / "predictions.jsonl")
        assert len(rows) == len({r["index"] for r in rows}) == 10  # none lost, none twice
    leaks = files_containing([tmp_path], SECRET)
    assert leaks == [], leaks
    assert SECRET not in final.stdout + final.stderr + log.read_text(errors="replace")


def test_two_processes_scoring_into_one_cache_at_once(tmp_path: Path) -> None:
    with FlakyServer(fake_reply, delay_s=0.01) as srv:
        env = cli_env(tmp_path / "shared-cache")
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "tlbench", *_args(srv.url, tmp_path / f"run{i}", limit=8)],
                env=env,
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for i in range(2)
        ]
        outs = [p.communicate(timeout=300) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], [o[1][-1500:] for o in outs]
        asked = dict(srv.conversations)
        srv.conversations.clear()
        again = tlbench(_args(srv.url, tmp_path / "run2", limit=8), env)
        assert again.returncode == 0, again.stderr[-1500:]
        assert srv.conversations == {}, "the shared cache lost results written by one of the two processes"
    assert _comparable(tmp_path / "run0") == _comparable(tmp_path / "run1") == _comparable(tmp_path / "run2")
    # both processes may generate the same prompts while neither has written them yet; never a third time
    assert max(asked.values()) <= 2
    man = json.loads((tmp_path / "run2" / "manifest.json").read_text())
    assert man["generations"] == 0 and man["cache_hits"] > 0
    import sqlite3

    db = sqlite3.connect(tmp_path / "shared-cache" / "generations.sqlite")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
