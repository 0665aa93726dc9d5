"""Training overheads, measured side by side in one process (prints ONE JSON object).

1. **Weighted loss (MAE + PKT)**: one ``training_step`` (forward + backward) of
   ``training.sft.make_trainer_class()`` (the trainer ``tlbench train`` uses) against the stock
   ``trl.SFTTrainer`` on the SAME batch and model: step time ratio and peak memory ratio (target <= 1.05
   each). The batch has MAE-masked turns (weight 0) and PKT key tokens (weight > 1). Peak memory: peak RSS
   during the step (VmHWM, reset before each step via /proc/self/clear_refs) on CPU, or
   ``torch.cuda.max_memory_allocated`` on a GPU; both absolute and above the pre-step level.
2. **IRM reward share**: a few ``trl.GRPOTrainer`` steps with the shared IRM reward
   (``tlbench.reward.irm_reward_fn``, what ``training/irm.py`` plugs in) wrapped in a timer: reward seconds
   as a share of step seconds (target < 1%).

Default model: a random Llama with SmolLM2-135M's widths and vocabulary size but 4 layers (no download);
``--model smollm2-135m`` uses the real one for part 1.

    python tests/perf/bench_training.py [--batch 4] [--seq 256] [--reps 5] [--rl-steps 3] [--model NAME]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def _tokenizer() -> Any:
    spec = importlib.util.spec_from_file_location("be_conftest", ROOT / "tests" / "backends" / "conftest.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.build_tokenizer()


def _model(args: argparse.Namespace, vocab: int, tmp: Path) -> tuple[Any, str]:
    import torch
    from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM

    if args.model:
        from tlbench.models import resolve_model

        path = resolve_model(args.model).path
        return AutoModelForCausalLM.from_pretrained(str(path), dtype=torch.float32), args.model
    torch.manual_seed(0)
    cfg = LlamaConfig(
        vocab_size=vocab, hidden_size=576, intermediate_size=1536, num_hidden_layers=args.layers,
        num_attention_heads=9, num_key_value_heads=3, max_position_embeddings=2048, tie_word_embeddings=True,
    )  # fmt: skip
    return LlamaForCausalLM(cfg), f"random-llama(smollm2 widths, {args.layers} layers, vocab {vocab})"


def _batch(n: int, seq: int, vocab: int, seed: int = 0) -> dict[str, Any]:
    """Rows like build_examples makes: a context (label -100), then assistant turns; one turn in three is
    MAE-masked (weight 0), and key tokens (tool names) get PKT weights > 1."""
    import torch

    rng = random.Random(seed)
    ids, labels, weights = [], [], []
    for _ in range(n):
        length = seq - rng.randint(0, seq // 8)  # some padding, as real batches have
        row = [rng.randrange(10, vocab) for _ in range(length)]
        lab, w = [-100] * length, [0.0] * length
        pos = length // 4
        turn = 0
        while pos < length:
            span = min(rng.randint(24, 64), length - pos)
            masked = turn % 3 == 1
            for j in range(pos, pos + span):
                lab[j] = row[j]
                w[j] = 0.0 if masked else 1.0
            if not masked:
                for j in range(pos, min(pos + 3, pos + span)):
                    w[j] = 2.5  # key tokens
            pos += span + rng.randint(8, 32)  # tool feedback in between (context)
            turn += 1
        pad = seq - length
        ids.append(row + [0] * pad)
        labels.append(lab + [-100] * pad)
        weights.append(w + [0.0] * pad)
    attn = []
    for r, lab in zip(ids, labels, strict=True):
        real = len(r)
        while real > 0 and r[real - 1] == 0 and lab[real - 1] == -100:
            real -= 1
        attn.append([1] * real + [0] * (len(r) - real))
    return {
        "input_ids": torch.tensor(ids),
        "attention_mask": torch.tensor(attn),
        "labels": torch.tensor(labels),
        "loss_weights": torch.tensor(weights, dtype=torch.float32),
    }


def _peak_reset() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
        return
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")


def _mem_kib(field: str) -> int:
    with open("/proc/self/status", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _peak() -> tuple[float, float]:
    """(peak during the step, level before it), in MiB."""
    import torch

    if torch.cuda.is_available():
        return torch.cuda.max_memory_allocated() / 2**20, 0.0
    return _mem_kib("VmHWM") / 1024, 0.0


def bench_sft(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    import gc

    import torch
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    from training.sft import make_trainer_class

    tok = _tokenizer()
    vocab = args.vocab
    model, model_name = _model(args, vocab, tmp)
    vocab = model.config.vocab_size
    batch = _batch(args.batch, args.seq, vocab)
    rows = [{"input_ids": batch["input_ids"][i].tolist()} for i in range(args.batch)]
    cfg = SFTConfig(
        output_dir=str(tmp / "sft"), per_device_train_batch_size=args.batch, report_to=[], use_cpu=not torch.cuda.is_available(),
        max_length=None, disable_tqdm=True, dataset_num_proc=None, logging_strategy="no", save_strategy="no",
    )  # fmt: skip
    ds = Dataset.from_list(rows)
    stock = SFTTrainer(model=model, args=cfg, train_dataset=ds, processing_class=tok)
    weighted = make_trainer_class()(model=model, args=cfg, train_dataset=ds, processing_class=tok)
    for t in (stock, weighted):
        t.current_gradient_accumulation_steps = 1  # set by train(); training_step alone needs it
    model.train()
    stock_inputs = {k: v for k, v in batch.items() if k != "loss_weights"}

    def step(trainer: Any, inputs: dict[str, Any]) -> tuple[float, float]:
        model.zero_grad(set_to_none=True)
        gc.collect()
        before = _mem_kib("VmRSS") / 1024 if not torch.cuda.is_available() else 0.0
        _peak_reset()
        t0 = time.perf_counter()
        trainer.training_step(model, {k: v.clone() for k, v in inputs.items()})
        dt = time.perf_counter() - t0
        peak, _ = _peak()
        return dt, peak - before if not torch.cuda.is_available() else peak

    for _ in range(2):  # warm-up both paths
        step(stock, stock_inputs)
        step(weighted, batch)
    st_t, st_m, w_t, w_m = [], [], [], []
    for _ in range(args.reps):  # alternate, so drifting machine load hits both sides alike
        a, b = step(stock, stock_inputs)
        st_t.append(a)
        st_m.append(b)
        c, d = step(weighted, batch)
        w_t.append(c)
        w_m.append(d)
    abs_stock = max(st_m) + (0 if torch.cuda.is_available() else _mem_kib("VmRSS") / 1024)
    abs_weighted = max(w_m) + (0 if torch.cuda.is_available() else _mem_kib("VmRSS") / 1024)
    return {
        "model": model_name,
        "batch": args.batch,
        "seq": args.seq,
        "label_tokens": int((batch["labels"] != -100).sum()),
        "masked_share": round(
            float(((batch["labels"] != -100) & (batch["loss_weights"] == 0)).sum())
            / float((batch["labels"] != -100).sum()),
            3,
        ),  # fmt: skip
        "stock_step_s": round(statistics.median(st_t), 4),
        "weighted_step_s": round(statistics.median(w_t), 4),
        "step_time_ratio": round(statistics.median(w_t) / statistics.median(st_t), 3),
        "stock_step_peak_mib_above_start": round(max(st_m), 1),
        "weighted_step_peak_mib_above_start": round(max(w_m), 1),
        "step_peak_ratio_above_start": round(max(w_m) / max(max(st_m), 1e-9), 3),
        "peak_memory_ratio": round(abs_weighted / abs_stock, 3),
        "memory_measure": "cuda max_memory_allocated" if torch.cuda.is_available() else "VmHWM (peak RSS)",
    }


def bench_irm(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    import torch
    from datasets import Dataset
    from transformers import LlamaConfig, LlamaForCausalLM, TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    from tlbench.reward import irm_reward_fn

    tok = _tokenizer()
    torch.manual_seed(0)
    cfg = LlamaConfig(
        vocab_size=len(tok), hidden_size=256, intermediate_size=512, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=1024, tie_word_embeddings=True,
        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
    )  # fmt: skip
    LlamaForCausalLM(cfg).save_pretrained(tmp / "policy")  # GRPO builds its KL reference from the path
    tok.save_pretrained(tmp / "policy")
    model = str(tmp / "policy")
    tools = json.dumps(
        [
            {
                "name": "get_weather",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
                    "required": ["city"],
                },
            }
        ]
    )  # noqa: E501
    rows = []
    for i in range(64):
        city = ["Paris", "Rome", "Oslo"][i % 3]
        rows.append({
            "prompt": f"<|system|>Tools: {tools}<|end|><|user|>Weather in {city} for {i % 7} days?<|end|><|assistant|>",
            "tools": tools,
            "gold": json.dumps([{"name": "get_weather", "arguments": {"city": city, "days": i % 7}}]),
            "format": "react",
        })  # fmt: skip
    spent = {"reward_s": 0.0, "completions": 0}

    def timed_reward(prompts: Any, completions: Any, **cols: Any) -> list[float]:
        t0 = time.perf_counter()
        out = irm_reward_fn(prompts, completions, tools=cols.get("tools"), gold=cols.get("gold"),
                            format=cols.get("format") or "react")  # fmt: skip
        spent["reward_s"] += time.perf_counter() - t0
        spent["completions"] += len(completions)
        return out

    steps: list[tuple[float, float]] = []

    class Timer(TrainerCallback):
        def on_step_begin(self, *a: Any, **k: Any) -> None:
            self.t0 = time.perf_counter()
            self.r0 = spent["reward_s"]

        def on_step_end(self, *a: Any, **k: Any) -> None:
            steps.append((time.perf_counter() - self.t0, spent["reward_s"] - self.r0))

    tok.padding_side = "left"
    gcfg = GRPOConfig(
        output_dir=str(tmp / "grpo"), per_device_train_batch_size=args.rl_batch * args.rl_generations,
        num_generations=args.rl_generations, max_completion_length=args.rl_new_tokens, temperature=1.0,
        beta=0.04, max_steps=args.rl_steps, logging_steps=1, save_strategy="no", report_to=[],
        use_cpu=not torch.cuda.is_available(), disable_tqdm=True, seed=0,
    )  # fmt: skip
    trainer = GRPOTrainer(
        model=model, reward_funcs=timed_reward, args=gcfg, train_dataset=Dataset.from_list(rows),
        processing_class=tok, callbacks=[Timer()],
    )  # fmt: skip
    trainer.train()
    measured = steps[1:] or steps  # the first step pays one-off start-up costs
    step_s = sum(s for s, _ in measured)
    reward_s = sum(r for _, r in measured)
    return {
        "rl_steps": len(steps),
        "completions_per_step": args.rl_batch * args.rl_generations,
        "new_tokens": args.rl_new_tokens,
        "mean_step_s": round(step_s / len(measured), 4),
        "mean_reward_s_per_step": round(reward_s / len(measured), 6),
        "reward_s_per_completion": round(reward_s / max(1, spent["completions"]), 7),
        "irm_reward_share": round(reward_s / step_s, 5),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", default=None, help="model for part 1 (default: random SmolLM2-shaped Llama)")
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--vocab", type=int, default=49152)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--rl-steps", type=int, default=3)
    ap.add_argument("--rl-batch", type=int, default=2)
    ap.add_argument("--rl-generations", type=int, default=4)
    ap.add_argument("--rl-new-tokens", type=int, default=48)
    ap.add_argument("--skip-rl", action="store_true")
    args = ap.parse_args()
    import torch

    out: dict[str, Any] = {
        "bench": "training",
        "threads": torch.get_num_threads(),
        "cuda": torch.cuda.is_available(),
    }
    with tempfile.TemporaryDirectory() as tmp:
        out["sft"] = bench_sft(args, Path(tmp))
        print(json.dumps({"partial": out["sft"]}), file=sys.stderr, flush=True)
        if not args.skip_rl:
            out["irm"] = bench_irm(args, Path(tmp))
    out["targets"] = {
        "step_time_ratio": "<= 1.05",
        "peak_memory_ratio": "<= 1.05",
        "irm_reward_share": "< 0.01",
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
