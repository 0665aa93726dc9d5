"""Harness generation throughput vs raw ``vllm.LLM.generate`` on the same prompts, in one process, on one
engine (prints ONE JSON object).

    python tests/perf/bench_vllm.py [--model smollm2-135m] [--benchmarks bfcl-v3-exec,rotbench-first-clean]
                                    [--limit 16] [--new 64] [--batch 8] [--dtype float32] [--repeats 3]

Needs vLLM in the running python (on a CPU: the engines venv, ``make test-engines`` builds it at
``~/.cache/tlbench/engines-venv``); without it the script prints ``{"bench": "vllm", "skipped": ...}``.

The prompts are the benchmark items rendered as ``score --model`` renders them (the format ``auto`` picks
for the model); both sides decode greedily with the format's stop strings, so they generate the same
tokens (``identical`` counts the outputs that match). The harness is what ``score --model`` runs: a fresh
generation cache around the ``vllm`` backend, in length-sorted chunks of ``generate_chunk(backend,
--batch)`` prompts (at least 64 for vLLM; it tokenises, cuts to the context, and writes every chunk to
SQLite); the raw side hands vLLM every prompt text of a benchmark in one call. The engine's prefix cache is emptied before every timed pass, the sides alternate, and each keeps
its best of ``--repeats``. ``ratio`` = harness tokens/s / raw tokens/s (target >= 0.97).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "2")
ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="smollm2-135m", help="HF folder, GGUF or built-in name")
    ap.add_argument("--benchmarks", default="bfcl-v3-exec,rotbench-first-clean")
    ap.add_argument("--limit", type=int, default=16, help="items per benchmark")
    ap.add_argument("--new", type=int, default=64, help="max new tokens per prompt")
    ap.add_argument("--batch", type=int, default=8, help="the harness's chunk size (score's --batch-size)")
    ap.add_argument("--dtype", default="float32")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument(
        "--data-dir", default=os.environ.get("TLBENCH_DATA") or str(ROOT.parent / "shared" / "data")
    )
    args = ap.parse_args()
    if importlib.util.find_spec("vllm") is None:
        print(
            json.dumps(
                {
                    "bench": "vllm",
                    "skipped": f"vllm is not importable by {sys.executable}: run this script with the engines "
                    "venv's python (make test-engines builds ~/.cache/tlbench/engines-venv)",
                }
            )
        )
        return 0
    sys.path.insert(0, str(ROOT))

    from benchmarks import BENCHMARKS
    from tlbench.backends import CachedBackend, GenConfig, GenerationCache, create_backend
    from tlbench.models import resolve_model
    from tlbench.prompts import render, stop_for
    from tlbench.runner import expand_benchmarks, formats_for, generate_chunk

    model = resolve_model(args.model).path
    t0 = time.perf_counter()
    backend = create_backend(
        "vllm", model, dtype=args.dtype, engine_args={"enforce_eager": True, "max_model_len": 8192}
    )
    llm = backend.start()
    start_s = time.perf_counter() - t0
    names = expand_benchmarks(args.benchmarks)
    formats = formats_for(names, "auto", Path(model))
    groups: list[tuple[list[str], tuple[str, ...]]] = []  # (prompts, stop strings) per benchmark
    budget = backend.max_context - args.new
    for name in names:
        items = BENCHMARKS.get(name).load(Path(args.data_dir))[: args.limit]
        fmt = formats[name]
        prompts = [
            render(fmt, it.messages, it.tools, tokenizer=backend.tokenizer, budget=budget) for it in items
        ]
        groups.append(([str(p) for p in prompts], stop_for(fmt)))
    tmp = tempfile.TemporaryDirectory()
    passes = {"n": 0}

    def raw() -> tuple[int, list[str]]:
        llm.reset_prefix_cache()
        n, texts = 0, []
        for prompts, stop in groups:
            params = backend._vllm.SamplingParams(temperature=0.0, max_tokens=args.new, stop=list(stop))
            for out in llm.generate(prompts, params, use_tqdm=False):
                n += len(out.outputs[0].token_ids)
                texts.append(out.outputs[0].text)
        return n, texts

    def harness() -> tuple[int, list[str]]:
        llm.reset_prefix_cache()
        passes["n"] += 1
        cache = GenerationCache(Path(tmp.name) / f"cache{passes['n']}.sqlite")
        cached = CachedBackend(backend, cache, flush_every=generate_chunk(backend, args.batch))
        n, texts = 0, []
        for prompts, stop in groups:
            gens = cached.generate(prompts, GenConfig(max_new_tokens=args.new, stop=stop))
            n += sum(g.n_new_tokens for g in gens)
            texts += [g.text for g in gens]
        cache.close()
        return n, texts

    raw()  # warm-up (first-call allocations)
    harness()
    best: dict[str, tuple[float, int, list[str]]] = {}
    for _ in range(args.repeats):
        for label, fn in (("raw", raw), ("harness", harness)):
            t = time.perf_counter()
            n, texts = fn()
            dt = time.perf_counter() - t
            if label not in best or dt < best[label][0]:
                best[label] = (dt, n, texts)
    (raw_s, raw_n, raw_texts), (h_s, h_n, h_texts) = best["raw"], best["harness"]
    import vllm

    result = {
        "bench": "vllm",
        "vllm": vllm.__version__,
        "model": args.model,
        "dtype": backend.dtype,
        "benchmarks": list(names),
        "prompts": len(raw_texts),
        "batch_size": args.batch,
        "harness_chunk": generate_chunk(backend, args.batch),
        "max_new_tokens": args.new,
        "engine_start_s": round(start_s, 1),
        "raw_tokens": raw_n,
        "raw_s": round(raw_s, 3),
        "raw_tok_per_s": round(raw_n / raw_s, 1),
        "harness_tokens": h_n,
        "harness_s": round(h_s, 3),
        "harness_tok_per_s": round(h_n / h_s, 1),
        "ratio": round((h_n / h_s) / (raw_n / raw_s), 3),
        "identical": sum(a == b for a, b in zip(raw_texts, h_texts, strict=True)),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }
    backend.close()
    tmp.cleanup()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
