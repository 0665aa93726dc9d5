"""ToolEyes episodes through the transformers backend with and without prefix reuse (prints ONE JSON object).

    python tests/perf/bench_prefix_reuse.py [--model PATH] [--limit 4] [--batch 4] [--new 32] [--data-dir DIR]

Both sides run ``tlbench.runner.run`` on the first ``--limit`` ToolEyes items (all 9 rounds unless an
episode finishes), greedy, without the generation cache, on the same loaded model: once with
``prefix_cache_mb=0`` (every round re-encodes its whole history) and once with reuse on. Reported:
wall seconds of each, ``speedup`` (without / with), whether the transcripts are identical, and the share
of prompt tokens that reuse did not have to encode (``reused_share``). Default model: the tests' tiny
random Llama (8,192 positions, built here, no downloads); ``--model smollm2-135m`` measures the default model.
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
    ap.add_argument("--limit", type=int, default=4, help="ToolEyes episodes")
    ap.add_argument("--batch", type=int, default=4, help="batch size (= episodes per wave)")
    ap.add_argument("--new", type=int, default=32, help="max new tokens per generation")
    ap.add_argument("--dtype", default="float32")
    ap.add_argument("--data-dir", default=os.environ.get("TLBENCH_DATA") or "../shared/data")
    args = ap.parse_args()

    import torch

    from tlbench.backends.hf import HFBackend
    from tlbench.runner import RunConfig, run

    tmp = tempfile.TemporaryDirectory()
    path = model_path(args.model, Path(tmp.name) / "tiny", max_positions=8192)
    backend = HFBackend.from_pretrained(path, dtype=args.dtype, device="cpu", batch_size=args.batch)
    plain = HFBackend(  # the same weights without a prefix store
        backend.model, backend.tokenizer, identity=backend.identity, batch_size=args.batch, prefix_cache_mb=0
    )
    store = backend.prefix
    sides: dict[str, dict[str, object]] = {}
    counted = {"prompt_tokens": 0}

    def counting(generate):  # noqa: ANN001, ANN202 - wraps the backend's own signature
        def counted_generate(prompts, config, tools=None):  # noqa: ANN001, ANN202
            gens = generate(prompts, config, tools)
            counted["prompt_tokens"] += sum(g.n_prompt_tokens for g in gens)
            return gens

        return counted_generate

    for b in (backend, plain):
        b.generate = counting(b.generate)  # type: ignore[method-assign]
    for label, on in (("without", False), ("with", True)):
        if store is not None:
            store.clear()
        out = Path(tmp.name) / label
        cfg = RunConfig(
            model=str(path), out=out, data_dir=Path(args.data_dir), benchmarks=("tooleyes",),
            limit=args.limit, use_cache=False, batch_size=args.batch, max_new_tokens=args.new,
            resamples=10, prefix_cache_mb=2048 if on else 0,
        )  # fmt: skip
        log = open(os.devnull, "w")  # noqa: SIM115 - closed below
        counted["prompt_tokens"] = 0
        t = time.perf_counter()
        manifest = run(cfg, backend=backend if on else plain, log=log)
        sides[label] = {
            "s": time.perf_counter() - t,
            "generations": manifest["generations"],
            "rows": (out / "tooleyes" / "predictions.jsonl").read_text(),
            "prompt_tokens": counted["prompt_tokens"],
        }
        log.close()
    prompt_tokens = int(sides["with"]["prompt_tokens"])  # type: ignore[arg-type]
    reused = store.reused_tokens if store is not None else 0
    without_s, with_s = float(sides["without"]["s"]), float(sides["with"]["s"])  # type: ignore[arg-type]
    print(
        json.dumps(
            {
                "bench": "prefix_reuse",
                "model": args.model or "tiny-random-llama(8192 positions)",
                "dtype": args.dtype,
                "threads": torch.get_num_threads(),
                "episodes": args.limit,
                "batch_size": args.batch,
                "new_tokens": args.new,
                "generations": sides["with"]["generations"],
                "without_s": round(without_s, 2),
                "with_s": round(with_s, 2),
                "speedup": round(without_s / with_s, 3),
                "identical_transcripts": sides["with"]["rows"] == sides["without"]["rows"],
                "prompt_tokens": prompt_tokens,
                "reused_tokens": reused,
                "reused_share": round(reused / prompt_tokens, 3) if prompt_tokens else None,
            }
        )
    )
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
