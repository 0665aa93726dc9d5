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
an unfinished one continues from its last checkpoint. The stages themselves are :mod:`training.stages`;
this module checks the inputs, runs them in order and writes OUT.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tlbench import jsonio
from tlbench.errors import DataError, UsageError
from tlbench.models import ResolvedModel
from training.card import file_sha256, write_model_card
from training.recipe import Recipe
from training.stages import STAGES, Printer, StageContext
from training.trajectory import Trajectory, TruncatedLineWarning, read_numbered

#: ``((file, line), trajectory)``: a record with the place it was read from, for errors found later.
Located = tuple[tuple[str, int], Trajectory]

__all__ = ["TRAIN_REQUIRES", "check_train_extra", "read_records", "check_token_ids", "train"]

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


def _finished_run(out_dir: Path, recipe: Recipe, printer: Printer) -> dict[str, Any] | None:
    """The summary of a finished run of ``recipe`` in ``out_dir`` (None when there is none to reuse)."""
    done_file = out_dir / "train_summary.json"
    if not (done_file.is_file() and (out_dir / "config.json").is_file()):
        return None
    prev = jsonio.parse(done_file.read_text(encoding="utf-8"))
    if prev.get("recipe", {}).get("name") == recipe.name:
        printer(f"{out_dir} already holds a finished '{recipe.name}' run; nothing to do")
        return prev
    raise UsageError(f"--out {out_dir} holds a finished run of another recipe; choose another folder")


def _run_stages(
    ctx: StageContext, base: Path, out_dir: Path
) -> tuple[Path, dict[str, Any], dict[str, float]]:
    """Run the recipe's stages from ``base``: (last model folder, metrics per stage, wall time per stage).

    A stage whose ``done.json`` and model exist is skipped (resume); each finished stage saves its model
    (float32) and ``done.json`` and drops its checkpoints."""
    import torch

    current = base
    results: dict[str, Any] = {"sft": {"enabled": False}, "rl": {"enabled": False}}
    timings: dict[str, float] = {}
    for name, enabled, run in STAGES:
        if not enabled(ctx.recipe):
            continue
        stage_dir = out_dir / "stages" / name
        done = stage_dir / "done.json"
        if done.is_file() and (stage_dir / "model" / "config.json").is_file():
            results[name] = jsonio.parse(done.read_text(encoding="utf-8"))
            ctx.printer(f"[{name}] already done (resume): {stage_dir / 'model'}")
            current = stage_dir / "model"
            continue
        stage_dir.mkdir(parents=True, exist_ok=True)
        ts = time.monotonic()
        out = run(ctx, current, stage_dir)
        out.metrics["wall_time_s"] = round(time.monotonic() - ts, 1)
        _save_model(out.model, ctx.tokenizer, stage_dir / "model", torch.float32)
        done.write_text(jsonio.dumps(out.metrics, indent=2, default=str), encoding="utf-8")
        shutil.rmtree(stage_dir / "checkpoints", ignore_errors=True)
        results[name] = out.metrics
        current = stage_dir / "model"
        timings[name] = out.metrics["wall_time_s"]
    return current, results, timings


def _save_final(current: Path, tok: Any, out_dir: Path, base_cfg: Mapping[str, Any]) -> None:
    """The last stage's model into ``out_dir`` in the base model's dtype, with the (left-padding) tokenizer."""
    import torch
    from transformers import AutoModelForCausalLM

    dtype = getattr(
        torch, str(base_cfg.get("dtype") or base_cfg.get("torch_dtype") or "float32"), torch.float32
    )
    final = AutoModelForCausalLM.from_pretrained(str(current), dtype=torch.float32)
    for f in out_dir.glob("*.safetensors"):
        f.unlink()
    final.to(dtype).save_pretrained(out_dir)
    tok.padding_side = "left"
    tok.save_pretrained(out_dir)


def _write_outputs(out_dir: Path, summary: Mapping[str, Any], keep_stages: bool) -> None:
    """``train_summary.json``, ``tlbench_train.json`` (what ``score`` reads) and the model card."""
    (out_dir / "train_summary.json").write_text(
        jsonio.dumps(summary, indent=2, default=str), encoding="utf-8"
    )
    (out_dir / "tlbench_train.json").write_text(
        jsonio.dumps({"prompt_format": summary["prompt_format"], "recipe": summary["recipe"]["name"]}),
        encoding="utf-8",
    )
    write_model_card(out_dir, summary)
    if not keep_stages:
        shutil.rmtree(out_dir / "stages", ignore_errors=True)


@dataclass(frozen=True, slots=True)
class _Inputs:
    """What a run reads and checks before OUT exists: the data, the base model, the format, the tokenizer."""

    located: list[Located]
    model: ResolvedModel
    fmt: str
    tokenizer: Any
    base_config: Mapping[str, Any]

    @property
    def trajectories(self) -> list[Trajectory]:
        return [traj for _, traj in self.located]


def _read_inputs(model_spec: str, data: Sequence[Path], prompt_format: str | None) -> _Inputs:
    """Read the data (file:line), resolve the model and the format, check the token ids: a bad input
    raises here, before OUT is created or a model is loaded."""
    from transformers import AutoTokenizer

    from tlbench.models import resolve_model
    from tlbench.prompts import auto_format, get_format

    located = _read_located(data)
    resolved = resolve_model(model_spec)
    fmt = prompt_format or _data_format([traj for _, traj in located]) or auto_format(resolved.path)
    get_format(fmt)  # UsageError with suggestions for an unknown name, before OUT exists
    tok = AutoTokenizer.from_pretrained(str(resolved.path))
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    base_cfg = jsonio.parse((resolved.path / "config.json").read_text(encoding="utf-8"))
    check_token_ids(located, _vocab_size(base_cfg, tok))
    return _Inputs(located, resolved, fmt, tok, base_cfg)


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
    t0 = time.monotonic()
    prev = _finished_run(out_dir, recipe, printer)
    if prev is not None:
        return prev
    inputs = _read_inputs(model_spec, data, prompt_format)
    trajectories, resolved, fmt, tok = inputs.trajectories, inputs.model, inputs.fmt, inputs.tokenizer
    out_dir.mkdir(parents=True, exist_ok=True)
    printer(
        f"recipe {recipe.name} ({recipe.components}); model {model_spec} -> {resolved.path}; format {fmt}; "
        f"{len(trajectories)} trajectories"
    )
    ctx = StageContext(recipe, tok, trajectories, fmt, out_dir / "logs" / "train_log.jsonl", seed, printer)
    current, results, timings = _run_stages(ctx, resolved.path, out_dir)
    _save_final(current, tok, out_dir, inputs.base_config)
    summary = {
        "recipe": recipe.as_dict(),
        "components": recipe.components,
        "base_model": model_spec,
        "base_path": str(resolved.path),
        "base_identity": resolved.identity,
        "prompt_format": fmt,
        "data_hashes": {str(p): file_sha256(p) for p in data},
        "trajectories": len(trajectories),
        "sft": results["sft"],
        "rl": results["rl"],
        "seed": seed,
        "wall_time_s": round(time.monotonic() - t0, 1),
        "stage_wall_time_s": timings,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": _versions(),
    }
    _write_outputs(out_dir, summary, keep_stages)
    printer(f"saved {out_dir} ({summary['wall_time_s']:.0f}s)")
    return summary
