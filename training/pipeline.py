"""``tlbench train``: run a recipe's stages (SFT with MAE/PKT, then IRM) and save an HF model folder.

Output folder layout::

    OUT/
      config.json, model.safetensors, tokenizer files   # the trained model: `tlbench score --model OUT`
      README.md                                         # model card (training.card)
      train_summary.json                                # recipe, data hashes, stage metrics, wall times
      logs/train_log.jsonl                              # one JSON object per logged step, both stages
      stages/sft/{checkpoints/,model/,done.json}        # resume state (checkpoints removed when a stage ends)
      stages/rl/{checkpoints/,model/,done.json}

A killed run is resumed by running the same command again: a finished stage (``done.json``) is skipped,
an unfinished one continues from its last checkpoint.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tlbench import jsonio
from tlbench.errors import DataError, UsageError
from training.card import file_sha256, write_model_card
from training.recipe import Recipe
from training.trajectory import Trajectory, TruncatedLineWarning, read_numbered

#: ``((file, line), trajectory)``: a record with the place it was read from, for errors found later.
Located = tuple[tuple[str, int], Trajectory]

__all__ = ["TRAIN_REQUIRES", "check_train_extra", "read_records", "check_token_ids", "train", "LogCallback"]

Printer = Callable[[str], None]

#: Modules of the ``train`` extra (pyproject.toml) that the stages import; checked before anything runs.
TRAIN_REQUIRES: tuple[str, ...] = ("trl", "datasets", *(("tomli",) if sys.version_info < (3, 11) else ()))


def check_train_extra() -> None:
    """``UsageError`` (one line, the pip command) when a module of the ``train`` extra is not installed.

    Why up front: the stages import trl lazily, so without the extra a run used to load the model, create
    OUT/stages and only then die of a ModuleNotFoundError."""
    missing = []
    for name in TRAIN_REQUIRES:
        try:
            found = importlib.util.find_spec(name) is not None
        except ValueError:  # in sys.modules without a spec: imported, so present
            found = True
        if not found:
            missing.append(name)
    if missing:
        raise UsageError(
            f"training needs the 'train' extra ({', '.join(missing)} not installed): pip install 'tlbench[train]'"
        )


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def read_records(paths: Sequence[Path]) -> list[Trajectory]:
    """The trajectories of JSONL files, through :mod:`training.trajectory` (the one reader)."""
    return [traj for _, traj in _read_located(paths)]


def _read_located(paths: Sequence[Path]) -> list[Located]:
    """``((file, line), trajectory)`` for every record of ``paths`` (see :func:`read_records`)."""
    import warnings

    records: list[Located] = []
    for path in paths:
        if not path.is_file():
            raise UsageError(f"--data {path}: no such file")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", TruncatedLineWarning)
            records.extend(((str(path), n), traj) for n, traj in read_numbered(path))
        for w in caught:  # one 'tlbench train: warning:' line each, not Python's two-line warning format
            if issubclass(w.category, TruncatedLineWarning):
                _stderr(f"tlbench train: warning: {w.message}")
            else:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if not records:
        raise DataError(f"--data {', '.join(map(str, paths))}: no trajectory records")
    return records


def check_token_ids(located: Sequence[Located], vocab_size: int) -> None:
    """``DataError`` naming file:line for a turn whose ``token_ids`` fall outside ``0..vocab_size-1``.

    Such ids (a record from another model, or edited by hand) would crash the tokenizer's decode or the
    embedding lookup in the middle of training; they are checked before OUT is created."""
    for (path, line), traj in located:
        for k, turn in enumerate(traj.turns):
            bad = next((t for t in turn.token_ids or () if not 0 <= t < vocab_size), None)
            if bad is not None:
                raise DataError(
                    f"turns[{k}].token_ids holds {bad}, outside the model's vocabulary (0..{vocab_size - 1}): "
                    "were these trajectories collected with another model?",
                    path,
                    line,
                )


def _vocab_size(config: Mapping[str, Any], tok: Any) -> int:
    """Rows of the model's embedding (config ``vocab_size``, also under ``text_config``), else the tokenizer's."""
    for cfg in (config, config.get("text_config") or {}):
        size = cfg.get("vocab_size") if isinstance(cfg, Mapping) else None
        if isinstance(size, int) and size > 0:
            return size
    return len(tok)


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


def _data_format(trajectories: Sequence[Trajectory]) -> str | None:
    """The prompt format the trajectories were collected in, when they all agree (``meta.prompt_format``)."""
    found = {str(t.meta.get("prompt_format") or "") for t in trajectories}
    return found.pop() or None if len(found) == 1 else None


def _versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {"python": sys.version.split()[0]}
    for pkg in ("tlbench", "torch", "transformers", "trl", "accelerate"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            pass
    return out


def _save_model(model: Any, tok: Any, folder: Path, dtype: Any) -> None:
    tmp = folder.with_name(folder.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    model.to(dtype).save_pretrained(tmp)
    tok.padding_side = "left"
    tok.save_pretrained(tmp)
    if folder.exists():
        shutil.rmtree(folder)
    tmp.rename(folder)


def _run_sft(
    recipe: Recipe,
    start: Path,
    tok: Any,
    records: Sequence[Trajectory],
    fmt: str,
    stage_dir: Path,
    log_file: Path,
    seed: int,
    printer: Printer,
) -> dict[str, Any]:
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM
    from transformers.trainer_utils import get_last_checkpoint
    from trl import SFTConfig

    from training.sft import WeightedCollator, build_examples, make_trainer_class

    s = recipe.sft
    examples, stats = build_examples(
        records, tok, fmt, mae=s.mae, pkt=s.pkt, w_max=s.w_max, max_length=s.max_length
    )
    printer(
        f"[sft] {stats.records} trajectories, {stats.turns} assistant turns, {stats.trained_turns} trained, "
        f"{sum(stats.masked.values())} masked by MAE"
        + (f" ({', '.join(f'{k}: {v}' for k, v in sorted(stats.masked.items()))})" if stats.masked else "")
    )
    printer(
        f"[sft] {len(examples)} sequences, {stats.target_tokens} target tokens, {stats.key_tokens} PKT key tokens, "
        f"{stats.used_token_ids} turns trained on generated token ids, {stats.truncated} truncated"
        + (f", skipped {dict(stats.skipped)}" if stats.skipped else "")
    )
    if not examples:
        raise DataError("no training sequences after MAE masking and truncation")
    ckpt = stage_dir / "checkpoints"
    use_cpu = not torch.cuda.is_available()
    args = SFTConfig(
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
    model = AutoModelForCausalLM.from_pretrained(str(start), dtype=torch.float32)
    trainer_cls = make_trainer_class(s.loss_norm)
    cb = LogCallback(log_file, "sft", printer)
    trainer = trainer_cls(
        model=model,
        args=args,
        train_dataset=Dataset.from_list([e.as_row() for e in examples]),
        processing_class=tok,
        data_collator=WeightedCollator(tok.pad_token_id),
        callbacks=[cb],
    )
    last = get_last_checkpoint(str(ckpt)) if ckpt.is_dir() else None
    if last:
        printer(f"[sft] resuming from {last}")
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
    return {"model": trainer.model, "metrics": metrics}


def _run_rl(
    recipe: Recipe,
    start: Path,
    tok: Any,
    records: Sequence[Trajectory],
    fmt: str,
    stage_dir: Path,
    log_file: Path,
    seed: int,
    printer: Printer,
) -> dict[str, Any]:
    from tlbench.prompts import parser_for
    from training.irm import PPOTrainerLite, build_rl_rows, run_grpo

    rl = recipe.rl
    rows = build_rl_rows(records, tok, fmt, parser_for(fmt, tok), max_prompt_tokens=rl.max_prompt_length)
    printer(f"[rl] {len(rows)} prompts with gold calls; algo {rl.algo}, KL beta {rl.kl_beta}")
    if not rows:
        raise DataError("the IRM stage needs trajectories with gold calls ('gold'); none found")
    ckpt = stage_dir / "checkpoints"
    cb = LogCallback(log_file, "rl", printer)
    if rl.algo == "ppo":
        ppo = PPOTrainerLite(start, tok, rl, seed=seed, log=cb.write)
        metrics = ppo.train(rows, ckpt)
        model = ppo.actor
    else:
        model, metrics = run_grpo(start, tok, rows, rl, ckpt, seed=seed, callbacks=[cb])
    return {"model": model, "metrics": {"enabled": True, "prompts": len(rows), **metrics}}


def train(
    recipe: Recipe,
    model_spec: str,
    data: Sequence[Path],
    out_dir: Path,
    *,
    prompt_format: str | None = None,
    seed: int = 0,
    keep_stages: bool = False,
    printer: Printer = _stderr,
) -> dict[str, Any]:
    """Run ``recipe`` on ``model_spec`` with trajectory files ``data``; returns the summary written to OUT.

    The extra, the data (file:line) and the token ids are checked before OUT is created or a model is
    loaded: a bad input leaves nothing behind."""
    check_train_extra()
    import torch
    from transformers import AutoTokenizer

    from tlbench.models import resolve_model
    from tlbench.prompts import auto_format, get_format

    t0 = time.monotonic()
    done_file = out_dir / "train_summary.json"
    if done_file.is_file() and (out_dir / "config.json").is_file():
        prev = jsonio.parse(done_file.read_text(encoding="utf-8"))
        if prev.get("recipe", {}).get("name") == recipe.name:
            printer(f"{out_dir} already holds a finished '{recipe.name}' run; nothing to do")
            return prev
        raise UsageError(f"--out {out_dir} holds a finished run of another recipe; choose another folder")
    located = _read_located(data)
    records = [traj for _, traj in located]
    resolved = resolve_model(model_spec)
    fmt = prompt_format or _data_format(records) or auto_format(resolved.path)
    get_format(fmt)  # UsageError with suggestions for an unknown name, before OUT exists
    tok = AutoTokenizer.from_pretrained(str(resolved.path))
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    base_cfg = jsonio.parse((resolved.path / "config.json").read_text(encoding="utf-8"))
    check_token_ids(located, _vocab_size(base_cfg, tok))
    out_dir.mkdir(parents=True, exist_ok=True)
    log_file = out_dir / "logs" / "train_log.jsonl"
    save_dtype = getattr(
        torch, str(base_cfg.get("dtype") or base_cfg.get("torch_dtype") or "float32"), torch.float32
    )
    printer(
        f"recipe {recipe.name} ({recipe.components}); model {model_spec} -> {resolved.path}; format {fmt}; "
        f"{len(records)} trajectories"
    )
    stages: list[tuple[str, Callable[..., dict[str, Any]]]] = []
    if recipe.sft.enabled:
        stages.append(("sft", _run_sft))
    if recipe.rl.enabled:
        stages.append(("rl", _run_rl))
    current = resolved.path
    results: dict[str, Any] = {"sft": {"enabled": False}, "rl": {"enabled": False}}
    timings: dict[str, float] = {}
    for name, fn in stages:
        stage_dir = out_dir / "stages" / name
        done = stage_dir / "done.json"
        if done.is_file() and (stage_dir / "model" / "config.json").is_file():
            results[name] = jsonio.parse(done.read_text(encoding="utf-8"))
            printer(f"[{name}] already done (resume): {stage_dir / 'model'}")
            current = stage_dir / "model"
            continue
        stage_dir.mkdir(parents=True, exist_ok=True)
        ts = time.monotonic()
        out = fn(recipe, current, tok, records, fmt, stage_dir, log_file, seed, printer)
        out["metrics"]["wall_time_s"] = round(time.monotonic() - ts, 1)
        _save_model(out["model"], tok, stage_dir / "model", torch.float32)
        done.write_text(jsonio.dumps(out["metrics"], indent=2, default=str), encoding="utf-8")
        shutil.rmtree(stage_dir / "checkpoints", ignore_errors=True)
        results[name] = out["metrics"]
        current = stage_dir / "model"
        timings[name] = out["metrics"]["wall_time_s"]
    from transformers import AutoModelForCausalLM

    final = AutoModelForCausalLM.from_pretrained(str(current), dtype=torch.float32)
    for f in out_dir.glob("*.safetensors"):
        f.unlink()
    final.to(save_dtype).save_pretrained(out_dir)
    tok.padding_side = "left"
    tok.save_pretrained(out_dir)
    summary = {
        "recipe": recipe.as_dict(),
        "components": recipe.components,
        "base_model": model_spec,
        "base_path": str(resolved.path),
        "base_identity": resolved.identity,
        "prompt_format": fmt,
        "data_hashes": {str(p): file_sha256(p) for p in data},
        "trajectories": len(records),
        "sft": results["sft"],
        "rl": results["rl"],
        "seed": seed,
        "wall_time_s": round(time.monotonic() - t0, 1),
        "stage_wall_time_s": timings,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": _versions(),
    }
    (out_dir / "train_summary.json").write_text(
        jsonio.dumps(summary, indent=2, default=str), encoding="utf-8"
    )
    (out_dir / "tlbench_train.json").write_text(
        jsonio.dumps({"prompt_format": fmt, "recipe": recipe.name}), encoding="utf-8"
    )
    write_model_card(out_dir, summary)
    if not keep_stages:
        shutil.rmtree(out_dir / "stages", ignore_errors=True)
    printer(f"saved {out_dir} ({summary['wall_time_s']:.0f}s)")
    return summary
