"""Model card (``README.md`` in the output folder) for a model trained by ``tlbench train``.

It records what a reader needs to reproduce or judge the model: the recipe (every hyper-parameter), the
base model and its identity hash, the training data files with their SHA-256, the prompt format the model
was trained in (``tlbench score --model DIR`` should use the same), what MAE masked, and the metrics and wall
times of every stage.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tlbench import jsonio

__all__ = ["file_sha256", "write_model_card"]


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _table(rows: Mapping[str, Any]) -> str:
    lines = ["| key | value |", "|---|---|"]
    for k, v in rows.items():
        text = jsonio.dumps(v) if isinstance(v, dict | list) else str(v)
        lines.append(f"| {k} | {text.replace('|', '/')} |")
    return "\n".join(lines)


def write_model_card(out_dir: Path, summary: Mapping[str, Any]) -> Path:
    """Write ``README.md`` from the training summary (see :func:`training.pipeline.train`)."""
    recipe = summary.get("recipe", {})
    front = [
        "---",
        "library_name: transformers",
        "tags: [tlbench, tl-training, tool-use]",
        f"base_model: {summary.get('base_model', '')}",
        "---",
        "",
    ]
    body = [
        f"# {out_dir.name}",
        "",
        f"Trained with `tlbench train --recipe {recipe.get('name', '?')}` "
        f"({summary.get('components', '?')}) from `{summary.get('base_model', '?')}` "
        f"(identity `{summary.get('base_identity', '?')}`).",
        "",
        f"Prompt format used in training: `{summary.get('prompt_format', '?')}` "
        f"(score with `tlbench score --model {out_dir} --prompt-format {summary.get('prompt_format', '?')}`).",
        "",
        "## Data",
        "",
        _table({str(k): v for k, v in (summary.get("data_hashes") or {}).items()}),
        "",
        "## Recipe",
        "",
        "```json",
        jsonio.dumps(recipe, indent=2),
        "```",
        "",
        "## Supervised stage (MAE / PKT)",
        "",
        _table(summary.get("sft") or {"enabled": False}),
        "",
        "## RL stage (IRM)",
        "",
        _table(summary.get("rl") or {"enabled": False}),
        "",
        "## Run",
        "",
        _table(
            {
                "wall_time_s": summary.get("wall_time_s"),
                "seed": summary.get("seed"),
                "created": summary.get("created"),
                "versions": summary.get("versions"),
            }
        ),
        "",
        "Logs: `logs/train_log.jsonl` (one JSON object per logged step). Full summary: `train_summary.json`.",
        "",
    ]
    path = out_dir / "README.md"
    path.write_text("\n".join(front + body), encoding="utf-8")
    return path
