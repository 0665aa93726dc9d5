"""Run every performance script of tests/perf and report the ratios against their targets, side by side.

Each ``bench_*.py`` / ``perf_*.py`` script runs in its own subprocess and prints one JSON object (its last
line of stdout); this runner collects them, derives the headline ratios below, prints ONE table and then ONE
JSON object (``{"ratios": ..., "targets": ..., "pass": ..., "scripts": ...}``). Ratios, not absolute times,
are the claims: they are measured in the same run on the same machine, so machine load mostly cancels out.

=======================================  =====================================================  ===========
ratio                                    what                                                   target
=======================================  =====================================================  ===========
generation_harness_over_raw              harness tokens/s / raw ``model.generate`` tokens/s     >= 0.9 CPU
vllm_harness_over_raw                    harness tokens/s / raw ``vllm.LLM.generate`` tokens/s  >= 0.97
episode_prefix_reuse_speedup             ToolEyes episodes: time without / with prefix reuse    > 1
episode_prefix_reuse_identical           the same transcripts with and without prefix reuse     == true
episodes_independent_speedup             ToolEyes on ``vllm serve``: lockstep / independent     >= 1.3
episodes_independent_identical           the same transcripts on both schedules                 == true
kv_buffers_decode_speedup                decoding: stock cache time / reserved KV buffers time  > 1
kv_buffers_identical                     the same tokens with and without the buffers           == true
parse_classify_outputs_per_s             parse + classify outputs/s on one core                 >= 20,000
classify_feedback_per_s                  feedback texts classified/s on one core                >= 20,000
sandbox_calls_per_s                      sandboxed tool calls/s (pool, pipelined, all cores)    >= 2,000
sandbox_over_in_process                  sandboxed / bare in-process calls/s (information)      -
score_gold_all_s                         scoring all four benchmarks' gold answers (s)          < 10
score_cached_rerun_s                     re-run of a finished ``score --model`` (s, wall)       < 5
score_cached_rerun_generations           generations made by that re-run                        == 0
train_weighted_step_time_ratio           MAE+PKT trainer step / stock SFTTrainer step           <= 1.05
train_weighted_peak_memory_ratio         peak memory of the same two steps                      <= 1.05
irm_reward_share_of_rl_step              IRM reward seconds / GRPO step seconds                 < 0.01
worst_* (bench_worst_case.py)            worst-case latencies on hostile inputs / bad tools     see script
=======================================  =====================================================  ===========

    python tests/perf/run_all.py [--quick] [--only NAME,...] [--json-out FILE]

``--quick`` passes smaller sizes to the slow scripts (a smoke run; the figures are noisier). A script that
fails or times out is reported with its error and its ratios are missing (and count as not passing). A
script that prints ``{"skipped": why}`` (``bench_episodes.py`` without a Python that has vLLM: set
``TLBENCH_VLLM_PYTHON``) has its ratios shown as skipped, not counted. ``bench_vllm.py`` needs vLLM: it runs with this python when it can import vllm, else with the engines venv's
(``$TLBENCH_ENGINES_VENV``, default ``~/.cache/tlbench/engines-venv``, built by ``make test-engines``); with
neither its row says "skipped" and does not count.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

#: Extra arguments per script: (full run, --quick run).
ARGS: dict[str, tuple[list[str], list[str]]] = {
    "bench_generate.py": ([], ["--n", "16", "--repeats", "2"]),
    "bench_parse.py": ([], ["--seconds", "0.5"]),
    "bench_parse_classify.py": ([], ["--seconds", "1"]),
    "bench_sandbox.py": ([], ["--calls", "5000"]),
    "bench_score_gold.py": ([], []),
    "bench_score_cache.py": ([], ["--limit", "20"]),
    "bench_training.py": ([], ["--layers", "2", "--seq", "128", "--reps", "2", "--rl-steps", "2"]),
    "perf_exec_executors.py": ([], ["1000"]),
    "bench_collect.py": ([], ["--n", "60"]),
    "bench_report.py": ([], ["--items", "2000"]),
    "bench_prefix_reuse.py": ([], ["--limit", "2"]),
    "bench_kv_buffers.py": ([], ["--new", "32"]),
    "bench_worst_case.py": ([], ["--soak", "2000", "--repeat", "1"]),
    "bench_episodes.py": ([], ["--limit", "4", "--batch", "4", "--new", "64", "--repeats", "1"]),
    "bench_vllm.py": ([], ["--limit", "4", "--new", "32", "--repeats", "2"]),
}
TIMEOUT_S = {
    "bench_training.py": 1800,
    "bench_score_cache.py": 900,
    "bench_episodes.py": 7200,
    "bench_vllm.py": 2400,
}

#: name -> (description, comparator, target, extractor over the scripts' JSON objects)
Extract = Callable[[dict[str, Any]], Any]


def _get(script: str, *path: str) -> Extract:
    def f(res: dict[str, Any]) -> Any:
        cur: Any = res.get(script)
        for p in path:
            if not isinstance(cur, dict):
                return None
            cur = cur.get(p)
        return cur

    f.script = script  # type: ignore[attr-defined]  # so that a skipped script's rows say so
    return f


def _sandbox_over_in_process(res: dict[str, Any]) -> Any:
    sb = res.get("bench_sandbox.py") or {}
    a, b = sb.get("sandbox_pipelined_calls_per_s"), sb.get("in_process_calls_per_s")
    return round(a / b, 5) if a and b else None


def _vllm_identical(res: dict[str, Any]) -> Any:
    v = res.get("bench_vllm.py") or {}
    return f"{v['identical']}/{v['prompts']}" if "identical" in v else None


_vllm_identical.script = "bench_vllm.py"  # type: ignore[attr-defined]


RATIOS: dict[str, tuple[str, str, float | bool | None, Extract]] = {
    "generation_harness_over_raw": (
        "harness / raw model.generate tokens/s (CPU, transformers)", ">=", 0.9,
        _get("bench_generate.py", "ratio"),
    ),
    "generation_backend_over_raw": (
        "  bare backend / raw model.generate tokens/s", "info", None, _get("bench_generate.py", "backend_ratio"),
    ),
    "vllm_harness_over_raw": (
        "harness / raw vllm LLM.generate tokens/s (same engine)", ">=", 0.97, _get("bench_vllm.py", "ratio"),
    ),
    "vllm_identical_outputs": (
        "  outputs identical to raw LLM.generate (of prompts)", "info", None, _vllm_identical,
    ),
    "episode_prefix_reuse_speedup": (
        "ToolEyes episodes: time without / with prefix reuse", ">", 1.0,
        _get("bench_prefix_reuse.py", "speedup"),
    ),
    "episode_prefix_reuse_identical": (
        "  same transcripts with and without reuse", "==", True,
        _get("bench_prefix_reuse.py", "identical_transcripts"),
    ),
    "episodes_independent_speedup": (
        "ToolEyes on vllm serve: lockstep / independent time", ">=", 1.3, _get("bench_episodes.py", "speedup"),
    ),
    "episodes_independent_identical": (
        "  same transcripts on both schedules", "==", True, _get("bench_episodes.py", "identical_transcripts"),
    ),
    "kv_buffers_decode_speedup": (
        "decoding: stock concatenating cache / reserved KV buffers time", ">", 1.0,
        _get("bench_kv_buffers.py", "speedup"),
    ),
    "kv_buffers_identical": (
        "  same tokens with and without the buffers", "==", True, _get("bench_kv_buffers.py", "identical"),
    ),
    "parse_classify_outputs_per_s": (
        "parse + classify outputs/s, one core", ">=", 20_000, _get("bench_parse_classify.py", "outputs_per_s"),
    ),
    "classify_feedback_per_s": (
        "classify_feedback texts/s, one core", ">=", 20_000, _get("bench_parse_classify.py", "feedback_per_s"),
    ),
    "parse_classify_outputs_per_cpu_s": (
        "  same, per CPU second of the process", "info", None, _get("bench_parse_classify.py", "outputs_per_cpu_s"),
    ),
    "sandbox_calls_per_s": (
        "sandboxed tool calls/s (pool, pipelined)", ">=", 2_000,
        _get("bench_sandbox.py", "sandbox_pipelined_calls_per_s"),
    ),
    "sandbox_over_in_process": ("sandboxed / in-process calls/s", "info", None, _sandbox_over_in_process),
    "score_gold_all_s": ("gold predictions of all four benchmarks (s)", "<", 10.0,
                         _get("bench_score_gold.py", "total_score_s")),
    "score_cached_rerun_s": ("cached re-run of a finished score --model (s)", "<", 5.0,
                             _get("bench_score_cache.py", "rerun_s")),
    "score_cached_rerun_cpu_s": ("  same re-run, CPU seconds (idle-machine estimate)", "info", None,
                                 _get("bench_score_cache.py", "rerun_cpu_s")),
    "score_cached_rerun_generations": ("generations made by the cached re-run", "==", 0,
                                       _get("bench_score_cache.py", "rerun_generations")),
    "train_weighted_step_time_ratio": ("MAE+PKT step time / stock SFTTrainer step", "<=", 1.05,
                                       _get("bench_training.py", "sft", "step_time_ratio")),
    "train_weighted_peak_memory_ratio": ("MAE+PKT peak memory / stock SFTTrainer step", "<=", 1.05,
                                         _get("bench_training.py", "sft", "peak_memory_ratio")),
    "irm_reward_share_of_rl_step": ("IRM reward time / RL (GRPO) step time", "<", 0.01,
                                    _get("bench_training.py", "irm", "irm_reward_share")),
    "parse_outputs_per_s": ("parse only, outputs/s, one core", "info", None, _get("bench_parse.py", "outputs_per_s")),
    "worst_parse_hostile_1mb_s": ("worst 1 MB hostile output, 7 formats (s)", "<", 20.0,
                                  _get("bench_worst_case.py", "parse_hostile_1mb_worst_s")),
    "worst_parse_valid_1mb_s": ("worst 1 MB valid call (s)", "<", 5.0,
                                _get("bench_worst_case.py", "parse_valid_1mb_worst_s")),
    "worst_parse_growth_4x_ratio": ("parse time ratio for 4x the input (linear ~4, quadratic ~16)", "<", 9.0,
                                    _get("bench_worst_case.py", "parse_growth_4x_worst_ratio")),
    "worst_classify_long_observations_s": ("classify the long observations (s)", "<", 2.0,
                                           _get("bench_worst_case.py", "classify_long_observations_s")),
    "worst_classify_adversarial_s": ("classify the adversarial feedback texts (s)", "<", 2.0,
                                     _get("bench_worst_case.py", "classify_adversarial_feedback_s")),
    "worst_calculator_exponent_s": ("refuse a huge exponent (s)", "<", 0.5,
                                    _get("bench_worst_case.py", "calculator_huge_exponent_worst_s")),
    "worst_regex_guard_s": ("refuse a catastrophic regex (s)", "<", 3.0, _get("bench_worst_case.py", "regex_guard_s")),
    "worst_sandbox_timeout_s": ("hanging tool, 0.5 s timeout, answered in (s)", "<", 3.0,
                                _get("bench_worst_case.py", "sandbox_timeout_worst_s")),
    "soak_calls_per_s": ("sandboxed calls/s with 5% faults", ">=", 334,
                         _get("bench_worst_case.py", "soak_calls_per_s")),
}  # fmt: skip


def _passes(op: str, value: Any, target: float | bool | None) -> bool | None:
    if op == "info":
        return None
    if not isinstance(value, int | float):
        return False
    assert target is not None
    return {
        ">=": value >= target,
        "<=": value <= target,
        "<": value < target,
        ">": value > target,
        "==": value == target,
    }[op]


def _python_for(path: Path) -> str:
    """The interpreter of a script: this one, except that ``bench_vllm.py`` goes to the engines venv when
    this python cannot import vllm and the venv exists (otherwise it prints a "skipped" object)."""
    if path.name != "bench_vllm.py":
        return sys.executable
    import importlib.util

    if importlib.util.find_spec("vllm") is not None:
        return sys.executable
    venv = Path(os.environ.get("TLBENCH_ENGINES_VENV") or Path.home() / ".cache" / "tlbench" / "engines-venv")
    python = venv / "bin" / "python"
    return str(python) if python.is_file() else sys.executable


def run_script(path: Path, extra: list[str], timeout: float) -> tuple[dict[str, Any] | None, str, float]:
    """(the script's JSON object or None, an error text, seconds)."""
    env = dict(os.environ)
    env.setdefault("TLBENCH_DATA", str(ROOT.parent / "shared" / "data"))
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            [_python_for(path), str(path), *extra], cwd=ROOT, env=env, capture_output=True, text=True,
            timeout=timeout, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout:g} s", time.perf_counter() - t0
    dt = time.perf_counter() - t0
    for line in reversed(proc.stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict):
                return obj, "" if proc.returncode == 0 else f"exit {proc.returncode}", dt
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    return None, f"exit {proc.returncode}: {tail[:300]}", dt


def _calibration_us() -> float:
    import timeit

    return round(min(timeit.repeat("sum(range(1000))", number=2000, repeat=5)) / 2000 * 1e6, 2)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 100 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    return "-" if v is None else str(v)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller sizes for the slow scripts")
    ap.add_argument("--only", default="", help="comma-separated script names (bench_parse,bench_sandbox,...)")
    ap.add_argument("--json-out", type=Path, default=None, help="also write the JSON object to this file")
    args = ap.parse_args()
    scripts = sorted(p for p in HERE.glob("*.py") if p.name.startswith(("bench_", "perf_")))
    if args.only:
        wanted = {n if n.endswith(".py") else n + ".py" for n in args.only.split(",") if n}
        scripts = [p for p in scripts if p.name in wanted]
    results: dict[str, Any] = {}
    errors: dict[str, str] = {}
    seconds: dict[str, float] = {}
    for path in scripts:
        full, quick = ARGS.get(path.name, ([], []))
        print(f"running {path.name} ...", file=sys.stderr, flush=True)
        obj, err, dt = run_script(path, quick if args.quick else full, TIMEOUT_S.get(path.name, 600))
        seconds[path.name] = round(dt, 1)
        if obj is not None:
            results[path.name] = obj
        if err:
            errors[path.name] = err
    rows, ratios, passes = [], {}, {}
    skipped = {
        name: str(obj["skipped"])
        for name, obj in results.items()
        if isinstance(obj, dict) and obj.get("skipped")
    }
    for name, (desc, op, target, get) in RATIOS.items():
        value = get(results)
        ratios[name] = value
        tgt = "" if op == "info" else f"{op} {_fmt(target)}"
        if getattr(get, "script", None) in skipped:
            rows.append((desc, "-", tgt, "skipped"))
            continue
        ok = _passes(op, value, target)
        if ok is not None:
            passes[name] = ok
        rows.append((desc, _fmt(value), tgt, {True: "ok", False: "MISSED", None: ""}[ok]))
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>12}  {'target':>10}  result")
    print("-" * (width + 36))
    for desc, val, tgt, res in rows:
        print(f"{desc:<{width}}  {val:>12}  {tgt:>10}  {res}")
    for script, note in skipped.items():
        print(f"skipped {script}: {note}")
    summary = {
        "ratios": ratios,
        "targets": {k: f"{op} {t}" for k, (_, op, t, _) in RATIOS.items() if op != "info"},
        "pass": passes,
        "all_pass": all(passes.values()) and not errors,
        "errors": errors,
        "skipped": skipped,
        "script_seconds": seconds,
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_avg_1m": round(os.getloadavg()[0], 2),
            # best-of-5 time of sum(range(1000)) in microseconds: ~10 on an idle modern core; a loaded or
            # slow machine shows a larger figure, and every absolute rate above shrinks in proportion
            "python_calibration_us": _calibration_us(),
            "quick": args.quick,
        },
        "scripts": results,
    }
    text = json.dumps(summary)
    print(text)
    if args.json_out:
        args.json_out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
