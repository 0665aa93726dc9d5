"""Train a model with the TL-Training recipes (MAE, PKT, IRM).

  tlbench train --list-recipes
  tlbench train --recipe tiny-all --model smollm2-135m --data traj.jsonl --out runs/tiny-all

--recipe is a name from --list-recipes (the paper's Table 5 rows: none, mae, pkt, irm, mae_pkt, mae_irm,
pkt_irm, all, with its hyper-parameters; tiny-* presets run on a laptop CPU in minutes) or a .toml path.
--data is a trajectory JSONL file (docs/formats.md; written by `tlbench collect` or an importer).
OUT becomes a Hugging Face model folder that `tlbench score --model OUT` loads, with a model card
(README.md: recipe, data hashes, metrics), train_summary.json and logs/train_log.jsonl. Running the same
command again after a kill resumes from the last checkpoint. Multi-GPU: `accelerate launch --config_file
training/accelerate/<config>.yaml -m tlbench train ...`.

Needs the ``train`` extra (``pip install 'tlbench[train]'``: trl, datasets); without it, and for a bad
option or bad data (file:line), it stops with one line before any model is loaded or OUT is created.
"""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "Train a model with the TL-Training recipes (MAE, PKT, IRM)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``tlbench train``."""
    parser.add_argument("--list-recipes", action="store_true", help="print the recipes and exit")
    parser.add_argument(
        "--recipe", metavar="NAME|FILE", help="recipe name (see --list-recipes) or .toml path"
    )
    parser.add_argument(
        "--model", default="smollm2-135m", metavar="PATH|NAME", help="HF folder, .gguf or built-in name"
    )
    parser.add_argument(
        "--data", type=Path, action="append", metavar="FILE", help="trajectory JSONL (repeatable)"
    )
    parser.add_argument("--out", type=Path, metavar="DIR", help="output model folder")
    parser.add_argument(
        "--prompt-format", default=None, metavar="NAME", help="prompt format to train in (default: auto)"
    )
    parser.add_argument("--algo", choices=("grpo", "ppo"), default=None, help="override the recipe's RL algo")
    parser.add_argument("--max-steps", type=int, default=None, help="override max steps of every stage")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--keep-stages", action="store_true", help="keep per-stage models under OUT/stages")


def _list() -> int:
    from training.recipe import list_recipes, load_recipe

    print(f"{'recipe':<16} {'components':<13} {'SFT lr/batch/epochs':<22} {'RL':<28} description")
    for name in list_recipes():
        r = load_recipe(name)
        sft = f"{r.sft.learning_rate:g}/{r.sft.batch_size}/{r.sft.epochs:g}" if r.sft.enabled else "-"
        if r.sft.max_steps > 0:
            sft += f" ({r.sft.max_steps} steps)"
        rl = "-"
        if r.rl.enabled:
            rl = f"{r.rl.algo} {r.rl.actor_lr:g}/{r.rl.batch_size}/{r.rl.epochs:g} b={r.rl.kl_beta:g}"
            if r.rl.max_steps > 0:
                rl += f" ({r.rl.max_steps})"
        print(f"{name:<16} {r.components:<13} {sft:<22} {rl:<28} {r.description}")
    return 0


def run(args: argparse.Namespace) -> int:
    """List recipes, or train one and save the model folder."""
    import dataclasses

    from tlbench.errors import UsageError

    if args.list_recipes:
        return _list()
    missing = [o for o, v in (("--recipe", args.recipe), ("--data", args.data), ("--out", args.out)) if not v]
    if missing:
        raise UsageError(f"missing {', '.join(missing)} (or use --list-recipes)")
    from training.pipeline import check_train_extra, train

    check_train_extra()
    if args.max_steps is not None and args.max_steps < 1:
        raise UsageError("--max-steps must be >= 1")
    if args.prompt_format is not None:
        from tlbench.prompts import get_format

        get_format(args.prompt_format)  # UsageError with suggestions, before any model is loaded
    from training.recipe import load_recipe

    recipe = load_recipe(args.recipe)
    if args.algo:
        recipe = dataclasses.replace(recipe, rl=dataclasses.replace(recipe.rl, algo=args.algo))
    if args.max_steps is not None:
        recipe = dataclasses.replace(
            recipe,
            sft=dataclasses.replace(recipe.sft, max_steps=args.max_steps),
            rl=dataclasses.replace(recipe.rl, max_steps=args.max_steps),
        )
    train(
        recipe,
        args.model,
        list(args.data),
        args.out,
        prompt_format=args.prompt_format,
        seed=args.seed,
        keep_stages=args.keep_stages,
    )
    return 0
