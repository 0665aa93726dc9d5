"""Re-running a finished ``tlbench score --model`` is served from the generation cache (prints ONE JSON object).

A deterministic fake model behind the openai backend (a local server on 127.0.0.1, from
tests/reliability/flaky_server.py) scores ``--benchmarks all`` once into a private cache; then the SAME
command runs again and is timed end to end (a fresh process: start-up, data loading, scoring, writing).
Targets: the re-run takes < 5 s and makes zero generations (manifest ``generations`` == 0 and no request
reaches the server).

    python tests/perf/bench_score_cache.py [--limit N] [--benchmarks all]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "reliability"))

from flaky_server import FlakyServer  # noqa: E402
from runs import DATA, cli_env, fake_reply  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--benchmarks", default="all")
    ap.add_argument("--limit", type=int, default=None, help="items per benchmark (default: full sets)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FlakyServer(fake_reply) as srv:
        env = cli_env(Path(tmp) / "cache")
        cmd = [sys.executable, "-m", "tlbench", "score", "--model", "fake", "--backend", "openai",
               "--base-url", srv.url, "--benchmarks", args.benchmarks, "--out", str(Path(tmp) / "run")]  # fmt: skip
        if args.limit:
            cmd += ["--limit", str(args.limit)]
        t0 = time.perf_counter()
        first = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
        first_s = time.perf_counter() - t0
        if first.returncode != 0:
            print(json.dumps({"bench": "score_cache", "error": first.stderr.strip()[-500:]}))
            return 1
        requests_first = sum(srv.counts.values())
        srv.counts.clear()
        t0, ru0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
        again = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
        rerun_s = time.perf_counter() - t0
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        # CPU seconds of the re-run: what its wall time would be on an idle core (shared machines are noisy)
        rerun_cpu_s = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
        man = json.loads((Path(tmp) / "run" / "manifest.json").read_text())
        requests_again = sum(srv.counts.values())
    print(
        json.dumps(
            {
                "bench": "score_cache",
                "data": str(DATA),
                "benchmarks": man.get("benchmarks"),
                "limit": args.limit,
                "first_run_s": round(first_s, 2),
                "first_run_requests": requests_first,
                "rerun_s": round(rerun_s, 2),
                "rerun_cpu_s": round(rerun_cpu_s, 2),
                "load_avg_1m": round(os.getloadavg()[0], 2),
                "rerun_rc": again.returncode,
                "rerun_generations": man.get("generations"),
                "rerun_cache_hits": man.get("cache_hits"),
                "rerun_requests": requests_again,
                "target_s": 5.0,
                "ok": again.returncode == 0
                and rerun_s < 5.0
                and man.get("generations") == 0
                and requests_again == 0,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
