"""The two stages of ``tlbench train``: SFT (MAE and PKT) and RL (the IRM reward).

Each stage takes the model a previous stage left (or the base model) and returns the trained model with
its metrics (:class:`StageResult`); :mod:`training.pipeline` runs them in order, saves each stage's model
and skips a stage that finished before (resume). A stage resumes from its own last checkpoint under
``stage_dir/checkpoints``. Both log every step through :class:`LogCallback` into one JSONL file.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tlbench import jsonio
from tlbench.errors import DataError
from training.recipe import Recipe, SFTStage
from training.sequences import BuildStats, build_examples
from training.trajectory import Trajectory

__all__ = ["Printer", "StageContext", "StageResult", "LogCallback", "run_sft", "run_rl", "STAGES"]

Printer = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class StageContext:
    """What every stage of one run shares: the recipe, the tokenizer, the data and where to log."""

    recipe: Recipe
    tokenizer: Any
    trajectories: Sequence[Trajectory]
    fmt: str
    log_file: Path
    seed: int
    printer: Printer


@dataclass(frozen=True, slots=True)
class StageResult:
    """A stage's trained model and its metrics (``train_summary.json`` and the stage's ``done.json``)."""

    model: Any
    metrics: dict[str, Any]


class LogCallback:
    """A transformers ``TrainerCallback`` (duck-typed) writing every log entry to JSONL and a progress line."""

    def __init__(self, log_file: Path, stage: str, printer: Printer) -> None:
        self.log_file, self.stage, self.printer = log_file, stage, printer
        self.t0 = time.monotonic()

    def __getattr__(self, name: str) -> Any:  # every other callback event is a no-op
        if name.startswith("on_"):
            return lambda *a, **k: None
        raise AttributeError(name)

    def write(self, row: Mapping[str, Any]) -> None:
        """Append one row (with stage and elapsed seconds) and print a short progress line."""
        entry = {"stage": self.stage, "elapsed_s": round(time.monotonic() - self.t0, 2), **row}
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("a", encoding="utf-8") as f:
            f.write(jsonio.dumps(entry, default=float) + "\n")
        keys = ("step", "loss", "reward", "pg_loss", "vf_loss", "kl", "learning_rate")
        shown = " ".join(
            f"{k}={entry[k]:.4g}" if isinstance(entry[k], float) else f"{k}={entry[k]}"
            for k in keys
            if k in entry
        )
        self.printer(f"[{self.stage}] {shown} ({entry['elapsed_s']:.0f}s)")

    def on_log(
        self, args: Any, state: Any, control: Any, logs: Mapping[str, Any] | None = None, **kw: Any
    ) -> None:
        if logs:
            self.write({"step": state.global_step, "max_steps": state.max_steps, **logs})


def _sft_args(s: SFTStage, ckpt: Path, seed: int) -> Any:
    """The ``trl.SFTConfig`` of the SFT stage (float32 on a CPU, bf16 where the GPU has it)."""
    import torch
    from trl import SFTConfig

    use_cpu = not torch.cuda.is_available()
    return SFTConfig(
        output_dir=str(ckpt),
        per_device_train_batch_size=s.batch_size,
        gradient_accumulation_steps=s.grad_accum,
        learning_rate=s.learning_rate,
        num_train_epochs=s.epochs,
        max_steps=s.max_steps,
        lr_scheduler_type=s.lr_scheduler,
        warmup_steps=s.warmup_ratio,
        weight_decay=s.weight_decay,
        adam_beta2=0.95,
        max_grad_norm=1.0,
        logging_steps=1,
        save_strategy="steps",
        save_steps=max(1, s.save_steps),
        save_total_limit=1,
        report_to=[],
        remove_unused_columns=False,
        dataset_kwargs={"skip_prepare_dataset": True},
        use_cpu=use_cpu,
        bf16=not use_cpu and torch.cuda.is_bf16_supported(),
        seed=seed,
        disable_tqdm=True,
    )


def _print_build_stats(stats: BuildStats, sequences: int, printer: Printer) -> None:
    """Two lines on what MAE, PKT and truncation did to the data."""
    masked = ", ".join(f"{k}: {v}" for k, v in sorted(stats.masked.items()))
    printer(
        f"[sft] {stats.records} trajectories, {stats.turns} assistant turns, {stats.trained_turns} trained, "
        f"{sum(stats.masked.values())} masked by MAE" + (f" ({masked})" if stats.masked else "")
    )
    printer(
        f"[sft] {sequences} sequences, {stats.target_tokens} target tokens, {stats.key_tokens} PKT key tokens, "
        f"{stats.used_token_ids} turns trained on generated token ids, {stats.truncated} truncated"
        + (f", skipped {dict(stats.skipped)}" if stats.skipped else "")
    )


def run_sft(ctx: StageContext, start: Path, stage_dir: Path) -> StageResult:
    """SFT from ``start`` on the weighted sequences of :func:`training.sequences.build_examples`."""
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM
    from transformers.trainer_utils import get_last_checkpoint

    from training.sft import WeightedCollator, make_trainer_class

    s, tok = ctx.recipe.sft, ctx.tokenizer
    examples, stats = build_examples(
        ctx.trajectories, tok, ctx.fmt, mae=s.mae, pkt=s.pkt, w_max=s.w_max, max_length=s.max_length
    )
    _print_build_stats(stats, len(examples), ctx.printer)
    if not examples:
        raise DataError("no training sequences after MAE masking and truncation")
    ckpt = stage_dir / "checkpoints"
    args = _sft_args(s, ckpt, ctx.seed)
    model = AutoModelForCausalLM.from_pretrained(str(start), dtype=torch.float32)
    trainer = make_trainer_class(s.loss_norm)(
        model=model,
        args=args,
        train_dataset=Dataset.from_list([e.as_row() for e in examples]),
        processing_class=tok,
        data_collator=WeightedCollator(tok.pad_token_id),
        callbacks=[LogCallback(ctx.log_file, "sft", ctx.printer)],
    )
    last = get_last_checkpoint(str(ckpt)) if ckpt.is_dir() else None
    if last:
        ctx.printer(f"[sft] resuming from {last}")
    result = trainer.train(resume_from_checkpoint=last)
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    metrics = {
        "enabled": True,
        "steps": trainer.state.global_step,
        "train_loss": result.training_loss,
        "loss_first": losses[0] if losses else None,
        "loss_last": losses[-1] if losses else None,
        "resumed_from": last,
        **stats.as_dict(),
    }
    return StageResult(trainer.model, metrics)


def run_rl(ctx: StageContext, start: Path, stage_dir: Path) -> StageResult:
    """RL from ``start`` with the IRM reward on every assistant turn that has gold calls (GRPO or PPO)."""
    from tlbench.prompts import parser_for
    from training.irm import PPOTrainerLite, build_rl_rows, run_grpo

    rl, tok = ctx.recipe.rl, ctx.tokenizer
    parser = parser_for(ctx.fmt, tok)
    rows = build_rl_rows(ctx.trajectories, tok, ctx.fmt, parser, max_prompt_tokens=rl.max_prompt_length)
    ctx.printer(f"[rl] {len(rows)} prompts with gold calls; algo {rl.algo}, KL beta {rl.kl_beta}")
    if not rows:
        raise DataError("the IRM stage needs trajectories with gold calls ('gold'); none found")
    ckpt = stage_dir / "checkpoints"
    cb = LogCallback(ctx.log_file, "rl", ctx.printer)
    if rl.algo == "ppo":
        ppo = PPOTrainerLite(start, tok, rl, seed=ctx.seed, log=cb.write)
        metrics = ppo.train(rows, ckpt)
        model = ppo.actor
    else:
        model, metrics = run_grpo(start, tok, rows, rl, ckpt, seed=ctx.seed, callbacks=[cb])
    return StageResult(model, {"enabled": True, "prompts": len(rows), **metrics})


#: The stages in the order they run, each with the recipe switch that enables it.
STAGES: tuple[
    tuple[str, Callable[[Recipe], bool], Callable[[StageContext, Path, Path], StageResult]], ...
] = (
    ("sft", lambda r: r.sft.enabled, run_sft),
    ("rl", lambda r: r.rl.enabled, run_rl),
)
