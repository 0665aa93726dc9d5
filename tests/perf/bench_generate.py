"""Harness generation throughput vs raw ``model.generate`` on the same prompts (prints ONE JSON object).

Default: the tiny random Llama of the backend tests (built here, no downloads), fp32 on CPU.
``--model smollm2-135m`` (or any HF folder / GGUF) measures a real model instead.

    python tests/perf/bench_generate.py [--model PATH] [--n 32] [--batch 8] [--new 32] [--dtype float32]

Both sides use the same batch size and the same number of new tokens; the raw side pads each batch with
the tokenizer (left) in the given order, the harness sorts by length and adds stop/EOS handling and
decoding. ``ratio`` = harness tokens/s / raw tokens/s (target >= 0.9), where the harness is what
``score --model`` runs: the generation cache (fresh, so every prompt is generated and written) around the
backend, with a stop string checked at every step; ``backend_ratio`` is the bare backend.
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


def tiny_model_dir(out: Path, max_positions: int = 512) -> Path:
    """Build the tests' tiny random Llama, without the embedding spread (tests/backends/conftest.py)."""
    spec = importlib.util.spec_from_file_location(
        "be_conftest", Path(__file__).resolve().parents[1] / "backends" / "conftest.py"
    )
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.build_tiny_llama(out, mod.build_tokenizer(), max_positions=max_positions, spread=None)


def model_path(spec: str | None, tmp: Path, max_positions: int = 512) -> Path:
    """The ``--model`` of a perf script: a resolved HF folder / GGUF / built-in name, or (None) the tiny
    random Llama built under ``tmp``."""
    if spec:
        from tlbench.models import resolve_model

        return Path(resolve_model(spec).path)
    return tiny_model_dir(tmp, max_positions=max_positions)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--model", default=None, help="HF folder, GGUF or built-in name (default: tiny random model)"
    )
    ap.add_argument("--n", type=int, default=32, help="number of prompts")
    ap.add_argument("--batch", type=int, default=8, help="batch size")
    ap.add_argument("--new", type=int, default=32, help="new tokens per prompt")
    ap.add_argument("--dtype", default="float32")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    import torch

    from tlbench.backends.base import GenConfig
    from tlbench.backends.hf import HFBackend

    tmp = tempfile.TemporaryDirectory()
    t0 = time.perf_counter()
    path = model_path(args.model, Path(tmp.name))
    backend = HFBackend.from_pretrained(path, dtype=args.dtype, device="cpu", batch_size=args.batch)
    load_s = time.perf_counter() - t0
    model, tok = backend.model, backend.tokenizer
    words = "the tool call returns weather data for the city and the user asks again".split()
    # distinct prompts (the cache would generate a repeated prompt once), of varied lengths
    prompts = [f"{i} " + " ".join(words[: 3 + (i * 5) % len(words)] * (1 + i % 3)) for i in range(args.n)]
    # never stop early on either side, so both generate exactly the same number of tokens
    no_eos = {"eos_token_id": None}

    def raw() -> int:
        n = 0
        for s in range(0, len(prompts), args.batch):
            enc = tok(prompts[s : s + args.batch], return_tensors="pt", padding=True)
            with torch.inference_mode():
                out = model.generate(
                    **enc, max_new_tokens=args.new, min_new_tokens=args.new, do_sample=False,
                    pad_token_id=tok.pad_token_id, **no_eos,
                )  # fmt: skip
            n += (out.shape[1] - enc["input_ids"].shape[1]) * out.shape[0]
        return n

    def forget() -> None:
        """Empty the prefix store: each timed pass repeats the same prompts, and reusing the previous
        pass's keys/values would make the harness look faster than it is (it still pays for storing)."""
        if backend.prefix is not None:
            backend.prefix.clear()

    def harness() -> int:
        backend.eos_ids = frozenset()  # same rule as the raw side: no early stop
        forget()
        gens = backend.generate(prompts, GenConfig(max_new_tokens=args.new))
        return sum(len(g.token_ids) for g in gens)

    runs = {"n": 0}

    def full() -> int:
        """What `score --model` does per benchmark: the generation cache (a fresh one, so every prompt is
        generated and written) around the backend, with a stop string checked at every step."""
        from tlbench.backends.cache import CachedBackend, GenerationCache

        backend.eos_ids = frozenset()
        forget()
        runs["n"] += 1
        cache = GenerationCache(Path(tmp.name) / f"cache{runs['n']}.sqlite")
        cached = CachedBackend(backend, cache, flush_every=args.batch)
        gens = cached.generate(prompts, GenConfig(max_new_tokens=args.new, stop=("\nObservation:",)))
        cache.close()
        return sum(len(g.token_ids) for g in gens)

    def best(*fns) -> list[tuple[float, int]]:  # noqa: ANN002
        """Best of ``repeats`` for each side, the sides interleaved so that load from other processes
        hits both alike."""
        for fn in fns:
            fn()  # warm-up
        times: list[list[float]] = [[] for _ in fns]
        counts = [0] * len(fns)
        for _ in range(args.repeats):
            for k, fn in enumerate(fns):
                t = time.perf_counter()
                counts[k] = fn()
                times[k].append(time.perf_counter() - t)
        return [(min(ts), n) for ts, n in zip(times, counts, strict=True)]

    (raw_s, raw_n), (b_s, b_n), (h_s, h_n) = best(raw, harness, full)
    print(
        json.dumps(
            {
                "bench": "generate",
                "model": args.model or "tiny-random-llama(head_dim=64)",
                "dtype": args.dtype,
                "threads": torch.get_num_threads(),
                "prompts": args.n,
                "batch_size": args.batch,
                "new_tokens": args.new,
                "load_s": round(load_s, 3),
                "raw_tokens": raw_n,
                "raw_s": round(raw_s, 4),
                "raw_tok_per_s": round(raw_n / raw_s, 1),
                "backend_tok_per_s": round(b_n / b_s, 1),
                "backend_ratio": round((b_n / b_s) / (raw_n / raw_s), 3),
                "harness_tokens": h_n,
                "harness_s": round(h_s, 4),
                "harness_tok_per_s": round(h_n / h_s, 1),
                "ratio": round((h_n / h_s) / (raw_n / raw_s), 3),
                "ratio_note": "harness = cache + stop-string check + backend (what score --model runs)",
            }
        )
    )
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
