"""Decoding with reserved KV buffers vs transformers' concatenating cache (prints ONE JSON object).

    python tests/perf/bench_kv_buffers.py [--model PATH] [--n 8] [--batch 8] [--prompt-tokens 400] [--new 64]

Both sides are the transformers backend on the same loaded model, prefix reuse off, EOS ignored so that
every row decodes exactly ``--new`` tokens after a ``--prompt-tokens`` prompt: once with
``kv_buffers=False`` (transformers' ``DynamicLayer``: a ``torch.cat`` of the whole cache at every step)
and once with buffers reserved for prompt + new tokens. Reported: tokens/s of each, ``speedup``
(buffers / stock) and whether the generated tokens are identical. Decoding-heavy shapes (long history,
many new tokens) are where the copy matters: ToolEyes rounds. Default model: the tests' tiny random
Llama (built here, no downloads); ``--model smollm2-135m`` measures the default model.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_generate import model_path  # noqa: E402 - after the path set-up


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=None, help="HF folder, GGUF or built-in name (default: tiny random)")
    ap.add_argument("--n", type=int, default=8, help="number of prompts")
    ap.add_argument("--batch", type=int, default=8, help="batch size")
    ap.add_argument("--prompt-tokens", type=int, default=400, help="tokens per prompt (about)")
    ap.add_argument("--new", type=int, default=64, help="new tokens per prompt")
    ap.add_argument("--dtype", default="float32")
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()

    import torch

    from tlbench.backends.base import GenConfig
    from tlbench.backends.hf import HFBackend

    tmp = tempfile.TemporaryDirectory()
    path = model_path(args.model, Path(tmp.name), max_positions=max(512, args.prompt_tokens + args.new + 8))
    stock = HFBackend.from_pretrained(
        path, dtype=args.dtype, device="cpu", batch_size=args.batch, prefix_cache_mb=0, kv_buffers=False
    )
    buffered = HFBackend(
        stock.model, stock.tokenizer, identity="b", batch_size=args.batch, prefix_cache_mb=0, kv_buffers=True
    )
    words = "the tool call returns weather data for the city and the user asks again".split()
    prompts = []
    for i in range(args.n):
        text, k = f"{i} ", 0
        while len(stock.encode(text)) < args.prompt_tokens:
            text += " ".join(words[k % len(words) : k % len(words) + 5]) + f" {i * 31 + k} "
            k += 1
        prompts.append(text)
    cfg = GenConfig(max_new_tokens=args.new)

    def once(backend: HFBackend) -> tuple[float, list[tuple[int, ...]]]:
        t = time.perf_counter()
        gens = backend.generate(prompts, cfg)
        return time.perf_counter() - t, [g.token_ids for g in gens]

    for backend in (stock, buffered):
        backend.eos_ids = frozenset()  # every row decodes exactly --new tokens
        backend.generate(prompts[:1], GenConfig(max_new_tokens=2))  # warm-up
    s_s = b_s = float("inf")
    s_ids: list[tuple[int, ...]] = []
    b_ids: list[tuple[int, ...]] = []
    for _ in range(args.repeats):  # the sides interleaved, best of each: other load hits both alike
        t, s_ids = once(stock)
        s_s = min(s_s, t)
        t, b_ids = once(buffered)
        b_s = min(b_s, t)
    tokens = sum(len(t) for t in b_ids)
    print(
        json.dumps(
            {
                "bench": "kv_buffers",
                "model": args.model or "tiny-random-llama(head_dim=64)",
                "dtype": args.dtype,
                "threads": torch.get_num_threads(),
                "prompts": args.n,
                "batch_size": args.batch,
                "prompt_tokens": args.prompt_tokens,
                "new_tokens": args.new,
                "stock_s": round(s_s, 3),
                "buffered_s": round(b_s, 3),
                "stock_tok_per_s": round(tokens / s_s, 1),
                "buffered_tok_per_s": round(tokens / b_s, 1),
                "speedup": round(s_s / b_s, 3),
                "identical": s_ids == b_ids,
            }
        )
    )
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
