"""End-to-end TL-Training check (not a unit test): collect -> train tiny recipes -> score base vs trained.

  python scripts/e2e_train.py --work runs/e2e [--recipes tiny-none,tiny-all] [--train-tasks 60]
                              [--heldout-tasks 12] [--bench-limit 10] [--model smollm2-135m]
                              [--sft-steps 80 --sft-lr 1e-4 --max-tools 4]

1. ``tlbench collect`` synthetic ToolEyes training tasks with the scripted ``noisy`` teacher (gold calls
   plus seeded mistakes that MAE must mask), in the ToolLLaMA ReAct format;
2. ``tlbench train`` every recipe on the default model;
3. evaluate the base and every trained model on held-out synthetic tasks: the next call after each gold
   turn's history (greedy, scored by the shared IRM reward; cheap enough for a CPU), optionally whole
   episodes (``--episodes``: ``tlbench collect --tasks synthetic:heldout`` with the model itself), and a
   ``--limit`` slice of real benchmarks (``tlbench score --model``), all in the training format;
4. print a table and write ``WORK/e2e_summary.json`` with figures and wall times.

Every step is a CLI call, so the script checks exactly what a user runs. Re-running resumes: finished
steps (their output files) are skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tlbench import jsonio

FORMAT = "toolllama-react"


def sh(argv: list[str], log: Path) -> float:
    """Run ``python -m tlbench ARGV`` (stdout+stderr to ``log``); returns wall seconds; exits on failure."""
    t0 = time.monotonic()
    cmd = [sys.executable, "-m", "tlbench", *argv]
    print("$ tlbench " + " ".join(argv), flush=True)
    with log.open("a", encoding="utf-8") as f:
        f.write("$ " + " ".join(cmd) + "\n")
        f.flush()
        rc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, check=False).returncode
    dt = time.monotonic() - t0
    if rc != 0:
        print(f"  failed (exit {rc}) after {dt:.0f}s; see {log}", flush=True)
        sys.exit(rc)
    print(f"  {dt:.0f}s", flush=True)
    return dt


def heldout_metrics(path: Path) -> dict[str, Any]:
    """Per-turn IRM reward, correct/parsed turn rates and solved episodes of a collected eval file."""
    rewards: list[float] = []
    correct = parsed = turns = solved = episodes = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        episodes += 1
        solved += bool((rec.get("meta") or {}).get("solved"))
        for t in rec.get("turns") or []:
            turns += 1
            correct += t.get("category") == "correct"
            parsed += bool(t.get("parse_ok"))
            if isinstance(t.get("reward"), int | float):
                rewards.append(float(t["reward"]))
    return {
        "episodes": episodes,
        "turns": turns,
        "mean_turn_reward": round(sum(rewards) / len(rewards), 3) if rewards else None,
        "correct_turn_rate": round(correct / turns, 3) if turns else None,
        "parse_rate": round(parsed / turns, 3) if turns else None,
        "solved_rate": round(solved / episodes, 3) if episodes else None,
    }


def first_turn_eval(
    model: str, heldout: Path, out: Path, n: int, max_prompt: int, max_new: int
) -> dict[str, Any]:
    """Greedy next-call generation on held-out prompts (gold known), scored by the shared IRM reward.

    The cheap evaluation for a 2-core CPU: one generation per prompt instead of whole episodes. Prompts
    are the histories before each gold turn of oracle trajectories on held-out tasks, at most
    ``max_prompt`` tokens.
    """
    import torch

    from tlbench.classify import classify
    from tlbench.docs import docs_from_any
    from tlbench.models import load_hf, resolve_model
    from tlbench.parsers import parse
    from tlbench.reward import irm_reward
    from training.irm import build_rl_rows
    from training.pipeline import read_records

    path = resolve_model(model).path
    lm, tok = load_hf(path, dtype="float32", device="cpu")
    rows = build_rl_rows(read_records([heldout]), tok, FORMAT, "react", max_prompt_tokens=max_prompt)[:n]
    kinds: dict[str, int] = {}
    rewards: list[float] = []
    with out.open("w", encoding="utf-8") as f:
        for row in rows:
            enc = tok(row["prompt"], return_tensors="pt", add_special_tokens=False)
            with torch.no_grad():
                gen = lm.generate(
                    **enc, max_new_tokens=max_new, do_sample=False, pad_token_id=tok.pad_token_id
                )
            text = tok.decode(gen[0, enc["input_ids"].shape[1] :], skip_special_tokens=True)
            text = text.split("\nObservation")[0]  # the ReAct stop string
            docs = docs_from_any(json.loads(row["tools"]))
            from tlbench.classify import gold_alternatives

            verdict = classify(
                parse(text, "react", list(docs)),
                docs,
                gold_alternatives(json.loads(row["gold"]), "react", docs),
            )
            r = irm_reward(verdict)
            rewards.append(r)
            kinds[verdict.kind.value] = kinds.get(verdict.kind.value, 0) + 1
            f.write(
                jsonio.dumps({"output": text, "gold": row["gold"], "kind": verdict.kind.value, "reward": r})
                + "\n"
            )
    return {
        "prompts": len(rows),
        "mean_reward": round(sum(rewards) / len(rewards), 3) if rewards else None,
        "correct_rate": round(kinds.get("correct", 0) / len(rows), 3) if rows else None,
        "kinds": kinds,
    }


def derived_recipe(
    work: Path, recipe: str, steps: int | None, lr: float | None, max_length: int | None
) -> str:
    """``recipe`` itself, or a TOML file in WORK that extends it with the given SFT overrides.

    The shipped ``tiny-*`` presets take a handful of steps (a pipeline check); showing that training
    helps needs more, so the script can lengthen the SFT stage without a hand-written recipe.
    """
    over = {"max_steps": steps, "learning_rate": lr, "max_length": max_length}
    over = {k: v for k, v in over.items() if v is not None}
    if not over:
        return recipe
    if steps is not None:
        over["save_steps"] = max(1, steps // 2)  # checkpoints cost seconds each on a CPU
    path = work / "recipes" / f"{recipe}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f'extends = "{recipe}"', f'name = "{recipe}"', "", "[sft]"]
    lines += [f"{k} = {v!r}" for k, v in over.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def bench_metrics(run_dir: Path) -> dict[str, Any]:
    """Headline numbers from a ``tlbench score --model`` run directory."""
    out: dict[str, Any] = {}
    for res in sorted(run_dir.glob("*/results.json")):
        data = json.loads(res.read_text(encoding="utf-8"))
        summary = data.get("summary") or {}
        keep = ("TS", "PI", "CF", "exec_accuracy", "parse_failure_rate", "DE", "CE", "VA")
        out[res.parent.name] = {k: summary[k] for k in keep if k in summary}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=Path("runs/e2e"))
    ap.add_argument("--model", default="smollm2-135m")
    ap.add_argument("--recipes", default="tiny-none,tiny-all")
    ap.add_argument("--train-tasks", type=int, default=60)
    ap.add_argument("--heldout-tasks", type=int, default=12)
    ap.add_argument("--bench", default="rotbench-first-clean,bfcl-v3-exec-simple")
    ap.add_argument("--bench-limit", type=int, default=5)
    ap.add_argument("--max-new-tokens", type=int, default=96)
    ap.add_argument("--max-generations", type=int, default=4)
    ap.add_argument("--max-tools", type=int, default=None, help="cap tools per synthetic prompt (collect)")
    ap.add_argument("--episodes", action="store_true", help="also run whole held-out episodes (slow on CPU)")
    ap.add_argument("--eval-prompts", type=int, default=12, help="held-out next-call prompts per model")
    ap.add_argument("--eval-max-prompt", type=int, default=1024, help="longest held-out prompt (tokens)")
    ap.add_argument("--sft-steps", type=int, default=None, help="override the recipes' SFT max_steps")
    ap.add_argument("--sft-lr", type=float, default=None, help="override the recipes' SFT learning rate")
    ap.add_argument("--sft-max-length", type=int, default=None, help="override the recipes' SFT max_length")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if not os.environ.get("TLBENCH_DATA") and Path("../shared/data").is_dir():
        os.environ["TLBENCH_DATA"] = str(Path("../shared/data").resolve())
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    log = work / "e2e.log"
    times: dict[str, float] = {}
    train_file = work / "train.jsonl"
    if not train_file.is_file():
        times["collect_train"] = sh(
            [
                "collect",
                "--backend",
                "mock",
                "--model",
                "noisy",
                "--tasks",
                "synthetic:train",
                "--limit",
                str(args.train_tasks),
                "--prompt-format",
                FORMAT,
                *(["--max-tools", str(args.max_tools)] if args.max_tools else []),
                "--out",
                str(train_file),
            ],
            log,
        )
    models: dict[str, str] = {"base": args.model}
    for recipe in [r for r in args.recipes.split(",") if r]:
        out = work / "models" / recipe
        recipe_ref = derived_recipe(work, recipe, args.sft_steps, args.sft_lr, args.sft_max_length)
        if not (out / "train_summary.json").is_file():
            times[f"train_{recipe}"] = sh(
                [
                    "train",
                    "--recipe",
                    recipe_ref,
                    "--model",
                    args.model,
                    "--data",
                    str(train_file),
                    "--out",
                    str(out),
                ],
                log,
            )
        models[recipe] = str(out)
    heldout_gold = work / "heldout_oracle.jsonl"
    if not heldout_gold.is_file():
        times["collect_heldout"] = sh(
            [
                "collect",
                "--backend",
                "mock",
                "--model",
                "oracle",
                "--tasks",
                "synthetic:heldout",
                "--limit",
                str(max(args.heldout_tasks, args.eval_prompts)),
                "--prompt-format",
                FORMAT,
                *(["--max-tools", str(args.max_tools)] if args.max_tools else []),
                "--out",
                str(heldout_gold),
            ],
            log,
        )
    results: dict[str, Any] = {}
    for name, model in models.items():
        results[name] = {}
        ft = work / "first_turn" / f"{name}.json"
        ft.parent.mkdir(parents=True, exist_ok=True)
        if not ft.is_file():
            t0 = time.monotonic()
            print(f"first-call eval of {name}", flush=True)
            metrics = first_turn_eval(
                model,
                heldout_gold,
                ft.with_suffix(".jsonl"),
                args.eval_prompts,
                args.eval_max_prompt,
                args.max_new_tokens,
            )
            times[f"eval_{name}"] = time.monotonic() - t0
            ft.write_text(jsonio.dumps(metrics), encoding="utf-8")
            print(f"  {times[f'eval_{name}']:.0f}s: {metrics}", flush=True)
        results[name]["next_call"] = json.loads(ft.read_text(encoding="utf-8"))
        ev = work / "heldout" / f"{name}.jsonl"
        ev.parent.mkdir(parents=True, exist_ok=True)
        if args.episodes and not ev.with_suffix(".done").is_file():
            times[f"heldout_{name}"] = sh(
                [
                    "collect",
                    "--backend",
                    "transformers",
                    "--model",
                    model,
                    "--tasks",
                    "synthetic:heldout",
                    "--limit",
                    str(args.heldout_tasks),
                    "--prompt-format",
                    FORMAT,
                    "--max-new-tokens",
                    str(args.max_new_tokens),
                    "--max-generations",
                    str(args.max_generations),
                    "--no-decontam",
                    "--out",
                    str(ev),
                ],
                log,
            )
            ev.with_suffix(".done").write_text("ok", encoding="utf-8")
        if ev.with_suffix(".done").is_file():
            results[name]["heldout"] = heldout_metrics(ev)
        run_dir = work / "bench" / name
        if args.bench and not (run_dir / "manifest.json").is_file():
            times[f"bench_{name}"] = sh(
                [
                    "score",
                    "--model",
                    model,
                    "--backend",
                    "transformers",
                    "--prompt-format",
                    FORMAT,
                    "--benchmarks",
                    args.bench,
                    "--limit",
                    str(args.bench_limit),
                    "--max-new-tokens",
                    str(args.max_new_tokens),
                    "--name",
                    name,
                    "--out",
                    str(run_dir),
                ],
                log,
            )
        results[name]["bench"] = bench_metrics(run_dir) if args.bench else {}
        summary_file = Path(model) / "train_summary.json"
        if summary_file.is_file():
            s = json.loads(summary_file.read_text(encoding="utf-8"))
            results[name]["train"] = {
                "wall_time_s": s.get("wall_time_s"),
                "sft_loss_first": (s.get("sft") or {}).get("loss_first"),
                "sft_loss_last": (s.get("sft") or {}).get("loss_last"),
                "masked_turns": (s.get("sft") or {}).get("masked_turns"),
                "key_tokens": (s.get("sft") or {}).get("key_tokens"),
                "rl_reward_first": (s.get("rl") or {}).get("reward_first"),
                "rl_reward_last": (s.get("rl") or {}).get("reward_last"),
            }
    summary = {
        "args": {k: str(v) for k, v in vars(args).items()},
        "format": FORMAT,
        "results": results,
        "wall_times_s": {k: round(v, 1) for k, v in times.items()},
    }
    prev = work / "e2e_summary.json"
    if prev.is_file():  # keep wall times of steps done by an earlier (resumed) invocation
        old = json.loads(prev.read_text(encoding="utf-8")).get("wall_times_s", {})
        summary["wall_times_s"] = {**old, **summary["wall_times_s"]}
    prev.write_text(jsonio.dumps(summary, indent=2), encoding="utf-8")
    print(f"\n{'model':<12} {'next-call reward':>16} {'correct':>8}  benchmarks")
    for name, r in results.items():
        h = r["next_call"]
        bench = "; ".join(
            f"{b}: " + ", ".join(f"{k}={v}" for k, v in m.items()) for b, m in r["bench"].items()
        )
        print(f"{name:<12} {h['mean_reward']!s:>16} {h['correct_rate']!s:>8}  {bench}")
    print(f"\nwall times (s): {summary['wall_times_s']}\nsummary: {prev}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
